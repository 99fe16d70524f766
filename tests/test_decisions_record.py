"""Recording a decision without four eyes: it takes effect at once, all or nothing, and only once."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from factories import sign_in
from sqlalchemy import select
from test_decisions_case import (
    CONDITION,
    RATIONALE,
    People,
    audit_actions,
    count,
    decisions_of,
    form,
    fresh,
    in_90_days,
    make_people,
    outbox_rows,
    pending,
    state_of,
    today,
)
from test_report_data import pdf_text

from qa_engine.domain.workflow import State
from qa_engine.models import AuditEntry, Condition, Decision, OutboxMessage
from qa_engine.services import report_archive, report_data, workflow
from qa_engine.services.report_archive import Document


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


def test_an_approval_takes_effect_at_once_and_tells_designer_and_reviewers(app, session, people,
                                                                           client_for) -> None:
    programme = pending(session, people)
    client = client_for(people.officer)
    response = client.post_form(f"/qa/programmes/{programme.id}/decision", form(), token_from="/")
    assert response.headers["Location"] == f"/qa/programmes/{programme.id}/decision"
    [decision] = decisions_of(session, programme.id)
    assert (decision.status.value, decision.outcome.value, decision.decided_on, decision.appeal_deadline) == (
        "effective", "approved", today(), None)
    assert (decision.recommended_outcome.value, decision.departure_reason, decision.rationale) == (
        "approved", None, RATIONALE)
    assert (decision.limit_eqf_level, decision.limit_field, decision.limit_mode) == (6, "0688", "blended")
    assert (decision.decided_by_id, decision.confirmed_by_id, decision.version_number) == (people.officer.id, None, 1)
    assert state_of(session, programme.id) is State.APPROVED
    assert audit_actions(session, programme.id)[-2:] == ["decision.recorded", "programme.approve"]
    mails = outbox_rows(session)
    assert [(m.event, m.recipient_id) for m in mails] == [
        ("decision", people.designer.id), ("decision_reviewer", people.reviewers[0].id),
        ("decision_reviewer", people.reviewers[1].id)]
    designer = mails[0]
    assert designer.subject == f"[QA Engine] Decision on {programme.title}: Approved"
    assert RATIONALE in designer.body_text and "Consider a second intake in spring." in designer.body_text
    assert f"The approval is valid from {today().isoformat()} until" in designer.body_text
    assert "appeal" not in designer.body_text.lower()  # nothing to appeal in an approval
    page = client.get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    assert "The decision is in effect; the provider and the reviewers are told." in page
    assert "The programme is approved: it is not waiting for a decision." in page


def test_the_reports_issued_with_the_decision_are_archived_in_the_same_request(app, session, people,
                                                                               client_for) -> None:
    programme = pending(session, people)
    data = form("approved_with_conditions", departure_reason="Timing.", conditions=[(*CONDITION, in_90_days())])
    client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", data, token_from="/")
    [decision] = decisions_of(session, programme.id)
    with app.app_context():
        folder = report_data.sources().report.reports_dir
    letter = report_archive.issued(decision, Document.LETTER, folder)
    served = client_for(people.designer).get(f"/decisions/{decision.id}/letter.pdf")
    assert decision.report_file == f"{decision.report_sha256}.zip"
    assert served.data == letter
    assert CONDITION[0] in pdf_text(letter)
    assert "Approved with conditions" in pdf_text(report_archive.issued(decision, Document.ASSESSMENT, folder))


def test_an_approval_with_conditions_records_them_and_mails_them_with_the_appeal_route(app, session, people,
                                                                                       client_for) -> None:
    programme = pending(session, people)
    due = in_90_days()
    data = form("approved_with_conditions", departure_reason="The calendar must be public before the start.",
                conditions=[(*CONDITION, due), ("", "", None), ("Name a second assessor.", "The staff list.", due)])
    client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", data, token_from="/")
    [decision] = decisions_of(session, programme.id)
    conditions = list(session.scalars(select(Condition).where(Condition.decision_id == decision.id)
                                      .order_by(Condition.number)))
    assert [(c.number, c.text, c.evidence_required, c.due_on, c.status.value, c.version) for c in conditions] == [
        (1, CONDITION[0], CONDITION[1], due, "open", 1), (2, "Name a second assessor.", "The staff list.", due,
                                                          "open", 1)]
    assert decision.departure_reason == "The calendar must be public before the start."
    assert decision.appeal_deadline == today() + timedelta(days=30)
    assert state_of(session, programme.id) is State.CONDITIONS
    text = outbox_rows(session, "decision")[0].body_text
    assert f"1. {CONDITION[0]}\n   Evidence required: {CONDITION[1]}\n   Due on: {due.isoformat()}" in text
    assert f"You may appeal against this decision until {decision.appeal_deadline.isoformat()}." in text
    assert f"http://127.0.0.1:5000/programmes/{programme.id}/conditions" in text
    assert f"http://127.0.0.1:5000/decisions/{decision.id}" in text
    html = outbox_rows(session, "decision")[0].body_html
    assert "<ol>" in html and CONDITION[1] in html
    reviewer = outbox_rows(session, "decision_reviewer")[0].body_text
    assert "The approval carries 2 conditions, which the provider must meet by their due dates." in reviewer


def test_a_rejection_has_an_appeal_deadline_from_the_configured_window_and_no_validity(make_app, session, people,
                                                                                       ) -> None:
    app = make_app(APPEAL_WINDOW_DAYS=14)
    programme = pending(session, people)
    client = app.test_client()
    sign_in(client, app, people.officer)
    data = form("rejected", departure_reason="The programme duplicates an accredited one.")
    assert client.post_form(f"/qa/programmes/{programme.id}/decision", data, token_from="/").status_code == 302
    [decision] = decisions_of(session, programme.id)
    assert (decision.appeal_deadline, decision.valid_from, decision.valid_until, decision.limit_field) == (
        today() + timedelta(days=14), None, None, None)
    assert state_of(session, programme.id) is State.REJECTED
    assert "You may appeal against this decision until" in outbox_rows(session, "decision")[0].body_text


def test_reviewers_are_told_the_outcome_without_the_other_reviewers_names(app, session, people,
                                                                          client_for) -> None:
    programme = pending(session, people, blind=False)
    client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", form(), token_from="/")
    mails = outbox_rows(session, "decision_reviewer")
    assert [m.to_address for m in mails] == [r.email for r in people.reviewers]
    for mail, other in zip(mails, reversed(people.reviewers), strict=True):
        for body in (mail.body_text, mail.body_html):
            assert "Approved" in body and programme.title in body
            assert other.full_name not in body and other.email not in body
            assert other.institution.name not in body
            assert RATIONALE not in body


def test_in_blind_review_nothing_sent_to_the_designer_names_a_reviewer(app, session, people, client_for) -> None:
    programme = pending(session, people)
    client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", form(), token_from="/")
    designer = outbox_rows(session, "decision")[0]
    for reviewer in people.reviewers:
        for name in (reviewer.full_name, reviewer.full_name.split()[-1], reviewer.email, reviewer.institution.name):
            assert name not in designer.body_text and name not in designer.body_html and name not in designer.subject


# All or nothing ------------------------------------------------------------------------------------------------


def test_a_refused_transition_leaves_no_decision_no_condition_and_no_mail(app, session, people, client_for,
                                                                          monkeypatch) -> None:
    programme = pending(session, people)
    seen: list[int] = []

    def refuse(session_, programme_, action, **kwargs) -> None:  # noqa: ANN001, ANN003
        seen.append(session_.scalar(select(Decision.id).where(Decision.programme_id == programme_.id)))
        raise workflow.Conflict("The programme was changed in the meantime.")

    monkeypatch.setattr(workflow, "transition", refuse)
    data = form("approved_with_conditions", departure_reason="Timing.", conditions=[(*CONDITION, in_90_days())])
    response = client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", data,
                                                     token_from="/")
    assert response.status_code == 409
    assert "The programme was changed in the meantime." in response.get_data(as_text=True)
    assert seen and seen[0] is not None  # the decision had been added when the transition failed
    assert (count(session, Decision), count(session, Condition), count(session, OutboxMessage)) == (0, 0, 0)
    assert state_of(session, programme.id) is State.DECISION_PENDING
    refused = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert (refused.action, json.loads(refused.details)["reason"]) == (
        "decision.refused", "The programme was changed in the meantime.")
    assert "decision.recorded" not in audit_actions(session, programme.id)


def test_a_mail_that_cannot_be_written_takes_the_decision_with_it(app, session, people, client_for,
                                                                  monkeypatch) -> None:
    from qa_engine.services import outbox

    programme = pending(session, people)
    real = outbox.notify

    def failing(session_, event, recipient, **context):  # noqa: ANN001, ANN003, ANN202
        if event == "decision_reviewer":
            raise RuntimeError("template broken")
        return real(session_, event, recipient, **context)

    monkeypatch.setattr(outbox, "notify", failing)
    response = client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", form(),
                                                     token_from="/")
    assert response.status_code == 500
    assert (count(session, Decision), count(session, OutboxMessage)) == (0, 0)
    assert state_of(session, programme.id) is State.DECISION_PENDING


# Only once --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(50))
def test_two_officers_deciding_at_once_give_exactly_one_decision(app, session, people, client_for,
                                                                 attempt: int) -> None:
    programme = pending(session, people)
    clients = [client_for(people.officer), client_for(people.colleague)]
    tokens = [client.csrf_token("/") for client in clients]
    posted = [form("approved"), form("rejected", departure_reason="Duplicates an accredited programme.")]
    if attempt % 2:
        posted.reverse()
    barrier, results = threading.Barrier(2), {}

    def decide(client, token, data) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(f"/qa/programmes/{programme.id}/decision", data={**data, "csrf_token": token})
        results[data["outcome"]] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=decide, args=args) for args in zip(clients, tokens, posted, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in results.values()) == [302, 409]
    winner = next(outcome for outcome, (status, _) in results.items() if status == 302)
    loser = next(page for status, page in results.values() if status == 409)
    assert "it is not waiting for a decision" in loser
    fresh(session)
    assert [d.outcome.value for d in decisions_of(session, programme.id)] == [winner]
    assert state_of(session, programme.id) is (State.APPROVED if winner == "approved" else State.REJECTED)
    assert len(outbox_rows(session, "decision")) == 1


def test_no_route_edits_or_deletes_a_decision(app) -> None:
    writes = sorted((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
                    if rule.endpoint.startswith("decisions.") and "POST" in rule.methods)
    assert writes == [
        ("/conditions/<int:condition_id>/evidence", "decisions.submit_evidence"),
        ("/qa/conditions/<int:condition_id>/judge", "decisions.judge"),
        ("/qa/decisions/<int:decision_id>/confirm", "decisions.confirm"),
        ("/qa/decisions/<int:decision_id>/correct", "decisions.correct"),
        ("/qa/decisions/<int:decision_id>/decline", "decisions.decline"),
        ("/qa/programmes/<int:programme_id>/decision", "decisions.decide"),
    ]
