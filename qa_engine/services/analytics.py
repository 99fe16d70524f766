"""The QA office's analytics: how long programmes stay in each stage, how fast reviewers turn reviews round, and
what assurance costs, per programme and per month of a period.

Everything is read in a fixed number of statements, whatever the number of programmes. Stage times come from
the stays the database keeps from the audit trail (models.StageStay, by a trigger), indexed by stage and end.
Percentiles: PostgreSQL takes them itself (percentile_cont, which interpolates as domain.stats does); SQLite has
no percentile aggregate, so for stage times it picks, per stage, only the rows at the two ranks each percentile
needs (domain.stats.ranks, by ORDER BY ... LIMIT 2 OFFSET), and for review turnaround, one row per review
submitted in the period comes here. Date arithmetic, which the two spell differently, goes through `_Dialect`.

Costs: reviewer hours declared on each submitted review (Assignment.hours) x REVIEWER_HOURLY_RATE, and QA
officer time per audited step (OFFICER_MINUTES, minutes per action) x OFFICER_HOURLY_RATE. A review counts in
the month it was submitted, an officer's step in the month it was taken. The sums per programme and month are
read once (cost_items) for both the costliest programmes and the months.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Numeric,
    case,
    cast,
    func,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from qa_engine.domain import permissions, stats
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Assignment, AuditEntry, Institution, Programme, Review, StageStay, User
from qa_engine.services.dashboards import Table
from qa_engine.services.proposals import NotAllowed

CENT = Decimal("0.01")
ID_CHUNK = 5000  # ids per IN list when reading facts of many programmes
ALL_REVIEWERS = 0  # the group key of the "all reviewers" row (user ids start at 1)
#: Minutes of QA officer time each audited step stands for (OFFICER_MINUTES overrides or adds to these).
DEFAULT_OFFICER_MINUTES: Mapping[str, int] = {
    "programme.take_for_screening": 15,
    "programme.accept_for_review": 60,  # the screening itself
    "programme.return_to_designer": 45,
    "review.invited": 20,  # finding and inviting one reviewer
    "review.member_removed": 10,
    "review.due_date_set": 5,
    "programme.reopen_review": 15,
    "review.consensus_recorded": 15,  # one criterion
    "programme.send_draft_report": 120,  # consolidation and the draft panel report
    "programme.close_response_window": 10,
    "decision.recorded": 90,
    "decision.proposed": 90,
    "decision.confirmed": 30,
    "decision.declined": 30,
    "decision.corrected": 60,
    "condition.judged": 30,
    "programme.withdraw_approval": 60,
    "appeal.handler_appointed": 15,
}
DEFAULT_REVIEWER_RATE = Decimal("50")
DEFAULT_OFFICER_RATE = Decimal("45")
DEFAULT_CURRENCY = "EUR"


@dataclass(frozen=True)
class CostSettings:
    """What an hour of each kind of work costs, and how many minutes of officer time each step takes."""

    reviewer_rate: Decimal
    officer_rate: Decimal
    officer_minutes: Mapping[str, int]
    currency: str = DEFAULT_CURRENCY

    def cost(self, hours: Decimal, minutes: int) -> tuple[Decimal, Decimal]:
        """(reviewer cost, officer cost) of `hours` of reviewing and `minutes` of officer time, to the cent."""
        return ((hours * self.reviewer_rate).quantize(CENT),
                (Decimal(minutes) * self.officer_rate / 60).quantize(CENT))


def cost_settings(config: Mapping[str, Any]) -> CostSettings:
    """The cost settings from the configuration, with the defaults above for what it does not say.

    :raises ValueError: naming the key, when a rate or a number of minutes is not a number >= 0.
    """
    minutes = {**DEFAULT_OFFICER_MINUTES, **(config.get("OFFICER_MINUTES") or {})}
    return CostSettings(_amount(config, "REVIEWER_HOURLY_RATE", DEFAULT_REVIEWER_RATE),
                        _amount(config, "OFFICER_HOURLY_RATE", DEFAULT_OFFICER_RATE),
                        {str(action): _minutes(action, value) for action, value in minutes.items()},
                        str(config.get("COST_CURRENCY") or DEFAULT_CURRENCY))


def _amount(config: Mapping[str, Any], key: str, default: Decimal) -> Decimal:
    try:
        value = Decimal(str(config.get(key, default)))
    except ArithmeticError:
        raise ValueError(f"{key}: must be a number >= 0") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{key}: must be a number >= 0")
    return value


def _minutes(action: object, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"OFFICER_MINUTES.{action}: must be a whole number of minutes >= 0")
    return value


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The first moment of the period and the first moment after it, in UTC."""
        return (datetime.combine(self.start, time(), UTC),
                datetime.combine(self.end + timedelta(days=1), time(), UTC))

    def months(self) -> list[str]:
        """Every month the period touches, as YYYY-MM."""
        months, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


@dataclass(frozen=True)
class Turnaround:
    """A reviewer's reviews submitted in the period: how many, median days from invitation and from acceptance
    to submission, and how many were in by the round's due date. `reviewer_id` 0 is every reviewer together."""

    reviewer_id: int
    name: str
    submitted: int
    on_time: int
    from_invitation: float | None
    from_acceptance: float | None

    @property
    def on_time_share(self) -> float:
        """The share of the reviews submitted by their due date, 0..1."""
        return self.on_time / self.submitted if self.submitted else 0.0


@dataclass(frozen=True)
class Cost:
    """Reviewer hours and officer minutes, and what they cost."""

    hours: Decimal
    minutes: int
    reviewer_cost: Decimal
    officer_cost: Decimal

    @property
    def total(self) -> Decimal:
        return self.reviewer_cost + self.officer_cost


@dataclass(frozen=True)
class ProgrammeCost:
    """The cost of assuring one programme within the period."""

    programme_id: int
    title: str
    provider: str
    state: State
    cost: Cost


@dataclass(frozen=True)
class MonthCost:
    """The cost of assurance in one month: how many programmes it went to, and the cost."""

    month: str
    programmes: int
    cost: Cost


@dataclass(frozen=True)
class Analytics:
    """Everything the analytics page shows for one period."""

    period: Period
    settings: CostSettings
    stages: list[stats.StageTime]
    reviewers: list[Turnaround]  # every reviewer together, then the busiest, at most `limit`
    reviewer_count: int  # how many reviewers submitted a review in the period
    programmes: list[ProgrammeCost]  # the costliest first, at most `limit`
    programme_count: int  # how many programmes had a cost in the period
    months: list[MonthCost]
    total: Cost = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", _sum(m.cost for m in self.months))


def overview(session: Session, actor: Actor, period: Period, settings: CostSettings, *, limit: int = 50) -> Analytics:
    """The analytics of `period`: stage times, turnaround of the `limit` busiest reviewers, and costs (of the `limit`
    costliest programmes).

    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    require_overseer(actor)
    items = cost_items(session, period, settings)
    programmes, count = costs_by_programme(session, period, settings, limit=limit, items=items)
    reviewers = turnaround(session, period)
    return Analytics(period, settings, stage_times(session, period), reviewers[:limit + 1], len(reviewers) - 1,
                     programmes, count, costs_by_month(session, period, settings, items=items))


def require_overseer(actor: Actor) -> None:
    """:raises NotAllowed: unless the actor is a QA officer or an administrator."""
    if not permissions.can_oversee_programmes(actor):
        raise NotAllowed("Only QA officers and administrators read the analytics.")


# Stage times ------------------------------------------------------------------------------------------------


def stage_times(session: Session, period: Period) -> list[stats.StageTime]:
    """Median and 90th-percentile days in each stage, over the stays that ended within the period (two queries at
    most), read from the stays the database keeps (models.StageStay)."""
    start, end = period.bounds
    within = (StageStay.stage.in_([state.value for state in State]), StageStay.left_at >= start,
              StageStay.left_at < end)
    if not _Dialect(session).sqlite:
        found = {row.stage: (row.n, (row.median, row.p90)) for row in session.execute(
            select(StageStay.stage, func.count().label("n"),
                   func.percentile_cont(stats.MEDIAN / 100).within_group(StageStay.days).label("median"),
                   func.percentile_cont(stats.P90 / 100).within_group(StageStay.days).label("p90"))
            .where(*within).group_by(StageStay.stage))}
    else:
        sizes = {stage: n for stage, n in session.execute(select(StageStay.stage, func.count()).where(*within)
                                                           .group_by(StageStay.stage))}
        found = _ranked(session, within, sizes, (stats.MEDIAN, stats.P90))
    return [stats.StageTime(state, found[state.value][0], *found[state.value][1]) for state in State
            if state.value in found]


def _ranked(session: Session, within: Sequence[ColumnElement[bool]], sizes: Mapping[str, int],
            pcts: Sequence[int]) -> dict[str, tuple[int, tuple[float, ...]]]:
    """Per stage of `sizes` (how many stays ended): the `pcts` percentiles of the days, from only the (at most two)
    values at the ranks each needs, each picked by ORDER BY ... LIMIT 2 OFFSET, all in one statement."""
    picks = [select(literal(stage).label("stage"), literal(pct).label("pct"), sub.c.days)
             for stage, n in sizes.items() for pct in pcts
             for sub in [select(StageStay.days).where(*within, StageStay.stage == stage).order_by(StageStay.days)
                         .limit(2).offset(stats.ranks(n, pct)[0]).subquery()]]
    at: dict[tuple[str, int], list[float]] = defaultdict(list)
    if picks:
        for stage, pct, days in session.execute(union_all(*picks)):
            at[stage, pct].append(float(days))
    return {stage: (n, tuple(stats.from_ranks(n, pct, dict(enumerate(at[stage, pct], stats.ranks(n, pct)[0])))
                             for pct in pcts))
            for stage, n in sizes.items()}


# Reviewer turnaround ----------------------------------------------------------------------------------------


def turnaround(session: Session, period: Period) -> list[Turnaround]:
    """Every reviewer with a review submitted in the period, busiest first, after a row for all of them together.

    One pass over the reviews submitted in the period: on PostgreSQL the medians are taken there (per reviewer and
    for all, by grouping sets); SQLite has no percentile aggregate, so its rows come here, one per review.
    """
    dialect = _Dialect(session)
    start, end = period.bounds
    on_time = case((dialect.day(Assignment.submitted_at) <= Review.due_on, 1), else_=0)
    since = (dialect.days(Assignment.submitted_at, Assignment.invited_at),
             dialect.days(Assignment.submitted_at, Assignment.responded_at))
    within = (Assignment.status == MemberStatus.SUBMITTED, Assignment.submitted_at >= start,
              Assignment.submitted_at < end)
    if dialect.sqlite:
        found = _turnaround_here(session.execute(select(Assignment.reviewer_id, on_time, *since)
                                                 .join(Review, Review.id == Assignment.review_id).where(*within)))
    else:
        medians = [func.percentile_cont(stats.MEDIAN / 100).within_group(days) for days in since]
        found = {reviewer_id or ALL_REVIEWERS: (submitted, int(in_time), *days)
                 for reviewer_id, submitted, in_time, *days in session.execute(
                     select(Assignment.reviewer_id, func.count(), func.coalesce(func.sum(on_time), 0), *medians)
                     .join(Review, Review.id == Assignment.review_id).where(*within)
                     .group_by(func.grouping_sets(Assignment.reviewer_id, tuple_())))}
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_([k for k in found if k]))).all())
    rows = [Turnaround(reviewer_id, names.get(reviewer_id, ""), *found[reviewer_id]) for reviewer_id in found]
    everyone = next((row for row in rows if row.reviewer_id == ALL_REVIEWERS),
                    Turnaround(ALL_REVIEWERS, "", 0, 0, None, None))
    return [everyone, *sorted((row for row in rows if row.reviewer_id != ALL_REVIEWERS),
                              key=lambda row: (-row.submitted, row.name, row.reviewer_id))]


def _turnaround_here(seats: Iterable[Any]) -> dict[int, tuple[int, int, float | None, float | None]]:
    """(reviewer, on time 0/1, days from invitation, days from acceptance) per review -> per reviewer and for all
    (ALL_REVIEWERS): how many, how many on time, and the two medians."""
    groups: dict[int, list[tuple[int, float | None, float | None]]] = defaultdict(list)
    for reviewer_id, in_time, invited, accepted in seats:
        groups[reviewer_id].append((in_time, invited, accepted))
        groups[ALL_REVIEWERS].append((in_time, invited, accepted))
    return {key: (len(items), sum(item[0] for item in items),
                  *(stats.median(item[i] for item in items if item[i] is not None) for i in (1, 2)))
            for key, items in groups.items()}


# Costs ------------------------------------------------------------------------------------------------------


#: (programme, month YYYY-MM, reviewer hours, officer minutes) within a period: the sums per programme and month.
CostItem = tuple[int, str, Decimal, int]


def costs_by_programme(session: Session, period: Period, settings: CostSettings, *, limit: int | None = None,
                       items: Sequence[CostItem] | None = None) -> tuple[list[ProgrammeCost], int]:
    """The cost of each programme within the period, the costliest first (at most `limit`), and how many had one.

    `items`: the period's cost_items, when the caller has read them already. The sums are made here, and only the
    programmes shown are read (programmes are never deleted, so every programme with a cost is one).
    """
    per: dict[int, list[Any]] = {}
    for programme_id, _month, hours, minutes in cost_items(session, period, settings) if items is None else items:
        spent = per.setdefault(programme_id, [Decimal(0), 0])
        spent[0] += hours
        spent[1] += minutes
    # Exact sums, so that programmes costing the same are in the order of their ids on both databases.
    ranked = sorted(per, key=lambda pid: (-(per[pid][0] * settings.reviewer_rate
                                            + per[pid][1] * settings.officer_rate / 60), pid))
    chosen = ranked[:limit]
    facts = {}
    for start in range(0, len(chosen), ID_CHUNK):
        facts.update((row.id, row) for row in session.execute(
            select(Programme.id, Programme.title, Programme.state, Institution.name)
            .join(Institution, Institution.id == Programme.provider_id)
            .where(Programme.id.in_(chosen[start:start + ID_CHUNK]))))
    return ([ProgrammeCost(pid, facts[pid].title, facts[pid].name, State(facts[pid].state),
                           _cost(settings, *per[pid])) for pid in chosen if pid in facts], len(per))


def costs_by_month(session: Session, period: Period, settings: CostSettings, *,
                   items: Sequence[CostItem] | None = None) -> list[MonthCost]:
    """The cost of assurance in each month of the period (months without any, at zero).

    `items`: the period's cost_items, when the caller has read them already.
    """
    programmes: dict[str, set[int]] = defaultdict(set)
    spent: dict[str, list[Any]] = {}
    for programme_id, month, hours, minutes in cost_items(session, period, settings) if items is None else items:
        programmes[month].add(programme_id)
        sums = spent.setdefault(month, [Decimal(0), 0])
        sums[0] += hours
        sums[1] += minutes
    return [MonthCost(month, len(programmes[month]), _cost(settings, *spent.get(month, (0, 0))))
            for month in period.months()]


def cost_items(session: Session, period: Period, settings: CostSettings) -> list[CostItem]:
    """Reviewer hours and officer minutes within the period, summed per programme and month (one query)."""
    items = _cost_items(session, period, settings)
    return [(programme_id, month, Decimal(str(hours or 0)), int(minutes or 0)) for programme_id, month, hours, minutes
            in session.execute(select(items.c.programme_id, items.c.month, items.c.hours, items.c.minutes))]


def _cost_items(session: Session, period: Period, settings: CostSettings) -> Any:
    """(programme, month, reviewer hours, officer minutes) within the period, summed per programme and month."""
    dialect = _Dialect(session)
    start, end = period.bounds
    review_month = dialect.month(Assignment.submitted_at)
    reviewing = (select(Review.programme_id.label("programme_id"), review_month.label("month"),
                        cast(func.sum(Assignment.hours), Numeric(12, 1)).label("hours"), literal(0).label("minutes"))
                 .join(Review, Review.id == Assignment.review_id)
                 .where(Assignment.status == MemberStatus.SUBMITTED, Assignment.hours.is_not(None),
                        Assignment.submitted_at >= start, Assignment.submitted_at < end)
                 .group_by(Review.programme_id, review_month))
    step_month = dialect.month(AuditEntry.occurred_at)
    per_step = case(dict(settings.officer_minutes), value=AuditEntry.action, else_=0)
    programme_id = cast(AuditEntry.object_id, Integer)
    officers = (select(programme_id.label("programme_id"), step_month.label("month"),
                       cast(literal(0), Numeric(12, 1)).label("hours"), func.sum(per_step).label("minutes"))
                .where(AuditEntry.object_type == "programme", AuditEntry.actor_role == Role.QA_OFFICER.value,
                       AuditEntry.action.in_(list(settings.officer_minutes)),
                       AuditEntry.occurred_at >= start, AuditEntry.occurred_at < end)
                .group_by(programme_id, step_month))
    return union_all(reviewing, officers).subquery()


def _cost(settings: CostSettings, hours: Decimal | float | None, minutes: int | None) -> Cost:
    spent = Decimal(str(hours or 0)).quantize(Decimal("0.1"))
    return Cost(spent, int(minutes or 0), *settings.cost(spent, int(minutes or 0)))


def _sum(costs: Iterable[Cost]) -> Cost:
    items = list(costs)
    return Cost(sum((c.hours for c in items), Decimal(0)), sum(c.minutes for c in items),
                sum((c.reviewer_cost for c in items), Decimal(0)), sum((c.officer_cost for c in items), Decimal(0)))


class _Dialect:
    """Date arithmetic as the session's database spells it (SQLite or PostgreSQL)."""

    def __init__(self, session: Session) -> None:
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def days(self, later: Any, earlier: Any) -> ColumnElement[float]:
        """The days from `earlier` to `later`, as a fraction."""
        if self.sqlite:
            return cast(func.julianday(later) - func.julianday(earlier), Float)
        return cast(func.extract("epoch", later - earlier) / 86400, Float)

    def day(self, moment: Any) -> ColumnElement[date]:
        """The UTC calendar day of a moment."""
        return func.date(moment, type_=Date) if self.sqlite else cast(func.timezone("UTC", moment), Date)

    def month(self, moment: Any) -> ColumnElement[str]:
        """The UTC month of a moment, as YYYY-MM."""
        if self.sqlite:
            return func.strftime("%Y-%m", moment)
        return func.to_char(func.timezone("UTC", moment), "YYYY-MM")


# Tables for CSV ----------------------------------------------------------------------------------------------

TABLES = ("programmes", "months", "stages", "reviewers")
_COSTS = ("reviewer_hours", "reviewer_cost", "officer_minutes", "officer_cost", "total_cost", "currency")


def table(session: Session, actor: Actor, which: str, period: Period, settings: CostSettings) -> Table:
    """One of the TABLES of the period, every row (all programmes with a cost, not only the costliest).

    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    :raises KeyError: for a table that does not exist.
    """
    require_overseer(actor)
    return _TABLE_MAKERS[which](session, period, settings)


def _costs(cost: Cost, settings: CostSettings) -> tuple[Any, ...]:
    return cost.hours, cost.reviewer_cost, cost.minutes, cost.officer_cost, cost.total, settings.currency


def _programmes_table(session: Session, period: Period, settings: CostSettings) -> Table:
    rows = costs_by_programme(session, period, settings)[0]
    return Table(("programme_id", "title", "provider", "state", *_COSTS),
                 [(row.programme_id, row.title, row.provider, row.state.value, *_costs(row.cost, settings))
                  for row in rows])


def _months_table(session: Session, period: Period, settings: CostSettings) -> Table:
    return Table(("month", "programmes", *_COSTS), [(row.month, row.programmes, *_costs(row.cost, settings))
                                                    for row in costs_by_month(session, period, settings)])


def _stages_table(session: Session, period: Period, settings: CostSettings) -> Table:
    return Table(("stage", "stays_ended", "median_days", "p90_days"),
                 [(row.state.value, row.count, _days(row.median_days), _days(row.p90_days))
                  for row in stage_times(session, period)])


def _reviewers_table(session: Session, period: Period, settings: CostSettings) -> Table:
    return Table(("reviewer_id", "reviewer", "reviews_submitted", "on_time", "on_time_share",
                  "median_days_from_invitation", "median_days_from_acceptance"),
                 [(row.reviewer_id or None, row.name or "All reviewers", row.submitted, row.on_time,
                   f"{row.on_time_share:.2f}", _days(row.from_invitation), _days(row.from_acceptance))
                  for row in turnaround(session, period)])


def _days(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


_TABLE_MAKERS = {"programmes": _programmes_table, "months": _months_table, "stages": _stages_table,
                 "reviewers": _reviewers_table}
