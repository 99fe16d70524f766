"""Signing in and out: rotation, revocation, timeouts, CSRF, rate limits, no account enumeration."""
from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from factories import PASSWORD, make_user, sign_in
from sqlalchemy import func, select

from qa_engine.db import utcnow
from qa_engine.domain.roles import Role
from qa_engine.models import AuditEntry, UserSession
from qa_engine.services import users


def login(client, email: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    return client.post_form("/login", {"email": email, "password": password})


def cookie_token(client) -> str | None:  # noqa: ANN001
    with client.session_transaction() as cookie_session:
        return cookie_session.get("_user_id")


def normalised(html: str) -> str:
    """The page without what differs on every response (CSRF token, request id) and the echoed address."""
    return re.sub(r'value="[^"]{20,}"|value="[^"]*@[^"]*"|reference [0-9a-f]{32}', "", html)


def test_login_success_redirects_home_and_opens_a_server_side_session(client, session) -> None:
    user = make_user(session, Role.DESIGNER)
    session.commit()
    response = login(client, user.email.upper() + "  ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)) == 1
    assert "Hello, " + user.full_name in client.get("/").get_data(as_text=True)


def test_login_issues_a_new_session_id_each_time(client, session) -> None:
    user = make_user(session)
    session.commit()
    with client.session_transaction() as cookie_session:
        cookie_session["planted"] = "by an attacker"
    login(client, user.email)
    first = cookie_token(client)
    with client.session_transaction() as cookie_session:
        assert "planted" not in cookie_session
    login(client, user.email)
    assert cookie_token(client) not in (None, first)


def test_logout_ends_the_session_at_the_server(app, client, session) -> None:
    user = make_user(session)
    session.commit()
    login(client, user.email)
    stolen = cookie_token(client)
    client.post_form("/logout", token_from="/")
    replay = app.test_client()
    with replay.session_transaction() as cookie_session:
        cookie_session["_user_id"] = stolen
    response = replay.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_deactivation_ends_every_session_at_once(app, client, session) -> None:
    admin = make_user(session, Role.ADMIN)
    user = make_user(session)
    session.commit()
    sign_in(client, app, user)
    assert client.get("/account/password").status_code == 200
    users.set_active(session, user, False, by=admin)
    session.commit()
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert session.scalar(select(func.count()).where(UserSession.user_id == user.id,
                                                     UserSession.revoked_at.is_(None))) == 0


def test_password_change_signs_out_other_sessions(app, client, session) -> None:
    user = make_user(session)
    session.commit()
    other = app.test_client()
    sign_in(other, app, user)
    sign_in(client, app, user)
    response = client.post_form("/account/password", {"current": PASSWORD, "password": "a brand new passphrase",
                                                      "confirm": "a brand new passphrase"}, token_from="/")
    assert response.status_code == 302
    assert other.get("/account/password").status_code == 302
    assert client.get("/account/password").status_code == 200
    assert login(app.test_client(), user.email, "a brand new passphrase").status_code == 302


def test_password_change_with_wrong_current_password_is_refused(app, client, session) -> None:
    user = make_user(session)
    session.commit()
    sign_in(client, app, user)
    response = client.post_form("/account/password", {"current": "wrong one", "password": "another passphrase!",
                                                      "confirm": "another passphrase!"}, token_from="/")
    assert response.status_code == 200
    assert "Your current password is not correct." in response.get_data(as_text=True)


def test_idle_session_expires(app, client, session) -> None:
    user = make_user(session)
    session.commit()
    sign_in(client, app, user)
    with time_machine.travel(utcnow() + app.config["SESSION_IDLE_TIMEOUT"] + timedelta(seconds=5)):
        assert client.get("/account/password").status_code == 302


def test_active_session_still_expires_after_the_absolute_lifetime(app, client, session) -> None:
    user = make_user(session)
    session.commit()
    sign_in(client, app, user)
    start, step = utcnow(), app.config["SESSION_IDLE_TIMEOUT"] / 2
    moment = start
    while moment - start < app.config["SESSION_ABSOLUTE_TIMEOUT"] - step:
        moment += step
        with time_machine.travel(moment):
            assert client.get("/account/password").status_code == 200
    with time_machine.travel(start + app.config["SESSION_ABSOLUTE_TIMEOUT"] + timedelta(seconds=5)):
        assert client.get("/account/password").status_code == 302


def test_post_without_csrf_token_is_refused(client, session) -> None:
    user = make_user(session)
    session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired or was not sent from this site" in response.get_data(as_text=True)
    assert cookie_token(client) is None


def test_login_is_rate_limited_per_ip(make_app) -> None:
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [login(client, f"nobody{i}@example.org", "wrong").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_account_is_throttled_after_repeated_failures_even_with_the_right_password(app, session) -> None:
    user = make_user(session)
    session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(app.test_client(), user.email, "wrong password")
    response = login(app.test_client(), user.email)
    assert response.status_code == 200
    assert "Too many failed attempts for this account" in response.get_data(as_text=True)


def test_unknown_account_and_wrong_password_get_the_same_answer(make_app) -> None:
    app = make_app(LOGIN_RATE_LIMIT="100 per minute")
    session = app.extensions["qa_engine.db"].new_session()
    user = make_user(session)
    session.commit()
    wrong = login(app.test_client(), user.email, "wrong password")
    unknown = login(app.test_client(), "nobody@example.org", "wrong password")
    assert (wrong.status_code, normalised(wrong.get_data(as_text=True))) == (
        unknown.status_code, normalised(unknown.get_data(as_text=True)))
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        wrong = login(app.test_client(), user.email, "wrong password")
        unknown = login(app.test_client(), "nobody@example.org", "wrong password")
    assert normalised(wrong.get_data(as_text=True)) == normalised(unknown.get_data(as_text=True))
    assert "Too many failed attempts" in wrong.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(app, session) -> None:
    admin = make_user(session, Role.ADMIN)
    user = make_user(session)
    users.set_active(session, user, False, by=admin)
    session.commit()
    response = login(app.test_client(), user.email)
    assert "do not match an active account" in response.get_data(as_text=True)


def test_sign_in_and_failure_are_audited(app, session) -> None:
    user = make_user(session)
    session.commit()
    login(app.test_client(), user.email, "wrong password")
    login(app.test_client(), user.email)
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-2:] == ["auth.login_failed", "auth.login"]
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (last.actor_id, last.actor_role, last.object_type) == (user.id, "designer", "user")
    assert last.request_id is not None and len(last.request_id) == 32


def test_next_parameter_cannot_redirect_off_site(client, session) -> None:
    user = make_user(session)
    session.commit()
    response = client.post("/login?next=//evil.example/x", data={
        "email": user.email, "password": PASSWORD, "csrf_token": client.csrf_token()})
    assert response.headers["Location"] == "/"
