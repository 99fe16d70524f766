"""Four eyes: a decision is proposed, and takes effect only when a second QA officer confirms it."""
from __future__ import annotations

import json
import threading

import pytest
from factories import sign_in
from flask import Flask
from sqlalchemy import select
from test_decisions_case import (
    CONDITION,
    People,
    audit_actions,
    decisions_of,
    form,
    in_90_days,
    make_people,
    outbox_rows,
    pending,
    state_of,
    today,
)
from test_report_data import pdf_text

from qa_engine.domain.workflow import State
from qa_engine.models import AuditEntry, Condition
from qa_engine.services import report_archive, report_data
from qa_engine.services.report_archive import Document

WHY = "The rationale does not answer the provider's response on the ECTS table."


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


@pytest.fixture
def four_eyes(make_app) -> Flask:  # noqa: ANN001
    return make_app(FOUR_EYES=True)


def client_of(app: Flask, user):  # noqa: ANN001, ANN201
    client = app.test_client()
    sign_in(client, app, user)
    return client


def proposed(app: Flask, session, people, data: dict | None = None):  # noqa: ANN001, ANN201
    """A programme with a decision proposed by the officer, and the officer's client."""
    programme = pending(session, people)
    client = client_of(app, people.officer)
    response = client.post_form(f"/qa/programmes/{programme.id}/decision", data or form(), token_from="/")
    assert response.status_code == 302
    [decision] = decisions_of(session, programme.id)
    return programme, decision, client


def test_a_proposed_decision_waits_and_the_programme_stays_pending(four_eyes, session, people) -> None:
    data = form("approved_with_conditions", departure_reason="Timing.", conditions=[(*CONDITION, in_90_days())])
    programme, decision, client = proposed(four_eyes, session, people, data)
    assert (decision.status.value, decision.decided_on, decision.confirmed_by_id, decision.report_sha256) == (
        "proposed", None, None, None)  # nothing is issued before it takes effect
    assert session.scalar(select(Condition.text).where(Condition.decision_id == decision.id)) == CONDITION[0]
    assert state_of(session, programme.id) is State.DECISION_PENDING
    assert outbox_rows(session) == []
    assert audit_actions(session, programme.id)[-1] == "decision.proposed"
    page = client.get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    assert "The decision is recorded; a second QA officer confirms it." in page
    waiting = page.split('id="proposed"')[1].split("</section>")[0]
    assert "Proposed decision, waiting for confirmation" in waiting and CONDITION[0] in waiting
    assert "You proposed this decision: under the four-eyes rule another QA officer confirms it." in waiting
    assert f"/qa/decisions/{decision.id}/confirm" not in page
    assert 'name="outcome"' not in page  # no second decision while one waits
    colleague_page = client_of(four_eyes, people.colleague).get(
        f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    assert f'action="/qa/decisions/{decision.id}/confirm"' in colleague_page
    assert f'action="/qa/decisions/{decision.id}/decline"' in colleague_page


def test_the_proposer_cannot_confirm_their_own_decision(four_eyes, session, people) -> None:
    programme, decision, client = proposed(four_eyes, session, people)
    response = client.post_form(f"/qa/decisions/{decision.id}/confirm", token_from="/")
    assert response.status_code == 409
    assert "You proposed this decision: under the four-eyes rule another QA officer confirms it." in (
        response.get_data(as_text=True))
    assert [d.status.value for d in decisions_of(session, programme.id)] == ["proposed"]
    assert state_of(session, programme.id) is State.DECISION_PENDING
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert (entry.action, entry.actor_id) == ("decision.refused", people.officer.id)


def test_a_second_officer_confirms_and_the_decision_takes_effect(four_eyes, session, people) -> None:
    programme, decision, _ = proposed(four_eyes, session, people, form(
        "rejected", departure_reason="Duplicates an accredited programme."))
    client = client_of(four_eyes, people.colleague)
    response = client.post_form(f"/qa/decisions/{decision.id}/confirm", token_from="/")
    assert response.headers["Location"] == f"/qa/programmes/{programme.id}/decision"
    [confirmed] = decisions_of(session, programme.id)
    assert (confirmed.status.value, confirmed.decided_by_id, confirmed.confirmed_by_id, confirmed.decided_on) == (
        "effective", people.officer.id, people.colleague.id, today())
    assert confirmed.appeal_deadline is not None
    assert confirmed.report_sha256 is not None  # archived when it took effect, not when proposed
    with four_eyes.app_context():
        letter = pdf_text(report_archive.issued(confirmed, Document.LETTER, report_data.sources().report.reports_dir))
    assert f"by {confirmed.appeal_deadline.day} {confirmed.appeal_deadline:%B %Y}" in letter
    assert state_of(session, programme.id) is State.REJECTED
    assert audit_actions(session, programme.id)[-2:] == ["decision.confirmed", "programme.reject"]
    assert [m.event for m in outbox_rows(session)] == ["decision", "decision_reviewer", "decision_reviewer"]
    page = client.get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    assert "The decision is confirmed and in effect" in page
    assert "confirmed by Carl Colleague" in page
    again = client.post_form(f"/qa/decisions/{decision.id}/confirm", token_from="/")
    assert again.status_code == 409
    assert "This decision is effective already: there is nothing to confirm." in again.get_data(as_text=True)


def test_declining_needs_a_reason_then_the_case_is_decided_afresh(four_eyes, session, people) -> None:
    programme, decision, _ = proposed(four_eyes, session, people)
    client = client_of(four_eyes, people.colleague)
    refused = client.post_form(f"/qa/decisions/{decision.id}/decline", {"reason": "  "}, token_from="/")
    assert refused.status_code == 422
    assert "Say why the decision is declined." in refused.get_data(as_text=True)
    assert [d.status.value for d in decisions_of(session, programme.id)] == ["proposed"]
    response = client.post_form(f"/qa/decisions/{decision.id}/decline", {"reason": WHY}, token_from="/")
    assert response.status_code == 302
    assert [d.status.value for d in decisions_of(session, programme.id)] == ["declined"]
    assert state_of(session, programme.id) is State.DECISION_PENDING
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert (entry.action, json.loads(entry.details)) == ("decision.declined", {"decision": decision.id,
                                                                               "reason": WHY})
    [mail] = outbox_rows(session)
    assert (mail.event, mail.recipient_id) == ("decision_declined", people.officer.id)
    assert WHY in mail.body_text and "Carl Colleague declined the decision you proposed" in mail.body_text
    page = client.get(f"/qa/programmes/{programme.id}/decision").get_data(as_text=True)
    assert 'name="outcome"' in page  # decided afresh
    assert "Declined: <span class=\"text\">" + WHY.replace("'", "&#39;") in page
    second = client.post_form(f"/qa/programmes/{programme.id}/decision", form(), token_from="/")
    assert second.status_code == 302
    assert [d.status.value for d in decisions_of(session, programme.id)] == ["declined", "proposed"]


def test_the_proposer_may_withdraw_their_proposal_by_declining_it(four_eyes, session, people) -> None:
    programme, decision, client = proposed(four_eyes, session, people)
    assert client.post_form(f"/qa/decisions/{decision.id}/decline", {"reason": "Wrong outcome chosen."},
                            token_from="/").status_code == 302
    assert [d.status.value for d in decisions_of(session, programme.id)] == ["declined"]
    assert outbox_rows(session) == []  # nobody else to tell


def test_only_one_proposed_decision_at_a_time(four_eyes, session, people) -> None:
    programme, _, _ = proposed(four_eyes, session, people)
    response = client_of(four_eyes, people.colleague).post_form(f"/qa/programmes/{programme.id}/decision",
                                                                form(), token_from="/")
    assert response.status_code == 409
    assert ("A proposed decision is waiting for a second QA officer: confirm or decline it first."
            in response.get_data(as_text=True))
    assert len(decisions_of(session, programme.id)) == 1


def test_a_declined_decision_can_be_neither_confirmed_nor_declined_again(four_eyes, session, people) -> None:
    programme, decision, _ = proposed(four_eyes, session, people)
    client = client_of(four_eyes, people.colleague)
    client.post_form(f"/qa/decisions/{decision.id}/decline", {"reason": WHY}, token_from="/")
    confirm = client.post_form(f"/qa/decisions/{decision.id}/confirm", token_from="/")
    decline = client.post_form(f"/qa/decisions/{decision.id}/decline", {"reason": WHY}, token_from="/")
    assert (confirm.status_code, decline.status_code) == (409, 409)
    assert "This decision is declined already: there is nothing to decline." in decline.get_data(as_text=True)
    assert state_of(session, programme.id) is State.DECISION_PENDING


def test_designers_reviewers_and_administrators_may_not_confirm_or_decline(four_eyes, session, people) -> None:
    programme, decision, _ = proposed(four_eyes, session, people)
    for user in (people.designer, people.reviewers[0], people.admin):
        client = client_of(four_eyes, user)
        assert client.post_form(f"/qa/decisions/{decision.id}/confirm", token_from="/").status_code == 403
        assert client.post_form(f"/qa/decisions/{decision.id}/decline", {"reason": WHY},
                                token_from="/").status_code == 403
    assert [d.status.value for d in decisions_of(session, programme.id)] == ["proposed"]


def test_a_designer_cannot_read_a_proposed_decision(four_eyes, session, people) -> None:
    _, decision, officer = proposed(four_eyes, session, people)
    assert client_of(four_eyes, people.designer).get(f"/decisions/{decision.id}").status_code == 404
    page = officer.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "Proposed, waiting for confirmation" in page and "by Olga Officer on" in page


@pytest.mark.parametrize("attempt", range(50))
def test_confirming_and_declining_at_once_exactly_one_wins(four_eyes, session, people, attempt: int) -> None:
    from factories import make_user

    from qa_engine.domain.roles import Role

    programme, decision, _ = proposed(four_eyes, session, people)
    third = make_user(session, Role.QA_OFFICER, institution=people.officer.institution)
    session.commit()
    clients = [client_of(four_eyes, people.colleague), client_of(four_eyes, third)]
    tokens = [client.csrf_token("/") for client in clients]
    actions = [("confirm", {}), ("decline", {"reason": WHY})]
    if attempt % 2:
        actions.reverse()
    barrier, results = threading.Barrier(2), {}

    def act(client, token, action) -> None:  # noqa: ANN001
        name, data = action
        barrier.wait()
        response = client.post(f"/qa/decisions/{decision.id}/{name}", data={**data, "csrf_token": token})
        results[name] = response.status_code

    threads = [threading.Thread(target=act, args=args) for args in zip(clients, tokens, actions, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results.values()) == [302, 409]
    winner = next(name for name, status in results.items() if status == 302)
    [settled] = decisions_of(session, programme.id)
    assert settled.status.value == ("effective" if winner == "confirm" else "declined")
    assert state_of(session, programme.id) is (State.APPROVED if winner == "confirm" else State.DECISION_PENDING)
