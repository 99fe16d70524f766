"""`qa-engine reports build`: a batch of reports rendered in worker processes, archived ones copied as issued,
a progress bar on stderr, a summary line, failures named, bad options refused."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from test_report_data import CANARIES, TODAY, decide, pdf_text, reviewed_case

from qa_engine.commands import reports as command
from qa_engine.domain.outcomes import Outcome
from qa_engine.models import Decision
from qa_engine.services import report_archive, report_data


@pytest.fixture
def decided(app: Flask, session, tmp_path: Path) -> tuple[Decision, Decision]:  # noqa: ANN001
    """Two decided programmes: the first archived with its decision, the second decided before archiving."""
    app.config["REPORTS_DIR"] = str(tmp_path / "archive")
    first = reviewed_case(session)
    archived = decide(session, first, add=False)
    with app.app_context():
        report_archive.archive_for_decision(session, archived, given=report_data.sources())
    session.add(archived)
    plain = decide(session, reviewed_case(session, title="Second Programme", people=first.people),
                   outcome=Outcome.REJECTED)
    session.commit()
    return archived, plain


def _build(app: Flask, *args: str):  # noqa: ANN202
    return app.test_cli_runner().invoke(command.reports, ["build", *args])


def test_build_renders_every_report_of_the_period_in_worker_processes(app, decided, tmp_path) -> None:  # noqa: ANN001
    archived, plain = decided
    out = tmp_path / "batch"

    result = _build(app, "--out", str(out), "--jobs", "2", "--period", f"{TODAY - timedelta(days=1)}..{TODAY}")

    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in out.iterdir())
    assert names == sorted(f"{d.programme_id:06d}-{kind}.pdf" for d in (archived, plain)
                           for kind in ("assessment", "letter", "sheet"))
    issued = zipfile.ZipFile(io.BytesIO((tmp_path / "archive" / archived.report_file).read_bytes()))
    assert (out / f"{archived.programme_id:06d}-assessment.pdf").read_bytes() == issued.read("assessment-report.pdf")
    assert (out / f"{archived.programme_id:06d}-letter.pdf").read_bytes() == issued.read("decision-letter.pdf")
    assert "Decision: Rejected" in pdf_text((out / f"{plain.programme_id:06d}-letter.pdf").read_bytes())
    assert result.stdout.startswith("Built 6 files (")
    assert "with 2 worker processes" in result.stdout
    assert "Rendering" in result.stderr


def test_build_internal_assessment_names_the_reviewers(app, decided, tmp_path) -> None:  # noqa: ANN001
    archived, _ = decided
    out = tmp_path / "internal"

    result = _build(app, "--out", str(out), "--kind", "assessment", "--audience", "internal", "--jobs", "1")

    assert result.exit_code == 0, result.output
    text = pdf_text((out / f"{archived.programme_id:06d}-assessment-internal.pdf").read_bytes())
    assert [name for name in CANARIES[:3] if name not in text] == []
    assert "with 1 worker process (" in result.stdout


def test_build_names_a_report_that_failed_and_builds_the_rest(app, decided, tmp_path) -> None:  # noqa: ANN001
    archived, plain = decided
    (tmp_path / "archive" / archived.report_file).chmod(0o644)
    (tmp_path / "archive" / archived.report_file).write_bytes(b"tampered")
    out = tmp_path / "batch"

    result = _build(app, "--out", str(out), "--kind", "letter", "--jobs", "1")

    assert result.exit_code == 1
    assert f"error: {archived.programme_id:06d}-letter.pdf: ArchiveError: " in result.stderr
    assert [path.name for path in out.iterdir()] == [f"{plain.programme_id:06d}-letter.pdf"]
    assert result.stdout.startswith("Built 1 file (")
    assert "; 1 failed" in result.stdout


@pytest.mark.parametrize(("period", "message"), [("2026-01-01", "FROM..TO"), ("2026-13-01..2026-12-31", "FROM..TO"),
                                                 ("2026-12-31..2026-01-01", "ends before it starts")])
def test_build_refuses_a_malformed_period(app, tmp_path, period: str, message: str) -> None:  # noqa: ANN001
    result = _build(app, "--out", str(tmp_path / "x"), "--period", period)

    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "x").exists()


def test_build_of_an_empty_period_builds_nothing(app, decided, tmp_path) -> None:  # noqa: ANN001
    result = _build(app, "--out", str(tmp_path / "x"), "--period", "2001-01-01..2001-12-31")

    assert (result.exit_code, result.stdout) == (0, "No decided programme in the period: nothing to build.\n")
    assert not (tmp_path / "x").exists()
