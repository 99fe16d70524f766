"""Reminders: the schedule, never twice, no burst after missed days, escalation, and day-by-day properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_engine.domain.reminders import (
    AssignmentFacts,
    AssignmentKind,
    Audience,
    Reminder,
    ReminderKey,
    ReminderPolicy,
    due_reminders,
)

DUE = date(2026, 5, 20)
POLICY = ReminderPolicy()  # before 7 and 2, after 1 and 7, escalate after 14


def review(aid: int = 1, *, due: date = DUE, done: bool = False, assigned_on: date | None = None,
           kind: AssignmentKind = AssignmentKind.REVIEW) -> AssignmentFacts:
    return AssignmentFacts(aid, kind, due, done, recipient_id=100 + aid, assigned_on=assigned_on)


def codes(reminders: list[Reminder]) -> list[tuple[int, str, Audience]]:
    return [(r.assignment_id, r.code, r.audience) for r in reminders]


def day(offset: int) -> date:
    return DUE + timedelta(days=offset)


def run_daily(policy, assignments, days, sent=None):
    sent = set() if sent is None else sent
    log = []
    for today in days:
        batch = due_reminders(policy, assignments(today) if callable(assignments) else assignments, sent, today)
        sent |= {r.key for r in batch}
        log += [(today, r) for r in batch]
    return log


def test_due_reminders_daily_schedule():
    log = run_daily(POLICY, [review()], [day(n) for n in range(-10, 20)])
    assert [((today - DUE).days, r.code, r.audience, r.days_left) for today, r in log] == [
        (-7, "before-7", Audience.RECIPIENT, 7),
        (-2, "before-2", Audience.RECIPIENT, 2),
        (1, "after-1", Audience.RECIPIENT, -1),
        (7, "after-7", Audience.RECIPIENT, -7),
        (14, "escalate", Audience.QA_OFFICER, -14),
    ]


def test_due_reminders_reminder_fields():
    assert due_reminders(POLICY, [review(3)], set(), day(-7)) == [
        Reminder(3, AssignmentKind.REVIEW, "before-7", Audience.RECIPIENT, 103, DUE, 7)
    ]
    assert due_reminders(POLICY, [review(3)], set(), day(-7))[0].key == ReminderKey(3, "before-7")


def test_due_reminders_second_run_same_day_sends_nothing():
    sent: set[ReminderKey] = set()
    first = due_reminders(POLICY, [review()], sent, day(-2))
    sent |= {r.key for r in first}
    assert codes(first) == [(1, "before-2", Audience.RECIPIENT)]
    assert due_reminders(POLICY, [review()], sent, day(-2)) == []
    assert due_reminders(POLICY, [review()], sent, day(-1)) == []


def test_due_reminders_catch_up_sends_only_the_latest():
    # cron was down from 8 days before to 2 days after the due date
    assert codes(due_reminders(POLICY, [review()], set(), day(2))) == [(1, "after-1", Audience.RECIPIENT)]
    sent = {ReminderKey(1, "after-1")}
    assert due_reminders(POLICY, [review()], sent, day(3)) == []


def test_due_reminders_catch_up_after_escalation_day_sends_one_per_audience():
    assert codes(due_reminders(POLICY, [review()], set(), day(30))) == [
        (1, "after-7", Audience.RECIPIENT), (1, "escalate", Audience.QA_OFFICER)]


def test_due_reminders_none_when_done():
    assert due_reminders(POLICY, [review(done=True)], set(), day(-7)) == []
    assert due_reminders(POLICY, [review(done=True)], set(), day(30)) == []


def test_due_reminders_nothing_from_before_the_assignment_existed():
    late = review(assigned_on=day(-4))
    assert due_reminders(POLICY, [late], set(), day(-4)) == []
    assert codes(due_reminders(POLICY, [late], set(), day(-2))) == [(1, "before-2", Audience.RECIPIENT)]


def test_due_reminders_on_the_due_date_and_repeats():
    policy = ReminderPolicy(before_due=(0,), after_due=(3,), repeat_every=7, escalate_after=None)
    log = run_daily(policy, [review()], [day(n) for n in range(-3, 25)])
    assert [((today - DUE).days, r.code) for today, r in log] == [(0, "before-0"), (3, "after-3"), (10, "after-10"),
                                                                  (17, "after-17"), (24, "after-24")]


def test_due_reminders_policy_per_kind_and_missing_kind():
    policies = {AssignmentKind.INVITATION: ReminderPolicy(before_due=(1,), after_due=(), escalate_after=2)}
    invitation = review(1, kind=AssignmentKind.INVITATION)
    assert codes(due_reminders(policies, [invitation, review(2)], set(), day(-1))) == [
        (1, "before-1", Audience.RECIPIENT)]
    assert codes(due_reminders(policies, [invitation], {ReminderKey(1, "before-1")}, day(5))) == [
        (1, "escalate", Audience.QA_OFFICER)]


def test_due_reminders_sorted_by_due_date_then_assignment():
    assignments = [review(2, due=day(7)), review(1, due=day(7)), review(3, due=day(2))]
    assert codes(due_reminders(POLICY, assignments, set(), DUE)) == [
        (3, "before-2", Audience.RECIPIENT), (1, "before-7", Audience.RECIPIENT), (2, "before-7", Audience.RECIPIENT)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"before_due": (-1,)}, "before_due: days must be >= 0"),
        ({"after_due": (0,)}, "after_due: days must be >= 1"),
        ({"repeat_every": 0}, "repeat_every: must be >= 1, and needs after_due"),
        ({"after_due": (), "repeat_every": 7}, "repeat_every: must be >= 1, and needs after_due"),
        ({"escalate_after": 0}, "escalate_after: must be >= 1"),
    ],
)
def test_reminder_policy_invalid(changes, message):
    with pytest.raises(ValueError) as error:
        ReminderPolicy(**changes)
    assert str(error.value) == message


# --- properties: a random schedule run day by day ------------------------------------------------------------

policies = st.builds(
    ReminderPolicy,
    before_due=st.lists(st.integers(0, 10), max_size=3, unique=True).map(tuple),
    after_due=st.lists(st.integers(1, 10), min_size=1, max_size=3, unique=True).map(tuple),
    repeat_every=st.one_of(st.none(), st.integers(1, 7)),
    escalate_after=st.one_of(st.none(), st.integers(1, 20)),
)
schedules = st.lists(
    st.tuples(st.integers(-5, 20), st.one_of(st.none(), st.integers(-15, 30)), st.integers(-20, 0)),
    min_size=1, max_size=4,
)  # per assignment: due offset, done offset (None: never), assigned offset relative to due


@settings(max_examples=200)
@given(policies, schedules, st.sets(st.integers(0, 45), max_size=20))
def test_due_reminders_day_by_day_never_repeats_never_after_done(policy, schedule, cron_down):
    start = date(2026, 1, 1)

    def assignments(today: date) -> list[AssignmentFacts]:
        facts = []
        for aid, (due_offset, done_offset, assigned) in enumerate(schedule):
            due = start + timedelta(days=15 + due_offset)
            done = done_offset is not None and today >= due + timedelta(days=done_offset)
            facts.append(AssignmentFacts(aid, AssignmentKind.REVIEW, due, done, aid, due + timedelta(days=assigned)))
        return facts

    days = [start + timedelta(days=n) for n in range(46) if n not in cron_down]
    log = run_daily(policy, assignments, days)
    keys = [r.key for _, r in log]
    assert len(keys) == len(set(keys))
    for today, reminder in log:
        facts = assignments(today)[reminder.assignment_id]
        assert not facts.done
        assert facts.assigned_on is None or today >= facts.assigned_on or reminder.code == "escalate"
    per_day = [(today, r.assignment_id, r.audience) for today, r in log]
    assert len(per_day) == len(set(per_day))


@settings(max_examples=200)
@given(policies, st.integers(-5, 20))
def test_due_reminders_daily_cron_sends_every_scheduled_reminder_once(policy, due_offset):
    start = date(2026, 1, 1)
    due = start + timedelta(days=15 + due_offset)
    facts = [AssignmentFacts(1, AssignmentKind.REVIEW, due, False, 1)]
    days = [start + timedelta(days=n) for n in range(80)]
    sent = {(r.code, today) for today, r in run_daily(policy, facts, days)}
    expected = {(f"before-{d}", due - timedelta(days=d)) for d in policy.before_due}
    expected |= {(f"after-{d}", due + timedelta(days=d)) for d in policy.after_due}
    if policy.repeat_every:
        last = max(policy.after_due)
        expected |= {(f"after-{d}", due + timedelta(days=d)) for d in range(last, 80, policy.repeat_every)}
    if policy.escalate_after:
        expected.add(("escalate", due + timedelta(days=policy.escalate_after)))
    assert sent == {(code, when) for code, when in expected if start <= when < start + timedelta(days=80)}
