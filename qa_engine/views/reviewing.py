"""The external reviewer's work: invitations, the declaration, the documents and the scoring form."""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from qa_engine.domain.roles import Role
from qa_engine.views.access import allow, roles

bp = Blueprint("reviewing", __name__)


@bp.route("/reviews/<int:assignment_id>")
@allow(roles(Role.REVIEWER))
def invitation(assignment_id: int) -> ResponseReturnValue:
    """Placeholder: the invitation page (its endpoint name is what invitation e-mails link to)."""
    return f"Invitation {assignment_id}"
