"""Reminders before and after due dates, and escalation of overdue work to the QA officer (`qa-engine remind`).

Four kinds of work are due: an invitation to a panel not yet answered (due `answer_days` after it was sent),
an accepted seat whose review is not in (due on the round's due date), a draft panel report the provider
has not answered (due on its `response_due_on`), and a condition of an approval not met yet (due on its date).
Only live seats of the programme's current round count.
domain.reminders decides what is due today under ReviewSettings.reminders; the ReminderSent table (unique
kind, subject, code) remembers what went out. A ReminderSent row and its outbox row are written together in
one savepoint: when another run got there first, the unique constraint refuses the row and nothing is sent.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.reminders import AssignmentFacts, AssignmentKind, Audience, Reminder, ReminderKey, due_reminders
from qa_engine.domain.workflow import State
from qa_engine.models import Assignment, Condition, Decision, DecisionStatus, Programme, ReminderSent, Review, User
from qa_engine.services import outbox
from qa_engine.services.reviews import ReviewSettings

REMINDER_EVENT = "reminder"
ESCALATION_EVENT = "escalation"


@dataclass(frozen=True)
class Task:
    """One piece of work that is due, and what its e-mails need to say."""

    facts: AssignmentFacts
    recipient: User  # who must act: the reviewer, or the programme's designer
    officer_id: int  # the QA officer who opened the round: escalations go there
    programme_id: int
    title: str
    url: str  # where the recipient acts
    reviewer_name: str | None = None  # only ever shown to the QA officer
    officer: User | None = None


@dataclass(frozen=True)
class Planned:
    """A reminder due today, with its task."""

    reminder: Reminder
    task: Task

    @property
    def escalation(self) -> bool:
        return self.reminder.audience is Audience.QA_OFFICER

    @property
    def event(self) -> str:
        """The mail template: templates/mail/<event>.txt and .html."""
        return ESCALATION_EVENT if self.escalation else REMINDER_EVENT

    @property
    def to(self) -> User | None:
        return self.task.officer if self.escalation else self.task.recipient

    def context(self) -> dict[str, Any]:
        """The values of the mail template; a reviewer's name only in escalations, which the officer reads."""
        values: dict[str, Any] = {"kind": self.reminder.kind.value, "title": self.task.title, "due": self.reminder.due}
        if not self.escalation:
            return {**values, "days_left": self.reminder.days_left, "url": self.task.url}
        return {**values, "days_overdue": -self.reminder.days_left, "reviewer": self.task.reviewer_name,
                "url": outbox.link("proposals.overview", programme_id=self.task.programme_id)}


def plan(session: Session, settings: ReviewSettings, today: date) -> list[Planned]:
    """The reminders due `today` that were not sent yet, to active users only."""
    tasks = _with_officers(session, _seat_tasks(session, settings) + _response_tasks(session)
                           + _condition_tasks(session))
    by_key = {(task.facts.kind, task.facts.assignment_id): task for task in tasks}
    sent = _already_sent(session, tasks)
    planned = []
    for kind in AssignmentKind:
        facts = [task.facts for task in tasks if task.facts.kind is kind]
        for reminder in due_reminders(settings.reminders, facts, sent.get(kind, frozenset()), today):
            planned.append(Planned(reminder, by_key[(kind, reminder.assignment_id)]))
    return sorted((p for p in planned if p.to is not None and p.to.is_active),
                  key=lambda p: (p.reminder.due, p.reminder.kind, p.reminder.assignment_id, p.escalation))


def send(session: Session, planned: Planned) -> bool:
    """Record the reminder and queue its e-mail, together; False when another run has already recorded it."""
    assert planned.to is not None
    reminder = planned.reminder
    try:
        with session.begin_nested():
            session.add(ReminderSent(kind=reminder.kind.value, subject_id=reminder.assignment_id, code=reminder.code))
            session.flush()
            outbox.notify(session, planned.event, planned.to, **planned.context())
    except IntegrityError:
        return False
    return True


def run(session: Session, settings: ReviewSettings, today: date) -> list[Planned]:
    """Send every reminder due `today`; returns those this run sent."""
    return [planned for planned in plan(session, settings, today) if send(session, planned)]


def _seat_tasks(session: Session, settings: ReviewSettings) -> list[Task]:
    """Unanswered invitations and accepted seats not yet submitted, on current rounds of programmes in review."""
    rows = session.execute(
        select(Assignment, Review).join(Review, Assignment.review_id == Review.id)
        .join(Programme, Review.programme_id == Programme.id)
        .where(Programme.state == State.IN_REVIEW, Review.version_number == Programme.current_version,
               Assignment.status.in_([MemberStatus.INVITED, MemberStatus.ACCEPTED]))
        .order_by(Assignment.id))
    return [_seat_task(seat, review, settings) for seat, review in rows]


def _seat_task(seat: Assignment, review: Review, settings: ReviewSettings) -> Task:
    invited_on = seat.invited_at.date()
    if seat.status is MemberStatus.INVITED:
        facts = AssignmentFacts(seat.id, AssignmentKind.INVITATION, invited_on + timedelta(days=settings.answer_days),
                                done=False, recipient_id=seat.reviewer_id, assigned_on=invited_on)
        page = "reviewing.invitation"
    else:
        accepted_on = seat.responded_at.date() if seat.responded_at else invited_on
        facts = AssignmentFacts(seat.id, AssignmentKind.REVIEW, review.due_on, done=False,
                                recipient_id=seat.reviewer_id, assigned_on=accepted_on)
        page = "reviewing.score"
    return Task(facts, seat.reviewer, review.opened_by_id, review.programme_id, review.programme.title,
                outbox.link(page, assignment_id=seat.id), reviewer_name=seat.reviewer.full_name)


def _response_tasks(session: Session) -> list[Task]:
    """Draft panel reports sent to the provider and not yet answered, on current rounds (the subject: the review)."""
    reviews = session.scalars(
        select(Review).join(Programme, Review.programme_id == Programme.id)
        .where(Programme.state == State.PROVIDER_RESPONSE, Review.version_number == Programme.current_version,
               Review.response_due_on.is_not(None), Review.response.is_(None), Review.responded_at.is_(None))
        .order_by(Review.id))
    return [Task(AssignmentFacts(review.id, AssignmentKind.PROVIDER_RESPONSE, review.response_due_on, done=False,
                                 recipient_id=review.programme.designer_id,
                                 assigned_on=review.report_sent_at.date() if review.report_sent_at else None),
                 review.programme.designer, review.opened_by_id, review.programme_id, review.programme.title,
                 outbox.link("proposals.overview", programme_id=review.programme_id))
            for review in reviews]


def _condition_tasks(session: Session) -> list[Task]:
    """Conditions not met yet of programmes approved with conditions (the subject: the condition); escalations go
    to the QA officer who recorded the decision."""
    rows = session.execute(
        select(Condition, Decision).join(Decision, Condition.decision_id == Decision.id)
        .join(Programme, Decision.programme_id == Programme.id)
        .where(Programme.state == State.CONDITIONS, Decision.status == DecisionStatus.EFFECTIVE,
               Condition.status != ConditionStatus.MET)
        .order_by(Condition.id))
    return [Task(AssignmentFacts(condition.id, AssignmentKind.CONDITION, condition.due_on, done=False,
                                 recipient_id=decision.programme.designer_id, assigned_on=decision.decided_on),
                 decision.programme.designer, decision.decided_by_id, decision.programme_id,
                 decision.programme.title, outbox.link("decisions.conditions_page", programme_id=decision.programme_id))
            for condition, decision in rows]


def _with_officers(session: Session, tasks: list[Task]) -> list[Task]:
    """The tasks with their QA officer (who opened the round), loaded in one query."""
    ids = {task.officer_id for task in tasks}
    officers = {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}
    return [replace(task, officer=officers.get(task.officer_id)) for task in tasks]


def _already_sent(session: Session, tasks: Iterable[Task]) -> dict[AssignmentKind, frozenset[ReminderKey]]:
    """The keys recorded for these tasks, per kind (an assignment id is unique only within its kind)."""
    subjects = {task.facts.assignment_id for task in tasks}
    rows = session.execute(select(ReminderSent.kind, ReminderSent.subject_id, ReminderSent.code)
                           .where(ReminderSent.subject_id.in_(subjects),
                                  ReminderSent.kind.in_([kind.value for kind in AssignmentKind])))
    found: dict[AssignmentKind, set[ReminderKey]] = {}
    for kind, subject_id, code in rows:
        found.setdefault(AssignmentKind(kind), set()).add(ReminderKey(subject_id, code))
    return {kind: frozenset(keys) for kind, keys in found.items()}
