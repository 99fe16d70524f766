"""The QA office's analytics: how long programmes stay in each stage, how fast reviewers turn reviews round, and
what assurance costs, per programme and per month of a period.

Everything is computed in the database in a fixed number of statements, whatever the number of programmes:
stage times from the audit trail's transitions with a window function (LEAD) and percentiles by picking, per
group, only the rows at the two ranks each percentile needs (domain.stats.ranks), then interpolating here.
Only the window functions and aggregates SQLite and PostgreSQL share are used; date arithmetic, which they
spell differently, goes through the small `_Dialect` helpers.

Costs: reviewer hours declared on each submitted review (Assignment.hours) x REVIEWER_HOURLY_RATE, and QA
officer time per audited step (OFFICER_MINUTES, minutes per action) x OFFICER_HOURLY_RATE. A review counts in
the month it was submitted, an officer's step in the month it was taken.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Float, Integer, Numeric, Select, case, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from qa_engine.db import UTCDateTime
from qa_engine.domain import permissions, stats
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Assignment, AuditEntry, Institution, Programme, Review, User
from qa_engine.services.dashboards import Table
from qa_engine.services.proposals import NotAllowed

CENT = Decimal("0.01")
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
    programmes, count = costs_by_programme(session, period, settings, limit=limit)
    reviewers = turnaround(session, period)
    return Analytics(period, settings, stage_times(session, period), reviewers[:limit + 1], len(reviewers) - 1,
                     programmes, count, costs_by_month(session, period, settings))


def require_overseer(actor: Actor) -> None:
    """:raises NotAllowed: unless the actor is a QA officer or an administrator."""
    if not permissions.can_oversee_programmes(actor):
        raise NotAllowed("Only QA officers and administrators read the analytics.")


# Stage times ------------------------------------------------------------------------------------------------


def stage_times(session: Session, period: Period) -> list[stats.StageTime]:
    """Median and 90th-percentile days in each stage, over the stays that ended within the period (one query)."""
    dialect = _Dialect(session)
    start, end = period.bounds
    stage = case({action: state.value for action, state in stats.ENTERED.items()}, value=AuditEntry.action)
    left = func.lead(AuditEntry.occurred_at, type_=UTCDateTime()).over(partition_by=AuditEntry.object_id,
                                                                        order_by=AuditEntry.seq)
    steps = (select(stage.label("stage"), AuditEntry.occurred_at.label("entered"), left.label("left"))
             .where(AuditEntry.object_type == "programme", AuditEntry.action.in_(list(stats.ENTERED)),
                    AuditEntry.occurred_at < end)
             .subquery())
    stays = (select(steps.c.stage.label("key"), dialect.days(steps.c.left, steps.c.entered).label("value"))
             .where(steps.c.left >= start, steps.c.left < end))
    found = _percentiles(session, stays, (stats.MEDIAN, stats.P90))
    return [stats.StageTime(state, found[state.value][0], *found[state.value][1]) for state in State
            if state.value in found]


# Reviewer turnaround ----------------------------------------------------------------------------------------


def turnaround(session: Session, period: Period) -> list[Turnaround]:
    """Every reviewer with a review submitted in the period, busiest first, after a row for all of them together."""
    dialect = _Dialect(session)
    start, end = period.bounds
    seats = (select(Assignment.reviewer_id, Assignment.invited_at, Assignment.responded_at, Assignment.submitted_at,
                    Review.due_on)
             .join(Review, Review.id == Assignment.review_id)
             .where(Assignment.status == MemberStatus.SUBMITTED, Assignment.submitted_at >= start,
                    Assignment.submitted_at < end)
             .subquery())
    on_time = func.sum(case((dialect.day(seats.c.submitted_at) <= seats.c.due_on, 1), else_=0))
    counts = {row.reviewer_id: row for row in session.execute(
        select(seats.c.reviewer_id, User.full_name, func.count().label("submitted"), on_time.label("on_time"))
        .join(User, User.id == seats.c.reviewer_id).group_by(seats.c.reviewer_id, User.full_name))}
    medians = {}
    for name, since in (("invitation", seats.c.invited_at), ("acceptance", seats.c.responded_at)):
        days = dialect.days(seats.c.submitted_at, since)
        values = union_all(select(seats.c.reviewer_id.label("key"), days.label("value")).where(since.is_not(None)),
                           select(literal(ALL_REVIEWERS).label("key"), days.label("value")).where(since.is_not(None)))
        medians[name] = {key: found[1][0] for key, found in _percentiles(session, values, (stats.MEDIAN,)).items()}
    rows = sorted(counts.values(), key=lambda row: (-row.submitted, row.full_name, row.reviewer_id))
    everyone = Turnaround(ALL_REVIEWERS, "", sum(row.submitted for row in rows), sum(row.on_time for row in rows),
                          medians["invitation"].get(ALL_REVIEWERS), medians["acceptance"].get(ALL_REVIEWERS))
    return [everyone, *(Turnaround(row.reviewer_id, row.full_name, row.submitted, int(row.on_time),
                                   medians["invitation"].get(row.reviewer_id),
                                   medians["acceptance"].get(row.reviewer_id)) for row in rows)]


# Costs ------------------------------------------------------------------------------------------------------


def costs_by_programme(session: Session, period: Period, settings: CostSettings, *,
                       limit: int | None = None) -> tuple[list[ProgrammeCost], int]:
    """The cost of each programme within the period, the costliest first (at most `limit`), and how many had one."""
    items = _cost_items(session, period, settings)
    hours, minutes = func.sum(items.c.hours), func.sum(items.c.minutes)
    per = (select(items.c.programme_id, hours.label("hours"), minutes.label("minutes"),
                  (hours * float(settings.reviewer_rate) + minutes * float(settings.officer_rate) / 60).label("cost"))
           .group_by(items.c.programme_id).subquery())
    query = (select(Programme.id, Programme.title, Programme.state, Institution.name, per.c.hours, per.c.minutes,
                    func.count().over().label("found"))
             .join(per, per.c.programme_id == Programme.id).join(Institution, Institution.id == Programme.provider_id)
             .order_by(per.c.cost.desc(), Programme.id).limit(limit))
    rows = session.execute(query).all()
    return ([ProgrammeCost(row.id, row.title, row.name, State(row.state), _cost(settings, row.hours, row.minutes))
             for row in rows], rows[0].found if rows else 0)


def costs_by_month(session: Session, period: Period, settings: CostSettings) -> list[MonthCost]:
    """The cost of assurance in each month of the period (months without any, at zero)."""
    items = _cost_items(session, period, settings)
    rows = {row.month: row for row in session.execute(
        select(items.c.month, func.count(items.c.programme_id.distinct()).label("programmes"),
               func.sum(items.c.hours).label("hours"), func.sum(items.c.minutes).label("minutes"))
        .group_by(items.c.month))}
    return [MonthCost(month, rows[month].programmes if month in rows else 0,
                      _cost(settings, *((rows[month].hours, rows[month].minutes) if month in rows else (0, 0))))
            for month in period.months()]


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


# Percentiles in SQL -----------------------------------------------------------------------------------------


def _percentiles(session: Session, values: Select | Any,
                 pcts: Sequence[int]) -> dict[Any, tuple[int, tuple[float, ...]]]:
    """Per key of `values` (columns "key" and "value"): how many values, and the `pcts` percentiles.

    Only the rows at the ranks the percentiles need leave the database: at most two per percentile and key.
    """
    source = values.subquery()
    ranked = select(source.c.key, source.c.value,
                    (func.row_number().over(partition_by=source.c.key, order_by=source.c.value) - 1).label("rank"),
                    func.count().over(partition_by=source.c.key).label("n")).subquery()
    wanted = [ranked.c.rank == bound for pct in pcts
              for bound in (((ranked.c.n - 1) * pct) // 100, ((ranked.c.n - 1) * pct + 99) // 100)]
    at: dict[Any, dict[int, float]] = defaultdict(dict)
    sizes: dict[Any, int] = {}
    for key, n, rank, value in session.execute(select(ranked.c.key, ranked.c.n, ranked.c.rank, ranked.c.value)
                                               .where(or_(*wanted))):
        at[key][rank], sizes[key] = float(value), n
    return {key: (sizes[key], tuple(stats.from_ranks(sizes[key], pct, at[key]) for pct in pcts)) for key in at}


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
