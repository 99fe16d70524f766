"""Moving a programme through the process: the table decides, a compare-and-set applies, the audit remembers."""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from qa_engine.db import utcnow
from qa_engine.domain import workflow
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import Action, Precondition, State
from qa_engine.models import Programme, User
from qa_engine.services import audit


class Conflict(Exception):
    """The programme changed in the meantime, or the action is not possible in its present state.

    The refused attempt is already in the audit trail (in the caller's session, so commit it).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def transition(
    session: Session,
    programme: Programme,
    action: Action,
    *,
    actor: User,
    role: Role,
    comment: str | None = None,
    details: dict[str, Any] | None = None,
    holds: Collection[Precondition] = (),
) -> State:
    """Apply `action` to `programme` as a compare-and-set on (state, version); audit it either way.

    `holds` names the preconditions the caller established for the case (see `workflow.Precondition`).

    :raises Conflict: when the table refuses the action or another change won the race.
    """
    old_state, old_version = State(programme.state), programme.version
    facts = {"action": action.value, "from": old_state.value, **(details or {})}
    if comment:
        facts["comment"] = comment
    try:
        new_state = workflow.advance(old_state, action, role, comment=comment, holds=holds)
    except workflow.TransitionRefused as refused:
        _refused(session, programme, actor, role, facts, refused.reason)
        raise Conflict(refused.reason) from None
    statement = (
        update(Programme)
        .where(Programme.id == programme.id, Programme.state == old_state, Programme.version == old_version)
        .values(state=new_state, version=Programme.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if session.execute(statement).rowcount != 1:
        reason = "The programme was changed in the meantime."
        _refused(session, programme, actor, role, facts, reason)
        raise Conflict(reason)
    session.refresh(programme, ["state", "version", "updated_at"])
    audit.record(session, f"programme.{action.value}", actor=actor, role=role, obj=("programme", programme.id),
                 details={**facts, "to": new_state.value})
    return new_state


def _refused(session: Session, programme: Programme, actor: User, role: Role, facts: dict[str, Any],
             reason: str) -> None:
    audit.record(session, "programme.transition_refused", actor=actor, role=role, obj=("programme", programme.id),
                 details={**facts, "reason": reason})
