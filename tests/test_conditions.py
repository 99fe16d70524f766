"""The follow-up of conditions: evidence, judgement, the addendum when all are met, overdue flags, the list."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from factories import make_institution, make_user
from flask import render_template_string
from sql_counts import count_statements
from sqlalchemy import select, update
from test_decisions_case import (
    CONDITION,
    People,
    audit_actions,
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

from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.models import Addendum, AuditEntry, Condition, ConditionEvidence, Programme
from qa_engine.services import conditions, decision_records

SECOND = ("Name a second assessor for the capstone.", "The updated staff list.")
EVIDENCE = "The calendar is published on the course page since 3 March; a copy is in the learners' handbook."


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


def conditional(session, people, client_for, rows=(CONDITION, SECOND)):  # noqa: ANN001, ANN201
    """A programme approved with conditions through the decision form; returns it and its conditions."""
    programme = pending(session, people)
    data = form("approved_with_conditions", departure_reason="The calendar is missing.",
                conditions=[(*row, in_90_days() + timedelta(days=index)) for index, row in enumerate(rows)])
    assert client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", data,
                                                token_from="/").status_code == 302
    return programme, conditions_of(session, programme)


def conditions_of(session, programme: Programme) -> list[Condition]:  # noqa: ANN001
    fresh(session)
    [decision] = decisions_of(session, programme.id)
    return list(session.scalars(select(Condition).where(Condition.decision_id == decision.id)
                                .order_by(Condition.number)))


def submit(client, condition: Condition, text: str = EVIDENCE, version: int | None = None):  # noqa: ANN001, ANN201
    prefix = f"c{condition.id}"
    return client.post_form(f"/conditions/{condition.id}/evidence",
                            {f"{prefix}-text": text, f"{prefix}-version": version or condition.version},
                            token_from="/")


def judge(client, condition: Condition, verdict: str = "met", comment: str = "Published as asked.",  # noqa: ANN001, ANN201
          version: int | None = None):
    prefix = f"c{condition.id}"
    return client.post_form(f"/qa/conditions/{condition.id}/judge",
                            {f"{prefix}-verdict": verdict, f"{prefix}-comment": comment,
                             f"{prefix}-version": version or condition.version}, token_from="/")


def page_of(client, programme: Programme) -> str:  # noqa: ANN001
    return client.get(f"/programmes/{programme.id}/conditions").get_data(as_text=True)


def block(page: str, number: int) -> str:
    return " ".join(page.split(f'id="condition-{number}"')[1].split("</section>")[0].split())


def test_the_designer_sees_each_condition_with_its_due_date_status_and_a_form(app, session, people,
                                                                              client_for) -> None:
    programme, (first, second) = conditional(session, people, client_for)
    page = page_of(client_for(people.designer), programme)
    first_block = block(page, 1)
    assert CONDITION[0] in first_block and CONDITION[1] in first_block
    assert f"Due on</dt><dd><time datetime=\"{first.due_on.isoformat()}\">" in first_block
    assert "Status</dt><dd class=\"condition-status\">Open</dd>" in first_block
    assert "No evidence yet." in first_block
    assert f'action="/conditions/{first.id}/evidence"' in first_block
    assert f'name="c{first.id}-version" type="hidden" value="1"' in first_block
    assert "Overdue" not in page
    officer_page = page_of(client_for(people.officer), programme)
    assert "/evidence" not in officer_page and "/judge" not in officer_page


def test_submitting_evidence_waits_for_the_officer_who_is_mailed(app, session, people, client_for) -> None:
    programme, (first, _) = conditional(session, people, client_for)
    client = client_for(people.designer)
    response = submit(client, first)
    assert response.headers["Location"] == f"/programmes/{programme.id}/conditions#condition-1"
    [now] = conditions_of(session, programme)[:1]
    assert (now.status.value, now.version) == ("evidence_submitted", 2)
    [evidence] = session.scalars(select(ConditionEvidence)).all()
    assert (evidence.text, evidence.submitted_by_id, evidence.met) == (EVIDENCE, people.designer.id, None)
    [mail] = outbox_rows(session, "condition_evidence")
    assert mail.recipient_id == people.officer.id
    assert EVIDENCE in mail.body_text and "Dana Designer (Almagro Polytechnic)" in mail.body_text
    assert audit_actions(session, programme.id)[-1] == "condition.evidence_submitted"
    page = page_of(client, programme)
    assert "Your evidence is submitted; the QA officer is told." in page
    assert "Evidence submitted" in block(page, 1) and "Waiting for the QA officer" in block(page, 1)
    assert f"/conditions/{first.id}/evidence" not in page
    officer_page = page_of(client_for(people.officer), programme)
    assert f'action="/qa/conditions/{first.id}/judge"' in officer_page


def test_evidence_needs_a_text(app, session, people, client_for) -> None:
    programme, (first, _) = conditional(session, people, client_for)
    response = submit(client_for(people.designer), first, text="  ")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="c{first.id}-text-error"' in page and "Describe the evidence." in page
    assert conditions_of(session, programme)[0].status.value == "open"


def test_evidence_again_while_it_waits_or_from_a_stale_page_is_a_conflict(app, session, people,
                                                                          client_for) -> None:
    programme, (first, _) = conditional(session, people, client_for)
    client = client_for(people.designer)
    submit(client, first)
    waiting = submit(client, first, version=2)
    assert waiting.status_code == 409
    assert "Evidence for condition 1 is waiting for the QA officer&#39;s judgement." in waiting.get_data(as_text=True)
    stale = submit(client, first, version=1)
    assert stale.status_code == 409
    assert "Condition 1 changed in the meantime: reload the page to see where it stands." in (
        stale.get_data(as_text=True))
    assert audit_actions(session, programme.id)[-1] == "condition.refused"
    assert len(session.scalars(select(ConditionEvidence)).all()) == 1


def test_not_met_lets_the_designer_submit_again_and_keeps_the_history(app, session, people, client_for) -> None:
    programme, (first, _) = conditional(session, people, client_for)
    designer, officer = client_for(people.designer), client_for(people.officer)
    submit(designer, first)
    response = judge(officer, conditions_of(session, programme)[0], "not_met", "The calendar omits module 4.")
    assert response.status_code == 302
    now = conditions_of(session, programme)[0]
    assert (now.status.value, now.version) == ("not_met", 3)
    [mail] = outbox_rows(session, "condition_judged")
    assert mail.recipient_id == people.designer.id and "found the condition not met" in mail.body_text
    assert "The calendar omits module 4." in mail.body_text
    assert submit(designer, now, "Module 4 added to the calendar.").status_code == 302
    page = page_of(designer, programme)
    history = block(page, 1)
    assert history.index("Module 4 added to the calendar.") < history.index(EVIDENCE[:40])
    assert "<strong>Not met</strong>" in history and "The calendar omits module 4." in history
    assert "Olga Officer" in history
    assert state_of(session, programme.id) is State.CONDITIONS


@pytest.mark.parametrize(("data", "message"), [
    ({"verdict": "", "comment": "Fine."}, "Say whether the condition is met."),
    ({"verdict": "perhaps", "comment": "Fine."}, "Say whether the condition is met."),
    ({"verdict": "met", "comment": " "}, "Give your reasons."),
])
def test_a_judgement_needs_a_verdict_and_a_comment(app, session, people, client_for, data: dict,
                                                   message: str) -> None:
    programme, (first, _) = conditional(session, people, client_for)
    submit(client_for(people.designer), first)
    response = judge(client_for(people.officer), conditions_of(session, programme)[0], **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert conditions_of(session, programme)[0].status.value == "evidence_submitted"


def test_judging_without_evidence_waiting_is_a_conflict(app, session, people, client_for) -> None:
    programme, (first, _) = conditional(session, people, client_for)
    response = judge(client_for(people.officer), first)
    assert response.status_code == 409
    assert "No evidence for condition 1 is waiting for a judgement." in response.get_data(as_text=True)
    assert audit_actions(session, programme.id)[-1] == "condition.refused"


def test_when_every_condition_is_met_an_addendum_approves_the_programme(app, session, people,
                                                                        client_for) -> None:
    programme, (first, second) = conditional(session, people, client_for)
    designer, officer = client_for(people.designer), client_for(people.officer)
    submit(designer, first)
    submit(designer, second, "The staff list now names Dr Lee as second assessor.")
    judge(officer, conditions_of(session, programme)[0])
    assert state_of(session, programme.id) is State.CONDITIONS
    response = judge(officer, conditions_of(session, programme)[1], comment="Dr Lee is qualified.")
    assert response.status_code == 302
    assert state_of(session, programme.id) is State.APPROVED
    decision = decision_records.in_effect(session, programme.id)
    [addendum] = session.scalars(select(Addendum).where(Addendum.decision_id == decision.id)).all()
    assert (addendum.outcome.value, addendum.issued_on, addendum.issued_by_id) == ("approved", today(),
                                                                                  people.officer.id)
    assert addendum.text == (f"Every condition of the decision is met:\n1. {CONDITION[0]} (met on {today()})\n"
                             f"2. {SECOND[0]} (met on {today()})")
    assert decision_records.current_outcome(session, decision).value == "approved"
    assert audit_actions(session, programme.id)[-3:] == ["condition.judged", "decision.addendum",
                                                         "programme.conditions_met"]
    [mail] = outbox_rows(session, "conditions_met")
    assert mail.recipient_id == people.designer.id and f"1. {CONDITION[0]}" in mail.body_text
    assert [m.event for m in outbox_rows(session) if m.event == "condition_judged"] == ["condition_judged"]
    page = page_of(officer, programme)
    assert "Every condition is met: the approval is now unconditional" in page
    assert f"Addendum of {today().isoformat()}: Approved" in page
    assert "/judge" not in page
    assert "Outcome</dt> <dd><strong>Approved</strong> <span class=\"muted\">(decided: Approved with conditions)" in (
        " ".join(officer.get(f"/decisions/{decision.id}").get_data(as_text=True).split()))


def test_overdue_conditions_are_flagged_for_the_designer_and_listed_first_for_officers(app, session, people,
                                                                                       client_for) -> None:
    programme, (first, second) = conditional(session, people, client_for)
    later, _ = conditional(session, people, client_for, rows=(("Translate the handbook.", "The translation."),))
    session.execute(update(Condition).where(Condition.id == second.id).values(due_on=today() - timedelta(days=3)))
    session.commit()
    page = page_of(client_for(people.designer), programme)
    assert "1 condition is overdue" in page
    assert "Overdue" in block(page, 2) and "Overdue" not in block(page, 1)
    listing = client_for(people.officer).get("/qa/conditions").get_data(as_text=True)
    body = listing.split("<tbody>")[1]
    assert body.index(SECOND[0]) < body.index(CONDITION[0]) < body.index("Translate the handbook.")
    assert body.count("finding-fail") == 1
    assert "3 conditions not met yet" in listing
    assert f'href="/programmes/{programme.id}/conditions#condition-2"' in listing
    assert later.id


def test_the_list_leaves_out_met_conditions_and_programmes_no_longer_conditional(app, session, people,
                                                                                 client_for) -> None:
    programme, (first, second) = conditional(session, people, client_for)
    other, (third, _) = conditional(session, people, client_for)
    session.execute(update(Condition).where(Condition.id == first.id).values(status="met"))
    session.execute(update(Programme).where(Programme.id == other.id).values(state=State.APPROVAL_WITHDRAWN))
    session.commit()
    found = client_for(people.admin).get("/qa/conditions").get_data(as_text=True).split("<tbody>")[1]
    assert SECOND[0] in found and CONDITION[0] not in found and found.count("<tr>") == 1


def test_who_may_see_and_do_what(app, session, people, client_for) -> None:
    programme, (first, _) = conditional(session, people, client_for)
    stranger = make_user(session, Role.DESIGNER, institution=make_institution(session))
    session.commit()
    assert client_for(stranger).get(f"/programmes/{programme.id}/conditions").status_code == 404
    assert submit(client_for(stranger), first).status_code == 404
    assert client_for(people.designer).get("/qa/conditions").status_code == 403
    assert judge(client_for(people.designer), first).status_code == 403
    assert submit(client_for(people.officer), first).status_code == 403
    assert client_for(people.reviewers[0]).get(f"/programmes/{programme.id}/conditions").status_code == 403
    admin = client_for(people.admin)
    assert "/evidence" not in page_of(admin, programme)
    assert judge(admin, first).status_code == 403
    assert conditions_of(session, programme)[0].status.value == "open"


def test_a_programme_without_conditions_says_so(app, session, people, client_for) -> None:
    programme = pending(session, people)
    page = page_of(client_for(people.designer), programme)
    assert "No approval with conditions is in effect for this programme." in page


def test_evidence_is_refused_once_the_programme_left_the_conditions_stage(app, session, people,
                                                                          client_for) -> None:
    programme, (first, _) = conditional(session, people, client_for)
    session.execute(update(Programme).where(Programme.id == programme.id).values(state=State.APPROVAL_WITHDRAWN))
    session.commit()
    response = submit(client_for(people.designer), first)
    assert response.status_code == 409
    assert "The conditions are not being followed up: the programme is approval withdrawn." in (
        response.get_data(as_text=True))


def test_pages_issue_the_same_number_of_statements_at_2_and_12_conditions(app, session, people,
                                                                          client_for) -> None:
    few, (first, _) = conditional(session, people, client_for)
    many, rows = conditional(session, people, client_for, rows=[(f"Do thing {n}.", "Proof.") for n in range(12)])
    designer = client_for(people.designer)
    submit(designer, first)
    judge(client_for(people.officer), conditions_of(session, few)[0], "not_met", "Not yet.")
    for condition in rows:
        submit(designer, condition)
    for condition in conditions_of(session, many)[:6]:
        judge(client_for(people.officer), condition, "not_met", "Not yet.")
    officer = client_for(people.officer)
    assert count_statements(app, officer, f"/programmes/{few.id}/conditions", warm_up=True) == count_statements(
        app, officer, f"/programmes/{many.id}/conditions", warm_up=True)
    at_14 = count_statements(app, officer, "/qa/conditions", warm_up=True)
    conditional(session, people, client_for)
    assert count_statements(app, officer, "/qa/conditions", warm_up=True) == at_14 <= 8


def test_the_summary_macro_shows_the_decision_its_validity_and_conditions(app, session, people,
                                                                          client_for) -> None:
    programme, (first, second) = conditional(session, people, client_for)
    session.execute(update(Condition).where(Condition.id == second.id).values(due_on=today() - timedelta(days=1)))
    session.commit()
    with app.test_request_context():
        summary = conditions.summary(session, programme.id, today=today())
        from flask_login import login_user

        from qa_engine.views.access import Principal

        login_user(Principal("token", 0, session.get(type(people.officer), people.officer.id)))
        html = render_template_string(
            '{% from "decisions/_summary.html" import decision_summary %}'
            "{{ decision_summary(summary.decision, summary.outcome, summary.conditions, actor) }}",
            summary=summary, actor=people.officer.actor)
    text = " ".join(html.split())
    assert "<strong>Approved with conditions</strong>" in text
    assert f"from {summary.decision.valid_from.isoformat()} until {summary.decision.valid_until.isoformat()}" in text
    assert "1 overdue" in text and CONDITION[0] in text
    assert f'href="/programmes/{programme.id}/conditions"' in text
    assert f'href="/qa/programmes/{programme.id}/decision"' in text


@pytest.mark.parametrize("attempt", range(50))
def test_two_officers_meeting_the_last_two_conditions_at_once_issue_one_addendum(app, session, people, client_for,
                                                                                 attempt: int) -> None:
    programme, (first, second) = conditional(session, people, client_for)
    designer = client_for(people.designer)
    submit(designer, first)
    submit(designer, second)
    rows = conditions_of(session, programme)
    clients = [client_for(people.officer), client_for(people.colleague)]
    tokens = [client.csrf_token("/") for client in clients]
    barrier, statuses = threading.Barrier(2), []

    def act(client, token, condition) -> None:  # noqa: ANN001
        prefix = f"c{condition.id}"
        barrier.wait()
        response = client.post(f"/qa/conditions/{condition.id}/judge", data={
            f"{prefix}-verdict": "met", f"{prefix}-comment": "Done.", f"{prefix}-version": condition.version,
            "csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=act, args=args) for args in zip(clients, tokens, rows, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302, 302]
    assert state_of(session, programme.id) is State.APPROVED
    assert len(session.scalars(select(Addendum)).all()) == 1
    assert len(outbox_rows(session, "conditions_met")) == 1
    entries = session.scalars(select(AuditEntry.details).where(AuditEntry.action == "programme.conditions_met"))
    assert [json.loads(e)["to"] for e in entries] == ["approved"]
