"""The period summary: decisions by outcome, level and field; cycle times per stage from the audit trail;
reviewer timeliness and load; conditions open and overdue; cost; a bounded number of queries."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from factories import make_in_review, make_institution, make_programme, make_submitted, make_user, seat
from register_fixtures import proposal_data
from sql_counts import recorded
from sqlalchemy import select

from qa_engine.domain.audit_chain import canonical_json
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Condition, Decision, DecisionStatus, Programme, User
from qa_engine.reports import elements, render
from qa_engine.services import analytics, audit_bulk, period_summary

TODAY = date.today()
START, END = TODAY - timedelta(days=90), TODAY
ORIGIN = datetime.combine(TODAY - timedelta(days=80), datetime.min.time(), tzinfo=UTC)
#: Programme A: straight through, approved with conditions on day 50.
STORY_A = (("submit", "draft", "submitted", 0, Role.DESIGNER), ("take_for_screening", "submitted", "screening", 1,
           Role.QA_OFFICER), ("accept_for_review", "screening", "in_review", 3, Role.QA_OFFICER),
           ("complete_reviews", "in_review", "consolidation", 20, Role.REVIEWER),
           ("send_draft_report", "consolidation", "provider_response", 25, Role.QA_OFFICER),
           ("close_response_window", "provider_response", "decision_pending", 45, Role.QA_OFFICER),
           ("approve_with_conditions", "decision_pending", "conditions", 50, Role.QA_OFFICER))
#: Programme B: returned once, resubmitted, rejected on day 40.
STORY_B = (("submit", "draft", "submitted", 0, Role.DESIGNER), ("take_for_screening", "submitted", "screening", 1,
           Role.QA_OFFICER), ("return_to_designer", "screening", "returned", 2, Role.QA_OFFICER),
           ("start_revision", "returned", "draft", 4, Role.DESIGNER), ("submit", "draft", "submitted", 10,
           Role.DESIGNER), ("take_for_screening", "submitted", "screening", 11, Role.QA_OFFICER),
           ("accept_for_review", "screening", "in_review", 12, Role.QA_OFFICER),
           ("complete_reviews", "in_review", "consolidation", 30, Role.REVIEWER),
           ("send_draft_report", "consolidation", "provider_response", 31, Role.QA_OFFICER),
           ("respond_to_report", "provider_response", "decision_pending", 33, Role.DESIGNER),
           ("reject", "decision_pending", "rejected", 40, Role.QA_OFFICER))


@pytest.fixture
def office(session):  # noqa: ANN001, ANN201
    """Two programmes decided in the period (A with conditions, B rejected), one decided before it, a round due
    in the period with a reviewer on time, one late and one outstanding."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY)
    officer = make_user(session, Role.QA_OFFICER, institution=agency)
    designer = make_user(session, Role.DESIGNER, institution=make_institution(session))
    a = _decided(session, designer, officer, STORY_A, Outcome.APPROVED_WITH_CONDITIONS, proposal_data("A"))
    b = _decided(session, designer, officer, STORY_B, Outcome.REJECTED, proposal_data("B", eqf=5, isced="0413"))
    _decided(session, designer, officer, (), Outcome.APPROVED, proposal_data("Old"), decided_on=START - timedelta(1))
    session.add_all([
        Condition(decision_id=a.id, number=1, text="Publish the RPL procedure.", evidence_required="The page",
                  due_on=TODAY - timedelta(days=3), status=ConditionStatus.OPEN),
        Condition(decision_id=a.id, number=2, text="Name the QA body.", evidence_required="The statute",
                  due_on=TODAY - timedelta(days=3), status=ConditionStatus.MET),
        Condition(decision_id=a.id, number=3, text="Report on the first cohort.", evidence_required="The report",
                  due_on=TODAY + timedelta(days=30), status=ConditionStatus.NOT_MET)])
    _panel(session, b.programme, designer, officer)
    session.commit()
    return officer


def _decided(session, designer: User, officer: User, story, outcome: Outcome, data: dict, *,  # noqa: ANN001
             decided_on: date | None = None) -> Decision:
    programme = make_programme(session, designer, data=data)
    make_submitted(session, programme, designer)
    programme.state = {Outcome.APPROVED_WITH_CONDITIONS: State.CONDITIONS, Outcome.REJECTED: State.REJECTED}.get(
        outcome, State.APPROVED)
    day = decided_on or (ORIGIN + timedelta(days=story[-1][3])).date()
    decision = Decision(programme_id=programme.id, version_number=1, status=DecisionStatus.EFFECTIVE, outcome=outcome,
                        rationale="Because.", decision_body="Committee", decided_by_id=officer.id, decided_on=day,
                        valid_from=day, valid_until=day + timedelta(days=1000))
    session.add(decision)
    session.flush()
    entries = [audit_bulk.NewEntry(ORIGIN + timedelta(days=at), officer.id if role is Role.QA_OFFICER else None,
                                   role.value, f"programme.{action}", "programme", str(programme.id),
                                   canonical_json({"action": action, "from": before, "to": after}))
               for action, before, after, at, role in story]
    if story:
        entries.append(audit_bulk.NewEntry(ORIGIN + timedelta(days=story[-1][3]), officer.id, Role.QA_OFFICER.value,
                                           "decision.recorded", "programme", str(programme.id),
                                           canonical_json({"decision": decision.id})))
    audit_bulk.append_many(session, entries)
    return decision


def _panel(session, programme: Programme, designer: User, officer: User) -> None:  # noqa: ANN001
    review = make_in_review(session, programme, officer, due_in_days=-5)
    due = review.due_on
    for name, status, submitted, hours in (("Ona Time", "submitted", due - timedelta(days=2), Decimal("10")),
                                           ("Lee Late", "submitted", due + timedelta(days=4), Decimal("12.5")),
                                           ("Otto Outstanding", "accepted", None, None)):
        assignment = seat(session, review, make_user(session, Role.REVIEWER, full_name=name), officer, status=status)
        assignment.hours = hours
        assignment.submitted_at = datetime.combine(submitted, datetime.min.time(), tzinfo=UTC) if submitted else None
    session.flush()


def _summary(session, **overrides):  # noqa: ANN001, ANN003, ANN202
    costs = analytics.cost_settings(overrides)
    return period_summary.summary(session, start=START, end=END, today=TODAY, vocabularies=elements.vocabularies(),
                                  costs=costs)


def test_summary_counts_programmes_decided_in_the_period_by_outcome_level_and_field(session, office) -> None:  # noqa: ANN001
    found = _summary(session)

    assert found.decided == 2
    assert dict(zip(found.outcomes, found.totals, strict=True)) == {
        Outcome.APPROVED: 0, Outcome.APPROVED_WITH_CONDITIONS: 1, Outcome.REVISE_AND_RESUBMIT: 0, Outcome.REJECTED: 1}
    assert [(row.label, row.counts) for row in found.by_level] == [("EQF level 5", (0, 0, 0, 1)),
                                                                   ("EQF level 6", (0, 1, 0, 0))]
    assert [row.label for row in found.by_field] == [
        "0413 Management and administration",
        "0688 Inter-disciplinary programmes and qualifications involving Information and Communication "
        "Technologies (ICTs)"]


def test_summary_measures_each_stage_from_the_audit_trail(session, office) -> None:  # noqa: ANN001
    found = _summary(session)

    stages = {s.stage: (s.programmes, s.median_days, s.max_days) for s in found.stages}
    assert stages == {
        "Draft": (1, 6.0, 6.0), "Submitted": (2, 1.5, 2.0), "Screening": (2, 2.0, 2.0), "Returned": (1, 2.0, 2.0),
        "In review": (2, 17.5, 18.0), "Consolidation": (2, 3.0, 5.0), "Provider response": (2, 11.0, 20.0),
        "Decision pending": (2, 6.0, 7.0)}
    assert (found.overall.programmes, found.overall.median_days, found.overall.max_days) == (2, 45.0, 50.0)


def test_summary_reports_reviewer_timeliness_and_load(session, office) -> None:  # noqa: ANN001
    found = _summary(session)

    assert [(r.name, r.seats, r.on_time, r.late, r.outstanding, r.days_late, r.hours) for r in found.reviewers] == [
        ("Lee Late", 1, 0, 1, 0, 4.0, 12.5), ("Ona Time", 1, 1, 0, 0, None, 10.0),
        ("Otto Outstanding", 1, 0, 0, 1, None, 0.0)]


def test_summary_lists_open_conditions_and_which_are_overdue(session, office) -> None:  # noqa: ANN001
    found = _summary(session)

    assert [(c.number, c.status, c.days_overdue) for c in found.conditions] == [(1, "Open", 3), (3, "Not met", 0)]
    assert found.overdue == 1


def test_summary_estimates_cost_from_declared_hours_and_officer_steps(session, office) -> None:  # noqa: ANN001
    found = _summary(session, REVIEWER_HOURLY_RATE=80, OFFICER_HOURLY_RATE=60,
                     OFFICER_MINUTES={"programme.take_for_screening": 30})

    assert [(line.label, round(line.hours, 2), line.rate) for line in found.costs] == [
        ("Reviewers: hours declared on reviews submitted", 22.5, 80.0),
        ("QA officers: take for screening (3 × 30 min)", 1.5, 60.0),
        ("QA officers: accept for review (2 × 60 min)", 2.0, 60.0),
        ("QA officers: return to designer (1 × 45 min)", 0.75, 60.0),
        ("QA officers: send draft report (2 × 120 min)", 4.0, 60.0),
        ("QA officers: close response window (1 × 10 min)", 0.17, 60.0),
        ("QA officers: decision recorded (2 × 90 min)", 3.0, 60.0)]
    assert round(found.total_cost, 2) == 22.5 * 80 + 685.0


def test_summary_costs_add_up_to_the_analytics_total(session, office) -> None:  # noqa: ANN001
    settings = analytics.cost_settings({})

    found = _summary(session)

    months = analytics.costs_by_month(session, analytics.Period(START, END), settings)
    assert round(found.total_cost, 2) == float(sum(month.cost.total for month in months))


def test_summary_of_an_empty_period_renders(session, office) -> None:  # noqa: ANN001
    found = period_summary.summary(session, start=date(2001, 1, 1), end=date(2001, 1, 31), today=TODAY,
                                   vocabularies=elements.vocabularies(), costs=analytics.cost_settings({}))

    html = render.period_summary_html(found, render.Branding("Agency"))
    assert (found.decided, found.stages, found.overall, found.reviewers) == (0, (), None, ())
    assert "No programme was decided in the period." in html
    assert "No review round was due in the period." in html


def test_summary_refuses_a_period_that_ends_before_it_starts(session) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="ends before it starts"):
        period_summary.summary(session, start=TODAY, end=TODAY - timedelta(days=1), today=TODAY,
                               vocabularies=elements.vocabularies(), costs=analytics.cost_settings({}))


def test_summary_issues_the_same_queries_whatever_the_number_of_programmes(session, office) -> None:  # noqa: ANN001
    designer = session.scalars(select(Programme).limit(1)).one().designer
    few = _statements(session)
    for index in range(3):
        _decided(session, designer, office, STORY_A, Outcome.APPROVED, proposal_data(f"More {index}"))
    session.commit()

    more = _statements(session)

    assert (_summary(session).decided, more) == (5, few)
    assert few <= 8


def _statements(session) -> int:  # noqa: ANN001
    """How many SQL statements the summary issues in a fresh transaction."""
    session.commit()
    with recorded(session.get_bind()) as seen:
        _summary(session)
    return len(seen)
