"""The programme timeline: every transition with who, when and why; reviewers stay anonymous to designers."""
from __future__ import annotations

import pytest
from factories import make_in_review, make_institution, make_programme, make_submitted, make_user
from sql_counts import recorded

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import Action, Precondition, State
from qa_engine.services import audit, workflow
from qa_engine.services.timeline import PANEL, timeline


@pytest.fixture
def case(session):  # noqa: ANN001, ANN201
    agency = make_institution(session, kind=InstitutionKind.AGENCY)
    provider = make_institution(session)
    designer = make_user(session, Role.DESIGNER, institution=provider, full_name="Dora Designer")
    officer = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    reviewer = make_user(session, Role.REVIEWER, full_name="Rufus Canaryname")
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)

    def review(blind: bool) -> None:
        make_in_review(session, programme, officer, blind=blind)
        programme_review = session.get(type(programme), programme.id)
        audit.record(session, "review.invited", actor=officer, role=Role.QA_OFFICER, obj=("programme", programme.id),
                     details={"reviewer": reviewer.full_name})
        workflow.transition(session, programme_review, Action.COMPLETE_REVIEWS, actor=reviewer, role=Role.REVIEWER,
                            holds={Precondition.REVIEWS_IN})
        workflow.transition(session, programme_review, Action.REOPEN_REVIEW, actor=officer, role=Role.QA_OFFICER,
                            comment="Rufus Canaryname asked to revise D2.1.")
        session.commit()

    return programme, designer, officer, reviewer, review


def test_officers_see_every_step_with_names_and_comments(session, case) -> None:  # noqa: ANN001
    programme, _designer, officer, reviewer, review = case
    review(blind=True)
    events = timeline(session, programme, officer.actor)
    assert [e.action for e in events] == ["programme.create", "review.invited", "programme.complete_reviews",
                                          "programme.reopen_review"]
    assert [e.who for e in events] == ["Dora Designer", "Olga Officer", "Rufus Canaryname", "Olga Officer"]
    assert events[2].to is State.CONSOLIDATION and events[2].label == "Complete reviews"
    assert events[3].comment == "Rufus Canaryname asked to revise D2.1."


def test_in_blind_review_the_designer_sees_transitions_but_never_a_reviewer(session, case) -> None:  # noqa: ANN001
    programme, designer, _officer, _reviewer, review = case
    review(blind=True)
    events = timeline(session, programme, designer.actor)
    assert [e.action for e in events] == ["programme.create", "programme.complete_reviews", "programme.reopen_review"]
    assert events[0].who == "Dora Designer" and events[1].who == PANEL
    assert "Canaryname" not in repr(events[1])
    # The officer's own comment is the officer's to word; it is shown, so officers must not name reviewers in it.
    assert events[2].who == "Olga Officer"


def test_in_open_review_the_designer_sees_who_acted(session, case) -> None:  # noqa: ANN001
    programme, designer, _officer, _reviewer, review = case
    review(blind=False)
    assert [e.who for e in timeline(session, programme, designer.actor)][1] == "Rufus Canaryname"


def test_refused_attempts_are_for_overseers_only(session, case) -> None:  # noqa: ANN001
    programme, designer, officer, _reviewer, _review = case
    with pytest.raises(workflow.Conflict):
        workflow.transition(session, programme, Action.SUBMIT, actor=designer, role=Role.DESIGNER)
    session.commit()
    assert "programme.transition_refused" in [e.action for e in timeline(session, programme, officer.actor)]
    assert "programme.transition_refused" not in [e.action for e in timeline(session, programme, designer.actor)]


def test_the_timeline_is_read_in_a_bounded_number_of_statements(session, case) -> None:  # noqa: ANN001
    programme, designer, officer, _reviewer, review = case
    review(blind=True)
    for viewer in (officer, designer):
        with recorded(session.get_bind()) as statements:
            timeline(session, programme, viewer.actor)
        assert len(statements) <= 2, statements
