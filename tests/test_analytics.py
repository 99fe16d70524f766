"""The QA office's analytics: stage times from the audit trail, reviewer turnaround and the cost of assurance, each
computed in the database and checked here against the pure definitions (domain.stats) over the same data."""
from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from factories import make_institution, make_user, sign_in
from sql_counts import count_statements

from qa_engine.domain import stats
from qa_engine.domain.audit_chain import canonical_json
from qa_engine.domain.panels import MemberStatus, ProfileType
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.stats import Step
from qa_engine.domain.workflow import State
from qa_engine.models import Assignment, Programme, Review
from qa_engine.services import analytics, audit_bulk
from qa_engine.services.analytics import Period
from qa_engine.services.audit_bulk import NewEntry

START = date(2025, 1, 1)
PERIOD = Period(date(2025, 3, 1), date(2025, 12, 31))
PATH = ["create", "submit", "take_for_screening", "accept_for_review", "complete_reviews", "send_draft_report",
        "respond_to_report", "approve"]
NOISE = ["programme.section_saved", "programme.transition_refused", "review.invited"]


def moment(days: float) -> datetime:
    return datetime.combine(START, time(8), UTC) + timedelta(days=days)


class World:
    """People, programmes made without audit entries, and helpers to write a history at chosen moments."""

    def __init__(self, session) -> None:  # noqa: ANN001
        self.session = session
        agency = make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency")
        self.officer = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
        self.provider = make_institution(session, name="Eastvale University")
        self.designer = make_user(session, Role.DESIGNER, institution=self.provider)
        self.reviewers = [make_user(session, Role.REVIEWER, full_name=name) for name in ("Ana Reviewer",
                                                                                          "Ben Reviewer")]
        self.steps: dict[int, list[Step]] = defaultdict(list)
        self.entries: list[NewEntry] = []

    def programme(self, title: str, state: State = State.APPROVED) -> Programme:
        programme = Programme(title=title, provider_id=self.provider.id, designer_id=self.designer.id, state=state,
                              current_version=1)
        self.session.add(programme)
        self.session.flush()
        return programme

    def step(self, programme: Programme, days: float, action: str, *, role: str = "qa_officer") -> None:
        if action.startswith("programme."):
            self.steps[programme.id].append(Step(moment(days), action))
        self.entries.append(NewEntry(moment(days), self.officer.id, role, action, "programme", str(programme.id),
                                     canonical_json({})))

    def review(self, programme: Programme, due: date) -> Review:
        review = Review(programme_id=programme.id, version_number=1, review_type="standard", rubric_key="slp@1",
                        rubric_sha256="0" * 64, blind=True, due_on=due, opened_by_id=self.officer.id)
        self.session.add(review)
        self.session.flush()
        return review

    def seat(self, review: Review, reviewer, invited: float, accepted: float | None, submitted: float | None,  # noqa: ANN001
             hours: str | None = "8.5", status: MemberStatus = MemberStatus.SUBMITTED) -> Assignment:
        seat = Assignment(review_id=review.id, reviewer_id=reviewer.id, profile_type=ProfileType.ACADEMIC,
                          status=status, invited_by_id=self.officer.id, invited_at=moment(invited),
                          responded_at=moment(accepted) if accepted is not None else None,
                          submitted_at=moment(submitted) if submitted is not None else None,
                          hours=Decimal(hours) if hours else None)
        self.session.add(seat)
        self.session.flush()
        return seat

    def commit(self) -> None:
        self.entries.sort(key=lambda entry: entry.occurred_at)
        audit_bulk.append_many(self.session, self.entries)
        self.entries = []
        self.session.commit()


@pytest.fixture
def world(session) -> World:  # noqa: ANN001
    made = World(session)
    session.commit()
    return made


def histories(world: World, count: int, seed: int = 3) -> None:
    """`count` programmes through the process at random paces, a few stopping half-way, with noise between."""
    rng = random.Random(seed)
    for index in range(count):
        programme = world.programme(f"Programme {index}")
        clock = rng.uniform(0, 200)
        for action in PATH[:rng.randint(3, len(PATH))]:
            world.step(programme, clock, f"programme.{action}", role="designer" if action == "create" else "qa_officer")
            if rng.random() < 0.3:
                world.step(programme, clock + 0.01, rng.choice(NOISE))
            clock += rng.uniform(0.1, 40)
    world.commit()


def expected_stage_times(world: World, period: Period) -> dict[State, tuple[int, float, float]]:
    start, end = period.bounds
    days: dict[State, list[float]] = defaultdict(list)
    for steps in world.steps.values():
        for stay in stats.stays(sorted(steps, key=lambda s: s.at)):
            if start <= stay.left < end:
                days[stay.state].append(stay.days)
    return {state: (len(values), stats.median(values), stats.percentile(values, 90))
            for state, values in days.items()}


# Stage times ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [PERIOD, Period(date(2025, 1, 1), date(2026, 6, 30)),
                                    Period(date(2025, 5, 1), date(2025, 5, 31))])
def test_stage_times_match_the_pure_definition_over_the_same_history(app, session, world, period) -> None:  # noqa: ANN001
    histories(world, 40)
    found = analytics.stage_times(session, period)
    expected = expected_stage_times(world, period)
    assert [t.state for t in found] == [state for state in State if state in expected]
    for time_in in found:
        count, median, p90 = expected[time_in.state]
        assert time_in.count == count
        assert time_in.median_days == pytest.approx(median, abs=1e-4)
        assert time_in.p90_days == pytest.approx(p90, abs=1e-4)


def test_a_stay_counts_in_the_period_it_ended_in_and_refusals_do_not_end_it(app, session, world) -> None:
    programme = world.programme("Data Literacy")
    world.step(programme, 50, "programme.create", role="designer")
    world.step(programme, 70, "programme.submit", role="designer")  # 2025-03-12: draft 20 days
    world.step(programme, 71, "programme.transition_refused")
    world.step(programme, 80, "programme.take_for_screening")  # submitted 10 days
    world.step(programme, 90, "programme.accept_for_review")  # 2025-04-01: screening 10 days
    world.commit()

    def stays_ended(start: date, end: date) -> dict[State, tuple[int, float]]:
        return {t.state: (t.count, round(t.median_days, 6)) for t in analytics.stage_times(session, Period(start, end))}

    assert stays_ended(date(2025, 3, 1), date(2025, 3, 31)) == {State.DRAFT: (1, 20.0), State.SUBMITTED: (1, 10.0)}
    assert stays_ended(date(2025, 4, 1), date(2025, 4, 30)) == {State.SCREENING: (1, 10.0)}  # in review: not over
    assert stays_ended(date(2025, 1, 1), date(2025, 2, 28)) == {}


# Reviewer turnaround ------------------------------------------------------------------------------------------


def test_turnaround_per_reviewer_and_for_all_with_on_time_shares(app, session, world) -> None:
    ana, ben = world.reviewers
    due = moment(100).date()
    first, second, third = (world.review(world.programme(f"P{n}"), due) for n in range(3))
    world.seat(first, ana, invited=60, accepted=61, submitted=90)  # 30 days, 29 from acceptance, on time
    world.seat(second, ana, invited=70, accepted=75, submitted=101)  # 31 / 26, a day late
    world.seat(third, ana, invited=80, accepted=80.5, submitted=100.5)  # 20.5 / 20, on the due day
    world.seat(first, ben, invited=60, accepted=70, submitted=110)  # 50 / 40, late
    world.seat(second, ben, invited=60, accepted=None, submitted=None, status=MemberStatus.INVITED)
    world.seat(third, ben, invited=10, accepted=11, submitted=20)  # before the period: not counted
    world.commit()
    rows = analytics.turnaround(session, PERIOD)
    everyone, first_row, second_row = rows
    assert [(r.reviewer_id, r.name, r.submitted, r.on_time) for r in rows] == [
        (0, "", 4, 2), (ana.id, "Ana Reviewer", 3, 2), (ben.id, "Ben Reviewer", 1, 0)]
    assert (first_row.from_invitation, first_row.from_acceptance) == (pytest.approx(30), pytest.approx(26))
    assert (second_row.from_invitation, second_row.from_acceptance) == (pytest.approx(50), pytest.approx(40))
    assert everyone.from_invitation == pytest.approx(stats.median([30, 31, 20.5, 50]))
    assert everyone.from_acceptance == pytest.approx(stats.median([29, 26, 20, 40]))
    assert first_row.on_time_share == pytest.approx(2 / 3)


# Costs --------------------------------------------------------------------------------------------------------


def test_cost_settings_default_and_refuse_nonsense() -> None:
    settings = analytics.cost_settings({})
    assert (settings.reviewer_rate, settings.officer_rate, settings.currency) == (Decimal(50), Decimal(45), "EUR")
    assert settings.officer_minutes["programme.accept_for_review"] == 60
    configured = analytics.cost_settings({"REVIEWER_HOURLY_RATE": "62.5", "OFFICER_MINUTES": {"review.invited": 5},
                                          "COST_CURRENCY": "CHF"})
    assert (configured.reviewer_rate, configured.officer_minutes["review.invited"], configured.currency) == (
        Decimal("62.5"), 5, "CHF")
    with pytest.raises(ValueError, match="OFFICER_HOURLY_RATE: must be a number >= 0"):
        analytics.cost_settings({"OFFICER_HOURLY_RATE": -3})
    with pytest.raises(ValueError, match="OFFICER_HOURLY_RATE: must be a number >= 0"):
        analytics.cost_settings({"OFFICER_HOURLY_RATE": "lots"})
    with pytest.raises(ValueError, match="OFFICER_MINUTES.review.invited: must be a whole number"):
        analytics.cost_settings({"OFFICER_MINUTES": {"review.invited": 2.5}})


def cost_world(world: World) -> tuple[Programme, Programme]:
    ana, ben = world.reviewers
    costly, cheap = world.programme("Costly"), world.programme("Cheap")
    review = world.review(costly, date(2025, 6, 30))
    world.seat(review, ana, invited=100, accepted=101, submitted=130, hours="10.5")  # 2025-05-11
    world.seat(review, ben, invited=100, accepted=101, submitted=160, hours="4")  # 2025-06-10
    world.seat(world.review(cheap, date(2025, 6, 30)), ana, invited=1, accepted=2, submitted=3, hours="7")  # Jan
    world.step(costly, 95, "programme.accept_for_review")  # 60 min, April
    world.step(costly, 96, "review.invited")  # 20 min, April
    world.step(costly, 131, "review.invited")  # 20 min, May
    world.step(costly, 132, "programme.approve")  # not a costed step
    world.step(costly, 133, "programme.submit", role="designer")  # not an officer
    world.step(cheap, 140, "programme.take_for_screening")  # 15 min, May
    world.step(cheap, 20, "programme.accept_for_review")  # January: before the period
    world.commit()
    return costly, cheap


def test_cost_per_programme_and_per_month_from_hours_and_officer_steps(app, session, world) -> None:
    costly, cheap = cost_world(world)
    settings = analytics.cost_settings({})
    period = Period(date(2025, 3, 15), date(2025, 6, 30))
    rows, count = analytics.costs_by_programme(session, period, settings)
    assert count == 2
    assert [(r.title, r.cost.hours, r.cost.minutes, r.cost.reviewer_cost, r.cost.officer_cost, r.cost.total)
            for r in rows] == [
        ("Costly", Decimal("14.5"), 100, Decimal("725.00"), Decimal("75.00"), Decimal("800.00")),
        ("Cheap", Decimal("0.0"), 15, Decimal("0.00"), Decimal("11.25"), Decimal("11.25"))]
    months = analytics.costs_by_month(session, period, settings)
    assert [(m.month, m.programmes, m.cost.hours, m.cost.minutes, m.cost.total) for m in months] == [
        ("2025-03", 0, Decimal("0.0"), 0, Decimal("0.00")),
        ("2025-04", 1, Decimal("0.0"), 80, Decimal("60.00")),
        ("2025-05", 2, Decimal("10.5"), 35, Decimal("551.25")),
        ("2025-06", 1, Decimal("4.0"), 0, Decimal("200.00"))]
    assert analytics.costs_by_programme(session, period, settings, limit=1)[0][0].title == "Costly"


def test_configured_rates_and_minutes_change_the_cost(app, session, world) -> None:
    cost_world(world)
    settings = analytics.cost_settings({"REVIEWER_HOURLY_RATE": 100, "OFFICER_HOURLY_RATE": 60,
                                        "OFFICER_MINUTES": {"review.invited": 0, "programme.approve": 30}})
    rows, _count = analytics.costs_by_programme(session, Period(date(2025, 3, 15), date(2025, 6, 30)), settings)
    costly = rows[0]
    assert (costly.cost.minutes, costly.cost.reviewer_cost, costly.cost.officer_cost) == (
        90, Decimal("1450.00"), Decimal("90.00"))


# The page and its CSV -------------------------------------------------------------------------------------------


def test_analytics_page_shows_tables_charts_and_the_cost_basis(app, session, world, client_for) -> None:
    histories(world, 12)
    cost_world(world)
    page = client_for(world.officer).get("/qa/analytics?from=2025-01-01&to=2025-12-31").get_data(as_text=True)
    assert "<h1>Analytics</h1>" in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 2
    assert '<title id="stages-chart-title">Median days in each stage</title>' in page
    stages = page.split('id="stages-table"')[1].split("</table>")[0]
    assert '<th scope="row">Submitted</th>' in stages and '<th scope="row">Screening</th>' in stages
    assert "at 50.00 EUR an hour" in page and "at 45.00 EUR an hour" in page
    minutes = page.split('id="officer-minutes"')[1].split("</details>")[0]
    assert '<th scope="row"><code>programme.accept_for_review</code></th><td>60</td>' in minutes
    reviewers = page.split('id="reviewers-table"')[1].split("</table>")[0]
    assert '<th scope="row">All reviewers</th>' in reviewers and "Ana Reviewer" in reviewers
    assert page.split('id="programmes-table"')[1].index("Costly") < page.split('id="programmes-table"')[1].index(
        "Cheap")
    assert 'href="/qa/analytics.csv?table=programmes&amp;from=2025-01-01&amp;to=2025-12-31"' in page
    assert "2025-12" in page.split('id="months-table"')[1]


YEAR_PAGE = "/qa/analytics?from=2025-01-01&to=2025-12-31"


def stays(page: str) -> str:
    """The analytics page's table of stage times."""
    return page.split('id="stages-table"')[1].split("</table>")[0]


def test_the_page_keeps_a_periods_figures_up_to_their_age_and_computes_them_again_when_asked(
        make_app, session, world, client_for) -> None:  # noqa: ANN001
    histories(world, 3)
    analytics.forget_snapshots()
    app = make_app(ANALYTICS_MAX_AGE=300)  # the default: five minutes
    url = YEAR_PAGE

    client = app.test_client()
    sign_in(client, app, world.officer)
    first = client.get(url).get_data(as_text=True)
    histories(world, 6, seed=11)  # more work done in the period
    kept = client.get(url).get_data(as_text=True)
    again = client.get(url + "&fresh=1").get_data(as_text=True)

    assert "Figures as computed at" in first and 'href="/qa/analytics?fresh=1&amp;from=2025-01-01' in first
    assert stays(kept) == stays(first) and stays(again) != stays(first)
    assert stays(client.get(url).get_data(as_text=True)) == stays(again)  # the new figures are kept in turn


def test_a_snapshot_is_reused_until_it_is_max_age_old_and_then_computed_again(session, world) -> None:  # noqa: ANN001
    histories(world, 3)
    analytics.forget_snapshots()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def at(minutes: int) -> analytics.Snapshot:
        return analytics.snapshot(session, world.officer.actor, PERIOD, analytics.cost_settings({}),
                                  max_age=timedelta(minutes=5), now=start + timedelta(minutes=minutes))

    first = at(0)
    assert at(4) is first and at(5) is not first and at(5).computed_at == start + timedelta(minutes=5)
    with pytest.raises(analytics.NotAllowed):
        analytics.snapshot(session, world.designer.actor, PERIOD, analytics.cost_settings({}),
                           max_age=timedelta(minutes=5), now=start)


def test_past_their_age_figures_are_shown_while_one_caller_computes_them_again(session, world) -> None:  # noqa: ANN001
    histories(world, 3)
    analytics.forget_snapshots()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    settings = analytics.cost_settings({})

    def at(minutes: int) -> analytics.Snapshot:
        return analytics.snapshot(session, world.officer.actor, PERIOD, settings, max_age=timedelta(minutes=5),
                                  stale_for=timedelta(minutes=60), now=start + timedelta(minutes=minutes))

    first = at(0)
    due, meanwhile = at(5), at(6)
    assert not first.refreshing and not first.refresh_due
    assert due.analytics is first.analytics and due.refreshing and due.refresh_due
    assert meanwhile.analytics is first.analytics and meanwhile.refreshing and not meanwhile.refresh_due
    histories(world, 6, seed=11)
    again = analytics.refresh(session, PERIOD, settings, now=start + timedelta(minutes=7))
    assert again.analytics.stages != first.analytics.stages
    assert at(8) is again and not again.refreshing
    late = at(7 + 5 + 60)  # past the age and the time stale figures may be shown: computed while the caller waits
    assert late.computed_at == start + timedelta(minutes=72) and not late.refreshing
    assert at(77).refresh_due  # and this caller's page is never sent: no refresh behind it
    assert not at(78).refresh_due and not at(77 + 5 + 60).refreshing  # computed while waiting, in the end
    assert at(142 + 5).refresh_due  # new figures: the next view past their age asks for a refresh again


def test_the_page_shows_old_figures_and_computes_new_ones_once_it_is_sent(make_app, session, world) -> None:  # noqa: ANN001
    histories(world, 3)
    analytics.forget_snapshots()
    app = make_app(ANALYTICS_MAX_AGE=0, ANALYTICS_STALE_FOR=3600)  # every view after the first is past the age
    url = YEAR_PAGE

    client = app.test_client()
    sign_in(client, app, world.officer)
    first = client.get(url).get_data(as_text=True)
    histories(world, 6, seed=11)
    stale = client.get(url)
    shown = stale.get_data(as_text=True)
    assert "Newer figures are being computed" not in first
    assert "Newer figures are being computed" in shown and stays(shown) == stays(first)
    stale.close()  # the server has sent the page: the figures are computed again
    assert stays(client.get(url).get_data(as_text=True)) == stays(client.get(url + "&fresh=1").get_data(as_text=True))
    assert stays(client.get(url).get_data(as_text=True)) != stays(first)


def test_a_worker_started_with_warm_caches_has_the_years_figures_before_its_first_page(
        make_app, session, world) -> None:  # noqa: ANN001
    analytics.forget_snapshots()
    make_app()
    assert not analytics._snapshots
    make_app(WARM_CACHES=True)
    (key, kept), = analytics._snapshots.items()
    assert key[0] == Period.year_to(date.today()) == kept.analytics.period
    assert key[2:4] == (analytics.DEFAULT_REVIEWER_RATE, analytics.DEFAULT_OFFICER_RATE)


def test_analytics_default_to_the_year_up_to_today(app, session, world, client_for) -> None:
    page = client_for(world.officer).get("/qa/analytics").get_data(as_text=True)
    today = date.today()
    assert f'<time datetime="{(today - timedelta(days=364)).isoformat()}">' in page
    assert "No programme left a stage in this period." in page and "No review was submitted in this period." in page


@pytest.mark.parametrize(("query", "message"), [
    ("from=2025-05-01&to=2025-04-01", "The period ends before it starts"),
    ("from=yesterday", "Not a valid date value."),
    ("from=1990-01-01&to=2025-01-01", "Choose a period of at most 10 years.")])
def test_a_bad_period_is_refused_in_the_page(app, session, world, client_for, query: str, message: str) -> None:
    client = client_for(world.officer)
    response = client.get(f"/qa/analytics?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and 'aria-invalid="true"' in page and "Time in each stage" not in page
    assert client.get(f"/qa/analytics.csv?{query}").status_code == 422


def read_csv(response) -> list[list[str]]:  # noqa: ANN001
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_tables_hold_every_row(app, session, world, client_for) -> None:
    cost_world(world)
    client = client_for(world.officer)
    response = client.get("/qa/analytics.csv?table=programmes&from=2025-03-15&to=2025-06-30")
    assert response.headers["Content-Disposition"] == 'attachment; filename="programmes-2025-03-15-2025-06-30.csv"'
    assert read_csv(response) == [
        ["programme_id", "title", "provider", "state", "reviewer_hours", "reviewer_cost", "officer_minutes",
         "officer_cost", "total_cost", "currency"],
        [response_id(session, "Costly"), "Costly", "Eastvale University", "approved", "14.5", "725.00", "100", "75.00",
         "800.00", "EUR"],
        [response_id(session, "Cheap"), "Cheap", "Eastvale University", "approved", "0.0", "0.00", "15", "11.25",
         "11.25", "EUR"]]
    months = read_csv(client.get("/qa/analytics.csv?table=months&from=2025-03-15&to=2025-06-30"))
    assert months[0][:2] == ["month", "programmes"] and [row[0] for row in months[1:]] == [
        "2025-03", "2025-04", "2025-05", "2025-06"]
    reviewers = read_csv(client.get("/qa/analytics.csv?table=reviewers&from=2025-03-15&to=2025-06-30"))
    assert reviewers[1][:4] == ["", "All reviewers", "2", "2"]
    stages = read_csv(client.get("/qa/analytics.csv?table=stages&from=2025-01-01&to=2025-12-31"))
    assert stages[0] == ["stage", "stays_ended", "median_days", "p90_days"]
    assert client.get("/qa/analytics.csv?table=secrets").status_code == 404


def response_id(session, title: str) -> str:  # noqa: ANN001
    from sqlalchemy import select

    return str(session.scalar(select(Programme.id).where(Programme.title == title)))


def test_a_formula_in_a_title_is_defused_in_the_csv(app, session, world, client_for) -> None:
    programme = world.programme("=HYPERLINK(\"http://evil\")")
    world.step(programme, 100, "programme.accept_for_review")
    world.commit()
    rows = read_csv(client_for(world.officer).get("/qa/analytics.csv?from=2025-01-01&to=2025-12-31"))
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")"


# Who may, and how many statements -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.REVIEWER])
def test_designers_and_reviewers_may_not_read_the_analytics(app, session, world, client_for, role: Role) -> None:
    person = world.designer if role is Role.DESIGNER else world.reviewers[0]
    client = client_for(person)
    assert client.get("/qa/analytics").status_code == 403
    assert client.get("/qa/analytics.csv?table=programmes").status_code == 403


def test_an_administrator_reads_the_analytics(app, session, world, client_for) -> None:
    admin = make_user(session, Role.ADMIN)
    session.commit()
    assert "Cost of assurance" in client_for(admin).get("/qa/analytics").get_data(as_text=True)


def test_the_analytics_page_issues_the_same_statements_at_10_and_60_programmes(app, session, world,
                                                                              client_for) -> None:
    client = client_for(world.officer)
    url = YEAR_PAGE
    client.get(url)  # warm up
    histories(world, 10, seed=1)
    at_10 = count_statements(app, client, url)
    cost_world(world)
    histories(world, 50, seed=2)
    ana = world.reviewers[0]
    for index in range(20):
        review = world.review(world.programme(f"Reviewed {index}"), date(2025, 8, 1))
        world.seat(review, ana, invited=150 + index, accepted=151 + index, submitted=170 + index)
    world.commit()
    at_60 = count_statements(app, client, url)
    assert at_10 == at_60
    assert at_60 <= 12
