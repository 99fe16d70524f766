"""The period summary for a QA office: what was decided, how long each stage took, how reviewers kept their
dates, which conditions are open, and what it cost; a handful of queries whatever the period.

- **Decided**: programmes whose newest effective decision dated in the period (a correction counts once), by
  outcome, EQF level and ISCED-F field of the version decided on.
- **Cycle times** come from the audit trail's `programme.<action>` transitions of those programmes: the time
  from entering a stage to leaving it, summed per programme (a reopened review counts twice), from the first
  submission after the previous decision to the decision. Time a decision stood before an upheld appeal counts
  in the overall time only.
- **Reviewers**: seats (accepted or submitted) on rounds due in the period; on time when submitted by the
  round's due date; outstanding when not submitted and the due date has passed.
- **Conditions**: every condition of a decision in effect not met yet, as of today.
- **Cost**: as the analytics page counts it (services.analytics, with its settings REVIEWER_HOURLY_RATE,
  OFFICER_HOURLY_RATE, OFFICER_MINUTES over analytics.DEFAULT_OFFICER_MINUTES and COST_CURRENCY): hours reviewers
  declared on reviews submitted in the period, plus each programme step a QA officer took in the period at its
  standard minutes; here one line per kind of step.
"""
from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from qa_engine.domain import decisions as rules
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import CONFIRMED, MemberStatus
from qa_engine.domain.roles import Role
from qa_engine.domain.vocabularies import Vocabularies
from qa_engine.domain.workflow import PRE_DECISION, Action, State
from qa_engine.models import (
    Assignment,
    AuditEntry,
    Condition,
    Decision,
    DecisionStatus,
    Programme,
    ProgrammeVersion,
    Review,
    User,
)
from qa_engine.reports import data as records
from qa_engine.reports import render
from qa_engine.reports.data import Branding
from qa_engine.services import decisions, register
from qa_engine.services.analytics import CostSettings

DECIDED = frozenset({State.APPROVED, State.CONDITIONS, State.REVISE_AND_RESUBMIT, State.REJECTED})
_TRANSITIONS = tuple(f"programme.{action.value}" for action in Action)
NO_LEVEL = "No EQF level"
NO_FIELD = "No field stated"


@dataclass(frozen=True)
class _Decided:
    programme_id: int
    outcome: Outcome
    level: int | None
    field: str


def summary(session: Session, *, start: date, end: date, today: date, vocabularies: Vocabularies,
            costs: CostSettings) -> records.PeriodSummary:
    """The summary of the period `start`..`end` (both included). :raises ValueError: when `end` is before `start`."""
    if end < start:
        raise ValueError("the period ends before it starts")
    decided = decided_in(session, start, end)
    outcomes = tuple(Outcome)
    stages, overall = cycle_times(session, decided)
    return records.PeriodSummary(
        start=start, end=end, generated_on=today, outcomes=outcomes,
        by_level=_counts(decided, outcomes, lambda d: f"EQF level {d.level}" if d.level else NO_LEVEL),
        by_field=_counts(decided, outcomes, lambda d: _field(d.field, vocabularies)),
        stages=stages, overall=overall, reviewers=reviewer_loads(session, start, end, today),
        conditions=open_conditions(session, today), costs=cost_lines(session, start, end, costs),
        currency=costs.currency, officer_minutes=costs.officer_minutes,
    )


def pdf(session: Session, *, start: date, end: date, today: date, vocabularies: Vocabularies, costs: CostSettings,
        branding: Branding) -> bytes:
    """The summary of the period, rendered now. :raises ValueError: when `end` is before `start`."""
    found = summary(session, start=start, end=end, today=today, vocabularies=vocabularies, costs=costs)
    return render.render_period_summary(found, branding)


def decided_in(session: Session, start: date, end: date) -> list[_Decided]:
    """Each programme whose newest effective decision dated in the period, with the level and field decided on."""
    level = register.proposal_value(session, ProgrammeVersion.content, "level", "eqf_level").as_integer()
    field = register.proposal_value(session, ProgrammeVersion.content, "classification", "isced_f_code").as_string()
    rows = session.execute(
        select(Decision.programme_id, Decision.outcome, level, field)
        .join(ProgrammeVersion, (ProgrammeVersion.programme_id == Decision.programme_id)
              & (ProgrammeVersion.number == Decision.version_number))
        .where(Decision.status == DecisionStatus.EFFECTIVE, Decision.decided_on.between(start, end))
        .order_by(Decision.programme_id, Decision.id))
    newest = {row[0]: _Decided(row[0], row[1], row[2], row[3] or "") for row in rows}
    return list(newest.values())


def cycle_times(session: Session, decided: Sequence[_Decided]) -> tuple[tuple[records.StageTime, ...],
                                                                          records.StageTime | None]:
    """Days spent per stage before the decision, and from the first submission to it, over the programmes."""
    by_programme = _transitions(session, [d.programme_id for d in decided])
    per_stage: dict[State, list[float]] = defaultdict(list)
    overall: list[float] = []
    for item in decided:
        stays, total = _cycle(by_programme.get(item.programme_id, []))
        for state, days in stays.items():
            per_stage[state].append(days)
        if total is not None:
            overall.append(total)
    stages = tuple(_stage(state.label, per_stage[state]) for state in PRE_DECISION if per_stage[state])
    return stages, _stage("From submission to decision", overall) if overall else None


def reviewer_loads(session: Session, start: date, end: date, today: date) -> tuple[records.ReviewerLoad, ...]:
    """Per reviewer, their seats on rounds due in the period: how many, on time, late, outstanding, hours."""
    rows = session.execute(
        select(User.full_name, User.id, Assignment.status, Assignment.submitted_at, Assignment.hours, Review.due_on)
        .join(Review, Review.id == Assignment.review_id).join(User, User.id == Assignment.reviewer_id)
        .where(Review.due_on.between(start, end), Assignment.status.in_(CONFIRMED)))
    seats: dict[tuple[str, int], list[tuple[Any, ...]]] = defaultdict(list)
    for name, user_id, status, submitted_at, hours, due_on in rows:
        seats[(name, user_id)].append((status, submitted_at, hours, due_on))
    return tuple(_load(name, found, today) for (name, _), found in sorted(seats.items()))


def open_conditions(session: Session, today: date) -> tuple[records.OpenCondition, ...]:
    """Every condition of a decision in effect that is not met, soonest due first."""
    originals = decisions.originals_in_effect().subquery()
    rows = session.execute(
        select(Programme.title, Condition.number, Condition.text, Condition.due_on, Condition.status)
        .join(originals, originals.c.id == Condition.decision_id)
        .join(Programme, Programme.id == originals.c.programme_id)
        .where(Condition.status != rules.ConditionStatus.MET, Programme.state == State.CONDITIONS)
        .order_by(Condition.due_on, Programme.title, Condition.number))
    return tuple(records.OpenCondition(title, number, text, due_on, rules.ConditionStatus(status).label,
                                       max((today - due_on).days, 0))
                 for title, number, text, due_on, status in rows)


def cost_lines(session: Session, start: date, end: date, costs: CostSettings) -> tuple[records.CostLine, ...]:
    """Reviewers' declared hours on reviews submitted in the period, then each kind of officer step taken in it."""
    since, until = _instant(start), _instant(end + timedelta(days=1))
    hours = session.scalar(select(func.coalesce(func.sum(Assignment.hours), 0)).where(
        Assignment.status == MemberStatus.SUBMITTED, Assignment.submitted_at >= since, Assignment.submitted_at < until))
    minutes = costs.officer_minutes
    steps = dict(session.execute(
        select(AuditEntry.action, func.count()).where(
            AuditEntry.object_type == "programme", AuditEntry.occurred_at >= since, AuditEntry.occurred_at < until,
            AuditEntry.action.in_(list(minutes)), AuditEntry.actor_role == Role.QA_OFFICER.value)
        .group_by(AuditEntry.action)).all())
    lines = [records.CostLine("Reviewers: hours declared on reviews submitted", float(hours or 0),
                              float(costs.reviewer_rate))]
    lines += [records.CostLine(f"QA officers: {_step(action)} ({steps[action]} × {minutes[action]} min)",
                               steps[action] * minutes[action] / 60, float(costs.officer_rate))
              for action in minutes if steps.get(action)]
    return tuple(lines)


def _transitions(session: Session, programme_ids: list[int]) -> dict[int, list[tuple[datetime, Action, State | None,
                                                                                     State]]]:
    """The programmes' transitions from the audit trail, oldest first: (when, action, from, to)."""
    found: dict[int, list[tuple[datetime, Action, State | None, State]]] = defaultdict(list)
    if not programme_ids:
        return found
    wanted = select(cast(Programme.id, String)).where(Programme.id.in_(programme_ids)).scalar_subquery()
    rows = session.execute(
        select(AuditEntry.object_id, AuditEntry.occurred_at, AuditEntry.action, AuditEntry.details)
        .where(AuditEntry.object_type == "programme", AuditEntry.object_id.in_(wanted),
               AuditEntry.action.in_(_TRANSITIONS))
        .order_by(AuditEntry.seq))
    for object_id, occurred_at, action, details in rows:
        facts = json.loads(details)
        if "to" in facts:
            before = facts.get("from")
            found[int(object_id)].append((occurred_at, Action(action.removeprefix("programme.")),
                                          State(before) if before else None, State(facts["to"])))
    return found


def _cycle(transitions: list[tuple[datetime, Action, State | None, State]]) -> tuple[dict[State, float],
                                                                                     float | None]:
    """Days per pre-decision stage and in total, from the cycle's first submission to its decision."""
    decision = max((i for i, (_, _, _, to) in enumerate(transitions) if to in DECIDED), default=None)
    if decision is None:
        return {}, None
    restart = max((i for i, (_, action, before, _) in enumerate(transitions[:decision]) if _restarts(action, before)),
                  default=-1)
    first = next((i for i in range(restart + 1, decision) if transitions[i][1] is Action.SUBMIT), None)
    if first is None:
        return {}, None
    stays: dict[State, float] = defaultdict(float)
    for (entered, _, _, state), (left, _, _, _) in zip(transitions[first:decision], transitions[first + 1:decision + 1],
                                                       strict=True):
        if state in PRE_DECISION:
            stays[state] += _days(left - entered)
    return dict(stays), _days(transitions[decision][0] - transitions[first][0])


def _restarts(action: Action, before: State | None) -> bool:
    """A new application starts: a revision after "revise and resubmit", or a periodic review."""
    return action is Action.START_PERIODIC_REVIEW or (action is Action.START_REVISION
                                                      and before is State.REVISE_AND_RESUBMIT)


def _stage(label: str, days: list[float]) -> records.StageTime:
    return records.StageTime(label, len(days), statistics.median(days), statistics.fmean(days), max(days))


def _load(name: str, seats: list[tuple[Any, ...]], today: date) -> records.ReviewerLoad:
    late_by = [(submitted.date() - due).days for status, submitted, _, due in seats
               if status is MemberStatus.SUBMITTED and submitted and submitted.date() > due]
    on_time = sum(1 for status, submitted, _, due in seats
                  if status is MemberStatus.SUBMITTED and submitted and submitted.date() <= due)
    outstanding = sum(1 for status, _, _, due in seats if status is not MemberStatus.SUBMITTED and due < today)
    hours = sum(float(h) for status, _, h, _ in seats if status is MemberStatus.SUBMITTED and h is not None)
    return records.ReviewerLoad(name, len(seats), on_time, len(late_by), outstanding,
                                statistics.fmean(late_by) if late_by else None, hours)


def _counts(decided: Sequence[_Decided], outcomes: tuple[Outcome, ...], key: Any) -> tuple[records.CountRow, ...]:
    groups: dict[str, list[int]] = defaultdict(lambda: [0] * len(outcomes))
    for item in decided:
        groups[key(item)][outcomes.index(item.outcome)] += 1
    return tuple(records.CountRow(label, tuple(counts)) for label, counts in sorted(groups.items(), key=_group_order))


def _group_order(item: tuple[str, list[int]]) -> tuple[bool, str]:
    label = item[0]
    return label in (NO_LEVEL, NO_FIELD), label


def _field(code: str, vocabularies: Vocabularies) -> str:
    return f"{code} {vocabularies.isced_fields.get(code, '')}".strip() if code else NO_FIELD


def _step(action: str) -> str:
    return action.removeprefix("programme.").replace(".", " ").replace("_", " ")


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86_400


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
