"""The QA officer's screening: take a submitted programme, accept it for review or return it to its designer,
and the queue of programmes waiting for these decisions."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from qa_engine.domain import permissions
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubrics import RubricRegistry
from qa_engine.domain.workflow import Action, State
from qa_engine.models import AuditEntry, Programme, ProgrammeVersion, Review, User
from qa_engine.services import outbox, reviews, workflow
from qa_engine.services.programmes import matching, visible_programmes
from qa_engine.services.proposals import NotAllowed
from qa_engine.services.reviews import ReviewSettings

QUEUE_STATES = (State.SUBMITTED, State.SCREENING)
MAX_PER_PAGE = 100
NO_COUNTS = {"fail": 0, "warn": 0, "pass": 0}


class CommentRequired(ValueError):
    """Returning a programme needs a comment the designer can act on; nothing was changed."""


@dataclass(frozen=True)
class QueueRow:
    """A programme waiting for the QA officer, with its last submitted version's screening counts."""

    programme: Programme
    version: int | None
    submitted_at: datetime | None
    counts: dict[str, int]


@dataclass(frozen=True)
class QueuePage:
    """One page of the screening queue and the number of programmes on all pages."""

    rows: list[QueueRow]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class ReturnNote:
    """The QA officer's latest reasons for sending the programme back."""

    comment: str
    by: str | None
    at: datetime


def take(session: Session, programme: Programme, *, actor: User) -> None:
    """Take a submitted programme to screen it.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises workflow.Conflict: when the programme is not submitted or changed meanwhile (audited).
    """
    _require_officer(actor)
    workflow.transition(session, programme, Action.TAKE_FOR_SCREENING, actor=actor, role=Role.QA_OFFICER,
                        details={"version": programme.current_version})


def accept_for_review(session: Session, programme: Programme, *, actor: User, settings: ReviewSettings,
                      registry: RubricRegistry, today: date, comment: str | None = None) -> Review:
    """Accept the screened programme for review by an expert panel, opening the round on its current version.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises workflow.Conflict: when the programme is not in screening or changed meanwhile (audited).
    """
    _require_officer(actor)
    workflow.transition(session, programme, Action.ACCEPT_FOR_REVIEW, actor=actor, role=Role.QA_OFFICER,
                        comment=(comment or "").strip() or None, details={"version": programme.current_version})
    return reviews.open_round(session, programme, actor=actor, settings=settings, registry=registry, today=today)


def return_to_designer(session: Session, programme: Programme, *, actor: User, comment: str) -> None:
    """Send the programme back to its designer with the reasons, by e-mail too; they revise it into a new version.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises CommentRequired: when the comment is empty; nothing is changed.
    :raises workflow.Conflict: when the programme cannot be returned now or changed meanwhile (audited).
    """
    _require_officer(actor)
    text = (comment or "").strip()
    if not text:
        raise CommentRequired("Say why the programme goes back: its designer reads this comment.")
    workflow.transition(session, programme, Action.RETURN_TO_DESIGNER, actor=actor, role=Role.QA_OFFICER,
                        comment=text, details={"version": programme.current_version})
    outbox.notify(session, "programme_returned", programme.designer, programme=programme, comment=text)


def queue(session: Session, actor: Actor, *, search: str | None = None, page: int = 1,
          per_page: int = 25) -> QueuePage:
    """Submitted and screening programmes, oldest submission first, with their screening counts; one query.

    :raises NotAllowed: unless the actor oversees programmes.
    """
    if not permissions.can_oversee_programmes(actor):
        raise NotAllowed("Only QA officers and administrators see the screening queue.")
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    last_version = and_(ProgrammeVersion.programme_id == Programme.id,
                        ProgrammeVersion.number == Programme.current_version)
    query = (
        visible_programmes(actor)
        .add_columns(ProgrammeVersion.number, ProgrammeVersion.submitted_at, ProgrammeVersion.screening,
                     func.count().over())
        .outerjoin(ProgrammeVersion, last_version)
        .where(Programme.state.in_(QUEUE_STATES))
        .order_by(ProgrammeVersion.submitted_at, Programme.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    if search and search.strip():
        query = query.where(matching(search, postgresql=session.bind.dialect.name == "postgresql"))
    result = session.execute(query).all()
    rows = [QueueRow(programme, number, submitted_at, _counts(screening))
            for programme, number, submitted_at, screening, _ in result]
    return QueuePage(rows, result[0][-1] if result else 0, page, per_page)


def last_return(session: Session, programme: Programme) -> ReturnNote | None:
    """While the programme is returned: the latest return comment, who wrote it and when."""
    if State(programme.state) is not State.RETURNED:
        return None
    row = session.execute(
        select(AuditEntry.details, AuditEntry.occurred_at, User.full_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.object_type == "programme", AuditEntry.object_id == str(programme.id),
               AuditEntry.action == f"programme.{Action.RETURN_TO_DESIGNER.value}")
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    details, occurred_at, name = row
    return ReturnNote(json.loads(details).get("comment", ""), name, occurred_at)


def _counts(screening: str | None) -> dict[str, int]:
    stored = json.loads(screening).get("counts", {}) if screening else {}
    return {status: int(stored.get(status, 0)) for status in NO_COUNTS}


def _require_officer(actor: User) -> None:
    if not permissions.can_screen_programmes(actor.actor):
        raise NotAllowed("Only QA officers screen programmes.")
