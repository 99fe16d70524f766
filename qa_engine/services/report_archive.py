"""A programme's PDF reports from the database, and the ones issued with a decision, archived as issued.

When a decision takes effect, the applicant/public assessment report and the decision letter are rendered once
and kept in one archive file (a ZIP of the two PDFs and a manifest of their SHA-256) named by its own SHA-256,
which the decision records in `report_sha256` / `report_file` in the same transaction. Both documents are legal
texts sent to the provider, so both are kept byte for byte: rendering the letter again later would give a
different text whenever a template, the branding or a condition's wording in the database changed. The file is
written to a temporary name and linked into place, never overwritten; it is served only while its hash still
matches the decision's, and a mismatch is an `ArchiveError`, never a silently different file. Drafts, the
internal rendering and the description sheet are rendered on demand.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from sqlalchemy.orm import Session

from qa_engine.models import Decision, Programme
from qa_engine.reports import render
from qa_engine.reports.data import Audience
from qa_engine.services import report_data
from qa_engine.services.report_data import Sources, Subject

MANIFEST = "manifest.json"
_FILE_NAME = re.compile(r"[0-9a-f]{64}\.zip")


class Document(StrEnum):
    """A document issued with a decision, by its name inside the archive."""

    ASSESSMENT = "assessment-report.pdf"
    LETTER = "decision-letter.pdf"


class ArchiveError(Exception):
    """The archived report is missing or no longer matches the SHA-256 recorded with its decision."""


@dataclass(frozen=True)
class Archived:
    """Where an archive is: its SHA-256 and its file name in the reports folder."""

    sha256: str
    file: str


def archive_for_decision(session: Session, decision: Decision, *, given: Sources | None = None,
                         decided_on: date | None = None, appeal_deadline: date | None = None) -> Archived:
    """Render the reports issued with `decision`, archive them and set its `report_sha256` and `report_file`.

    Call it in the transaction that puts the decision into effect, while the row may still change: before it is
    inserted as effective, or while it is proposed (the database refuses to change an effective decision).
    `decided_on` and `appeal_deadline` give the dates the decision takes effect with when they are not set on it
    yet (confirming under four eyes sets them in the same statement as the status). Nothing is flushed.
    """
    given = given or report_data.sources()
    with session.no_autoflush:
        data = report_data.assessment(session, report_data.of_decision(session, decision), given,
                                      decided_on=decided_on, appeal_deadline=appeal_deadline)
    branding = given.report.branding
    documents = {Document.ASSESSMENT: render.render_assessment_report(data, Audience.APPLICANT, branding),
                 Document.LETTER: render.render_decision_letter(data, branding)}
    assert data.decision is not None, "a decision's report carries the decision"
    facts = {"programme_id": decision.programme_id, "version": decision.version_number,
             "issued_on": data.decision.decided_on.isoformat(), "outcome": decision.outcome.value}
    archived = store(given.report.reports_dir, bundle(documents, facts, data.decision.decided_on))
    decision.report_sha256, decision.report_file = archived.sha256, archived.file
    return archived


def bundle(documents: dict[Document, bytes], facts: dict[str, object], issued_on: date) -> bytes:
    """One ZIP holding the documents and a manifest of their SHA-256; the same documents give the same bytes."""
    manifest = {**facts, "documents": {name.value: hashlib.sha256(content).hexdigest()
                                       for name, content in documents.items()}}
    members = [(MANIFEST, json.dumps(manifest, sort_keys=True, indent=2).encode())]
    members += [(name.value, content) for name, content in documents.items()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for name, content in members:
            info = zipfile.ZipInfo(name, date_time=(max(issued_on.year, 1980), issued_on.month, issued_on.day, 0, 0, 0))
            info.external_attr = 0o444 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def store(directory: Path, content: bytes) -> Archived:
    """Write `content` under its SHA-256 in `directory`: to a temporary file, then linked into place.

    An existing file of that name is kept, never overwritten. :raises ArchiveError: when it holds other bytes.
    """
    sha256 = hashlib.sha256(content).hexdigest()
    target = directory / f"{sha256}.zip"
    directory.mkdir(parents=True, exist_ok=True)
    if target.exists():
        _verify(target, sha256)
        return Archived(sha256, target.name)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-", suffix=".zip")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o444)
        _link(Path(temporary), target, sha256)
    finally:
        os.unlink(temporary)
    _sync_directory(directory)
    return Archived(sha256, target.name)


def issued(decision: Decision, document: Document, directory: Path) -> bytes:
    """A document as issued with the decision, read from its archive after checking the archive's SHA-256.

    :raises ArchiveError: when the decision has no archive, the file is missing or its bytes changed.
    """
    if not decision.report_sha256 or not decision.report_file or not _FILE_NAME.fullmatch(decision.report_file):
        raise ArchiveError(f"decision {decision.id} has no archived report")
    path = directory / decision.report_file
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ArchiveError(f"the archived report of decision {decision.id} cannot be read: {error.strerror}") from None
    if hashlib.sha256(content).hexdigest() != decision.report_sha256:
        raise ArchiveError(f"the archived report of decision {decision.id} ({decision.report_file}) does not match "
                           f"the SHA-256 recorded with the decision: it was changed after it was issued")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(document.value)


def issued_or_rendered(session: Session, decision: Decision, document: Document, given: Sources) -> bytes:
    """The document as issued with the decision; rendered now for a decision that took effect before reports
    were archived (it has no archive). :raises ArchiveError: when its archive fails the check."""
    if decision.report_sha256:
        return issued(decision, document, given.report.reports_dir)
    found = report_data.of_decision(session, decision)
    if document is Document.LETTER:
        return letter(session, found, given)
    return assessment(session, found, Audience.APPLICANT, given)


def assessment(session: Session, found: Subject, audience: Audience, given: Sources) -> bytes:
    """The assessment report of `found` for `audience`, rendered now."""
    return render.render_assessment_report(report_data.assessment(session, found, given), audience,
                                           given.report.branding)


def letter(session: Session, found: Subject, given: Sources) -> bytes:
    """The decision letter of `found`, rendered now. :raises ValueError: when `found` has no decision."""
    return render.render_decision_letter(report_data.assessment(session, found, given), given.report.branding)


def sheet(session: Session, programme: Programme, decision: Decision | None, given: Sources) -> bytes | None:
    """The description sheet of the version decided on (else the last submitted one); None before any."""
    described = report_data.description(session, programme, decision)
    if described is None:
        return None
    proposal, number = described
    entry = report_data.decision_entry(session, decision, given.report) if decision else None
    return render.render_description_sheet(proposal, given.report.branding, generated_on=given.today, decision=entry,
                                           reference=report_data.reference(programme.id, number))


def _verify(path: Path, sha256: str) -> None:
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise ArchiveError(f"{path.name} exists and holds other bytes than its name says: it is left as it is")


def _link(temporary: Path, target: Path, sha256: str) -> None:
    """Put the file in place without ever replacing one: a hard link fails when the name is taken."""
    try:
        os.link(temporary, target)
    except FileExistsError:  # another process archived the same bytes first
        _verify(target, sha256)


def _sync_directory(directory: Path) -> None:
    """Make the new name durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
