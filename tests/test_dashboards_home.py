"""The home page per role: the designer's programmes with what is expected next, the reviewer's reviews and the
decisions on them, the QA office's pipeline and counts; each in a bounded number of statements."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from factories import make_institution, make_programme, make_user, seat
from sql_counts import count_statements
from test_dashboards import (
    TODAY,
    condition,
    decided,
    in_review,
    late_response,
    make_people,
    one_of_each,
    programme,
    section,
)

from qa_engine.db import utcnow
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Addendum, Appeal, DecisionStatus
from qa_engine.services import audit
from qa_engine.services.dashboards import Expect, Facts, Step, next_steps


@pytest.fixture
def people(session) -> SimpleNamespace:  # noqa: ANN001
    return make_people(session)

D = date(2026, 5, 10)


# What is expected next: the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(("facts", "expected"), [
    (Facts(State.DRAFT), (Step(Expect.COMPLETE_DRAFT),)),
    (Facts(State.RETURNED), (Step(Expect.REVISE),)),
    (Facts(State.PROVIDER_RESPONSE, response_due_on=D + timedelta(days=3)),
     (Step(Expect.ANSWER_REPORT, D + timedelta(days=3)),)),
    (Facts(State.PROVIDER_RESPONSE, response_due_on=D - timedelta(days=1)),
     (Step(Expect.ANSWER_REPORT, D - timedelta(days=1), overdue=True),)),
    (Facts(State.CONDITIONS, awaiting_evidence=2, evidence_due=D + timedelta(days=9)),
     (Step(Expect.SUBMIT_EVIDENCE, D + timedelta(days=9), count=2),)),
    (Facts(State.CONDITIONS, awaiting_evidence=0, appeal_deadline=D + timedelta(days=4)),
     (Step(Expect.APPEAL, D + timedelta(days=4)),)),
    (Facts(State.REVISE_AND_RESUBMIT, appeal_deadline=D),
     (Step(Expect.REVISE), Step(Expect.APPEAL, D))),
    (Facts(State.REJECTED, appeal_deadline=D - timedelta(days=1)), ()),
    (Facts(State.REJECTED, appeal_deadline=D, appeal_lodged=True), (Step(Expect.AWAIT_APPEAL),)),
    (Facts(State.APPROVAL_WITHDRAWN, appeal_deadline=D + timedelta(days=20)),
     (Step(Expect.APPEAL, D + timedelta(days=20)),)),
    (Facts(State.APPROVED, valid_until=D + timedelta(days=180)),
     (Step(Expect.PERIODIC_REVIEW, D + timedelta(days=180)),)),
    (Facts(State.APPROVED, valid_until=D + timedelta(days=181)), ()),
    (Facts(State.APPROVED, appeal_deadline=D + timedelta(days=5)), ()),  # nothing to appeal in an approval
    (Facts(State.EXPIRED), (Step(Expect.RENEW),)),
    (Facts(State.IN_REVIEW), ()),
    (Facts(State.WITHDRAWN), ()),
])
def test_next_steps_follow_the_state_and_its_dates(facts: Facts, expected: tuple[Step, ...]) -> None:
    assert next_steps(facts, today=D, horizon=180) == expected


# The designer's dashboard ----------------------------------------------------------------------------------------


def row(page: str, title: str) -> str:
    body = page.split('id="designer-programmes"')[1]
    start = body.index(f">{title}</a></th>")
    return body[start:body.index("</tr>", start)]


def test_designer_sees_each_programme_with_what_is_expected_next(app, session, people, client_for) -> None:
    draft = make_programme(session, people.designer, data={"identification": {"title": "My Draft"}})
    response = late_response(session, people, "Report To Answer", days_late=-6)
    conditional = decided(session, people, "With Conditions", Outcome.APPROVED_WITH_CONDITIONS, State.CONDITIONS,
                          appeal_days=-1)
    condition(session, conditional, due_in_days=12)
    condition(session, conditional, due_in_days=40, number=2, status=ConditionStatus.NOT_MET)
    condition(session, conditional, due_in_days=5, number=3, status=ConditionStatus.EVIDENCE_SUBMITTED)
    rejected = decided(session, people, "Rejected One", Outcome.REJECTED, State.REJECTED, appeal_days=10)
    appealed = decided(session, people, "Appealed One", Outcome.REJECTED, State.REJECTED, appeal_days=10)
    session.add(Appeal(decision_id=appealed.id, programme_id=appealed.programme_id, grounds="Unfair.",
                       lodged_by_id=people.designer.id))
    decided(session, people, "Ending Soon", Outcome.APPROVED, State.APPROVED, valid_days=60)
    decided(session, people, "Ended", Outcome.APPROVED, State.EXPIRED, valid_days=-3)
    withdrawn = decided(session, people, "Withdrawn Approval", Outcome.APPROVED, State.APPROVAL_WITHDRAWN)
    audit.record(session, "programme.withdraw_approval", actor=people.officer, role="qa_officer",
                 obj=("programme", withdrawn.programme_id),
                 details={"decision": withdrawn.id, "withdrawn_on": TODAY.isoformat(),
                          "appeal_deadline": (TODAY + timedelta(days=30)).isoformat()})
    in_review(session, people, "Under Review")
    programme(session, people, "Elsewhere", designer=people.other_designer)
    session.commit()
    page = client_for(people.designer).get("/").get_data(as_text=True)
    assert f'href="/programmes/{draft.id}">Complete the draft and submit it</a>' in row(page, "My Draft")
    answer = row(page, "Report To Answer")
    assert f'href="/programmes/{response.programme_id}/report">Answer the draft panel report</a>' in answer
    assert f'<time datetime="{(TODAY + timedelta(days=6)).isoformat()}">' in answer and "passed" not in answer
    evidence = row(page, "With Conditions")
    assert "Submit evidence for 2 conditions</a>" in evidence
    assert f'by <time datetime="{(TODAY + timedelta(days=12)).isoformat()}">' in evidence
    assert "You may appeal" not in evidence  # its window closed yesterday
    assert (f'href="/programmes/{rejected.programme_id}/appeal">You may appeal</a> until <time datetime="'
            f'{(TODAY + timedelta(days=10)).isoformat()}">') in row(page, "Rejected One")
    assert "Your appeal is waiting for its outcome" in row(page, "Appealed One")
    assert "You may appeal" not in row(page, "Appealed One")
    assert "Start the periodic review</a>: the approval ends on" in row(page, "Ending Soon")
    assert "to renew the approval, which has ended" in row(page, "Ended")
    assert (f'You may appeal</a> until <time datetime="{(TODAY + timedelta(days=30)).isoformat()}">'
            in row(page, "Withdrawn Approval"))
    assert "Nothing for you now: the review panel has it" in row(page, "Under Review")
    assert f'href="/programmes/{draft.id}#timeline-heading">Timeline' in row(page, "My Draft")
    assert "Elsewhere" not in page
    titles = [part.split(">")[-1] for part in page.split('id="designer-programmes"')[1].split("</a></th>")[:-1]]
    assert titles[:2] == ["Report To Answer", "With Conditions"]  # what needs the designer first


def test_the_designer_dashboard_pages_25_programmes(app, session, people, client_for) -> None:
    for n in range(27):
        programme(session, people, f"Programme {n:02d}")
    session.commit()
    client = client_for(people.designer)
    first, second = client.get("/").get_data(as_text=True), client.get("/?page=2").get_data(as_text=True)
    assert first.count("#timeline-heading") == 25 and second.count("#timeline-heading") == 2
    assert 'href="/?page=2"' in first and "Page 2 of 2" in second


def test_the_designer_home_issues_the_same_statements_at_2_and_20_programmes(app, session, people,
                                                                            client_for) -> None:
    client = client_for(people.designer)
    client.get("/")
    one_of_each(session, people, "First")
    session.commit()
    small = count_statements(app, client, "/")
    for tag in ("Second", "Third"):
        one_of_each(session, people, tag)
    rejected = decided(session, people, "Rejected", Outcome.REJECTED, State.REJECTED, appeal_days=3)
    session.add(Appeal(decision_id=rejected.id, programme_id=rejected.programme_id, grounds="Unfair.",
                       lodged_by_id=people.designer.id))
    session.commit()
    large = count_statements(app, client, "/")
    assert small == large
    assert large <= 14


# The reviewer's dashboard ----------------------------------------------------------------------------------------


def test_reviewer_sees_the_desk_in_numbers_and_the_decisions_on_what_they_reviewed(app, session, people,
                                                                                   client_for) -> None:
    invited = in_review(session, people, "Invitation")
    seat(session, invited, people.reviewer, people.officer, status="invited", declared=False)
    seat(session, in_review(session, people, "In Progress", due_in_days=9), people.reviewer, people.officer)
    seat(session, in_review(session, people, "Overdue", due_in_days=-2), people.reviewer, people.officer)
    approved = in_review(session, people, "Approved After Review")
    seat(session, approved, people.reviewer, people.officer, status="submitted")
    conditional = decided(session, people, "", Outcome.APPROVED_WITH_CONDITIONS, State.APPROVED, review=approved)
    session.add(Addendum(decision_id=conditional.id, issued_on=TODAY, outcome=Outcome.APPROVED,
                         text="Every condition is met.", issued_by_id=people.officer.id))
    waiting = in_review(session, people, "Still Deciding")
    seat(session, waiting, people.reviewer, people.officer, status="submitted")
    decided(session, people, "", Outcome.REJECTED, State.DECISION_PENDING, status=DecisionStatus.PROPOSED,
            review=waiting)
    someone_elses = in_review(session, people, "Not Mine")
    seat(session, someone_elses, people.second_reviewer, people.officer, status="submitted")
    session.commit()
    page = client_for(people.reviewer).get("/").get_data(as_text=True)
    summary = section(page, "reviewer-heading")
    answer_by = (utcnow().date() + timedelta(days=5)).isoformat()
    assert f'1 invitation to answer · the first by <time datetime="{answer_by}">' in summary
    assert (f'2 reviews in progress · the next due on <time datetime="{(TODAY - timedelta(days=2)).isoformat()}">'
            in summary)
    assert '<strong class="overdue">1 past its due date</strong>' in summary
    assert "2 reviews submitted" in summary and 'href="/reviews"' in summary
    decisions = page.split('id="reviewed"')[1].split("</table>")[0]
    assert "<td>Approved</td>" in decisions  # as amended by the addendum
    assert "Still Deciding" in decisions and "Not decided yet" in decisions
    assert "Not Mine" not in decisions and "/decisions/" not in decisions


def test_the_reviewer_home_issues_the_same_statements_at_1_and_6_reviews(app, session, people, client_for) -> None:
    client = client_for(people.reviewer)
    client.get("/")

    def review_some(tag: str, count: int) -> None:
        for n in range(count):
            review = in_review(session, people, f"{tag} {n}")
            seat(session, review, people.reviewer, people.officer, status="submitted" if n % 2 else "accepted")
            decided(session, people, "", Outcome.APPROVED, State.APPROVED, review=review)
        session.commit()

    review_some("First", 1)
    small = count_statements(app, client, "/")
    review_some("More", 6)
    assert small == count_statements(app, client, "/")
    assert small <= 10


# The QA office's home --------------------------------------------------------------------------------------------


def test_the_officer_home_shows_the_pipeline_and_what_needs_attention(app, session, people, client_for) -> None:
    one_of_each(session, people, "First")
    one_of_each(session, people, "Second")
    programme(session, people, "Just Submitted")
    session.commit()
    page = client_for(people.officer).get("/").get_data(as_text=True)
    assert "Waiting for screening" in page and "Just Submitted" in page
    assert '<a href="/qa/dashboard?state=in_review#programmes"><span class="count">4</span> In review</a>' in page
    assert '<a href="/qa/dashboard#late-reviews">2 reviews past their due date</a>' in page
    assert '<a href="/qa/dashboard#proposed">2 decisions waiting for a second officer</a>' in page
    assert '<a href="/qa/dashboard#expiring">2 approvals ending within 90 days</a>' in page


def test_the_officer_home_issues_the_same_statements_whatever_the_data(app, session, people, client_for) -> None:
    client = client_for(people.officer)
    client.get("/")
    one_of_each(session, people, "First")
    session.commit()
    small = count_statements(app, client, "/")
    for tag in ("Second", "Third", "Fourth"):
        one_of_each(session, people, tag)
    session.commit()
    assert small == count_statements(app, client, "/")


def test_someone_with_several_roles_sees_each_dashboard(app, session, people, client_for) -> None:
    agency = make_institution(session, kind=InstitutionKind.AGENCY)
    both = make_user(session, Role.QA_OFFICER, Role.REVIEWER, institution=agency)
    session.commit()
    page = client_for(both).get("/").get_data(as_text=True)
    assert 'id="qa-heading"' in page and 'id="reviewer-heading"' in page and 'id="designer-heading"' not in page
