"""Corrections: a decision in effect is never edited; a correction is a new decision linked to it."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError
from test_decisions_case import (
    CONDITION,
    RATIONALE,
    People,
    audit_actions,
    decisions_of,
    form,
    fresh,
    in_90_days,
    make_people,
    outbox_rows,
    pending,
    today,
)
from test_report_data import pdf_text

from qa_engine.domain.decisions import validity_end
from qa_engine.models import Addendum, Decision
from qa_engine.services import decision_records, report_archive, report_data
from qa_engine.services.report_archive import Document

FIXED = "The programme meets the standards; the learning outcomes of all six modules are assessable."
WHY = "The rationale named five modules; the programme has six."
COLUMNS = [column.key for column in Decision.__table__.columns]


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


def decided(session, people, client_for, data: dict | None = None):  # noqa: ANN001, ANN201
    programme = pending(session, people)
    client = client_for(people.officer)
    assert client.post_form(f"/qa/programmes/{programme.id}/decision", data or form(),
                            token_from="/").status_code == 302
    [decision] = decisions_of(session, programme.id)
    return decision, client


def correction(**overrides) -> dict:  # noqa: ANN003
    start = today()
    return {"correction_reason": WHY, "rationale": FIXED, "recommendations": "Consider a second intake in spring.",
            "valid_from": start.isoformat(), "valid_until": validity_end(start, 3).isoformat(),
            "limit_eqf_level": "6", "limit_field": "0688", "limit_mode": "blended", **overrides}


def snapshot(session, decision_id: int) -> dict:  # noqa: ANN001
    fresh(session)
    row = session.get(Decision, decision_id)
    return {name: getattr(row, name) for name in COLUMNS}


def test_the_correction_form_starts_from_the_decision_in_effect(app, session, people, client_for) -> None:
    decision, client = decided(session, people, client_for)
    page = client.get(f"/qa/decisions/{decision.id}/correct").get_data(as_text=True)
    assert RATIONALE in page and "Consider a second intake in spring." in page
    assert f'value="{decision.valid_until.isoformat()}"' in page and '<option selected value="0688">' in page
    assert "The correction is a new decision with the same outcome (“Approved”)" in page


def test_a_correction_is_a_new_linked_decision_and_the_original_stays_as_it_was(app, session, people,
                                                                                client_for) -> None:
    decision, client = decided(session, people, client_for)
    before = snapshot(session, decision.id)
    shorter = today() + timedelta(days=700)
    response = client.post_form(f"/qa/decisions/{decision.id}/correct",
                                correction(valid_until=shorter.isoformat(), limit_mode="online"), token_from="/")
    [original, corrected] = decisions_of(session, decision.programme_id)
    assert response.headers["Location"] == f"/decisions/{corrected.id}"
    assert snapshot(session, original.id) == before
    assert (corrected.corrects_id, corrected.correction_reason, corrected.status.value) == (original.id, WHY,
                                                                                            "effective")
    assert (corrected.outcome, corrected.rationale, corrected.valid_until, corrected.limit_mode) == (
        original.outcome, FIXED, shorter, "online")
    assert (corrected.decided_on, corrected.appeal_deadline, corrected.decision_body, corrected.members_present) == (
        original.decided_on, original.appeal_deadline, original.decision_body, original.members_present)
    assert corrected.decided_by_id == people.officer.id
    assert decision_records.in_effect(session, decision.programme_id).id == corrected.id
    assert audit_actions(session, decision.programme_id)[-1] == "decision.corrected"
    mail = outbox_rows(session, "decision_corrected")[0]
    assert mail.recipient_id == people.designer.id
    assert WHY in mail.body_text and FIXED in mail.body_text
    assert "Corrected: rationale, valid until, mode of delivery" in mail.body_text
    page = client.get(f"/decisions/{corrected.id}").get_data(as_text=True)
    assert "The correction is recorded; the provider is told." in page
    assert f'href="/decisions/{original.id}"' in page and WHY in page
    original_page = client.get(f"/decisions/{original.id}").get_data(as_text=True)
    assert f"Corrected by decision no. {corrected.id}" in original_page and RATIONALE in original_page
    assert "Correct this decision" not in original_page


def test_the_database_refuses_to_edit_or_delete_a_decision_in_effect(app, session, people, client_for) -> None:
    decision, _ = decided(session, people, client_for)
    with pytest.raises(DatabaseError, match="final"):
        session.execute(update(Decision).where(Decision.id == decision.id).values(rationale="Edited."))
    session.rollback()
    with pytest.raises(DatabaseError, match="final"):
        session.execute(text("DELETE FROM decisions WHERE id = :id"), {"id": decision.id})
    session.rollback()
    assert snapshot(session, decision.id)["rationale"] == RATIONALE


@pytest.mark.parametrize(("data", "field_id", "message"), [
    ({"correction_reason": " "}, "correction_reason",
     "Say what was wrong: the correction and its reason are published with it."),
    ({"rationale": ""}, "rationale", "State the reasons for the decision: it is published and may be appealed."),
    ({"valid_until": ""}, "valid_until", "An approval needs the dates it is valid from and until."),
    ({"rationale": "Rita Reviewerson found it sound."}, "rationale",
     "The review was blind: the provider must not learn who reviewed. Leave out the names, e-mail addresses and "
     "institutions of the panel members."),
])
def test_a_correction_with_a_problem_is_refused_on_its_field(app, session, people, client_for, data: dict,
                                                             field_id: str, message: str) -> None:
    decision, client = decided(session, people, client_for)
    response = client.post_form(f"/qa/decisions/{decision.id}/correct", correction(**data), token_from="/")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.split(f'id="{field_id}-error"')[1].split(">", 1)[1].split("</small>")[0] == message
    assert len(decisions_of(session, decision.programme_id)) == 1


def test_a_correction_that_changes_nothing_is_refused(app, session, people, client_for) -> None:
    decision, client = decided(session, people, client_for)
    response = client.post_form(f"/qa/decisions/{decision.id}/correct", correction(rationale=RATIONALE),
                                token_from="/")
    assert response.status_code == 422
    assert "The correction changes nothing: edit what was wrong." in response.get_data(as_text=True)
    assert len(decisions_of(session, decision.programme_id)) == 1


def test_only_the_decision_in_effect_can_be_corrected(app, session, people, client_for) -> None:
    decision, client = decided(session, people, client_for)
    client.post_form(f"/qa/decisions/{decision.id}/correct", correction(), token_from="/")
    page = client.get(f"/qa/decisions/{decision.id}/correct").get_data(as_text=True)
    assert 'id="not-correctable"' in page and 'name="correction_reason"' not in page
    again = client.post_form(f"/qa/decisions/{decision.id}/correct", correction(rationale="Another."),
                             token_from="/")
    assert again.status_code == 409
    assert "Only the decision in effect can be corrected" in again.get_data(as_text=True)
    [_, corrected] = decisions_of(session, decision.programme_id)
    twice = client.post_form(f"/qa/decisions/{corrected.id}/correct", correction(rationale="Third wording."),
                             token_from="/")
    assert twice.status_code == 302
    assert [d.corrects_id for d in decisions_of(session, decision.programme_id)] == [None, decision.id,
                                                                                    corrected.id]


def test_a_correction_keeps_the_conditions_and_their_addenda(app, session, people, client_for) -> None:
    data = form("approved_with_conditions", departure_reason="Timing.", conditions=[(*CONDITION, in_90_days())])
    decision, client = decided(session, people, client_for, data)
    session.add(Addendum(decision_id=decision.id, issued_on=today(), outcome="approved", text="All met.",
                         issued_by_id=people.officer.id))
    session.commit()
    early = (in_90_days() - timedelta(days=1)).isoformat()
    refused = client.post_form(f"/qa/decisions/{decision.id}/correct", correction(valid_until=early),
                               token_from="/")
    assert "The approval would end before condition 1 is due." in refused.get_data(as_text=True)
    assert client.post_form(f"/qa/decisions/{decision.id}/correct", correction(), token_from="/").status_code == 302
    corrected = decision_records.in_effect(session, decision.programme_id)
    assert decision_records.current_outcome(session, corrected).value == "approved"
    assert [a.text for a in session.scalars(select(Addendum).where(Addendum.decision_id == corrected.id))] == [
        "All met."]
    with app.app_context():
        issued = pdf_text(report_archive.issued(corrected, Document.LETTER, report_data.sources().report.reports_dir))
    assert corrected.report_sha256 not in (None, decision.report_sha256)
    assert WHY in issued and CONDITION[0] in issued and "All met." in issued
    page = client.get(f"/decisions/{corrected.id}").get_data(as_text=True)
    assert CONDITION[0] in page
    assert "The 1 condition stands as decided." in outbox_rows(session, "decision_corrected")[0].body_text
    assert json.loads(corrected.members_present) == ["Ana Chair", "Ben Member"]


@pytest.mark.parametrize("who", ["designer", "admin", "reviewer"])
def test_only_qa_officers_correct(app, session, people, client_for, who: str) -> None:
    decision, _ = decided(session, people, client_for)
    user = {"designer": people.designer, "admin": people.admin, "reviewer": people.reviewers[0]}[who]
    client = client_for(user)
    assert client.get(f"/qa/decisions/{decision.id}/correct").status_code == 403
    assert client.post_form(f"/qa/decisions/{decision.id}/correct", correction(), token_from="/").status_code == 403
    assert len(decisions_of(session, decision.programme_id)) == 1


def test_the_designer_reads_the_decision_in_effect_but_no_correction_link(app, session, people,
                                                                          client_for) -> None:
    decision, _ = decided(session, people, client_for)
    page = client_for(people.designer).get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert RATIONALE in page and "Correct this decision" not in page
    assert "Ana Chair, Ben Member" in page
    assert client_for(people.reviewers[0]).get(f"/decisions/{decision.id}").status_code == 403
