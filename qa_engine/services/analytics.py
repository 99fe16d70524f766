"""The QA office's analytics: how long programmes stay in each stage, how fast reviewers turn reviews round, and
what assurance costs, per programme and per month of a period.

Everything is read in a fixed number of statements, whatever the number of programmes, and the database does the
sums, so that only the rows shown come here (tens, not one per programme). Stage times come from the stays the
database keeps from the audit trail (models.StageStay, by a trigger), indexed by stage and end. Percentiles:
PostgreSQL takes them itself (percentile_cont, which interpolates as domain.stats does); SQLite has no percentile
aggregate, so per stage it picks only the rows at the two ranks each percentile needs (domain.stats.ranks, by
ORDER BY ... LIMIT 2 OFFSET), and for review turnaround one narrow row per review submitted in the period comes
here (ROW_NUMBER per reviewer was slower). Date arithmetic, which the two spell differently, goes through
`_Dialect`. The page shows a period's figures kept for a few minutes (`snapshot`).

Costs: reviewer hours declared on each submitted review (Assignment.hours) x REVIEWER_HOURLY_RATE, and QA
officer time per audited step (OFFICER_MINUTES, minutes per action) x OFFICER_HOURLY_RATE. A review counts in
the month it was submitted, an officer's step in the month it was taken. Costs are linear, so the database sums
hours (in whole tenths, exact on both) and minutes per month and per programme, and ranks the programmes by
their exact cost (CostSettings.weights); the rates are applied here, rounded to the cent as before.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    and_,
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

from qa_engine.db import UTCDateTime
from qa_engine.domain import permissions, stats
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Assignment, AuditEntry, Institution, Programme, Review, StageStay, User
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

    @property
    def weights(self) -> tuple[int, int]:
        """Whole numbers in proportion to what a tenth of a reviewer's hour and an officer's minute cost, so that a
        database ranks programmes by their exact cost in integer arithmetic (no rounding, no floating point)."""
        (reviewer, per_r), (officer, per_o) = (self.reviewer_rate.as_integer_ratio(),
                                               self.officer_rate.as_integer_ratio())
        scale = math.lcm(per_r, per_o)  # 60 x scale x cost = tenths x 6 x rate x scale + minutes x rate x scale
        return 6 * reviewer * (scale // per_r), officer * (scale // per_o)

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

    @classmethod
    def year_to(cls, end: date) -> Period:
        """The year up to `end` (365 days): the page's period unless another is asked for."""
        return cls(end - timedelta(days=364), end)

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
    return _compute(session, period, settings, limit)


def _compute(session: Session, period: Period, settings: CostSettings, limit: int) -> Analytics:
    programmes, count = costs_by_programme(session, period, settings, limit=limit)
    reviewers, reviewer_count = _turnaround(session, period, limit)
    return Analytics(period, settings, stage_times(session, period), reviewers, reviewer_count, programmes, count,
                     costs_by_month(session, period, settings))


@dataclass(frozen=True)
class Snapshot:
    """A period's analytics as computed at `computed_at` (UTC). `refresh_due`: they are past their age and the one
    who got them is to compute them again (`refresh`), after answering; until then others get them as they are."""

    analytics: Analytics
    computed_at: datetime
    refresh_due: bool = False
    refreshing: bool = False  # past their age, and newer figures are being computed


SNAPSHOTS_KEPT = 32  # periods (with their settings) whose figures each process keeps
_snapshots: OrderedDict[tuple[Any, ...], Snapshot] = OrderedDict()
_refreshing: set[tuple[Any, ...]] = set()  # the keys whose figures somebody is computing again behind a page
_snapshots_lock = threading.Lock()


def snapshot(session: Session, actor: Actor, period: Period, settings: CostSettings, *, max_age: timedelta,
             now: datetime, stale_for: timedelta = timedelta(0), fresh: bool = False, limit: int = 50) -> Snapshot:
    """`overview` of `period` as computed at most `max_age` before `now` by this process; or, up to `stale_for`
    past that age, as computed then, marked `refreshing` (and `refresh_due` for the first caller, who is to
    `refresh` them once the page is sent); otherwise computed now (older, `fresh`, or none kept).

    A period's figures read every stay, review and officer step in it (a year at 50,000 programmes: some 200,000
    rows, 0.3 to 0.7 s), and they move a little with each piece of work done; an office that reads them a few
    minutes late loses nothing, while every view, by every officer, would pay for the whole reading.
    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    require_overseer(actor)
    key = _key(session, period, settings, limit)
    with _snapshots_lock:
        kept = _snapshots.get(key)
        age = now - kept.computed_at if kept is not None else None
        if kept is not None and age is not None and not fresh and timedelta(0) <= age < max_age + stale_for:
            if age < max_age:
                return kept
            due = key not in _refreshing
            _refreshing.add(key)
            return replace(kept, refresh_due=due, refreshing=True)
    return _keep(key, overview(session, actor, period, settings, limit=limit), now)


def refresh(session: Session, period: Period, settings: CostSettings, *, now: datetime,
            limit: int = 50) -> Snapshot:
    """Compute `period`'s figures again and keep them (for a `refresh_due` snapshot, or to warm a worker)."""
    key = _key(session, period, settings, limit)
    try:
        return _keep(key, _compute(session, period, settings, limit), now)
    finally:  # kept or failed, the next view past their age may ask again
        with _snapshots_lock:
            _refreshing.discard(key)


def forget_snapshots() -> None:
    """Drop every period's kept figures (tests; a worker never needs to)."""
    with _snapshots_lock:
        _snapshots.clear()
        _refreshing.clear()


def _key(session: Session, period: Period, settings: CostSettings, limit: int) -> tuple[Any, ...]:
    """What a period's figures are kept under: the database too, for a process that serves more than one."""
    return (period, session.get_bind().url.render_as_string(hide_password=True), settings.reviewer_rate,
            settings.officer_rate, tuple(sorted(settings.officer_minutes.items())),
            settings.currency, limit)


def _keep(key: tuple[Any, ...], analytics: Analytics, now: datetime) -> Snapshot:
    made = Snapshot(analytics, now)
    with _snapshots_lock:
        _refreshing.discard(key)  # new figures: whoever shows these past their age refreshes them again
        _snapshots[key] = made
        _snapshots.move_to_end(key)
        while len(_snapshots) > SNAPSHOTS_KEPT:
            _snapshots.popitem(last=False)
    return made


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

#: (reviews submitted, on time, median days from invitation, median days from acceptance) of a reviewer or of all.
ReviewerStats = tuple[int, int, float | None, float | None]


def turnaround(session: Session, period: Period) -> list[Turnaround]:
    """Every reviewer with a review submitted in the period, busiest first, after a row for all of them together."""
    return _turnaround(session, period, None)[0]


def _turnaround(session: Session, period: Period, limit: int | None) -> tuple[list[Turnaround], int]:
    """turnaround(), of the `limit` busiest reviewers only (all, for None), and how many reviewers there are.

    One pass over the reviews submitted in the period: on PostgreSQL the medians are taken there (per reviewer and
    for all, by grouping sets); SQLite has no percentile aggregate, so its rows come here, one per review (picking
    the ranks there by ROW_NUMBER took longer than this, at 50,000 reviews a year).
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
    reviewers = [key for key in found if key != ALL_REVIEWERS]
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(reviewers))).all())
    shown = sorted(reviewers, key=lambda key: (-found[key][0], names.get(key, ""), key))[:limit]
    return ([Turnaround(key, names.get(key, ""), *found.get(key, (0, 0, None, None)))
             for key in [ALL_REVIEWERS, *shown]], len(reviewers))


def _turnaround_here(seats: Iterable[Any]) -> dict[int, ReviewerStats]:
    """(reviewer, on time 0/1, days from invitation, days from acceptance) per review -> per reviewer and for all
    (ALL_REVIEWERS): how many, how many on time, and the two medians."""
    groups: dict[int, list[Any]] = defaultdict(list)
    for seat in seats:
        groups[seat[0]].append(seat)
    everyone = [seat for rows in groups.values() for seat in rows]
    if everyone:
        groups[ALL_REVIEWERS] = everyone
    return {key: (len(rows), sum(seat[1] for seat in rows),
                  *(stats.median([seat[i] for seat in rows if seat[i] is not None]) for i in (2, 3)))
            for key, rows in groups.items()}


# Costs ------------------------------------------------------------------------------------------------------


def costs_by_programme(session: Session, period: Period, settings: CostSettings, *,
                       limit: int | None = None) -> tuple[list[ProgrammeCost], int]:
    """The cost of each programme within the period, the costliest first (at most `limit`), and how many had one.

    One statement: the database sums each programme's hours and minutes, ranks the programmes by their exact cost
    (CostSettings.weights) and counts them, so that only the programmes shown come back (programmes are never
    deleted, so every programme with a cost is one).
    """
    work = _work(period, settings, by_month=False)
    tenths, minutes = func.sum(work.c.tenths), func.sum(work.c.minutes)
    per_reviewer_tenth, per_minute = settings.weights
    ranked = (select(work.c.programme_id, tenths.label("tenths"), minutes.label("minutes"),
                     func.count().over().label("count"))
              .group_by(work.c.programme_id)
              .order_by((tenths * per_reviewer_tenth + minutes * per_minute).desc(), work.c.programme_id)
              .limit(limit).subquery())
    rows = session.execute(
        select(ranked.c.programme_id, ranked.c.tenths, ranked.c.minutes, ranked.c.count, Programme.title,
               Programme.state, Institution.name)
        .join(Programme, Programme.id == ranked.c.programme_id)
        .join(Institution, Institution.id == Programme.provider_id)
        .order_by((ranked.c.tenths * per_reviewer_tenth + ranked.c.minutes * per_minute).desc(),
                  ranked.c.programme_id)).all()
    return ([ProgrammeCost(row.programme_id, row.title, row.name, State(row.state),
                           _cost(settings, row.tenths, row.minutes)) for row in rows],
            rows[0].count if rows else 0)


def costs_by_month(session: Session, period: Period, settings: CostSettings) -> list[MonthCost]:
    """The cost of assurance in each month of the period (months without any, at zero): one statement, a row a
    month."""
    work = _work(period, settings, by_month=True)
    found = {month: (programmes, tenths, minutes) for month, programmes, tenths, minutes in session.execute(
        select(work.c.month, func.count(work.c.programme_id.distinct()), func.sum(work.c.tenths),
               func.sum(work.c.minutes)).group_by(work.c.month))}
    return [MonthCost(month, found.get(month, (0,))[0], _cost(settings, *found.get(month, (0, 0, 0))[1:]))
            for month in period.months()]


def _work(period: Period, settings: CostSettings, *, by_month: bool) -> Any:
    """(month, programme, tenths of an hour, officer minutes): a row for each submitted review with hours and each
    costed officer step within the period (month: the whole period's first month unless `by_month`).

    By month, each month of the period is a pair of bounds the rows are joined to, so that each database reads
    each month by a range of its index (review_assignments by status and submitted_at, audit_entries by action
    and occurred_at) and no date is formatted per row. Hours are counted in whole tenths (they are declared to a
    tenth), so that the sums are exact on SQLite too, which keeps them as floating point.
    """
    months = _months(period, by_month)
    reviewing = (select(months.c.month, Review.programme_id.label("programme_id"),
                        cast(func.round(Assignment.hours * 10), Integer).label("tenths"), literal(0).label("minutes"))
                 .join(Assignment, and_(Assignment.status == MemberStatus.SUBMITTED, Assignment.hours.is_not(None),
                                        Assignment.submitted_at >= months.c.since,
                                        Assignment.submitted_at < months.c.until))
                 .join(Review, Review.id == Assignment.review_id))
    per_step = case(dict(settings.officer_minutes), value=AuditEntry.action, else_=0)
    officers = (select(months.c.month, cast(AuditEntry.object_id, Integer), literal(0), per_step)
                .join(AuditEntry, and_(AuditEntry.action.in_(list(settings.officer_minutes)),
                                       AuditEntry.occurred_at >= months.c.since,
                                       AuditEntry.occurred_at < months.c.until, AuditEntry.object_type == "programme",
                                       AuditEntry.actor_role == Role.QA_OFFICER.value)))
    return union_all(reviewing, officers).subquery()


def _months(period: Period, by_month: bool) -> Any:
    """(month YYYY-MM, first moment, first moment after) of each month of the period, cut to the period (or one
    row for the whole period), as a derived table (a UNION ALL of literals: SQLite names no columns of VALUES)."""
    start, end = period.bounds
    months = period.months()
    firsts = [datetime.combine(date.fromisoformat(f"{month}-01"), time(), UTC) for month in months[1:]]
    bounds = zip(months, [start, *firsts], [*firsts, end], strict=True) if by_month else [(months[0], start, end)]
    return union_all(*(select(literal(month).label("month"), literal(since, UTCDateTime()).label("since"),
                              literal(until, UTCDateTime()).label("until")) for month, since, until in bounds)
                     ).subquery("months")


def _cost(settings: CostSettings, tenths: int | None, minutes: int | None) -> Cost:
    spent = Decimal(int(tenths or 0)).scaleb(-1)
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
