"""How an approval ends or is renewed: expiry at the end of its validity, with reminders before it; withdrawal
by the agency; and the periodic review that renews it through the whole process again.

`qa-engine expire` runs daily. It moves approved programmes whose decision in effect has ended to expired,
and reminds the provider's designer EXPIRY_REMINDER_DAYS before the end. A reminder is remembered in
ReminderSent (kind "expiry", the decision, "before-N"): its row and its e-mails are written in one savepoint,
so when a racing run got there first the unique key refuses the row and nothing is sent twice. When a run
was missed, only the most urgent reminder due is sent, never a burst of them.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from qa_engine.domain import decisions, permissions
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import ACCREDITED, Action, Precondition
from qa_engine.models import AuditEntry, Decision, Programme, ReminderSent, User, UserRole
from qa_engine.services import decision_records, outbox, proposals, workflow
from qa_engine.services.proposals import NotAllowed

EXPIRY_KIND = "expiry"
DEFAULT_REMINDER_DAYS = (180, 90, 30)
WITHDRAWAL = f"programme.{Action.WITHDRAW_APPROVAL.value}"


class ReasonRequired(ValueError):
    """Withdrawing an approval needs the reasons, which the provider reads and may appeal; nothing was changed."""


@dataclass(frozen=True)
class Expiry:
    """An approval whose validity ended: the programme and its decision in effect."""

    programme: Programme
    decision: Decision


@dataclass(frozen=True)
class ExpiryReminder:
    """A reminder due `days` before an approval ends."""

    programme: Programme
    decision: Decision
    days: int
    recipients: tuple[User, ...]

    @property
    def code(self) -> str:
        """The reminder's key within its decision: "before-90"."""
        return f"before-{self.days}"


@dataclass
class Run:
    """What one run of `qa-engine expire` did (or, in a dry run, would do)."""

    expired: list[Expiry] = field(default_factory=list)
    reminded: list[ExpiryReminder] = field(default_factory=list)


@dataclass(frozen=True)
class Withdrawal:
    """An approval withdrawn by the agency: when, why, by whom, and the last day to appeal against it."""

    decision_id: int | None
    withdrawn_on: date
    appeal_deadline: date
    reason: str
    by: str | None
    at: datetime


def reminder_days() -> tuple[int, ...]:
    """How many days before an approval ends its designer is reminded (EXPIRY_REMINDER_DAYS)."""
    configured = current_app.config.get("EXPIRY_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)
    return tuple(sorted({int(days) for days in configured if int(days) >= 0}, reverse=True))


# Expiry and reminders ---------------------------------------------------------------------------------------


def due_to_expire(session: Session, today: date) -> list[Expiry]:
    """Programmes holding an approval whose decision in effect ended before `today`."""
    decision = aliased(Decision, decision_records.newest_effective().subquery())
    rows = session.execute(select(decision, Programme).join(Programme, Programme.id == decision.programme_id)
                           .where(Programme.state.in_(ACCREDITED), decision.valid_until < today)
                           .order_by(Programme.id))
    return [Expiry(programme, found) for found, programme in rows]


def expire(session: Session, expiry: Expiry) -> bool:
    """Move the programme to expired and tell its designers; False when another run or change got there first."""
    programme, decision = expiry.programme, expiry.decision
    try:
        with session.begin_nested():
            # No person expires an approval: the engine does, in the QA officer's place in the table.
            workflow.transition(session, programme, Action.EXPIRE, actor=None, role=Role.QA_OFFICER,
                                holds={Precondition.VALIDITY_ENDED},
                                details={"decision": decision.id, "valid_until": decision.valid_until.isoformat()})
            for person in designers(session, programme):
                outbox.notify(session, "approval_expired", person, programme=programme,
                              valid_until=decision.valid_until)
    except workflow.Conflict:
        return False
    return True


def due_reminders(session: Session, today: date, days: Sequence[int]) -> list[ExpiryReminder]:
    """The expiry reminders due `today` and not sent yet, one per approval at most, to active designers."""
    candidates = []
    for decision, programme in session.execute(decision_records.accredited(today).order_by(Programme.id)):
        due = _reminder_due(decision.valid_until, today, days)
        recipients = tuple(designers(session, programme)) if due is not None else ()
        if recipients:
            candidates.append(ExpiryReminder(programme, decision, due, recipients))
    sent = set(session.execute(select(ReminderSent.subject_id, ReminderSent.code).where(
        ReminderSent.kind == EXPIRY_KIND, ReminderSent.subject_id.in_([c.decision.id for c in candidates]))).all())
    return [candidate for candidate in candidates if (candidate.decision.id, candidate.code) not in sent]


def send_reminder(session: Session, reminder: ExpiryReminder, today: date) -> bool:
    """Record the reminder and queue its e-mails together; False when another run already recorded it."""
    decision = reminder.decision
    try:
        with session.begin_nested():
            session.add(ReminderSent(kind=EXPIRY_KIND, subject_id=decision.id, code=reminder.code))
            session.flush()
            for person in reminder.recipients:
                outbox.notify(session, "approval_expiring", person, programme=reminder.programme,
                              valid_until=decision.valid_until, days_left=(decision.valid_until - today).days)
    except IntegrityError:
        return False
    return True


def plan(session: Session, today: date, days: Sequence[int]) -> Run:
    """What a run on `today` would do, changing nothing."""
    return Run(due_to_expire(session, today), due_reminders(session, today, days))


def run(session: Session, today: date, days: Sequence[int]) -> Run:
    """Expire what ended and send the reminders due; returns what this run did (a racing run's share is left out)."""
    expired = [expiry for expiry in due_to_expire(session, today) if expire(session, expiry)]
    reminded = [reminder for reminder in due_reminders(session, today, days) if send_reminder(session, reminder, today)]
    return Run(expired, reminded)


def _reminder_due(valid_until: date | None, today: date, days: Sequence[int]) -> int | None:
    """The most urgent reminder whose day has come (its earlier siblings, if missed, are never sent)."""
    if valid_until is None:
        return None
    reached = [n for n in days if decisions.expiring(valid_until, today, within_days=n)]
    return min(reached, default=None)


# Withdrawal and periodic review ------------------------------------------------------------------------------


def withdraw_approval(session: Session, programme: Programme, *, actor: User, reason: str, today: date,
                      appeal_days: int) -> date:
    """Withdraw the programme's approval with the reasons; its designers learn why and until when to appeal.

    :returns: the last day on which the provider may appeal against the withdrawal.
    :raises NotAllowed: unless the actor is a QA officer.
    :raises ReasonRequired: when the reason is empty; nothing is changed.
    :raises workflow.Conflict: when the programme holds no approval or changed meanwhile (audited).
    """
    if not permissions.can_screen_programmes(actor.actor):
        raise NotAllowed("Only QA officers withdraw approvals.")
    text = (reason or "").strip()
    if not text:
        raise ReasonRequired("Say why the approval is withdrawn: the provider reads this and may appeal.")
    decision = decision_records.in_effect(session, programme.id)
    deadline = decisions.appeal_deadline(today, appeal_days)
    workflow.transition(session, programme, Action.WITHDRAW_APPROVAL, actor=actor, role=Role.QA_OFFICER,
                        comment=text, details={"decision": decision.id if decision else None,
                                               "withdrawn_on": today.isoformat(),
                                               "appeal_deadline": deadline.isoformat()})
    for person in designers(session, programme):
        outbox.notify(session, "approval_withdrawn", person, programme=programme, reason=text, withdrawn_on=today,
                      deadline=deadline)
    return deadline


def withdrawal(session: Session, programme_id: int, *, decision_id: int | None = None) -> Withdrawal | None:
    """The latest withdrawal of the programme's approval (of decision `decision_id` when given), from the audit."""
    rows = session.execute(
        select(AuditEntry.details, AuditEntry.occurred_at, User.full_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.object_type == "programme", AuditEntry.object_id == str(programme_id),
               AuditEntry.action == WITHDRAWAL)
        .order_by(AuditEntry.seq.desc()))
    for details, at, name in rows:
        facts = json.loads(details)
        if decision_id is None or facts.get("decision") == decision_id:
            return Withdrawal(facts.get("decision"), date.fromisoformat(facts["withdrawn_on"]),
                              date.fromisoformat(facts["appeal_deadline"]), facts.get("comment", ""), name, at)
    return None


def start_periodic_review(session: Session, programme: Programme, *, actor: User) -> int:
    """Open a new draft from the approved version; the approval stands until its end while the new version goes
    through the whole process.

    :returns: the number of the version the draft copies.
    :raises NotAllowed: unless the actor designs for the provider.
    :raises workflow.Conflict: unless the programme is approved or expired (audited).
    """
    if not permissions.can_design_for(actor.actor, provider_id=programme.provider_id):
        raise NotAllowed("Only the provider's designers start a periodic review.")
    decision = decision_records.in_effect(session, programme.id)
    number = decision.version_number if decision else programme.current_version
    workflow.transition(session, programme, Action.START_PERIODIC_REVIEW, actor=actor, role=Role.DESIGNER,
                        details={"from_version": number, "decision": decision.id if decision else None})
    version = proposals.get_version(session, programme, number)
    programme.draft = version.content if version else proposals.canonical(proposals.working_data(programme))
    session.flush()
    return number


def designers(session: Session, programme: Programme) -> list[User]:
    """Who hears about the programme's approval: its designer, or the provider's active designers if they left."""
    if programme.designer.is_active:
        return [programme.designer]
    return list(session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                .where(User.institution_id == programme.provider_id, User.is_active,
                                       UserRole.role == Role.DESIGNER).order_by(User.id)))

