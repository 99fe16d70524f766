"""The programme page leads each person to the review pages that are theirs."""
from __future__ import annotations

from datetime import date, timedelta

from factories import make_in_review, make_institution, make_programme, make_submitted, make_user

from qa_engine.db import utcnow
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State


def test_officers_reach_the_panel_and_designers_the_report_once_sent(session, client_for) -> None:  # noqa: ANN001
    officer = make_user(session, Role.QA_OFFICER, institution=make_institution(session, kind=InstitutionKind.AGENCY))
    designer = make_user(session, Role.DESIGNER, institution=make_institution(session))
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)
    review = make_in_review(session, programme, officer)
    session.commit()
    page = client_for(officer).get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert f"/qa/programmes/{programme.id}/panel" in page and "Blind review" in page
    assert f"/qa/programmes/{programme.id}/consolidation" not in page
    designer_page = client_for(designer).get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert 'id="review-heading"' not in designer_page and "/panel" not in designer_page

    programme.state = State.PROVIDER_RESPONSE
    review.report_sent_at, review.response_due_on = utcnow(), date.today() + timedelta(days=28)
    session.commit()
    page = client_for(officer).get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert f"/qa/programmes/{programme.id}/consolidation" in page and f"/programmes/{programme.id}/report" in page
    designer_page = client_for(designer).get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert f"/programmes/{programme.id}/report" in designer_page
    assert f"answer it by {review.response_due_on.isoformat()}" in designer_page
    assert "/qa/" not in designer_page and review.rubric_key not in designer_page


def test_a_decided_programme_shows_its_decision_conditions_and_appeal_rights(session, client_for) -> None:  # noqa: ANN001
    from qa_engine.domain.outcomes import Outcome
    from qa_engine.models import Condition, Decision, DecisionStatus

    officer = make_user(session, Role.QA_OFFICER, institution=make_institution(session, kind=InstitutionKind.AGENCY))
    designer = make_user(session, Role.DESIGNER, institution=make_institution(session))
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)
    programme.state = State.CONDITIONS
    today = date.today()
    decision = Decision(programme_id=programme.id, version_number=1, status=DecisionStatus.EFFECTIVE,
                        outcome=Outcome.APPROVED_WITH_CONDITIONS, rationale="Sound, one gap.", valid_from=today,
                        valid_until=today + timedelta(days=1000), decision_body="Accreditation committee",
                        decided_by_id=officer.id, decided_on=today, appeal_deadline=today + timedelta(days=30))
    session.add(decision)
    session.flush()
    session.add(Condition(decision_id=decision.id, number=1, text="Publish the RPL procedure.",
                          evidence_required="The published procedure.", due_on=today + timedelta(days=90)))
    session.commit()
    page = " ".join(client_for(designer).get(f"/programmes/{programme.id}").get_data(as_text=True).split())
    assert 'id="decision-summary-heading"' in page and "Approved with conditions" in page
    assert "Publish the RPL procedure." in page and f"/programmes/{programme.id}/conditions" in page
    assert f"/programmes/{programme.id}/appeal" in page and "Lodge an appeal" in page
    assert "Withdraw the approval" not in page
    officer_page = client_for(officer).get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "Withdraw the approval" in officer_page and "Lodge an appeal" not in officer_page
