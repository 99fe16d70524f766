"""The reviewer's desk, the invitation, the declaration, and who may reach a seat at all.

The helpers at the top (a case under review, snapshots, form data) are shared by the other test_reviewing_*
modules, which import them from here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from factories import (
    full_marks,
    make_attachment,
    make_in_review,
    make_institution,
    make_programme,
    make_submitted,
    make_user,
    seat,
    sound_proposal,
)
from flask import Flask
from sql_counts import count_statements
from sqlalchemy import func, select

from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.models import (
    Assignment,
    Attachment,
    AuditEntry,
    ConflictDeclaration,
    OutboxMessage,
    Programme,
    Review,
    User,
)
from qa_engine.services import reviewing

# Shared helpers ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    """A programme under review with one reviewer's seat (and the people around it)."""

    officer: User
    designer: User
    reviewer: User
    programme: Programme
    review: Review
    seat: Assignment
    attachment: Attachment


def build_case(app: Flask, session, *, status: str = "accepted", declared: bool = True,  # noqa: ANN001
               marks: dict | None = None, profile: str = "academic", blind: bool = True) -> Case:
    """An agency officer, a provider's programme (the sound example, with a syllabus) under review, one seat."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name=f"Agency {id(session)}-{_next()}")
    officer = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    designer = make_user(session, Role.DESIGNER, full_name="Dana Designer")
    reviewer = make_user(session, Role.REVIEWER, full_name="Rita Reviewer")
    data = {key: value for key, value in sound_proposal().items() if key != "attachments"}
    programme = make_programme(session, designer, data=data)
    attachment = make_attachment(session, programme, designer, Path(app.instance_path) / "uploads")
    make_submitted(session, programme, designer)
    review = make_in_review(session, programme, officer, blind=blind)
    chair = seat(session, review, reviewer, officer, status=status, declared=declared, marks=marks, profile=profile)
    session.commit()
    return Case(officer, designer, reviewer, programme, review, chair, attachment)


_COUNTER = iter(range(1, 10**9))


def _next() -> int:
    return next(_COUNTER)


def fresh(session) -> None:  # noqa: ANN001
    session.rollback()
    session.expire_all()


def seat_of(session, assignment_id: int) -> Assignment:  # noqa: ANN001
    fresh(session)
    return session.get(Assignment, assignment_id)


def actions(session, programme_id: int, prefix: str = "") -> list[str]:  # noqa: ANN001
    """The audit actions about the programme, oldest first (those starting with `prefix`)."""
    fresh(session)
    found = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "programme",
                                                           AuditEntry.object_id == str(programme_id))
                            .order_by(AuditEntry.seq))
    return [action for action in found if action.startswith(prefix)]


def entries(session, action: str) -> list[AuditEntry]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))


def mails(session, event_name: str | None = None) -> list[OutboxMessage]:  # noqa: ANN001
    fresh(session)
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if event_name:
        query = query.where(OutboxMessage.event == event_name)
    return list(session.scalars(query))


def snapshot(session) -> tuple:  # noqa: ANN001
    """Everything the reviewer's and officer's requests could change."""
    fresh(session)
    seats = [(a.id, a.status, a.version, a.marks, a.hours, a.declared_at, a.declaration, a.submitted_at)
             for a in session.scalars(select(Assignment).order_by(Assignment.id))]
    programmes = [(p.id, p.state, p.version) for p in session.scalars(select(Programme).order_by(Programme.id))]
    counts = [session.scalar(select(func.count()).select_from(model))
              for model in (AuditEntry, OutboxMessage, ConflictDeclaration)]
    return seats, programmes, counts


def form_data(marks: dict, *, version: int, hours: str | None = "6.5", submit: bool = False) -> dict:
    """What the scoring form posts for stored-style `marks` ({criterion: {"value", "justification"}})."""
    data = {"version": str(version), "hours": hours or ""}
    for cid, mark in marks.items():
        value = mark.get("value")
        data[f"mark-{cid}"] = "na" if value is None else str(value)
        data[f"justification-{cid}"] = mark.get("justification", "")
    data["submit_review" if submit else "save"] = "x"
    return data


def text_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


# The desk ---------------------------------------------------------------------------------------------------


def test_desk_lists_own_live_seats_by_what_they_wait_for(app, session, client_for) -> None:
    case = build_case(app, session, status="invited")
    officer, reviewer = case.officer, case.reviewer
    others = []
    for status, marks in (("accepted", dict(list(full_marks().items())[:5])), ("submitted", full_marks()),
                          ("removed", None), ("declined", None)):
        designer = make_user(session, Role.DESIGNER)
        programme = make_programme(session, designer, data={"identification": {"title": f"Programme {status}"}})
        make_submitted(session, programme, designer)
        review = make_in_review(session, programme, officer)
        seat(session, review, reviewer, officer, status=status, marks=marks)
        others.append(review)
    stranger = make_user(session, Role.REVIEWER)
    seat(session, others[0], stranger, officer, profile="student")
    session.commit()
    page = text_of(client_for(reviewer).get("/reviews"))
    invited = page.split('id="invited-heading"')[1].split("</section>")[0]
    accepted = page.split('id="accepted-heading"')[1].split("</section>")[0]
    submitted = page.split('id="submitted-heading"')[1].split("</section>")[0]
    assert case.programme.title in invited and f'href="/reviews/{case.seat.id}"' in invited
    answer_by = case.seat.invited_at.date() + timedelta(days=app.config["INVITATION_ANSWER_DAYS"])
    assert f'<time datetime="{answer_by.isoformat()}">' in invited
    assert "Programme accepted" in accepted and "5 of 30 criteria marked" in accepted
    assert "Programme submitted" in submitted and "The panel's reviews" in submitted
    assert "Programme removed" not in page and "Programme declined" not in page
    assert text_of(client_for(stranger).get("/reviews")).count("Programme accepted") == 1


def test_desk_pages_submitted_reviews_latest_first_while_open_seats_stay_on_every_page(
        app, session, client_for, monkeypatch) -> None:  # noqa: ANN001
    from qa_engine.views import reviewing as desk_view

    monkeypatch.setattr(desk_view, "SUBMITTED_PAGE", 2)
    case = build_case(app, session)  # an accepted seat, still open
    titles = []
    for n in range(3):
        designer = make_user(session, Role.DESIGNER)
        programme = make_programme(session, designer, data={"identification": {"title": f"Reviewed {n}"}})
        make_submitted(session, programme, designer)
        submitted = seat(session, make_in_review(session, programme, case.officer), case.reviewer, case.officer,
                         status="submitted", marks=full_marks())
        submitted.submitted_at = submitted.invited_at + timedelta(days=n + 1)
        titles.append(f"Reviewed {n}")
    session.commit()
    client = client_for(case.reviewer)

    def submitted_section(url: str) -> str:
        page = text_of(client.get(url))
        assert case.programme.title in page.split('id="accepted-heading"')[1].split("</section>")[0]
        return page.split('id="submitted-heading"')[1].split("</section>")[0]

    first, second = submitted_section("/reviews"), submitted_section("/reviews?page=2")
    assert "(3)" in first and "Page 1 of 2" in first and 'href="/reviews?page=2"' in first
    assert first.index(titles[2]) < first.index(titles[1]) and titles[0] not in first  # latest first
    assert titles[0] in second and titles[1] not in second and "Not decided yet" in second
    assert "There is no page 9" in submitted_section("/reviews?page=9")
    assert client.get("/reviews?page=x").status_code == 200


def test_desk_issues_the_same_number_of_statements_for_2_and_8_seats(app, session, client_for) -> None:
    case = build_case(app, session)
    client = client_for(case.reviewer)
    client.get("/reviews")

    def add_seat() -> None:
        designer = make_user(session, Role.DESIGNER)
        programme = make_programme(session, designer)
        make_submitted(session, programme, designer)
        seat(session, make_in_review(session, programme, case.officer), case.reviewer, case.officer,
             marks=full_marks())
        session.commit()

    add_seat()
    at_2 = count_statements(app, client, "/reviews")
    for _ in range(6):
        add_seat()
    assert count_statements(app, client, "/reviews") == at_2


# The invitation ---------------------------------------------------------------------------------------------


def test_invitation_says_what_where_which_seat_when_and_what_accepting_means(app, session, client_for) -> None:
    case = build_case(app, session, status="invited", profile="professional")
    before = snapshot(session)
    page = text_of(client_for(case.reviewer).get(f"/reviews/{case.seat.id}"))
    assert "<h1>Invitation to review</h1>" in page
    assert case.programme.title in page and case.programme.provider.name in page
    assert "Standard" in page and "Professional reviewer" in page
    assert case.review.due_on.isoformat() in page
    assert "What accepting means" in page and "declaration" in page
    assert f'action="/reviews/{case.seat.id}/accept"' in page and f'action="/reviews/{case.seat.id}/decline"' in page
    assert snapshot(session) == before


def test_accepting_moves_the_seat_to_accepted_audits_and_leads_to_the_declaration(app, session, client_for) -> None:
    case = build_case(app, session, status="invited")
    response = client_for(case.reviewer).post_form(f"/reviews/{case.seat.id}/accept", token_from="/")
    assert response.headers["Location"] == f"/reviews/{case.seat.id}/declaration"
    found = seat_of(session, case.seat.id)
    assert (found.status, found.version, found.responded_at is not None) == (MemberStatus.ACCEPTED, 2, True)
    entry = entries(session, "review.invitation_accepted")[-1]
    assert (entry.actor_id, entry.actor_role, entry.object_id) == (case.reviewer.id, "reviewer", str(case.programme.id))
    assert json.loads(entry.details) == {"review": case.review.id, "assignment": case.seat.id}


def test_accepting_twice_is_a_409_that_says_so_and_changes_nothing(app, session, client_for) -> None:
    case = build_case(app, session, status="invited")
    client = client_for(case.reviewer)
    client.post_form(f"/reviews/{case.seat.id}/accept", token_from="/")
    before = snapshot(session)
    response = client.post_form(f"/reviews/{case.seat.id}/accept", token_from="/")
    assert response.status_code == 409
    assert "You have already accepted this invitation." in text_of(response)
    assert snapshot(session) == before


def test_declining_closes_the_seat_and_tells_the_officer_with_the_reason(app, session, client_for) -> None:
    case = build_case(app, session, status="invited")
    client = client_for(case.reviewer)
    reason = "I am away for the whole review period."
    response = client.post_form(f"/reviews/{case.seat.id}/decline", {"reason": f"  {reason} "}, token_from="/")
    assert response.headers["Location"] == "/reviews"
    found = seat_of(session, case.seat.id)
    assert (found.status, found.decline_reason) == (MemberStatus.DECLINED, reason)
    assert json.loads(entries(session, "review.invitation_declined")[-1].details)["reason"] == reason
    (mail,) = mails(session, "review_declined")
    assert (mail.recipient_id, mail.to_address) == (case.officer.id, case.officer.email)
    assert mail.subject.endswith(f"A reviewer declined: {case.programme.title}")
    assert "Rita Reviewer declined" in mail.body_text and reason in mail.body_text and reason in mail.body_html
    assert client.get(f"/reviews/{case.seat.id}").status_code == 404
    assert case.programme.title not in text_of(client.get("/reviews"))


def test_declining_without_a_reason_is_fine_and_a_too_long_one_is_refused(app, session, client_for) -> None:
    case = build_case(app, session, status="invited")
    client = client_for(case.reviewer)
    response = client.post_form(f"/reviews/{case.seat.id}/decline", {"reason": "x" * 4001}, token_from="/")
    assert response.status_code == 422
    assert 'id="reason-error"' in text_of(response) and "<details open>" in text_of(response)
    assert seat_of(session, case.seat.id).status is MemberStatus.INVITED
    assert client.post_form(f"/reviews/{case.seat.id}/decline", token_from="/").status_code == 302
    found = seat_of(session, case.seat.id)
    assert (found.status, found.decline_reason) == (MemberStatus.DECLINED, None)


def test_declining_an_accepted_seat_is_a_409(app, session, client_for) -> None:
    case = build_case(app, session, status="accepted")
    before = snapshot(session)
    response = client_for(case.reviewer).post_form(f"/reviews/{case.seat.id}/decline", token_from="/")
    assert response.status_code == 409 and "You have already accepted this invitation." in text_of(response)
    assert snapshot(session) == before


# The declaration ---------------------------------------------------------------------------------------------

STATEMENTS = {"independent": "y", "uninvolved": "y", "unrelated": "y", "confidential": "y", "impartial": "y"}


def test_every_document_route_waits_for_the_declaration(app, session, client_for) -> None:
    case = build_case(app, session, status="accepted", declared=False)
    client = client_for(case.reviewer)
    before = snapshot(session)
    target = f"/reviews/{case.seat.id}/declaration"
    for path in ("proposal", f"attachments/{case.attachment.id}", "score", "panel"):
        assert client.get(f"/reviews/{case.seat.id}/{path}").headers["Location"] == target, path
    posted = client.post_form(f"/reviews/{case.seat.id}/score", form_data(full_marks(), version=1, submit=True),
                              token_from="/")
    assert posted.headers["Location"] == target
    assert snapshot(session) == before


def test_before_accepting_the_documents_and_the_declaration_lead_to_the_invitation(app, session,
                                                                                     client_for) -> None:
    case = build_case(app, session, status="invited")
    client = client_for(case.reviewer)
    for path in ("declaration", "proposal", f"attachments/{case.attachment.id}", "score", "panel"):
        assert client.get(f"/reviews/{case.seat.id}/{path}").headers["Location"] == f"/reviews/{case.seat.id}", path


def test_signing_the_declaration_keeps_the_text_its_version_and_the_answers(app, session, client_for) -> None:
    case = build_case(app, session, status="accepted", declared=False)
    client = client_for(case.reviewer)
    page = text_of(client.get(f"/reviews/{case.seat.id}/declaration"))
    assert page.count('type="checkbox"') == 6 and 'id="conflict_description"' in page
    response = client.post_form(f"/reviews/{case.seat.id}/declaration", STATEMENTS, token_from="/")
    assert response.headers["Location"] == f"/reviews/{case.seat.id}/proposal"
    found = seat_of(session, case.seat.id)
    stored = json.loads(found.declaration)
    assert (found.status, found.declared_at is not None, stored["version"], stored["conflict"]) == (
        MemberStatus.ACCEPTED, True, 1, False)
    assert [s["key"] for s in stored["statements"]] == list(STATEMENTS)
    assert all(s["agreed"] for s in stored["statements"])
    assert stored["statements"][3]["text"].startswith("I will keep the proposal, the panel's discussions")
    assert json.loads(entries(session, "review.declaration_signed")[-1].details)["declaration_version"] == 1
    assert client.get(f"/reviews/{case.seat.id}/proposal").status_code == 200
    signed = text_of(client.get(f"/reviews/{case.seat.id}/declaration"))
    assert "Your signed declaration" in signed and "<form" not in signed.split("<main")[1]


@pytest.mark.parametrize("missing", list(STATEMENTS))
def test_a_statement_left_unticked_without_a_conflict_is_refused(app, session, client_for, missing: str) -> None:
    case = build_case(app, session, status="accepted", declared=False)
    before = snapshot(session)
    answers = {key: value for key, value in STATEMENTS.items() if key != missing}
    response = client_for(case.reviewer).post_form(f"/reviews/{case.seat.id}/declaration", answers, token_from="/")
    assert response.status_code == 422
    assert "Tick every statement, or declare a conflict of interest." in text_of(response)
    assert snapshot(session) == before


def test_declaring_a_conflict_closes_the_seat_records_it_and_tells_the_officer(app, session, client_for) -> None:
    case = build_case(app, session, status="accepted", declared=False)
    client = client_for(case.reviewer)
    description = "I was an external examiner of the provider's business school until last year."
    response = client.post_form(f"/reviews/{case.seat.id}/declaration",
                                {"conflict": "y", "conflict_description": description}, token_from="/")
    assert response.headers["Location"] == "/reviews"
    found = seat_of(session, case.seat.id)
    assert (found.status, found.decline_reason, found.declared_at is not None) == (
        MemberStatus.DECLINED, description, True)
    assert json.loads(found.declaration)["conflict_description"] == description
    standing = session.scalars(select(ConflictDeclaration)).one()
    assert (standing.reviewer_id, standing.institution_id, standing.reason) == (
        case.reviewer.id, case.programme.provider_id, description)
    (mail,) = mails(session, "review_conflict")
    assert mail.recipient_id == case.officer.id and description in mail.body_text
    assert json.loads(entries(session, "review.conflict_declared")[-1].details)["description"] == description
    for path in ("", "/declaration", "/proposal", "/score"):
        assert client.get(f"/reviews/{case.seat.id}{path}").status_code == 404


def test_a_standing_conflict_is_not_recorded_twice(app, session, client_for) -> None:
    case = build_case(app, session, status="accepted", declared=False)
    session.add(ConflictDeclaration(reviewer_id=case.reviewer.id, institution_id=case.programme.provider_id,
                                    reason="Declared earlier."))
    session.commit()
    client_for(case.reviewer).post_form(f"/reviews/{case.seat.id}/declaration",
                                        {"conflict": "y", "conflict_description": "Still true."}, token_from="/")
    assert seat_of(session, case.seat.id).status is MemberStatus.DECLINED
    assert [c.reason for c in session.scalars(select(ConflictDeclaration))] == ["Declared earlier."]


def test_a_conflict_without_a_description_is_refused(app, session, client_for) -> None:
    case = build_case(app, session, status="accepted", declared=False)
    before = snapshot(session)
    response = client_for(case.reviewer).post_form(f"/reviews/{case.seat.id}/declaration", {"conflict": "y"},
                                                   token_from="/")
    assert response.status_code == 422 and "Describe the conflict of interest" in text_of(response)
    assert snapshot(session) == before


def test_signing_twice_is_a_409(app, session, client_for) -> None:
    case = build_case(app, session, status="accepted", declared=True)
    before = snapshot(session)
    response = client_for(case.reviewer).post_form(f"/reviews/{case.seat.id}/declaration", STATEMENTS,
                                                   token_from="/")
    assert response.status_code == 409 and "You signed the declaration already." in text_of(response)
    assert snapshot(session) == before


# Who may --------------------------------------------------------------------------------------------------

SEAT_GETS = ("", "/declaration", "/proposal", "/score", "/panel")
SEAT_POSTS = ("/accept", "/decline", "/declaration", "/score")


def _every_seat_route(client, case: Case) -> list[int]:  # noqa: ANN001
    base = f"/reviews/{case.seat.id}"
    codes = [client.get(base + path).status_code for path in SEAT_GETS]
    codes.append(client.get(f"{base}/attachments/{case.attachment.id}").status_code)
    codes += [client.post_form(base + path, {**STATEMENTS, **form_data(full_marks(), version=case.seat.version,
                                                                       submit=True)}, token_from="/").status_code
              for path in SEAT_POSTS]
    return codes


def test_another_reviewer_gets_404_everywhere_on_the_seat_and_changes_nothing(app, session, client_for) -> None:
    case = build_case(app, session, status="invited")
    other = make_user(session, Role.REVIEWER)
    session.commit()
    before = snapshot(session)
    assert set(_every_seat_route(client_for(other), case)) == {404}
    assert snapshot(session) == before


@pytest.mark.parametrize("status", ["removed", "declined"])
def test_a_closed_seat_answers_404_everywhere_to_its_own_reviewer(app, session, client_for, status: str) -> None:
    case = build_case(app, session, status=status, marks=full_marks())
    before = snapshot(session)
    assert set(_every_seat_route(client_for(case.reviewer), case)) == {404}
    assert snapshot(session) == before


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.QA_OFFICER, Role.ADMIN])
def test_people_who_are_not_reviewers_get_403_on_the_reviewer_pages(app, session, client_for, role: Role) -> None:
    case = build_case(app, session)
    person = case.designer if role is Role.DESIGNER else case.officer if role is Role.QA_OFFICER else make_user(
        session, Role.ADMIN)
    session.commit()
    before = snapshot(session)
    client = client_for(person)
    assert client.get("/reviews").status_code == 403
    assert set(_every_seat_route(client, case)) == {403}
    assert snapshot(session)[0] == before[0]


def test_signed_out_visitors_are_sent_to_sign_in(app, session, client) -> None:
    case = build_case(app, session)
    response = client.get(f"/reviews/{case.seat.id}/score")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_unknown_seats_are_404(app, session, client_for) -> None:
    case = build_case(app, session)
    client = client_for(case.reviewer)
    assert client.get("/reviews/999999").status_code == 404
    assert client.post_form("/reviews/999999/accept", token_from="/").status_code == 404


# GET changes nothing ----------------------------------------------------------------------------------------


def test_no_get_changes_anything(app, session, client_for) -> None:
    case = build_case(app, session, status="submitted", marks=full_marks())
    pending = build_case(app, session, status="accepted", declared=False)
    invited = build_case(app, session, status="invited")
    before = snapshot(session)
    reviewer = client_for(case.reviewer)
    gets = [reviewer.get("/reviews")]
    gets += [reviewer.get(f"/reviews/{case.seat.id}{path}") for path in SEAT_GETS]
    gets.append(reviewer.get(f"/reviews/{case.seat.id}/attachments/{case.attachment.id}"))
    gets += [client_for(pending.reviewer).get(f"/reviews/{pending.seat.id}{path}") for path in SEAT_GETS]
    gets += [client_for(invited.reviewer).get(f"/reviews/{invited.seat.id}{path}") for path in SEAT_GETS]
    gets.append(client_for(case.officer).get(f"/qa/assignments/{case.seat.id}"))
    for response in gets:
        response.close()
    assert {response.status_code for response in gets} == {200, 302}
    assert snapshot(session) == before


def test_the_services_refuse_anyone_but_the_seats_reviewer(app, session) -> None:
    case = build_case(app, session, status="invited")
    other = make_user(session, Role.REVIEWER)
    found = session.get(Assignment, case.seat.id)
    declaration = reviewing.Declaration((), conflict=True, description="None of your business.")
    for attempt in (lambda: reviewing.accept(session, found, actor=other),
                    lambda: reviewing.decline(session, found, actor=other),
                    lambda: reviewing.sign_declaration(session, found, declaration, actor=other),
                    lambda: reviewing.save_draft(session, found, reviewing.Scoresheet({}), actor=other,
                                                 rubric=None, expected_version=1)):
        with pytest.raises(reviewing.NotAllowed):
            attempt()
    session.rollback()
    assert seat_of(session, case.seat.id).status is MemberStatus.INVITED
