"""Appeals: the provider lodges one within the window, QA officers appoint a panel free of conflicts, and a panel
member records the outcome (dismissed: the decision stands; upheld: the programme goes back for a new decision)."""
from __future__ import annotations

import io
import json
import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from factories import PDF_BYTES, make_in_review, make_institution, make_programme, make_submitted, make_user, seat
from sql_counts import count_statements
from sqlalchemy import func, select

from qa_engine.domain.decisions import ACCREDITING, AppealOutcome
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import (
    Appeal,
    AppealStatus,
    Attachment,
    AuditEntry,
    ConflictDeclaration,
    Decision,
    DecisionStatus,
    OutboxMessage,
    Programme,
)
from qa_engine.services import appeals, users

TODAY = date.today()
GROUNDS = "The panel misread learning outcome LO3: the assessment brief in annex 2 covers it."
REASON = "The assessment brief in annex 2 does cover LO3; the decision overlooked it."
OTHER_PDF = b"%PDF-1.4\n% a second document\n%%EOF\n"


@pytest.fixture(name="people")
def people_fixture(session):  # noqa: ANN001, ANN201
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency")
    provider = make_institution(session, name="Eastvale College")
    found = SimpleNamespace(
        agency=agency, provider=provider,
        officer=make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer"),
        colleague=make_user(session, Role.QA_OFFICER, institution=agency, full_name="Carl Colleague"),
        admin=make_user(session, Role.ADMIN, institution=agency, full_name="Ada Admin"),
        designer=make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer"),
        reviewer=make_user(session, Role.REVIEWER, full_name="Rita Reviewer"),
        outsider=make_user(session, Role.REVIEWER, full_name="Omar Outsider"),
    )
    session.commit()
    return found


def decided(session, people, outcome: Outcome, *, state: State, decided_on: date = TODAY,  # noqa: ANN001
            deadline: date | None = None, valid_until: date | None = None, reviewers=(),  # noqa: ANN001
            programme: Programme | None = None) -> Decision:
    """A programme of the provider decided by the officer (its review panel: `reviewers`), in `state`."""
    if programme is None:
        programme = make_programme(session, people.designer)
        make_submitted(session, programme, people.designer)
    if reviewers:
        review = make_in_review(session, programme, people.officer)
        for person in reviewers:
            seat(session, review, person, people.officer, status="submitted")
    programme.state, programme.version = state, programme.version + 1
    accrediting = outcome in ACCREDITING
    decision = Decision(programme_id=programme.id, version_number=programme.current_version,
                        status=DecisionStatus.EFFECTIVE, outcome=outcome, rationale="The outcomes cannot be assessed.",
                        valid_from=decided_on if accrediting else None,
                        valid_until=(valid_until or decided_on + timedelta(days=1000)) if accrediting else None,
                        decision_body="Accreditation committee", decided_by_id=people.officer.id,
                        decided_on=decided_on, appeal_deadline=deadline or decided_on + timedelta(days=30))
    session.add(decision)
    session.commit()
    return decision


def lodged(session, people, decision: Decision, *, handlers=()) -> Appeal:  # noqa: ANN001
    """An open appeal against `decision`, with `handlers` on its panel."""
    appeal = Appeal(decision_id=decision.id, programme_id=decision.programme_id, grounds=GROUNDS,
                    lodged_by_id=people.designer.id, handler_ids=json.dumps([person.id for person in handlers]))
    session.add(appeal)
    session.commit()
    return appeal


def fresh(session) -> None:  # noqa: ANN001
    session.rollback()
    session.expire_all()


def entries(session, programme_id: int, prefix: str = "") -> list[AuditEntry]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.object_type == "programme",
                                                         AuditEntry.object_id == str(programme_id),
                                                         AuditEntry.action.startswith(prefix))
                                .order_by(AuditEntry.seq)))


def mails(session, event: str) -> list[OutboxMessage]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.event == event).order_by(OutboxMessage.id)))


def appeal_rows(session, programme_id: int) -> list[Appeal]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(Appeal).where(Appeal.programme_id == programme_id).order_by(Appeal.id)))


def post_appeal(client, programme_id: int, grounds: str = GROUNDS, files=()):  # noqa: ANN001, ANN201
    data = {"grounds": grounds, "documents": [(io.BytesIO(content), name) for name, content in files]}
    return client.post_form(f"/programmes/{programme_id}/appeal", data, token_from="/",
                            content_type="multipart/form-data")


def text_of(html: str) -> str:
    return " ".join(html.split())


# Lodging ------------------------------------------------------------------------------------------------------


def test_designer_lodges_an_appeal_with_documents_audited_and_officers_emailed(app, session, people,
                                                                               client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    inactive = make_user(session, Role.QA_OFFICER, institution=people.agency)
    users.set_active(session, inactive, False, by=people.admin)
    session.commit()
    client = client_for(people.designer)
    form = client.get(f"/programmes/{decision.programme_id}/appeal").get_data(as_text=True)
    assert "Rejected, decided by the Accreditation committee on" in form
    assert f"Appeals may be lodged until {(TODAY + timedelta(days=30)).isoformat()}." in form
    assert 'enctype="multipart/form-data"' in form
    response = post_appeal(client, decision.programme_id, files=[("annex 2.pdf", PDF_BYTES), ("cv.pdf", OTHER_PDF)])
    assert response.headers["Location"] == f"/programmes/{decision.programme_id}"
    [appeal] = appeal_rows(session, decision.programme_id)
    assert (appeal.status, appeal.grounds, appeal.decision_id, appeal.lodged_by_id) == (
        AppealStatus.LODGED, GROUNDS, decision.id, people.designer.id)
    files = [session.get(Attachment, i) for i in appeals.document_ids(appeal)]
    assert [(f.filename, f.programme_id) for f in files] == [("annex 2.pdf", decision.programme_id),
                                                            ("cv.pdf", decision.programme_id)]
    entry = entries(session, decision.programme_id, "appeal.")[-1]
    assert (entry.action, entry.actor_id, entry.actor_role) == ("appeal.lodged", people.designer.id, "designer")
    assert json.loads(entry.details) == {"appeal": appeal.id, "decision": decision.id, "against": "decision",
                                         "deadline": (TODAY + timedelta(days=30)).isoformat(),
                                         "documents": [f.id for f in files]}
    assert sorted(m.recipient_id for m in mails(session, "appeal_lodged")) == sorted(
        [people.officer.id, people.colleague.id])
    mail = mails(session, "appeal_lodged")[0]
    assert "Eastvale College has appealed against the decision on" in mail.body_text
    assert f"/qa/appeals/{appeal.id}" in mail.body_text and f"/qa/appeals/{appeal.id}" in mail.body_html
    # The officer reads the documents from the appeal page.
    officer = client_for(people.officer)
    page = officer.get(f"/qa/appeals/{appeal.id}").get_data(as_text=True)
    assert GROUNDS in page and f'href="/qa/appeals/{appeal.id}/documents/2">cv.pdf</a>' in page
    download = officer.get(f"/qa/appeals/{appeal.id}/documents/2")
    body = download.get_data()
    download.close()
    assert (body, download.headers["Content-Security-Policy"]) == (OTHER_PDF, "sandbox")
    assert officer.get(f"/qa/appeals/{appeal.id}/documents/3").status_code == 404


def test_an_appeal_needs_its_grounds(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REVISE_AND_RESUBMIT, state=State.REVISE_AND_RESUBMIT)
    response = post_appeal(client_for(people.designer), decision.programme_id, grounds="  \n ")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="grounds-error"' in page and "State the grounds of the appeal." in page
    assert appeal_rows(session, decision.programme_id) == []


def test_a_refused_document_is_named_and_nothing_is_stored(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    response = post_appeal(client_for(people.designer), decision.programme_id,
                           files=[("annex.pdf", PDF_BYTES), ("letter.pdf", b"MZ not a pdf")])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "letter.pdf: The content of letter.pdf is not a PDF file, whatever its name says." in page
    assert GROUNDS in page  # what was typed is kept
    assert appeal_rows(session, decision.programme_id) == []
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_appeal_after_the_window_closed_is_refused_with_the_date(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED,
                       decided_on=TODAY - timedelta(days=31), deadline=TODAY - timedelta(days=1))
    client = client_for(people.designer)
    message = f"The time to appeal ended on {(TODAY - timedelta(days=1)).isoformat()}"
    page = client.get(f"/programmes/{decision.programme_id}/appeal").get_data(as_text=True)
    assert message in page and 'name="grounds"' not in page
    response = post_appeal(client, decision.programme_id)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert message in page and GROUNDS in page  # the grounds typed are shown back, not lost
    assert appeal_rows(session, decision.programme_id) == []
    entry = entries(session, decision.programme_id, "appeal.")[-1]
    assert (entry.action, json.loads(entry.details)["reason"].startswith(message)) == ("appeal.refused", True)


def test_the_last_day_of_the_window_is_still_open(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED,
                       decided_on=TODAY - timedelta(days=30), deadline=TODAY)
    assert post_appeal(client_for(people.designer), decision.programme_id).status_code == 302
    assert len(appeal_rows(session, decision.programme_id)) == 1


def test_an_unconditional_approval_cannot_be_appealed(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.APPROVED, state=State.APPROVED)
    response = post_appeal(client_for(people.designer), decision.programme_id)
    assert response.status_code == 409
    assert "An unconditional approval leaves nothing to appeal against." in response.get_data(as_text=True)
    assert appeal_rows(session, decision.programme_id) == []


def test_a_programme_that_moved_on_cannot_be_appealed(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REVISE_AND_RESUBMIT, state=State.DRAFT)
    response = post_appeal(client_for(people.designer), decision.programme_id)
    assert response.status_code == 409
    assert "The programme has moved on since the decision" in response.get_data(as_text=True)


def test_a_programme_without_a_decision_cannot_be_appealed(app, session, people, client_for) -> None:
    programme = make_programme(session, people.designer)
    make_submitted(session, programme, people.designer)
    session.commit()
    page = client_for(people.designer).get(f"/programmes/{programme.id}/appeal").get_data(as_text=True)
    assert "There is no decision to appeal against." in page and 'name="grounds"' not in page


def test_one_open_appeal_at_a_time_then_another_after_the_outcome(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.APPROVED_WITH_CONDITIONS, state=State.CONDITIONS)
    client = client_for(people.designer)
    assert post_appeal(client, decision.programme_id).status_code == 302
    second = post_appeal(client, decision.programme_id, grounds="And another thing.")
    assert second.status_code == 409
    assert "An appeal is already open: wait for its outcome." in second.get_data(as_text=True)
    [appeal] = appeal_rows(session, decision.programme_id)
    appeal.status, appeal.outcome, appeal.outcome_reason = AppealStatus.DECIDED, AppealOutcome.DISMISSED, "No."
    session.commit()
    # The window is still open and nothing is pending: the spec allows one open appeal at a time.
    assert post_appeal(client, decision.programme_id, grounds="New evidence.").status_code == 302
    assert [a.status for a in appeal_rows(session, decision.programme_id)] == [AppealStatus.DECIDED,
                                                                               AppealStatus.LODGED]


@pytest.mark.parametrize("attempt", range(10))
def test_two_designers_lodging_at_once_open_exactly_one_appeal(app, session, people, client_for,
                                                               attempt: int) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    partner = make_user(session, Role.DESIGNER, institution=people.provider)
    session.commit()
    clients = [client_for(people.designer), client_for(partner)]
    tokens = [client.csrf_token("/") for client in clients]
    barrier, statuses = threading.Barrier(2), []

    def lodge(client, token) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(f"/programmes/{decision.programme_id}/appeal",
                               data={"grounds": GROUNDS, "csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=lodge, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [302, 409]
    assert len(appeal_rows(session, decision.programme_id)) == 1


def test_only_the_providers_designers_lodge(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    stranger = make_user(session, Role.DESIGNER)
    session.commit()
    assert client_for(stranger).get(f"/programmes/{decision.programme_id}/appeal").status_code == 404
    assert post_appeal(client_for(stranger), decision.programme_id).status_code == 404
    assert post_appeal(client_for(people.officer), decision.programme_id).status_code == 403
    assert appeal_rows(session, decision.programme_id) == []


# The list and the page ----------------------------------------------------------------------------------------


def test_officers_and_admins_list_appeals_open_first(app, session, people, client_for) -> None:
    first = lodged(session, people, decided(session, people, Outcome.REJECTED, state=State.REJECTED))
    first.status, first.outcome, first.outcome_reason = AppealStatus.DECIDED, AppealOutcome.DISMISSED, "No."
    second = lodged(session, people, decided(session, people, Outcome.REJECTED, state=State.REJECTED))
    session.commit()
    for person in (people.officer, people.admin):
        page = client_for(person).get("/qa/appeals").get_data(as_text=True)
        body = page.split("<tbody>")[1]
        assert body.index(f"/qa/appeals/{second.id}") < body.index(f"/qa/appeals/{first.id}")
        assert "<strong>Open</strong>" in body and "Dismissed" in body and "2 appeals" in page
    assert client_for(people.reviewer).get("/qa/appeals").status_code == 403
    assert client_for(people.designer).get("/qa/appeals").status_code == 403


def test_appeal_list_issues_the_same_number_of_statements_for_2_and_12_appeals(app, session, people,
                                                                               client_for) -> None:

    client = client_for(people.officer)
    client.get("/qa/appeals")

    def statements() -> int:
        return count_statements(app, client, "/qa/appeals")

    for _ in range(2):
        lodged(session, people, decided(session, people, Outcome.REJECTED, state=State.REJECTED))
    at_2 = statements()
    for _ in range(10):
        lodged(session, people, decided(session, people, Outcome.REJECTED, state=State.REJECTED))
    assert statements() == at_2


def test_the_appeal_page_lists_candidates_with_their_eligibility(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED, reviewers=[people.reviewer])
    make_user(session, Role.REVIEWER, institution=people.provider, full_name="Pat Provider")
    declared = make_user(session, Role.REVIEWER, full_name="Dora Declared")
    session.add(ConflictDeclaration(reviewer_id=declared.id, institution_id=people.provider.id, reason="Alumna."))
    session.commit()
    appeal = lodged(session, people, decision)
    page = text_of(client_for(people.colleague).get(f"/qa/appeals/{appeal.id}").get_data(as_text=True))
    assert "Appealed: the decision" in page and "The outcomes cannot be assessed." in page
    rows = {row.split("</th>")[0]: row for row in page.split('<th scope="row">')[1:]}
    assert "Not eligible: Took part in the decision" in rows["Olga Officer"]
    assert "Not eligible: Reviewed the programme" in rows["Rita Reviewer"]
    assert "Not eligible: Works at the provider" in rows["Pat Provider"]
    assert "Not eligible: Declared a conflict of interest with the provider" in rows["Dora Declared"]
    for name in ("Carl Colleague", "Ada Admin", "Omar Outsider"):
        assert "Eligible" in rows[name] and f'action="/qa/appeals/{appeal.id}/handlers"' in rows[name]
    assert "Appoint" not in rows["Olga Officer"] and "Dana Designer" not in rows


# The panel ----------------------------------------------------------------------------------------------------


def test_officer_appoints_an_eligible_handler_who_is_emailed(app, session, people, client_for) -> None:
    appeal = lodged(session, people, decided(session, people, Outcome.REJECTED, state=State.REJECTED))
    response = client_for(people.colleague).post_form(f"/qa/appeals/{appeal.id}/handlers",
                                                      {"person_id": people.outsider.id}, token_from="/")
    assert response.headers["Location"] == f"/qa/appeals/{appeal.id}#panel-heading"
    fresh(session)
    appeal = session.get(Appeal, appeal.id)
    assert (appeals.handler_ids(appeal), appeal.version) == ([people.outsider.id], 2)
    entry = entries(session, appeal.programme_id, "appeal.")[-1]
    assert (entry.action, entry.actor_id, json.loads(entry.details)) == (
        "appeal.handler_appointed", people.colleague.id,
        {"appeal": appeal.id, "handler": people.outsider.id, "name": "Omar Outsider"})
    [mail] = mails(session, "appeal_handler")
    assert mail.recipient_id == people.outsider.id and f"/qa/appeals/{appeal.id}" in mail.body_text
    again = client_for(people.colleague).post_form(f"/qa/appeals/{appeal.id}/handlers",
                                                   {"person_id": people.outsider.id}, token_from="/")
    assert again.status_code == 422 and "Already on the panel" in again.get_data(as_text=True)


@pytest.mark.parametrize("who", ["officer", "reviewer"])
def test_a_conflicted_handler_is_refused_with_the_reason(app, session, people, client_for, who: str) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED, reviewers=[people.reviewer])
    appeal = lodged(session, people, decision)
    person = getattr(people, who)
    response = client_for(people.colleague).post_form(f"/qa/appeals/{appeal.id}/handlers",
                                                      {"person_id": person.id}, token_from="/")
    reason = "Took part in the decision" if who == "officer" else "Reviewed the programme"
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"This person may not sit on the appeal panel: {reason}." in page and 'id="appoint-error"' in page
    fresh(session)
    assert appeals.handler_ids(session.get(Appeal, appeal.id)) == []
    entry = entries(session, decision.programme_id, "appeal.")[-1]
    assert (entry.action, json.loads(entry.details)["reason"]) == ("appeal.handler_refused", reason)


def test_designers_and_unknown_people_cannot_sit_on_a_panel(app, session, people, client_for) -> None:
    appeal = lodged(session, people, decided(session, people, Outcome.REJECTED, state=State.REJECTED))
    client = client_for(people.colleague)
    for person_id in (people.designer.id, 999999):
        response = client.post_form(f"/qa/appeals/{appeal.id}/handlers", {"person_id": person_id}, token_from="/")
        assert response.status_code == 422
        assert "Only active QA officers, administrators and reviewers sit on appeal panels" in response.get_data(
            as_text=True)
    assert client.post_form(f"/qa/appeals/{appeal.id}/handlers", {"person_id": "x"},
                            token_from="/").status_code == 422
    assert client_for(people.admin).post_form(f"/qa/appeals/{appeal.id}/handlers", {"person_id": people.outsider.id},
                                              token_from="/").status_code == 403
    fresh(session)
    assert appeals.handler_ids(session.get(Appeal, appeal.id)) == []


def test_a_reviewer_sees_only_the_appeals_whose_panel_they_sit_on(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    appeal = lodged(session, people, decision, handlers=[people.outsider])
    page = client_for(people.outsider).get(f"/qa/appeals/{appeal.id}").get_data(as_text=True)
    assert GROUNDS in page and 'id="outcome-form"' in page and 'id="candidates"' not in page
    assert f'href="/programmes/{decision.programme_id}"' not in page  # reviewers cannot open the programme page
    assert client_for(people.reviewer).get(f"/qa/appeals/{appeal.id}").status_code == 404
    assert client_for(people.designer).get(f"/qa/appeals/{appeal.id}").status_code == 403
    assert client_for(people.officer).get("/qa/appeals/999999").status_code == 404


# The outcome --------------------------------------------------------------------------------------------------


def record(client, appeal: Appeal, outcome: str, reason: str = REASON):  # noqa: ANN001, ANN201
    return client.post_form(f"/qa/appeals/{appeal.id}/outcome", {"outcome": outcome, "reason": reason},
                            token_from="/")


def test_a_dismissed_appeal_leaves_the_decision_standing(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    appeal = lodged(session, people, decision, handlers=[people.outsider])
    before = session.get(Programme, decision.programme_id).version
    response = record(client_for(people.outsider), appeal, "dismissed")
    assert response.headers["Location"] == f"/qa/appeals/{appeal.id}"
    fresh(session)
    appeal, programme = session.get(Appeal, appeal.id), session.get(Programme, decision.programme_id)
    assert (appeal.status, appeal.outcome, appeal.outcome_reason, appeal.decided_by_id) == (
        AppealStatus.DECIDED, AppealOutcome.DISMISSED, REASON, people.outsider.id)
    assert (programme.state, programme.version) == (State.REJECTED, before)
    entry = entries(session, programme.id)[-1]
    assert (entry.action, entry.actor_id, entry.actor_role, json.loads(entry.details)) == (
        "appeal.decided", people.outsider.id, "reviewer",
        {"appeal": appeal.id, "outcome": "dismissed", "comment": REASON})
    [mail] = mails(session, "appeal_decided")
    assert mail.recipient_id == people.designer.id
    assert "dismissed your appeal" in mail.body_text and REASON in mail.body_text
    assert "Omar" not in mail.body_text + mail.body_html  # the panel is not named to the provider
    page = text_of(client_for(people.officer).get(f"/qa/appeals/{appeal.id}").get_data(as_text=True))
    assert "<strong>Dismissed</strong> — the decision stands." in page and "Recorded by Omar Outsider" in page


def test_the_outcome_goes_to_the_programmes_designer_and_whoever_lodged_the_appeal(app, session, people,
                                                                                  client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    partner = make_user(session, Role.DESIGNER, institution=people.provider)
    session.commit()
    assert post_appeal(client_for(partner), decision.programme_id).status_code == 302
    [appeal] = appeal_rows(session, decision.programme_id)
    appeal.handler_ids = json.dumps([people.outsider.id])
    session.commit()
    assert record(client_for(people.outsider), appeal, "dismissed").status_code == 302
    assert sorted(m.recipient_id for m in mails(session, "appeal_decided")) == sorted([people.designer.id,
                                                                                       partner.id])


def test_an_upheld_appeal_sends_the_programme_back_for_a_new_decision(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REVISE_AND_RESUBMIT, state=State.REVISE_AND_RESUBMIT)
    appeal = lodged(session, people, decision, handlers=[people.colleague, people.outsider])
    assert record(client_for(people.colleague), appeal, "upheld").status_code == 302
    fresh(session)
    assert session.get(Programme, decision.programme_id).state == State.DECISION_PENDING
    transition, outcome = entries(session, decision.programme_id)[-2:]
    assert (transition.action, transition.actor_id, transition.actor_role) == (
        "programme.uphold_appeal", people.colleague.id, "qa_officer")
    assert json.loads(transition.details) == {
        "action": "uphold_appeal", "from": "revise_and_resubmit", "to": "decision_pending", "appeal": appeal.id,
        "comment": REASON}
    assert (outcome.action, json.loads(outcome.details)["outcome"]) == ("appeal.decided", "upheld")
    [mail] = mails(session, "appeal_decided")
    assert "upheld your appeal" in mail.body_text and "goes back for a new decision" in mail.body_text
    # Officers read the steps on the programme's timeline.
    history = text_of(client_for(people.officer).get(f"/programmes/{decision.programme_id}").get_data(as_text=True))
    assert f"Uphold appeal: Decision pending <span class=\"muted\">— Carl Colleague</span>: “{REASON}”" in history
    assert "Decided <span class=\"muted\">— Carl Colleague</span>" in history


def test_a_reviewer_on_the_appeal_panel_upholds_it_in_their_own_name(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    appeal = lodged(session, people, decision, handlers=[people.outsider])
    assert record(client_for(people.outsider), appeal, "upheld").status_code == 302
    transition, outcome = entries(session, decision.programme_id)[-2:]
    assert (transition.action, transition.actor_id, transition.actor_role) == (
        "programme.uphold_appeal", people.outsider.id, "reviewer")
    assert (outcome.action, outcome.actor_id, outcome.actor_role) == ("appeal.decided", people.outsider.id,
                                                                       "reviewer")
    assert session.get(Programme, decision.programme_id).state == State.DECISION_PENDING


def test_only_panel_members_record_the_outcome(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    appeal = lodged(session, people, decision, handlers=[people.outsider])
    refused = record(client_for(people.colleague), appeal, "upheld")
    assert refused.status_code == 403
    assert "Only the members of the appeal panel record its outcome." in refused.get_data(as_text=True)
    assert record(client_for(people.admin), appeal, "upheld").status_code == 403
    assert record(client_for(people.reviewer), appeal, "upheld").status_code == 404
    page = client_for(people.colleague).get(f"/qa/appeals/{appeal.id}").get_data(as_text=True)
    assert 'id="outcome-form"' not in page and "only its members record it" in page
    fresh(session)
    assert session.get(Appeal, appeal.id).status == AppealStatus.LODGED
    assert session.get(Programme, decision.programme_id).state == State.REJECTED
    with pytest.raises(appeals.NotAHandler):
        appeals.record_outcome(session, session.get(Appeal, appeal.id), actor=people.colleague,
                               outcome=AppealOutcome.UPHELD, reason=REASON)


@pytest.mark.parametrize(("data", "message"), [({"reason": REASON}, "Choose the outcome."),
                                               ({"outcome": "upheld", "reason": " "},
                                                "Give the reasons for the outcome."),
                                               ({"outcome": "maybe", "reason": REASON}, "Not a valid choice")])
def test_an_outcome_needs_a_valid_choice_and_reasons(app, session, people, client_for, data: dict,
                                                     message: str) -> None:
    appeal = lodged(session, people, decided(session, people, Outcome.REJECTED, state=State.REJECTED),
                    handlers=[people.outsider])
    response = client_for(people.outsider).post_form(f"/qa/appeals/{appeal.id}/outcome", data, token_from="/")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    fresh(session)
    assert session.get(Appeal, appeal.id).status == AppealStatus.LODGED


def test_a_second_outcome_is_refused_and_audited(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    appeal = lodged(session, people, decision, handlers=[people.outsider, people.colleague])
    assert record(client_for(people.outsider), appeal, "dismissed").status_code == 302
    late = record(client_for(people.colleague), appeal, "upheld")
    assert late.status_code == 409
    assert "The outcome of this appeal has already been recorded." in late.get_data(as_text=True)
    entry = entries(session, decision.programme_id)[-1]
    assert (entry.action, json.loads(entry.details)["reason"]) == (
        "appeal.outcome_refused", "The outcome of this appeal has already been recorded.")
    assert session.get(Programme, decision.programme_id).state == State.REJECTED
    assert client_for(people.officer).post_form(f"/qa/appeals/{appeal.id}/handlers", {"person_id": people.admin.id},
                                                token_from="/").status_code == 409


def test_an_upheld_appeal_the_programme_cannot_follow_changes_nothing(app, session, people, client_for) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    appeal = lodged(session, people, decision, handlers=[people.outsider])
    programme = session.get(Programme, decision.programme_id)
    programme.state = State.WITHDRAWN  # moved on by other means meanwhile
    session.commit()
    response = record(client_for(people.outsider), appeal, "upheld")
    assert response.status_code == 409
    assert "“Uphold appeal” is not possible for a withdrawn programme." in response.get_data(as_text=True)
    fresh(session)
    assert (session.get(Appeal, appeal.id).status, session.get(Appeal, appeal.id).version) == (
        AppealStatus.LODGED, 1)
    assert entries(session, decision.programme_id)[-1].action == "appeal.outcome_refused"


@pytest.mark.parametrize("attempt", range(50))
def test_two_handlers_recording_at_once_exactly_one_wins(app, session, people, client_for, attempt: int) -> None:
    decision = decided(session, people, Outcome.REJECTED, state=State.REJECTED)
    appeal = lodged(session, people, decision, handlers=[people.outsider, people.colleague])
    clients = [client_for(people.outsider), client_for(people.colleague)]
    tokens = [client.csrf_token("/") for client in clients]
    outcomes = ["dismissed", "upheld"] if attempt % 2 else ["upheld", "dismissed"]
    barrier, statuses = threading.Barrier(2), {}

    def act(client, token, outcome) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(f"/qa/appeals/{appeal.id}/outcome",
                                data={"outcome": outcome, "reason": REASON, "csrf_token": token})
        statuses[outcome] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=act, args=triple) for triple in zip(clients, tokens, outcomes, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in statuses.values()) == [302, 409]
    winner = next(outcome for outcome, (status, _) in statuses.items() if status == 302)
    loser_page = next(page for status, page in statuses.values() if status == 409)
    assert ("The outcome of this appeal has already been recorded." in loser_page
            or "The appeal was changed in the meantime." in loser_page)
    fresh(session)
    stored = session.get(Appeal, appeal.id)
    assert (stored.status, stored.outcome, stored.version) == (AppealStatus.DECIDED, AppealOutcome(winner), 2)
    expected = State.DECISION_PENDING if winner == "upheld" else State.REJECTED
    assert session.get(Programme, decision.programme_id).state == expected
    actions = [e.action for e in entries(session, decision.programme_id, "appeal.")]
    assert sorted(actions) == ["appeal.decided", "appeal.outcome_refused"]
    assert len(mails(session, "appeal_decided")) == 1
