"""The reports issued with a decision: archived with their SHA-256 in the transaction that puts the decision into
effect, served byte for byte ever after, a tampered or missing archive refused, a file never overwritten."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import DatabaseError
from test_report_data import CANARIES, TODAY, decide, pdf_text, reviewed_case

from qa_engine.db import utcnow
from qa_engine.models import Decision, DecisionStatus
from qa_engine.services import report_archive, report_data
from qa_engine.services.report_archive import ArchiveError, Document


@pytest.fixture
def given(app: Flask, tmp_path: Path) -> report_data.Sources:
    app.config["REPORTS_DIR"] = str(tmp_path / "archive")
    with app.app_context():
        return report_data.sources()


def _archived_decision(session, given: report_data.Sources) -> tuple[Decision, report_archive.Archived]:  # noqa: ANN001
    """A decision put into effect as the decision service does without four eyes: archived before its insert."""
    case = reviewed_case(session)
    decision = decide(session, case, add=False)
    archived = report_archive.archive_for_decision(session, decision, given=given)
    session.add(decision)
    session.commit()
    return decision, archived


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_archive_for_decision_stores_both_documents_under_the_hash_recorded_with_the_decision(
        app, session, given) -> None:  # noqa: ANN001
    decision, archived = _archived_decision(session, given)

    stored = session.get(Decision, decision.id)
    content = (given.report.reports_dir / stored.report_file).read_bytes()
    members = _members(content)
    manifest = json.loads(members["manifest.json"])
    assert (stored.report_sha256, stored.report_file) == (archived.sha256, f"{archived.sha256}.zip")
    assert hashlib.sha256(content).hexdigest() == stored.report_sha256
    assert sorted(members) == ["assessment-report.pdf", "decision-letter.pdf", "manifest.json"]
    assert manifest["documents"] == {name: hashlib.sha256(members[name]).hexdigest()
                                     for name in ("assessment-report.pdf", "decision-letter.pdf")}
    assert (manifest["programme_id"], manifest["issued_on"]) == (decision.programme_id, TODAY.isoformat())
    assert "For the applicant and publication" in pdf_text(members["assessment-report.pdf"])
    assert [name for name in CANARIES if name in pdf_text(members["assessment-report.pdf"])] == []
    assert list(given.report.reports_dir.iterdir()) == [given.report.reports_dir / stored.report_file]


def test_archived_reports_are_served_byte_for_byte(app, session, given, client_for, client) -> None:  # noqa: ANN001
    decision, _ = _archived_decision(session, given)
    members = _members((given.report.reports_dir / decision.report_file).read_bytes())
    designer = client_for(decision.programme.designer)

    served = {
        "decision report": designer.get(f"/decisions/{decision.id}/report.pdf").data,
        "programme report": designer.get(f"/programmes/{decision.programme_id}/report.pdf").data,
        "register report": client.get(f"/register/{decision.programme_id}/report.pdf").data,
        "letter": designer.get(f"/decisions/{decision.id}/letter.pdf").data,
    }

    assert {name: content == members["decision-letter.pdf" if name == "letter" else "assessment-report.pdf"]
            for name, content in served.items()} == dict.fromkeys(served, True)


def test_a_tampered_archive_is_refused_with_a_clear_error(app, session, given, client) -> None:  # noqa: ANN001
    decision, _ = _archived_decision(session, given)
    path = given.report.reports_dir / decision.report_file
    path.chmod(0o644)
    content = bytearray(path.read_bytes())
    content[-200] ^= 0xFF
    path.write_bytes(bytes(content))

    response = client.get(f"/register/{decision.programme_id}/report.pdf")

    page = response.get_data(as_text=True)
    assert (response.status_code, response.mimetype) == (500, "text/html")
    assert "Report failed its integrity check" in page
    assert "does not match the SHA-256 recorded with the decision" in page
    with pytest.raises(ArchiveError, match="does not match"):
        report_archive.issued(decision, Document.LETTER, given.report.reports_dir)


def test_a_missing_archive_is_refused_not_rendered_afresh(app, session, given, client_for) -> None:  # noqa: ANN001
    decision, _ = _archived_decision(session, given)
    (given.report.reports_dir / decision.report_file).unlink()

    response = client_for(decision.programme.designer).get(f"/decisions/{decision.id}/letter.pdf")

    assert response.status_code == 500
    assert "cannot be read" in response.get_data(as_text=True)


def test_issued_refuses_a_file_name_that_is_not_a_hash(app, session, given) -> None:  # noqa: ANN001
    decision = Decision(id=7, report_sha256="0" * 64, report_file="../../etc/passwd")

    with pytest.raises(ArchiveError, match="no archived report"):
        report_archive.issued(decision, Document.ASSESSMENT, given.report.reports_dir)


def test_confirming_a_proposed_decision_archives_it_with_the_date_it_takes_effect(app, session, given) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    proposed = decide(session, case, status=DecisionStatus.PROPOSED)
    session.commit()
    deadline = TODAY + timedelta(days=30)

    archived = report_archive.archive_for_decision(session, proposed, given=given, decided_on=TODAY,
                                                   appeal_deadline=deadline)
    session.execute(update(Decision).where(Decision.id == proposed.id, Decision.status == DecisionStatus.PROPOSED)
                    .values(status=DecisionStatus.EFFECTIVE, decided_on=TODAY, appeal_deadline=deadline,
                            confirmed_by_id=case.officer.id, confirmed_at=utcnow())
                    .execution_options(synchronize_session=False))
    session.commit()

    stored = session.get(Decision, proposed.id)
    session.refresh(stored)
    letter = report_archive.issued(stored, Document.LETTER, given.report.reports_dir)
    assert (stored.status, stored.report_sha256) == (DecisionStatus.EFFECTIVE, archived.sha256)
    assert f"by {deadline.day} {deadline:%B %Y}" in pdf_text(letter)


def test_an_effective_decision_cannot_be_given_its_archive_afterwards(app, session, given) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decision = decide(session, case)
    session.commit()

    report_archive.archive_for_decision(session, decision, given=given)
    with pytest.raises(DatabaseError):
        session.commit()  # why the archive is made before the insert, or while the decision is proposed
    session.rollback()


def test_store_never_overwrites(tmp_path: Path) -> None:
    first = report_archive.store(tmp_path, b"issued bytes")
    again = report_archive.store(tmp_path, b"issued bytes")
    squatter = tmp_path / f"{hashlib.sha256(b'other bytes').hexdigest()}.zip"
    squatter.write_bytes(b"not what the name says")

    with pytest.raises(ArchiveError, match="holds other bytes"):
        report_archive.store(tmp_path, b"other bytes")
    assert first == again
    assert (tmp_path / first.file).read_bytes() == b"issued bytes"
    assert squatter.read_bytes() == b"not what the name says"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.file, squatter.name])  # no temporary left


def test_archiving_the_same_decision_again_gives_the_same_file(app, session, given) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decision = decide(session, case, add=False)

    first = report_archive.archive_for_decision(session, decision, given=given)
    second = report_archive.archive_for_decision(session, decision, given=given)

    assert first == second
    assert len(list(given.report.reports_dir.iterdir())) == 1


def test_a_correction_is_archived_with_the_conditions_it_carries_and_its_reason(app, session, given) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    original = decide(session, case)
    session.commit()
    correction = Decision(programme_id=original.programme_id, review_id=original.review_id, version_number=1,
                          status=DecisionStatus.EFFECTIVE, outcome=original.outcome, rationale=original.rationale,
                          valid_from=original.valid_from, valid_until=original.valid_until - timedelta(days=30),
                          decision_body="Accreditation committee", decided_by_id=case.officer.id,
                          decided_at=utcnow(), decided_on=original.decided_on,
                          appeal_deadline=original.appeal_deadline, corrects_id=original.id,
                          correction_reason="The end of the validity was mistyped.")

    report_archive.archive_for_decision(session, correction, given=given)
    session.add(correction)
    session.commit()

    text = pdf_text(report_archive.issued(correction, Document.LETTER, given.report.reports_dir))
    assert "This decision corrects an earlier one. The end of the validity was mistyped." in text
    assert "Make learning outcome LO4 observable." in text
