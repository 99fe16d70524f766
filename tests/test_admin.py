"""Administrators create accounts, invite people, set roles and deactivate accounts."""
from __future__ import annotations

import re

from factories import make_institution, make_user, sign_in
from sqlalchemy import func, select

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.models import AuditEntry, Institution, Invitation, User

LINK_RE = re.compile(r'value="http://localhost(/invitation/[^"]+)"')


def admin_client(app, session):  # noqa: ANN001, ANN201
    admin = make_user(session, Role.ADMIN, institution=make_institution(session, kind=InstitutionKind.AGENCY))
    session.commit()
    client = app.test_client()
    sign_in(client, app, admin)
    return client, admin


def test_new_account_gets_a_single_use_invitation_that_sets_its_password(app, session) -> None:
    client, _ = admin_client(app, session)
    provider = make_institution(session)
    session.commit()
    page = client.post_form("/admin/users/new", {"email": "New.Person@Example.org", "full_name": "New Person",
                                                 "institution": provider.id, "roles": ["designer", "reviewer"]},
                            token_from="/admin/users/new")
    link = LINK_RE.search(page.get_data(as_text=True)).group(1)
    user = session.scalars(select(User).where(User.email == "new.person@example.org")).one()
    assert (user.password_hash, user.roles) == (None, frozenset({Role.DESIGNER, Role.REVIEWER}))

    invitee = app.test_client()
    assert "Welcome, New Person" in invitee.get(link).get_data(as_text=True)
    response = invitee.post_form(link, {"password": "a long enough passphrase", "confirm": "a long enough passphrase"},
                                 token_from=link)
    assert response.headers["Location"] == "/login"
    assert invitee.get(link).status_code == 404  # single use
    signed_in = invitee.post_form("/login", {"email": "new.person@example.org", "password": "a long enough passphrase"})
    assert signed_in.headers["Location"] == "/"


def test_invitation_refuses_a_short_password_and_keeps_the_invitation(app, session) -> None:
    client, _ = admin_client(app, session)
    target = make_user(session, password=None)
    session.commit()
    page = client.post_form(f"/admin/users/{target.id}/invitation", token_from="/")
    link = LINK_RE.search(page.get_data(as_text=True)).group(1)
    response = app.test_client().post_form(link, {"password": "short", "confirm": "short"}, token_from=link)
    assert "Use at least 12 characters." in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).where(Invitation.used_at.is_not(None))) == 0


def test_new_invitation_voids_the_earlier_one(app, session) -> None:
    client, _ = admin_client(app, session)
    target = make_user(session, password=None)
    session.commit()
    first = LINK_RE.search(client.post_form(f"/admin/users/{target.id}/invitation", token_from="/")
                           .get_data(as_text=True)).group(1)
    client.post_form(f"/admin/users/{target.id}/invitation", token_from="/")
    assert app.test_client().get(first).status_code == 404


def test_expired_invitation_is_refused(app, session) -> None:
    import time_machine

    from qa_engine.db import utcnow

    client, _ = admin_client(app, session)
    target = make_user(session, password=None)
    session.commit()
    link = LINK_RE.search(client.post_form(f"/admin/users/{target.id}/invitation", token_from="/")
                          .get_data(as_text=True)).group(1)
    with time_machine.travel(utcnow() + app.config["INVITATION_LIFETIME"]):
        response = app.test_client().get(link)
    assert response.status_code == 404
    assert "This invitation cannot be used" in response.get_data(as_text=True)


def test_duplicate_email_is_shown_on_the_form(app, session) -> None:
    client, admin = admin_client(app, session)
    response = client.post_form("/admin/users/new", {"email": admin.email, "full_name": "Someone Else",
                                                     "institution": admin.institution_id, "roles": ["designer"]},
                                token_from="/admin/users/new")
    assert f"An account with the e-mail address {admin.email} already exists." in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_edit_changes_roles_and_is_audited(app, session) -> None:
    client, _ = admin_client(app, session)
    target = make_user(session, Role.DESIGNER)
    session.commit()
    response = client.post_form(f"/admin/users/{target.id}", {"full_name": "Renamed Person",
                                                              "institution": target.institution_id,
                                                              "roles": ["qa_officer"]},
                                token_from=f"/admin/users/{target.id}")
    assert response.headers["Location"] == "/admin/users"
    session.expire_all()
    assert (target.full_name, target.roles) == ("Renamed Person", frozenset({Role.QA_OFFICER}))
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (entry.action, entry.object_id) == ("user.updated", str(target.id))


def test_admin_cannot_deactivate_themselves(app, session) -> None:
    client, admin = admin_client(app, session)
    response = client.post_form(f"/admin/users/{admin.id}/active", {"active": "0"}, token_from="/",
                                follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    session.expire_all()
    assert admin.is_active is True


def test_institution_is_created_and_duplicates_are_refused(app, session) -> None:
    client, _ = admin_client(app, session)
    data = {"name": "Open University of Somewhere", "short_name": "OUS", "country": "fi", "kind": "provider"}
    assert client.post_form("/admin/institutions", data, token_from="/admin/institutions").status_code == 302
    again = client.post_form("/admin/institutions", data, token_from="/admin/institutions")
    assert "already exists" in again.get_data(as_text=True)
    created = session.scalars(select(Institution).where(Institution.short_name == "OUS")).one()
    assert (created.country, created.kind) == ("FI", "provider")


def test_invalid_country_code_is_shown_next_to_the_field(app, session) -> None:
    client, _ = admin_client(app, session)
    response = client.post_form("/admin/institutions", {"name": "X", "short_name": "X", "country": "Spain",
                                                        "kind": "provider"}, token_from="/admin/institutions")
    assert 'id="country-error"' in response.get_data(as_text=True)
    assert "Use a code like ES or GB-SCT." in response.get_data(as_text=True)


def test_audit_page_lists_entries_and_verifies(app, session) -> None:
    client, _ = admin_client(app, session)
    page = client.get("/admin/audit?action=user.").get_data(as_text=True)
    assert "user.created" in page and "institution.created" not in page
    response = client.post_form("/admin/audit/verify", token_from="/admin/audit", follow_redirects=True)
    assert "The audit trail verifies: 2 entries, unbroken." in response.get_data(as_text=True)
