"""Which reminders are due today: before and after due dates, escalation to the QA officer, never twice.

Each reminder has a code ("before-7", "after-1", "escalate") that, with the assignment id, is its key: the
caller records the keys it sent and passes them back, so a second run on the same day sends nothing new. An
assignment has two tracks. The recipient track sends at most one reminder per run: the latest one whose day
has come; earlier ones that were missed (cron down) are superseded and never sent, so catching up does not
burst. The escalation track tells the QA officer once. Nothing is sent for an assignment that is done, nor for
a day before the assignment was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

ESCALATE = "escalate"


class AssignmentKind(StrEnum):
    INVITATION = "invitation"  # a reviewer has not yet answered the invitation
    REVIEW = "review"
    PROVIDER_RESPONSE = "provider_response"
    CONDITION = "condition"


class Audience(StrEnum):
    RECIPIENT = "recipient"
    QA_OFFICER = "qa_officer"


@dataclass(frozen=True)
class ReminderPolicy:
    """Days before and after the due date to remind on; escalate after so many days overdue (None: never)."""

    before_due: tuple[int, ...] = (7, 2)
    after_due: tuple[int, ...] = (1, 7)
    repeat_every: int | None = None
    escalate_after: int | None = 14

    def __post_init__(self) -> None:
        if any(days < 0 for days in self.before_due):
            raise ValueError("before_due: days must be >= 0")
        if any(days < 1 for days in self.after_due):
            raise ValueError("after_due: days must be >= 1")
        if self.repeat_every is not None and (self.repeat_every < 1 or not self.after_due):
            raise ValueError("repeat_every: must be >= 1, and needs after_due")
        if self.escalate_after is not None and self.escalate_after < 1:
            raise ValueError("escalate_after: must be >= 1")


@dataclass(frozen=True)
class AssignmentFacts:
    """Something someone must do by `due`; `assigned_on` stops reminders for days before it existed."""

    assignment_id: int
    kind: AssignmentKind
    due: date
    done: bool
    recipient_id: int
    assigned_on: date | None = None


@dataclass(frozen=True)
class ReminderKey:
    """What makes a reminder the same reminder: the assignment and the code."""

    assignment_id: int
    code: str


@dataclass(frozen=True)
class Reminder:
    """A reminder to send today; `days_left` is negative when overdue (recount it: it may be a late catch-up)."""

    assignment_id: int
    kind: AssignmentKind
    code: str
    audience: Audience
    recipient_id: int
    due: date
    days_left: int

    @property
    def key(self) -> ReminderKey:
        """The key to record once this reminder is sent."""
        return ReminderKey(self.assignment_id, self.code)


def due_reminders(
    policy: ReminderPolicy | Mapping[AssignmentKind, ReminderPolicy],
    assignments: Iterable[AssignmentFacts],
    already_sent: set[ReminderKey] | frozenset[ReminderKey],
    today: date,
) -> list[Reminder]:
    """The reminders to send today, at most one per assignment and audience, none whose key was sent."""
    reminders = []
    for facts in assignments:
        if facts.done:
            continue
        rules = policy if isinstance(policy, ReminderPolicy) else policy.get(facts.kind)
        if rules is None:
            continue
        for code, audience in ((latest_code(rules, facts, today), Audience.RECIPIENT),
                               (escalation_code(rules, facts, today), Audience.QA_OFFICER)):
            if code is not None and ReminderKey(facts.assignment_id, code) not in already_sent:
                days_left = (facts.due - today).days
                reminders.append(
                    Reminder(facts.assignment_id, facts.kind, code, audience, facts.recipient_id, facts.due, days_left)
                )
    return sorted(reminders, key=lambda r: (r.due, r.assignment_id, r.audience is Audience.QA_OFFICER))


def latest_code(policy: ReminderPolicy, facts: AssignmentFacts, today: date) -> str | None:
    """The code of the most recent recipient reminder whose day has come (None before the first)."""
    best: tuple[date, str] | None = None
    for offset, code in _schedule(policy, (today - facts.due).days):
        day = facts.due + timedelta(days=offset)
        if day <= today and (facts.assigned_on is None or day >= facts.assigned_on):
            if best is None or day > best[0]:
                best = (day, code)
    return None if best is None else best[1]


def escalation_code(policy: ReminderPolicy, facts: AssignmentFacts, today: date) -> str | None:
    """"escalate" once the assignment is `escalate_after` days overdue, else None."""
    if policy.escalate_after is None:
        return None
    return ESCALATE if (today - facts.due).days >= policy.escalate_after else None


def _schedule(policy: ReminderPolicy, days_overdue: int) -> list[tuple[int, str]]:
    """(offset from due date, code) of every recipient reminder up to `days_overdue`."""
    schedule = [(-days, f"before-{days}") for days in policy.before_due]
    schedule += [(days, f"after-{days}") for days in policy.after_due]
    if policy.repeat_every is not None:
        last = max(policy.after_due)
        schedule += [(days, f"after-{days}") for days in range(last + policy.repeat_every, days_overdue + 1,
                                                               policy.repeat_every)]
    return schedule
