"""The analytics' sums, rankings and medians, taken by the database, against the plain definitions over the raw rows
of a bulk-seeded database (services.bulk_seed: a few hundred programmes with whole histories), on the databases
the tests run on."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from qa_engine.db import utcnow
from qa_engine.domain import stats
from qa_engine.domain.panels import MemberStatus
from qa_engine.models import Assignment, AuditEntry, Review
from qa_engine.services import analytics, bulk_seed
from qa_engine.services.analytics import Period

TODAY = utcnow().date()
PERIODS = [Period(TODAY - timedelta(days=364), TODAY), Period(TODAY - timedelta(days=500), TODAY - timedelta(days=450))]
SETTINGS = [analytics.cost_settings({}),
            analytics.cost_settings({"REVIEWER_HOURLY_RATE": "62.35", "OFFICER_HOURLY_RATE": "47.3",
                                     "OFFICER_MINUTES": {"review.invited": 0, "programme.approve": 7}})]


@pytest.fixture
def seeded(app, session) -> None:  # noqa: ANN001
    session.rollback()
    with app.app_context():
        bulk_seed.seed(session, 300, today=TODAY, seed=11)
    session.commit()


def items(session, period: Period, settings: analytics.CostSettings) -> list[tuple[int, str, Decimal, int]]:  # noqa: ANN001
    """(programme, month, hours, minutes) per submitted review with hours and per costed officer step."""
    start, end = period.bounds
    reviewing = session.execute(
        select(Review.programme_id, Assignment.submitted_at, Assignment.hours)
        .join(Review, Review.id == Assignment.review_id)
        .where(Assignment.status == MemberStatus.SUBMITTED, Assignment.hours.is_not(None),
               Assignment.submitted_at >= start, Assignment.submitted_at < end))
    steps = session.execute(
        select(AuditEntry.object_id, AuditEntry.occurred_at, AuditEntry.action)
        .where(AuditEntry.object_type == "programme", AuditEntry.actor_role == "qa_officer",
               AuditEntry.action.in_(list(settings.officer_minutes)),
               AuditEntry.occurred_at >= start, AuditEntry.occurred_at < end))
    return ([(pid, at.astimezone(UTC).strftime("%Y-%m"), Decimal(str(hours)), 0) for pid, at, hours in reviewing]
            + [(int(oid), at.astimezone(UTC).strftime("%Y-%m"), Decimal(0), settings.officer_minutes[action])
               for oid, at, action in steps])


def cost(settings: analytics.CostSettings, hours: Decimal, minutes: int) -> tuple[Decimal, int, Decimal, Decimal]:
    return (hours, minutes, *settings.cost(hours, minutes))


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("period", PERIODS)
def test_costs_per_month_and_programme_equal_the_sums_of_the_raw_rows(seeded, session, period, settings) -> None:  # noqa: ANN001
    raw = items(session, period, settings)
    assert raw, "the seed should put costs in the period"
    per_month: dict[str, list] = defaultdict(lambda: [set(), Decimal(0), 0])
    per_programme: dict[int, list] = defaultdict(lambda: [Decimal(0), 0])
    for pid, month, hours, minutes in raw:
        per_month[month][0].add(pid)
        per_month[month][1] += hours
        per_month[month][2] += minutes
        per_programme[pid][0] += hours
        per_programme[pid][1] += minutes
    months = analytics.costs_by_month(session, period, settings)
    assert [(m.month, m.programmes, m.cost.hours, m.cost.minutes, m.cost.reviewer_cost, m.cost.officer_cost)
            for m in months] == [
        (month, len(per_month[month][0]), *cost(settings, *per_month[month][1:])) if month in per_month
        else (month, 0, Decimal("0.0"), 0, Decimal("0.00"), Decimal("0.00")) for month in period.months()]
    ranked = sorted(per_programme, key=lambda pid: (-(per_programme[pid][0] * settings.reviewer_rate
                                                      + per_programme[pid][1] * settings.officer_rate / 60), pid))
    expected = [(pid, *cost(settings, *per_programme[pid])) for pid in ranked]
    for limit in (None, 10):
        rows, count = analytics.costs_by_programme(session, period, settings, limit=limit)
        assert count == len(per_programme)
        assert [(r.programme_id, r.cost.hours, r.cost.minutes, r.cost.reviewer_cost, r.cost.officer_cost)
                for r in rows] == expected[:limit]


@pytest.mark.parametrize("period", PERIODS)
def test_turnaround_medians_equal_the_pure_median_of_the_raw_durations(seeded, session, period) -> None:  # noqa: ANN001
    start, end = period.bounds
    seats = session.execute(select(Assignment.reviewer_id, Assignment.invited_at, Assignment.responded_at,
                                   Assignment.submitted_at)
                            .where(Assignment.status == MemberStatus.SUBMITTED, Assignment.submitted_at >= start,
                                   Assignment.submitted_at < end)).all()
    days: dict[int, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for reviewer_id, invited, accepted, submitted in seats:
        for key in (reviewer_id, analytics.ALL_REVIEWERS):
            days[key][0].append((submitted - invited).total_seconds() / 86400)
            if accepted is not None:
                days[key][1].append((submitted - accepted).total_seconds() / 86400)
    rows = analytics.turnaround(session, period)
    assert len(rows) == len(days) + (0 if days else 1)
    assert [row.submitted for row in rows[1:]] == sorted((row.submitted for row in rows[1:]), reverse=True)
    for row in rows:
        invited, accepted = days[row.reviewer_id]
        assert row.submitted == len(invited)
        assert row.from_invitation == (pytest.approx(stats.median(invited), abs=1e-6) if invited else None)
        assert row.from_acceptance == (pytest.approx(stats.median(accepted), abs=1e-6) if accepted else None)
