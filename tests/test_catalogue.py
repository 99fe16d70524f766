"""Rubrics and frameworks are loaded at start-up, a broken file stops it, and officers can read them in full."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factories import make_user, sign_in
from markupsafe import escape

from qa_engine import create_app
from qa_engine.domain.roles import Role
from qa_engine.paths import resource_dir
from qa_engine.web import StartupError


@pytest.fixture
def broken_rubrics(tmp_path: Path) -> Path:
    directory = tmp_path / "rubrics"
    shutil.copytree(resource_dir("rubrics"), directory)
    path = directory / "internal-approval-v1.toml"
    text = path.read_text().replace("weight = 2.0\n", "weight = -2.0\n", 1).replace('title = "', 'titel = "', 1)
    path.write_text(text)
    return directory


def test_app_exposes_the_shipped_rubrics_and_frameworks(app) -> None:  # noqa: ANN001
    data = app.extensions["qa_engine.catalogue"]
    assert [r.key for r in data.rubrics.latest()] == ["internal-approval@1", "slp-ex-ante@1"]
    assert sorted(data.frameworks.nqfs) == ["ES", "FI", "GB-SCT", "IE"]
    assert len(data.rubrics.get("slp-ex-ante").dimensions) == 8


def test_broken_rubric_stops_start_up_with_every_error(broken_rubrics: Path) -> None:
    with pytest.raises(StartupError) as raised:
        create_app({"SECRET_KEY": "x", "RUBRICS_DIR": str(broken_rubrics)})
    message = str(raised.value)
    assert "internal-approval-v1.toml: titel: unknown key" in message
    assert "must be > 0" in message


def test_cli_reports_a_broken_rubric_without_a_traceback(broken_rubrics: Path, tmp_path: Path) -> None:
    env = {"QA_ENGINE_RUBRICS_DIR": str(broken_rubrics), "QA_ENGINE_SECRET_KEY": "x", "PATH": "/usr/bin:/bin",
           "QA_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    result = subprocess.run([sys.executable, "-m", "qa_engine.cli", "db", "upgrade"], capture_output=True,
                            text=True, env=env, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("qa-engine: cannot start: invalid data files in")
    assert "Traceback" not in result.stderr


def test_officer_reads_the_default_rubric_in_full(app, client, session) -> None:  # noqa: ANN001
    officer = make_user(session, Role.QA_OFFICER)
    session.commit()
    sign_in(client, app, officer)
    page = client.get("/reference/rubrics/slp-ex-ante/v1").get_data(as_text=True)
    rubric = app.extensions["qa_engine.catalogue"].rubrics.get("slp-ex-ante", 1)
    missing = [c.id for c in rubric.criteria if f"<code>{c.id}</code>" not in page]
    assert missing == []
    first = rubric.criteria[0]
    assert str(escape(first.guidance)) in page
    assert "Gate: ≤ 1 caps at Revise and resubmit" in page


def test_framework_pages_render_levels(app, client, session) -> None:  # noqa: ANN001
    officer = make_user(session, Role.QA_OFFICER)
    session.commit()
    sign_in(client, app, officer)
    eqf = client.get("/reference/frameworks/eqf").get_data(as_text=True)
    scqf = client.get("/reference/frameworks/nqf/GB-SCT").get_data(as_text=True)
    assert eqf.count('<th scope="row">') == 8
    assert scqf.count('<th scope="row">') == 12
    assert client.get("/reference/frameworks/nqf/ZZ").status_code == 404
