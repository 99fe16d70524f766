"""Which decision is in effect, and what is accredited today: one definition for register, exports and reports."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import make_institution, make_programme, make_submitted, make_user
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Addendum, Decision, DecisionStatus
from qa_engine.services import decision_records

TODAY = date.today()


@pytest.fixture
def people(session):  # noqa: ANN001, ANN201
    officer = make_user(session, Role.QA_OFFICER, institution=make_institution(session, kind=InstitutionKind.AGENCY))
    designer = make_user(session, Role.DESIGNER, institution=make_institution(session))
    return officer, designer


def decided(session, people, outcome: Outcome, *, state: State, status=DecisionStatus.EFFECTIVE,  # noqa: ANN001
            valid_from: date | None = TODAY - timedelta(days=10),
            valid_until: date | None = TODAY + timedelta(days=900),
            programme=None, corrects: Decision | None = None) -> Decision:
    officer, designer = people
    if programme is None:
        programme = make_programme(session, designer)
        make_submitted(session, programme, designer)
    programme.state = state
    decision = Decision(programme_id=programme.id, version_number=1, status=status, outcome=outcome,
                        rationale="Because.", valid_from=valid_from, valid_until=valid_until,
                        decision_body="Accreditation committee", decided_by_id=officer.id, decided_on=TODAY,
                        corrects_id=corrects.id if corrects else None)
    session.add(decision)
    session.flush()
    return decision


def accredited_ids(session) -> set[int]:  # noqa: ANN001
    return {programme.id for _decision, programme in session.execute(decision_records.accredited(TODAY))}


def test_accredited_today_follows_outcome_validity_and_state(session, people) -> None:  # noqa: ANN001
    approved = decided(session, people, Outcome.APPROVED, state=State.APPROVED)
    conditional = decided(session, people, Outcome.APPROVED_WITH_CONDITIONS, state=State.CONDITIONS)
    rejected = decided(session, people, Outcome.REJECTED, state=State.REJECTED, valid_from=None, valid_until=None)
    ended = decided(session, people, Outcome.APPROVED, state=State.APPROVED, valid_until=TODAY - timedelta(days=1))
    withdrawn = decided(session, people, Outcome.APPROVED, state=State.APPROVAL_WITHDRAWN)
    proposed = decided(session, people, Outcome.APPROVED, state=State.DECISION_PENDING, status=DecisionStatus.PROPOSED)
    in_periodic_review = decided(session, people, Outcome.APPROVED, state=State.DRAFT)
    session.commit()
    assert accredited_ids(session) == {approved.programme_id, conditional.programme_id,
                                       in_periodic_review.programme_id}
    assert {rejected.programme_id, ended.programme_id, withdrawn.programme_id,
            proposed.programme_id}.isdisjoint(accredited_ids(session))


def test_the_newest_effective_decision_is_in_effect_and_a_correction_replaces_it(session, people) -> None:  # noqa: ANN001
    first = decided(session, people, Outcome.APPROVED, state=State.APPROVED,
                    valid_until=TODAY + timedelta(days=30))
    programme = first.programme
    assert decision_records.in_effect(session, programme.id) == first
    correction = decided(session, people, Outcome.APPROVED, state=State.APPROVED, programme=programme,
                         corrects=first, valid_until=TODAY - timedelta(days=2))
    session.commit()
    assert decision_records.in_effect(session, programme.id) == correction
    assert decision_records.history(session, programme.id) == [first, correction]
    assert programme.id not in accredited_ids(session)  # the corrected dates count, not the first ones


def test_an_addendum_amends_the_outcome(session, people) -> None:  # noqa: ANN001
    decision = decided(session, people, Outcome.APPROVED_WITH_CONDITIONS, state=State.CONDITIONS)
    assert decision_records.current_outcome(session, decision) is Outcome.APPROVED_WITH_CONDITIONS
    session.add(Addendum(decision_id=decision.id, issued_on=TODAY, outcome=Outcome.APPROVED,
                         text="Every condition met.", issued_by_id=people[0].id))
    session.flush()
    assert decision_records.current_outcome(session, decision) is Outcome.APPROVED


def test_a_decision_in_effect_cannot_be_changed_or_deleted_but_a_proposed_one_can_be_confirmed(
        session, people) -> None:  # noqa: ANN001
    proposed = decided(session, people, Outcome.APPROVED, state=State.DECISION_PENDING,
                       status=DecisionStatus.PROPOSED)
    session.commit()
    session.execute(text("UPDATE decisions SET status = 'effective' WHERE id = :id"), {"id": proposed.id})
    session.commit()
    for statement in ("UPDATE decisions SET rationale = 'Edited.' WHERE id = :id",
                      "DELETE FROM decisions WHERE id = :id"):
        with pytest.raises(DatabaseError, match="final"):
            session.execute(text(statement), {"id": proposed.id})
        session.rollback()
