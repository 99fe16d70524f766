"""What every programme page shares: loading a programme the person may see, answering a lost race, and
handing out an attached file."""
from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_engine.db import db
from qa_engine.domain import permissions, uploads
from qa_engine.domain.workflow import State
from qa_engine.models import Attachment, Programme
from qa_engine.services import attachments, workflow


def visible_programme(programme_id: int) -> Programme:
    """The programme, if the signed-in person may know it exists; 404 otherwise (drafts are the designer's)."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or not permissions.can_see_programme(current_user.actor, provider_id=programme.provider_id,
                                                               state=State(programme.state)):
        abort(404)
    return programme


def conflict_page(conflict: workflow.Conflict) -> ResponseReturnValue:
    """409 with the reason; the refused attempt's audit entry is committed."""
    db.session.commit()
    return render_template("errors/error.html", code=409, title=_("Changed in the meantime"),
                           message=conflict.message), 409


def uploads_dir() -> Path:
    """Where attached files are stored (UPLOADS_DIR, by default the instance folder's uploads/)."""
    return Path(current_app.config.get("UPLOADS_DIR") or Path(current_app.instance_path) / "uploads")


def send_attachment(attachment: Attachment) -> ResponseReturnValue:
    """The file as a download that cannot run in the site's origin and is not cached."""
    response = send_file(attachments.file_path(attachment, uploads_dir()), mimetype=attachment.media_type,
                         as_attachment=True, download_name=uploads.safe_download_name(attachment.filename), max_age=0)
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
