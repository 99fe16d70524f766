"""A non-editable install finds its templates, rubrics and migrations inside the installed package."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked into a folder, as pip would lay it out in site-packages."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
                   check=True, capture_output=True)
    target = out / "site-packages"
    with zipfile.ZipFile(next(out.glob("qa_engine-*.whl"))) as wheel:
        wheel.extractall(target)
    return target


def test_wheel_carries_templates_rubrics_migrations_and_static_files(installed: Path) -> None:
    data = installed / "qa_engine" / "_data"
    expected = [data / "templates/base.html", data / "migrations/env.py", data / "rubrics",
                data / "examples/proposals/sound-data-analytics.json",
                installed / "qa_engine/static/vendor/pico-2.1.1.min.css"]
    assert [path for path in expected if not path.exists()] == []


def test_installed_package_migrates_and_serves_from_its_own_data(installed: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed), "QA_ENGINE_SECRET_KEY": "x",
           "QA_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'installed.sqlite3'}"}
    for name in ("TEMPLATES_DIR", "RUBRICS_DIR", "MIGRATIONS_DIR"):
        env.pop(f"QA_ENGINE_{name}", None)
    script = (
        "import qa_engine, sys; from qa_engine.paths import resource_dir;"
        "assert qa_engine.__file__.startswith(sys.argv[1]), qa_engine.__file__;"
        "from qa_engine.cli import cli; cli.main(['db', 'upgrade'], standalone_mode=False);"
        "app = qa_engine.create_app(); page = app.test_client().get('/login').get_data(as_text=True);"
        "print(resource_dir('migrations')); print('Sign in' in page)"
    )
    result = subprocess.run([sys.executable, "-c", script, str(installed)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [str(installed / "qa_engine/_data/migrations"), "True"]
