"""Files attached to a programme's draft: checked by name and content, stored under server-generated names."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_engine.db import utcnow
from qa_engine.domain import permissions, uploads
from qa_engine.domain.proposal import AttachmentKind
from qa_engine.domain.roles import Role
from qa_engine.domain.uploads import FileRejected, UploadLimits
from qa_engine.domain.workflow import State
from qa_engine.models import Appeal, Attachment, Programme, ProgrammeVersion, User
from qa_engine.services import audit, proposals

__all__ = ["FileRejected", "UploadLimits", "by_sha256", "draft_attachments", "file_path", "remove", "upload"]


def upload(
    session: Session,
    programme: Programme,
    *,
    actor: User,
    filename: str,
    content: bytes,
    kind: AttachmentKind,
    description: str,
    limits: UploadLimits,
    directory: Path,
) -> Attachment:
    """Check the file, store it, and list it in the draft's attachments.

    :raises FileRejected: with the reason (type, size, count, name, duplicate).
    :raises proposals.NotAllowed: unless the actor may edit the draft.
    """
    _require_editable(programme, actor)
    name = uploads.check_name(filename)
    media_type = uploads.media_type(name, content, limits)
    listed = _listed(programme)
    if len(listed) >= limits.max_files:
        raise FileRejected(f"A programme may have at most {limits.max_files} attachments; remove one first.")
    sha256 = hashlib.sha256(content).hexdigest()
    if any(entry["sha256"] == sha256 for entry in listed):
        raise FileRejected(f"{name} is already attached.")
    attachment = _row_for(session, programme, sha256) or store(session, programme, actor, name, content,
                                                                 media_type, sha256, kind, directory)
    entry = {"kind": kind.value, "filename": attachment.filename, "sha256": sha256, "description": description}
    proposals.save_section(session, programme, {"attachments": [*listed, entry]}, actor=actor)
    audit.record(session, "programme.attachment_added", actor=actor, role=Role.DESIGNER,
                 obj=("programme", programme.id), details={"attachment": attachment.id, "sha256": sha256,
                                                           "filename": attachment.filename})
    return attachment


def remove(
    session: Session, programme: Programme, attachment: Attachment, *, actor: User, directory: Path
) -> Path | None:
    """Take the file off the draft; its row goes too unless a submitted version cites it.

    Returns the stored file to delete once the transaction is committed (None when it stays).

    :raises proposals.NotAllowed: unless the actor may edit the draft.
    """
    _require_editable(programme, actor)
    listed = [entry for entry in _listed(programme) if entry["sha256"] != attachment.sha256]
    proposals.save_section(session, programme, {"attachments": listed}, actor=actor)
    audit.record(session, "programme.attachment_removed", actor=actor, role=Role.DESIGNER,
                 obj=("programme", programme.id), details={"attachment": attachment.id, "sha256": attachment.sha256})
    if _cited_by_a_version(session, programme, attachment.sha256):
        return None
    path = file_path(attachment, directory)
    session.delete(attachment)
    session.flush()
    return path


def draft_attachments(session: Session, programme: Programme) -> list[tuple[dict, Attachment | None]]:
    """The working proposal's attachment entries, each with its stored file."""
    rows = {row.sha256: row for row in session.scalars(select(Attachment)
                                                       .where(Attachment.programme_id == programme.id))}
    return [(entry, rows.get(entry["sha256"])) for entry in _listed(programme)]


def by_sha256(session: Session, programme: Programme) -> dict[str, Attachment]:
    """Every stored file of the programme, by SHA-256 (versions cite files this way)."""
    return {row.sha256: row for row in session.scalars(select(Attachment)
                                                       .where(Attachment.programme_id == programme.id))}


def file_path(attachment: Attachment, directory: Path) -> Path:
    """Where the file's bytes are (its server-generated name, never the uploader's)."""
    return directory / str(uuid.UUID(attachment.stored_name))


def _require_editable(programme: Programme, actor: User) -> None:
    if not permissions.can_edit_programme(actor.actor, provider_id=programme.provider_id,
                                          state=State(programme.state)):
        raise proposals.NotAllowed("Attachments can be changed on drafts only, by their designers.")


def _listed(programme: Programme) -> list[dict]:
    return list(proposals.working_data(programme).get("attachments", []))


def _row_for(session: Session, programme: Programme, sha256: str) -> Attachment | None:
    return session.scalars(select(Attachment).where(Attachment.programme_id == programme.id,
                                                    Attachment.sha256 == sha256)).one_or_none()


def store(session: Session, programme: Programme, actor: User, name: str, content: bytes, media_type: str,
          sha256: str, kind: AttachmentKind, directory: Path) -> Attachment:
    """Write the checked file under a new name and add its row; the caller decides where it is cited."""
    stored_name = str(uuid.uuid4())
    directory.mkdir(parents=True, exist_ok=True)
    # Written whole to a temporary file first, so a crash never leaves half a file under the real name.
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".upload-", delete=False) as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, directory / stored_name)
    attachment = Attachment(programme_id=programme.id, kind=kind.value, filename=name, stored_name=stored_name,
                            size=len(content), sha256=sha256, media_type=media_type, uploaded_by_id=actor.id,
                            uploaded_at=utcnow())
    session.add(attachment)
    session.flush()
    return attachment


def _cited_by_a_version(session: Session, programme: Programme, sha256: str) -> bool:
    """Whether a submitted version or an appeal cites the file: then it stays, whatever happens to the draft."""
    contents = session.scalars(select(ProgrammeVersion.content).where(ProgrammeVersion.programme_id == programme.id))
    if any(entry.get("sha256") == sha256 for content in contents
           for entry in json.loads(content).get("attachments", [])):
        return True
    appeals = session.scalars(select(Appeal.documents).where(Appeal.programme_id == programme.id))
    cited = {int(i) for documents in appeals for i in json.loads(documents or "[]")}
    return bool(cited) and session.scalar(select(Attachment.id).where(Attachment.id.in_(cited),
                                                                       Attachment.sha256 == sha256)) is not None

