"""What every programme page shares: loading a programme the person may see, and answering a lost race."""
from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_engine.db import db
from qa_engine.domain import permissions
from qa_engine.domain.workflow import State
from qa_engine.models import Programme
from qa_engine.services import workflow


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
