"""The decision page: what the decision rests on, the form and its defaults, every validation message.

The arrangement shared by the decision and condition tests lives here too (people, a programme waiting for its
decision, the posted form), imported by the other test_decisions_* and test_conditions* modules.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from factories import (
    full_marks,
    make_in_review,
    make_institution,
    make_programme,
    make_submitted,
    make_user,
    seat,
    sound_proposal,
)
from sql_counts import count_statements
from sqlalchemy import func, select, update

from qa_engine.db import utcnow
from qa_engine.domain.decisions import validity_end
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import AuditEntry, Decision, OutboxMessage, Programme, Review, User

RATIONALE = "The programme meets the standards; its learning outcomes are assessable and well aligned."
RESPONSE = "We corrected the ECTS table and added the assessment calendar the panel asked for."


def today() -> date:
    return utcnow().date()


@dataclass
class People:
    officer: User
    colleague: User
    designer: User
    admin: User
    reviewers: list[User]


def make_people(session) -> People:  # noqa: ANN001
    """QA officers, the designer of the provider, an administrator and two reviewers from elsewhere."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency")
    provider = make_institution(session, name="Almagro Polytechnic")
    result = People(
        officer=make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer"),
        colleague=make_user(session, Role.QA_OFFICER, institution=agency, full_name="Carl Colleague"),
        designer=make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer"),
        admin=make_user(session, Role.ADMIN, institution=agency, full_name="Adam Admin"),
        reviewers=[make_user(session, Role.REVIEWER, full_name="Rita Reviewerson",
                             institution=make_institution(session, name="Northern Institute of Technology")),
                   make_user(session, Role.REVIEWER, full_name="Sam Scholarski",
                             institution=make_institution(session, name="Southern Business College"))],
    )
    session.commit()
    return result


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


def pending(session, people: People, *, marks: tuple[dict, ...] | None = None, blind: bool = True,  # noqa: ANN001
            response: str | None = RESPONSE) -> Programme:
    """A programme of the designer waiting for its decision: reviewed by both reviewers, report answered."""
    fresh(session)  # a read transaction left open would keep this session from writing (SQLite)
    programme = make_programme(session, people.designer, data=sound_proposal())
    make_submitted(session, programme, people.designer)
    review = make_in_review(session, programme, people.officer, blind=blind)
    for reviewer, given in zip(people.reviewers, marks or (full_marks(3), full_marks(3)), strict=True):
        seat(session, review, reviewer, people.officer, status="submitted", marks=given)
    review.report_sent_at, review.response_due_on = utcnow(), today()
    if response:
        review.response, review.responded_at, review.responded_by_id = response, utcnow(), people.designer.id
    programme.state, programme.version = State.DECISION_PENDING, programme.version + 1
    session.commit()
    return programme


def with_gate_failed() -> dict:
    """Marks with the gate criterion D1.1 at 1: the gate caps the recommendation."""
    marks = full_marks(3)
    marks["D1.1"] = {"value": 1, "justification": "No assessment method is given for LO3."}
    return marks


def form(outcome: str = "approved", *, conditions: list[tuple[str, str, date | None]] = (),  # noqa: ANN201
         **overrides):
    """The posted decision form, valid for an approval by default."""
    start = today()
    data = {"outcome": outcome, "rationale": RATIONALE, "recommendations": "Consider a second intake in spring.",
            "departure_reason": "", "valid_from": start.isoformat(),
            "valid_until": validity_end(start, 3).isoformat(), "limit_eqf_level": "6", "limit_field": "0688",
            "limit_mode": "blended", "decision_body": "Accreditation committee",
            "members_present": "Ana Chair\nBen Member\n"}
    for index, (text, evidence, due_on) in enumerate(conditions):
        data.update({f"conditions-{index}-text": text, f"conditions-{index}-evidence_required": evidence,
                     f"conditions-{index}-due_on": due_on.isoformat() if due_on else ""})
    data.update(overrides)
    return data


CONDITION = ("Publish the assessment calendar for every module.", "The calendar as published to learners.")


def in_90_days() -> date:
    return today() + timedelta(days=90)


def fresh(session) -> None:  # noqa: ANN001
    session.rollback()
    session.expire_all()


def decisions_of(session, programme_id: int) -> list[Decision]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(Decision).where(Decision.programme_id == programme_id).order_by(Decision.id)))


def outbox_rows(session, event: str | None = None) -> list[OutboxMessage]:  # noqa: ANN001
    fresh(session)
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if event:
        query = query.where(OutboxMessage.event == event)
    return list(session.scalars(query))


def audit_actions(session, programme_id: int) -> list[str]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "programme",
                                                                AuditEntry.object_id == str(programme_id))
                                .order_by(AuditEntry.seq)))


def state_of(session, programme_id: int) -> State:  # noqa: ANN001
    fresh(session)
    return session.get(Programme, programme_id).state


def count(session, model) -> int:  # noqa: ANN001
    fresh(session)
    return session.scalar(select(func.count()).select_from(model))


def section(page: str, element_id: str) -> str:
    """The text of the element with `element_id` up to the next section, whitespace collapsed."""
    return " ".join(page.split(f'id="{element_id}"', 1)[1].split("</section>")[0].split())


# The page --------------------------------------------------------------------------------------------------


def test_page_shows_the_recommendation_with_dimension_scores_and_the_response(app, session, people,
                                                                              client_for) -> None:
    programme = pending(session, people)
    page = client_for(people.officer).get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    recommendation = section(page, "recommendation")
    assert "Recommended outcome</dt> <dd><strong>Approved</strong>" in recommendation
    assert "Overall score</dt> <dd>3.00</dd>" in recommendation
    assert "Gates and caps that limited it</dt> <dd> None </dd>" in recommendation
    dimensions = section(page, "dimensions")
    assert dimensions.count("<tr><th scope=\"row\">D") == 8 and "D1 " in dimensions and "<td>3.00</td>" in dimensions
    assert RESPONSE in page
    assert "The panel's scores recommend “Approved”. Departing from it needs a reason." in page
    assert 'value="approved"' in page and "Approved <span class=\"muted\">(recommended)</span>" in page


def test_page_names_the_gate_that_capped_the_recommendation(app, session, people, client_for) -> None:
    programme = pending(session, people, marks=(with_gate_failed(), with_gate_failed()), response=None)
    page = client_for(people.officer).get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    recommendation = section(page, "recommendation")
    assert "<strong>Revise and resubmit</strong>" in recommendation
    assert "D1.1 (1.00): gate, caps the outcome at “Revise and resubmit”" in recommendation
    assert "The provider did not answer the draft report." in page


def test_form_starts_from_today_the_configured_validity_and_the_submitted_scope(make_app, session, people,
                                                                                client_for) -> None:
    app = make_app(DECISION_VALIDITY_YEARS=5, DECISION_BODY="Board of Accreditation")
    programme = pending(session, people)
    client = app.test_client()
    from factories import sign_in

    sign_in(client, app, people.officer)
    page = client.get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    assert f'id="valid_from" name="valid_from" type="date" value="{today().isoformat()}"' in page
    assert f'value="{validity_end(today(), 5).isoformat()}"' in page
    assert '<option selected value="6">6</option>' in page
    assert '<option selected value="0688">' in page
    assert '<option selected value="blended">Blended</option>' in page
    assert 'value="Board of Accreditation"' in page
    assert page.count('<fieldset class="row">') == 3
    assert '<label for="rationale">Rationale <span class="required" aria-hidden="true">*</span></label>' in page


def test_add_a_condition_re_renders_with_one_more_row_and_keeps_what_was_typed(app, session, people,
                                                                              client_for) -> None:
    programme = pending(session, people)
    data = form("approved_with_conditions", conditions=[(*CONDITION, in_90_days())], add_condition="1")
    response = client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", data,
                                                     token_from="/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('<fieldset class="row">') == 4
    assert CONDITION[0] in page and 'id="conditions-3-text"' in page
    assert "field-error" not in page
    assert decisions_of(session, programme.id) == []


def test_administrator_reads_the_page_without_the_form(app, session, people, client_for) -> None:
    programme = pending(session, people)
    client = client_for(people.admin)
    page = client.get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    assert "Recommended outcome" in page and RESPONSE in page
    assert 'name="outcome"' not in page and "/decision\" novalidate" not in page
    assert client.post_form(f"/qa/programmes/{programme.id}/decision", form(), token_from="/").status_code == 403
    assert decisions_of(session, programme.id) == []


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.REVIEWER])
def test_designers_and_reviewers_are_refused_the_decision_routes(app, session, people, client_for,
                                                                 role: Role) -> None:
    programme = pending(session, people)
    client = client_for(people.designer if role is Role.DESIGNER else people.reviewers[0])
    assert client.get(f"/qa/programmes/{programme.id}/decision").status_code == 403
    assert client.post_form(f"/qa/programmes/{programme.id}/decision", form(), token_from="/").status_code == 403
    assert decisions_of(session, programme.id) == []


def test_a_programme_not_waiting_for_a_decision_shows_so_and_refuses_one(app, session, people,
                                                                         client_for) -> None:
    programme = pending(session, people)
    programme = session.get(Programme, programme.id)
    programme.state = State.PROVIDER_RESPONSE
    session.commit()
    client = client_for(people.officer)
    page = client.get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    assert "The programme is provider response: it is not waiting for a decision." in page
    response = client.post_form(f"/qa/programmes/{programme.id}/decision", form(), token_from="/")
    assert response.status_code == 409
    assert "it is not waiting for a decision" in response.get_data(as_text=True)
    assert decisions_of(session, programme.id) == []
    assert audit_actions(session, programme.id)[-1] == "decision.refused"


def test_a_changed_pinned_rubric_is_shown_and_refuses_the_decision(app, session, people, client_for) -> None:
    programme = pending(session, people)
    session.execute(update(Review).where(Review.programme_id == programme.id).values(rubric_sha256="0" * 64))
    session.commit()
    client = client_for(people.officer)
    page = client.get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    message = "The rubric slp-ex-ante@1 changed since this review started; restore the released version before scoring."
    assert message in page and 'id="recommendation"' not in page
    response = client.post_form(f"/qa/programmes/{programme.id}/decision", form(), token_from="/")
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert decisions_of(session, programme.id) == []


def test_page_issues_the_same_number_of_statements_with_a_long_history(app, session, people,
                                                                       client_for) -> None:
    programme = pending(session, people)
    client = client_for(people.officer)
    url = f"/qa/programmes/{programme.id}/decision"

    def declined(times: int) -> None:
        for _ in range(times):
            session.add(Decision(programme_id=programme.id, version_number=1, status="declined", outcome="rejected",
                                 rationale="x", decision_body="Committee", decided_by_id=people.colleague.id))
        session.commit()

    declined(1)
    few = count_statements(app, client, url, warm_up=True)
    declined(12)
    assert count_statements(app, client, url, warm_up=True) == few
    assert few <= 20


# Validation: every message on its field ----------------------------------------------------------------------


def post(client, programme: Programme, data: dict):  # noqa: ANN001, ANN201
    return client.post_form(f"/qa/programmes/{programme.id}/decision", data, token_from="/")


def error_of(page: str, field_id: str) -> str:
    return page.split(f'id="{field_id}-error"', 1)[1].split(">", 1)[1].split("</small>")[0]


@pytest.mark.parametrize(("data", "field_id", "message"), [
    ({"outcome": ""}, "outcome", "Choose the outcome."),
    ({"outcome": "maybe"}, "outcome", "Choose the outcome."),
    ({"rationale": "  "}, "rationale", "State the reasons for the decision: it is published and may be appealed."),
    ({"outcome": "rejected"}, "departure_reason",
     "The scores recommend “Approved”: say why the decision departs from it."),
    ({"outcome": "approved_with_conditions", "departure_reason": "Timetable unclear."}, "conditions",
     "An approval with conditions needs at least one condition."),
    ({"valid_until": ""}, "valid_until", "An approval needs the dates it is valid from and until."),
    ({"valid_until": (today() - timedelta(days=400)).isoformat(),
      "valid_from": (today() - timedelta(days=800)).isoformat()}, "valid_until",
     "The approval would already have ended."),
    ({"valid_until": today().isoformat(), "valid_from": (today() + timedelta(days=1)).isoformat()}, "valid_until",
     "The approval must end after it starts."),
    ({"valid_until": (today() + timedelta(days=7 * 366)).isoformat()}, "valid_until",
     "An approval may last at most 6 years."),
    ({"valid_until": "2030-02-31"}, "valid_until", "Not a valid date value."),
    ({"decision_body": ""}, "decision_body", "Name the body that takes the decision."),
    ({"limit_field": "1234"}, "limit_field", "Not a valid choice."),
])
def test_every_problem_is_shown_on_its_field_and_nothing_is_recorded(app, session, people, client_for, data: dict,
                                                                     field_id: str, message: str) -> None:
    programme = pending(session, people)
    response = post(client_for(people.officer), programme, form(**data))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_of(page, field_id) == message
    assert "Nothing was recorded: correct the fields marked below. What you typed is kept." in page
    assert RATIONALE in page or data.get("rationale")
    assert decisions_of(session, programme.id) == []
    assert state_of(session, programme.id) is State.DECISION_PENDING


def test_conditions_with_another_outcome_are_refused_with_a_message_that_names_it(app, session, people,
                                                                                  client_for) -> None:
    programme = pending(session, people)
    response = post(client_for(people.officer), programme, form(conditions=[(*CONDITION, in_90_days())]))
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), "conditions") == (
        "Only an approval with conditions carries conditions; write advice to a “approved” decision as "
        "recommendations.")


@pytest.mark.parametrize(("row", "message"), [
    (("", CONDITION[1], "due"), "Say what the provider must do."),
    ((CONDITION[0], "", "due"), "Say what evidence will show the condition is met."),
    ((CONDITION[0], CONDITION[1], None), "Give a due date after today."),
    ((CONDITION[0], CONDITION[1], "today"), "Give a due date after today."),
    ((CONDITION[0], CONDITION[1], "late"), "A condition must be due before the approval ends."),
])
def test_a_condition_row_with_a_problem_shows_it_on_that_row(app, session, people, client_for, row: tuple,
                                                             message: str) -> None:
    programme = pending(session, people)
    due = {"due": in_90_days(), "today": today(), "late": validity_end(today(), 3) + timedelta(days=1),
           None: None}[row[2]]
    data = form("approved_with_conditions", departure_reason="The timetable needs work.",
                conditions=[(*CONDITION, in_90_days()), ("", "", None), (row[0], row[1], due)])
    page = post(client_for(people.officer), programme, data).get_data(as_text=True)
    rows = page.split('<fieldset class="row">')[1:]
    assert "form-errors" not in rows[0] and "form-errors" not in rows[1]
    assert f'<div class="form-errors" role="alert"> <p>{message}</p> </div>' in " ".join(rows[2].split())
    assert decisions_of(session, programme.id) == []


def test_a_blind_review_refuses_texts_that_name_a_reviewer_or_their_institution(app, session, people,
                                                                                 client_for) -> None:
    programme = pending(session, people)
    data = form(rationale="As Rita Reviewerson noted, the outcomes are clear.",
                recommendations="Ask the Southern Business College for a partnership.")
    page = post(client_for(people.officer), programme, data).get_data(as_text=True)
    blind = ("The review was blind: the provider must not learn who reviewed. Leave out the names, e-mail "
             "addresses and institutions of the panel members.")
    assert error_of(page, "rationale") == blind
    assert error_of(page, "recommendations") == blind
    assert decisions_of(session, programme.id) == []


def test_an_open_review_may_name_the_reviewers(app, session, people, client_for) -> None:
    programme = pending(session, people, blind=False)
    response = post(client_for(people.officer), programme,
                    form(rationale="As Rita Reviewerson noted, the outcomes are clear."))
    assert response.status_code == 302
    assert [d.rationale for d in decisions_of(session, programme.id)] == [
        "As Rita Reviewerson noted, the outcomes are clear."]


def test_members_present_are_stored_one_name_a_line(app, session, people, client_for) -> None:
    programme = pending(session, people)
    post(client_for(people.officer), programme, form(members_present="  Ana Chair \n\n Ben Member\n"))
    assert [json.loads(d.members_present) for d in decisions_of(session, programme.id)] == [
        ["Ana Chair", "Ben Member"]]
