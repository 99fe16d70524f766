"""The qa-engine command: schema, demo data, first administrator, and clear errors instead of tracebacks."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from qa_engine.cli import cli
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.workflow import State
from qa_engine.models import Appeal, Decision, Programme, User
from qa_engine.services import audit


def run(app, *args: str):  # noqa: ANN001, ANN201
    return FlaskCliRunner(app).invoke(cli, list(args), catch_exceptions=False)


def test_demo_loads_once_and_prints_logins(app, session) -> None:
    first = run(app, "demo")
    assert first.exit_code == 0
    assert "admin@nqa.example" in first.output and "designer@eastvale.example" in first.output
    second = run(app, "demo")
    assert "Demo data is already loaded." in second.output
    assert session.scalar(select(func.count()).select_from(User)) == 9
    # Every state of the workflow, reached through the services, with a rejection under appeal.
    assert set(session.scalars(select(Programme.state))) == set(State)
    assert session.scalar(select(func.count()).select_from(Appeal).where(Appeal.status == "lodged")) == 1
    outcomes = set(session.scalars(select(Decision.outcome)))
    assert outcomes == set(Outcome)
    assert audit.verify(session) is None


def test_demo_accounts_can_sign_in(app, session) -> None:
    from qa_engine.services.demo import DEMO_PASSWORD

    run(app, "demo")
    client = app.test_client()
    response = client.post_form("/login", {"email": "officer@nqa.example", "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/"
    listed = client.get("/programmes/").get_data(as_text=True)
    assert "Data Analytics for Public Health" in listed and "Quality Management for Laboratories" in listed


def test_create_admin_validates_the_password(app) -> None:
    weak = FlaskCliRunner(app).invoke(cli, ["users", "create-admin", "--email", "a@b.example", "--name", "A B",
                                            "--institution", "Agency"], input="short\nshort\n")
    assert weak.exit_code == 1 and "Use at least 12 characters." in weak.output
    ok = FlaskCliRunner(app).invoke(cli, ["users", "create-admin", "--email", "a@b.example", "--name", "A B",
                                          "--institution", "Agency"], input="a good long passphrase\n" * 2)
    assert ok.exit_code == 0 and "Administrator a@b.example created." in ok.output


def test_command_on_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    env = {"QA_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "QA_ENGINE_SECRET_KEY": "x",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "qa_engine.cli", "demo"], capture_output=True, text=True, env=env,
                            check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "did you run `qa-engine db upgrade`?" in result.stderr


def test_db_upgrade_creates_the_schema_from_nothing(tmp_path: Path) -> None:
    env = {"QA_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "QA_ENGINE_SECRET_KEY": "x",
           "PATH": "/usr/bin:/bin"}
    upgrade = subprocess.run([sys.executable, "-m", "qa_engine.cli", "db", "upgrade"], capture_output=True,
                             text=True, env=env, check=False)
    verify = subprocess.run([sys.executable, "-m", "qa_engine.cli", "audit", "verify"], capture_output=True,
                            text=True, env=env, check=False)
    assert (upgrade.returncode, verify.returncode, verify.stdout.strip()) == (0, 0, "OK: 0 entries, chain unbroken.")


def test_demo_with_programmes_seeds_in_bulk_and_keeps_the_audit_chain(app, session) -> None:
    result = run(app, "demo", "--programmes", "40")
    assert result.exit_code == 0 and "Seeded 40 programmes" in result.output
    assert session.scalar(select(func.count()).select_from(Programme)) == 16 + 40
    assert audit.verify(session) is None
    assert run(app, "demo", "--programmes", "0").exit_code == 2  # a clear usage error, not a traceback
