"""A programme's timeline: every step of its history from the audit trail, who took it, when, and why.

What a viewer sees follows who they are. QA officers and administrators see every entry, refusals and the
panel's own steps included, with names. The provider's designers see the transitions; in blind review a
step a reviewer took reads "the review panel", and the panel's own events (invitations, declarations,
submissions) are not theirs to see at all: they would tell who and how many.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_engine.domain import permissions
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import State
from qa_engine.models import AuditEntry, Programme, Review, User

REFUSED = "programme.transition_refused"
PANEL = "the review panel"


@dataclass(frozen=True)
class Event:
    """One line of the timeline."""

    at: datetime
    action: str  # the audit action, e.g. "programme.submit"
    who: str | None  # None: the system
    role: str | None
    to: State | None
    version: int | None
    comment: str | None
    reason: str | None

    @property
    def label(self) -> str:
        """The step as people say it: "Submit", "Review opened", "Transition refused"."""
        return self.action.split(".", 1)[-1].replace("_", " ").capitalize()


def timeline(session: Session, programme: Programme, viewer: Actor) -> list[Event]:
    """The programme's history as `viewer` may see it, oldest first (one query)."""
    overseer = permissions.can_oversee_programmes(viewer)
    blind = not overseer and _blind(session, programme.id)
    query = (select(AuditEntry, User.full_name).outerjoin(User, User.id == AuditEntry.actor_id)
             .where(AuditEntry.object_type == "programme", AuditEntry.object_id == str(programme.id))
             .order_by(AuditEntry.seq))
    if not overseer:
        query = query.where(AuditEntry.action.like("programme.%"), AuditEntry.action != REFUSED)
    events = []
    for entry, name in session.execute(query):
        details = json.loads(entry.details or "{}")
        reviewer_step = entry.actor_role == Role.REVIEWER.value
        who = PANEL if blind and reviewer_step else name
        events.append(Event(entry.occurred_at, entry.action, who, entry.actor_role,
                            State(details["to"]) if details.get("to") else None, details.get("version"),
                            None if blind and reviewer_step else details.get("comment"), details.get("reason")))
    return events


def _blind(session: Session, programme_id: int) -> bool:
    """Whether any review round of the programme is blind (then reviewer steps stay anonymous throughout)."""
    return bool(session.scalar(select(Review.id).where(Review.programme_id == programme_id, Review.blind).limit(1)))
