"""Configuration comes from defaults, the instance file and QA_ENGINE_* variables; HTTPS hardens cookies."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from qa_engine import config, create_app


def test_environment_overrides_instance_file_which_overrides_defaults(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "config.py").write_text('AGENCY_NAME = "From file"\nLOGIN_MAX_FAILURES = 7\n')
    monkeypatch.setenv("QA_ENGINE_LOGIN_MAX_FAILURES", "9")
    monkeypatch.setenv("QA_ENGINE_SESSION_IDLE_TIMEOUT", "600")
    monkeypatch.setenv("QA_ENGINE_TEST_DATABASE_URL", "ignored by the app")
    loaded = config.load(str(tmp_path))
    assert (loaded["AGENCY_NAME"], loaded["LOGIN_MAX_FAILURES"]) == ("From file", 9)
    assert loaded["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=10)
    assert "TEST_DATABASE_URL" not in loaded


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("QA_ENGINE_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{Path(app.instance_path) / 'qa_engine.sqlite3'}"
    assert app.config["MAX_CONTENT_LENGTH"] == 25 * 1024 * 1024


def test_https_sets_secure_host_prefixed_cookies_and_hsts(make_app, session) -> None:
    from factories import PASSWORD, make_user

    user = make_user(session)
    session.commit()
    app = make_app(HTTPS=True)
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    from conftest import CSRF_RE

    token = CSRF_RE.search(page).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token},
                           base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-qa_session=") and "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_sends_no_hsts(client) -> None:
    response = client.get("/login")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self';")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_oversized_request_gets_a_clear_413(make_app) -> None:
    app = make_app(MAX_CONTENT_LENGTH=1000)
    response = app.test_client().post("/login", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "larger than this site accepts" in response.get_data(as_text=True)


def test_unknown_page_gets_a_friendly_404(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is no such page" in response.get_data(as_text=True)


def test_unexpected_error_gets_a_generic_page_without_details(make_app) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    from qa_engine.views.access import PUBLIC, allow

    @app.route("/boom")
    @allow(PUBLIC)
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "Nothing you saved before was lost." in response.get_data(as_text=True)
