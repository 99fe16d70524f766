"""The QA officer's view of one review, and sending a submitted review back to its reviewer."""
from __future__ import annotations

import json

import pytest
from factories import full_marks, make_user, seat
from test_reviewing import build_case, entries, form_data, fresh, mails, seat_of, snapshot, text_of

from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.models import Programme

COMMENT = "D2.1 is marked 1 without looking at the employer letters in the attachments; please reconsider."
DECLARATION = {"version": 1, "conflict": False, "conflict_description": "",
               "statements": [{"key": "confidential", "text": "I will keep it all confidential.", "agreed": True}]}


def submitted_case(app, session, *, complete_panel: bool = False):  # noqa: ANN001, ANN201
    """A case whose reviewer submitted; with `complete_panel`, the panel is complete and in consolidation."""
    marks = full_marks()
    marks["D2.1"] = {"value": 1, "justification": "No evidence of need."}
    case = build_case(app, session, status="submitted", marks=marks)
    found = seat_of(session, case.seat.id)
    found.declaration, found.hours = json.dumps(DECLARATION), 5
    if complete_panel:
        for profile in ("professional", "student"):
            seat(session, found.review, make_user(session, Role.REVIEWER), case.officer, profile=profile,
                 status="submitted", marks=full_marks())
        session.get(Programme, case.programme.id).state = State.CONSOLIDATION
    session.commit()
    return case


def reopen(client, case, comment: str = COMMENT):  # noqa: ANN001, ANN201
    return client.post_form(f"/qa/assignments/{case.seat.id}/reopen", {"comment": comment}, token_from="/")


def state_of(session, programme_id: int) -> State:  # noqa: ANN001
    fresh(session)
    return session.get(Programme, programme_id).state


# The officer's view ---------------------------------------------------------------------------------------


def test_the_officer_sees_marks_justifications_status_declaration_and_the_reopen_form(app, session,
                                                                                     client_for) -> None:
    case = submitted_case(app, session)
    page = text_of(client_for(case.officer).get(f"/qa/assignments/{case.seat.id}"))
    assert "Review by Rita Reviewer" in page and case.reviewer.email in page
    assert "<dt>Status</dt><dd>Submitted</dd>" in page and "<dt>Hours declared</dt><dd>5.0</dd>" in page
    assert "I will keep it all confidential. <strong>Agreed</strong>" in page
    assert "No conflict of interest declared." in page
    assert "No evidence of need." in page and "Well evidenced in the proposal." in page
    assert "Overall score:" in page
    assert f'action="/qa/assignments/{case.seat.id}/reopen"' in page


def test_an_administrator_reads_the_review_but_cannot_send_it_back(app, session, client_for) -> None:
    case = submitted_case(app, session)
    person = make_user(session, Role.ADMIN)
    session.commit()
    admin = client_for(person)
    page = text_of(admin.get(f"/qa/assignments/{case.seat.id}"))
    assert "No evidence of need." in page and "/reopen" not in page
    before = snapshot(session)[:2]
    assert reopen(admin, case).status_code == 403
    assert snapshot(session)[:2] == before


def test_the_officer_does_not_see_a_draft_before_it_is_submitted(app, session, client_for) -> None:
    case = build_case(app, session, marks={"D1.1": {"value": 1, "justification": "Draft thinking."}})
    page = text_of(client_for(case.officer).get(f"/qa/assignments/{case.seat.id}"))
    assert "The marks are shown once the review is submitted." in page
    assert "Draft thinking." not in page and "/reopen" not in page


def test_a_declined_seat_shows_the_conflict_declared(app, session, client_for) -> None:
    case = build_case(app, session, status="declined", declared=False)
    found = seat_of(session, case.seat.id)
    found.decline_reason = "I co-authored the proposal."
    found.declaration = json.dumps({**DECLARATION, "conflict": True, "conflict_description": found.decline_reason})
    session.commit()
    page = text_of(client_for(case.officer).get(f"/qa/assignments/{case.seat.id}"))
    assert "<dt>Status</dt><dd>Declined</dd>" in page
    assert "Conflict of interest declared:" in page and "I co-authored the proposal." in page


def test_unknown_assignments_are_404_for_officers(app, session, client_for) -> None:
    case = build_case(app, session)
    client = client_for(case.officer)
    assert client.get("/qa/assignments/999999").status_code == 404
    response = client.post_form("/qa/assignments/999999/reopen", {"comment": COMMENT}, token_from="/")
    assert response.status_code == 404


# Sending a review back ------------------------------------------------------------------------------------


def test_sending_back_during_review_keeps_the_marks_as_a_draft_and_tells_the_reviewer(app, session,
                                                                                      client_for) -> None:
    case = submitted_case(app, session)
    stored = seat_of(session, case.seat.id).marks
    response = reopen(client_for(case.officer), case, f"  {COMMENT}  ")
    assert response.headers["Location"] == f"/qa/assignments/{case.seat.id}"
    found = seat_of(session, case.seat.id)
    assert (found.status, found.submitted_at, found.marks) == (MemberStatus.ACCEPTED, None, stored)
    entry = entries(session, "review.reopened")[-1]
    assert (entry.actor_id, entry.actor_role, json.loads(entry.details)["comment"]) == (
        case.officer.id, "qa_officer", COMMENT)
    (mail,) = mails(session, "review_reopened")
    assert mail.recipient_id == case.reviewer.id and COMMENT in mail.body_text
    assert f"/reviews/{case.seat.id}/score" in mail.body_text
    assert state_of(session, case.programme.id) is State.IN_REVIEW
    assert entries(session, "programme.reopen_review") == []
    page = text_of(client_for(case.reviewer).get(f"/reviews/{case.seat.id}/score"))
    assert 'type="radio"' in page and "No evidence of need." in page


def test_sending_back_in_consolidation_returns_the_programme_to_review(app, session, client_for) -> None:
    case = submitted_case(app, session, complete_panel=True)
    assert reopen(client_for(case.officer), case).status_code == 302
    assert state_of(session, case.programme.id) is State.IN_REVIEW
    (moved,) = entries(session, "programme.reopen_review")
    details = json.loads(moved.details)
    assert (moved.actor_role, details["comment"], details["assignment"]) == ("qa_officer", COMMENT, case.seat.id)
    assert seat_of(session, case.seat.id).status is MemberStatus.ACCEPTED
    # The reviewer revises and submits again: the review is complete once more.
    client = client_for(case.reviewer)
    found = seat_of(session, case.seat.id)
    response = client.post_form(f"/reviews/{case.seat.id}/score",
                                form_data(full_marks(), version=found.version, submit=True), token_from="/")
    assert response.status_code == 302
    assert state_of(session, case.programme.id) is State.CONSOLIDATION
    assert len(entries(session, "programme.complete_reviews")) == 1


@pytest.mark.parametrize("comment", ["", "   "])
def test_sending_back_needs_a_comment(app, session, client_for, comment: str) -> None:
    case = submitted_case(app, session)
    before = snapshot(session)
    response = reopen(client_for(case.officer), case, comment)
    assert response.status_code == 422
    assert 'id="comment-error"' in text_of(response) and "Say why the review goes back." in text_of(response)
    assert snapshot(session) == before


def test_only_a_submitted_review_can_be_sent_back(app, session, client_for) -> None:
    case = build_case(app, session, marks=full_marks())
    before = snapshot(session)
    response = reopen(client_for(case.officer), case)
    assert response.status_code == 409 and "Only a submitted review can be sent back" in text_of(response)
    assert snapshot(session) == before


def test_a_review_cannot_be_sent_back_once_the_report_went_out(app, session, client_for) -> None:
    case = submitted_case(app, session, complete_panel=True)
    programme = session.get(Programme, case.programme.id)
    programme.state = State.PROVIDER_RESPONSE
    session.commit()
    before = snapshot(session)
    response = reopen(client_for(case.officer), case)
    assert response.status_code == 409 and "can no longer be sent back" in text_of(response)
    assert snapshot(session) == before


def test_reviewers_and_designers_cannot_send_a_review_back(app, session, client_for) -> None:
    case = submitted_case(app, session)
    before = snapshot(session)[:2]
    for person in (case.reviewer, case.designer):
        client = client_for(person)
        assert reopen(client, case).status_code == 403
        assert client.get(f"/qa/assignments/{case.seat.id}").status_code == 403
    assert snapshot(session)[:2] == before
