"""The transition table, exhaustively: every state, action and role, against what the process says."""
from __future__ import annotations

import itertools

import pytest

from qa_engine.domain import permissions, workflow
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import (
    NEW,
    TRANSITIONS,
    Action,
    CommentRequired,
    Precondition,
    State,
    Transition,
    TransitionRefused,
)

STATES: tuple[State | None, ...] = (NEW, *State)
ROLES: tuple[Role | None, ...] = (None, *Role)

D, Q, R, A = Role.DESIGNER, Role.QA_OFFICER, Role.REVIEWER, Role.ADMIN
# What the process allows, written out by hand (the table must agree): target state and the roles that may act.
EXPECTED: dict[tuple[State | None, Action], tuple[State, Role, ...]] = {
    (NEW, Action.CREATE): (State.DRAFT, D),
    (State.DRAFT, Action.SUBMIT): (State.SUBMITTED, D),
    (State.RETURNED, Action.START_REVISION): (State.DRAFT, D),
    (State.DRAFT, Action.WITHDRAW): (State.WITHDRAWN, D),
    (State.SUBMITTED, Action.WITHDRAW): (State.WITHDRAWN, D),
    (State.SCREENING, Action.WITHDRAW): (State.WITHDRAWN, D),
    (State.RETURNED, Action.WITHDRAW): (State.WITHDRAWN, D),
    (State.IN_REVIEW, Action.WITHDRAW): (State.WITHDRAWN, D),
    (State.CONSOLIDATION, Action.WITHDRAW): (State.WITHDRAWN, D),
    (State.PROVIDER_RESPONSE, Action.WITHDRAW): (State.WITHDRAWN, D),
    (State.DECISION_PENDING, Action.WITHDRAW): (State.WITHDRAWN, D),
    # Screening by the QA officer
    (State.SUBMITTED, Action.TAKE_FOR_SCREENING): (State.SCREENING, Q),
    (State.SCREENING, Action.ACCEPT_FOR_REVIEW): (State.IN_REVIEW, Q),
    (State.SUBMITTED, Action.RETURN_TO_DESIGNER): (State.RETURNED, Q),
    (State.SCREENING, Action.RETURN_TO_DESIGNER): (State.RETURNED, Q),
    # External review and consolidation
    (State.IN_REVIEW, Action.COMPLETE_REVIEWS): (State.CONSOLIDATION, R, Q),
    (State.CONSOLIDATION, Action.REOPEN_REVIEW): (State.IN_REVIEW, Q),
    (State.CONSOLIDATION, Action.SEND_DRAFT_REPORT): (State.PROVIDER_RESPONSE, Q),
    (State.PROVIDER_RESPONSE, Action.RESPOND_TO_REPORT): (State.DECISION_PENDING, D),
    (State.PROVIDER_RESPONSE, Action.CLOSE_RESPONSE_WINDOW): (State.DECISION_PENDING, Q),
    # The decision and what follows it
    (State.DECISION_PENDING, Action.APPROVE): (State.APPROVED, Q),
    (State.DECISION_PENDING, Action.APPROVE_WITH_CONDITIONS): (State.CONDITIONS, Q),
    (State.DECISION_PENDING, Action.REQUIRE_REVISION): (State.REVISE_AND_RESUBMIT, Q),
    (State.DECISION_PENDING, Action.REJECT): (State.REJECTED, Q),
    (State.REVISE_AND_RESUBMIT, Action.START_REVISION): (State.DRAFT, D),
    (State.CONDITIONS, Action.CONDITIONS_MET): (State.APPROVED, Q),
    (State.CONDITIONS, Action.UPHOLD_APPEAL): (State.DECISION_PENDING, Q, A, R),
    (State.REVISE_AND_RESUBMIT, Action.UPHOLD_APPEAL): (State.DECISION_PENDING, Q, A, R),
    (State.REJECTED, Action.UPHOLD_APPEAL): (State.DECISION_PENDING, Q, A, R),
    (State.APPROVAL_WITHDRAWN, Action.UPHOLD_APPEAL): (State.DECISION_PENDING, Q, A, R),
    (State.APPROVED, Action.WITHDRAW_APPROVAL): (State.APPROVAL_WITHDRAWN, Q),
    (State.CONDITIONS, Action.WITHDRAW_APPROVAL): (State.APPROVAL_WITHDRAWN, Q),
    (State.APPROVED, Action.EXPIRE): (State.EXPIRED, Q),
    (State.CONDITIONS, Action.EXPIRE): (State.EXPIRED, Q),
    (State.APPROVED, Action.START_PERIODIC_REVIEW): (State.DRAFT, D),
    (State.EXPIRED, Action.START_PERIODIC_REVIEW): (State.DRAFT, D),
}
#: Transitions that need a comment saying why.
NEEDS_COMMENT = {(State.SUBMITTED, Action.RETURN_TO_DESIGNER), (State.SCREENING, Action.RETURN_TO_DESIGNER),
                 (State.CONSOLIDATION, Action.REOPEN_REVIEW), (State.PROVIDER_RESPONSE, Action.RESPOND_TO_REPORT),
                 *((state, Action.UPHOLD_APPEAL) for state in (State.CONDITIONS, State.REVISE_AND_RESUBMIT,
                                                               State.REJECTED, State.APPROVAL_WITHDRAWN)),
                 (State.APPROVED, Action.WITHDRAW_APPROVAL), (State.CONDITIONS, Action.WITHDRAW_APPROVAL)}
#: Transitions that need facts about the case beyond its state.
NEEDS = {
    (State.IN_REVIEW, Action.COMPLETE_REVIEWS): {Precondition.REVIEWS_IN},
    (State.CONSOLIDATION, Action.SEND_DRAFT_REPORT): {Precondition.CONSENSUS_RECORDED},
    (State.PROVIDER_RESPONSE, Action.CLOSE_RESPONSE_WINDOW): {Precondition.RESPONSE_WINDOW_CLOSED},
    **{(State.DECISION_PENDING, action): {Precondition.DECISION_CONFIRMED} for action in (
        Action.APPROVE, Action.APPROVE_WITH_CONDITIONS, Action.REQUIRE_REVISION, Action.REJECT)},
    (State.CONDITIONS, Action.CONDITIONS_MET): {Precondition.ALL_CONDITIONS_MET},
    **{(state, Action.UPHOLD_APPEAL): {Precondition.APPEAL_LODGED} for state in (
        State.CONDITIONS, State.REVISE_AND_RESUBMIT, State.REJECTED, State.APPROVAL_WITHDRAWN)},
    (State.APPROVED, Action.EXPIRE): {Precondition.VALIDITY_ENDED},
    (State.CONDITIONS, Action.EXPIRE): {Precondition.VALIDITY_ENDED},
}
EVERY_FACT = frozenset(Precondition)


@pytest.mark.parametrize(("state", "action", "role"), list(itertools.product(STATES, Action, ROLES)))
def test_advance_every_state_action_role(state: State | None, action: Action, role: Role | None) -> None:
    target, *allowed_roles = EXPECTED.get((state, action), (None,))
    if target is not None and role in allowed_roles:
        assert workflow.advance(state, action, role, comment="Because.", holds=EVERY_FACT) == target
        assert workflow.allowed(state, action, role)
        assert workflow.allowed(state, action, role, holds=EVERY_FACT)
        assert workflow.requires_comment(state, action) == ((state, action) in NEEDS_COMMENT)
        needed = NEEDS.get((state, action), set())
        assert workflow.requirements(state, action) == needed
        for missing in needed:  # each precondition on its own stops the action, with a reason
            with pytest.raises(TransitionRefused, match=missing.unmet_message.split()[1]):
                workflow.advance(state, action, role, comment="Because.", holds=EVERY_FACT - {missing})
            assert not workflow.allowed(state, action, role, holds=EVERY_FACT - {missing})
    else:
        with pytest.raises(TransitionRefused) as refused:
            workflow.advance(state, action, role, comment="Because.", holds=EVERY_FACT)
        assert not isinstance(refused.value, CommentRequired)
        assert (refused.value.state, refused.value.action, refused.value.role) == (state, action, role)
        assert refused.value.reason
        assert not workflow.allowed(state, action, role)


def test_table_holds_exactly_the_expected_rows() -> None:
    assert {key: (t.target, *sorted(t.roles)) for key, t in TRANSITIONS.items()} == {
        key: (target, *sorted(roles)) for key, (target, *roles) in EXPECTED.items()}
    assert all(isinstance(t, Transition) for t in TRANSITIONS.values())
    assert {key for key, t in TRANSITIONS.items() if t.comment_required} == NEEDS_COMMENT
    assert {key: t.requires for key, t in TRANSITIONS.items() if t.requires} == NEEDS


@pytest.mark.parametrize(("state", "action"), sorted(NEEDS_COMMENT))
@pytest.mark.parametrize("comment", [None, "", "   \n\t"])
def test_an_action_that_needs_a_comment_is_refused_without_one(state: State, action: Action,
                                                               comment: str | None) -> None:
    target, role, *_ = EXPECTED[(state, action)]
    with pytest.raises(CommentRequired, match="needs a comment"):
        workflow.advance(state, action, role, comment=comment, holds=EVERY_FACT)
    assert workflow.advance(state, action, role, comment="Learning outcomes are not assessable.",
                            holds=EVERY_FACT) == target


def test_the_screening_path_and_the_revision_loop_follow_the_table() -> None:
    path = [(Action.SUBMIT, D), (Action.TAKE_FOR_SCREENING, Q), (Action.RETURN_TO_DESIGNER, Q),
            (Action.START_REVISION, D), (Action.SUBMIT, D), (Action.TAKE_FOR_SCREENING, Q),
            (Action.ACCEPT_FOR_REVIEW, Q)]
    state = State.DRAFT
    visited = []
    for action, role in path:
        state = workflow.advance(state, action, role, comment="Why.")
        visited.append(state)
    assert visited == [State.SUBMITTED, State.SCREENING, State.RETURNED, State.DRAFT, State.SUBMITTED,
                       State.SCREENING, State.IN_REVIEW]


def test_the_review_path_follows_the_table() -> None:
    path = [(Action.COMPLETE_REVIEWS, R), (Action.REOPEN_REVIEW, Q), (Action.COMPLETE_REVIEWS, Q),
            (Action.SEND_DRAFT_REPORT, Q), (Action.RESPOND_TO_REPORT, D)]
    state, visited = State.IN_REVIEW, []
    for action, role in path:
        state = workflow.advance(state, action, role, comment="Why.", holds=EVERY_FACT)
        visited.append(state)
    assert visited == [State.CONSOLIDATION, State.IN_REVIEW, State.CONSOLIDATION, State.PROVIDER_RESPONSE,
                       State.DECISION_PENDING]


def test_withdrawn_programmes_cannot_move_and_rejected_ones_only_on_appeal() -> None:
    for action, role in itertools.product(Action, ROLES):
        assert not workflow.allowed(State.WITHDRAWN, action, role)
        assert workflow.allowed(State.REJECTED, action, role) == (action is Action.UPHOLD_APPEAL and role in (Q, A, R))


def test_refusal_names_the_action_and_the_state() -> None:
    with pytest.raises(TransitionRefused, match="Submit.*submitted programme"):
        workflow.advance(State.SUBMITTED, Action.SUBMIT, Role.DESIGNER)
    with pytest.raises(TransitionRefused, match="not open to this role"):
        workflow.advance(State.DRAFT, Action.SUBMIT, Role.QA_OFFICER)


def test_designer_predicates_follow_the_table_and_the_institution() -> None:
    own = Actor(user_id=1, institution_id=7, roles=frozenset({Role.DESIGNER}))
    other = Actor(user_id=2, institution_id=8, roles=frozenset({Role.DESIGNER}))
    officer = Actor(user_id=3, institution_id=1, roles=frozenset({Role.QA_OFFICER, Role.ADMIN}))
    for state in State:
        facts = {"provider_id": 7, "state": state}
        assert permissions.can_edit_programme(own, **facts) == (state is State.DRAFT)
        assert permissions.can_submit(own, **facts) == (state is State.DRAFT)
        assert permissions.can_start_revision(own, **facts) == (state in (State.RETURNED, State.REVISE_AND_RESUBMIT))
        assert permissions.can_withdraw(own, **facts) == (state in workflow.PRE_DECISION)
        assert permissions.can_download_attachment(officer, **facts) == (state is not State.DRAFT)
        for predicate in (permissions.can_edit_programme, permissions.can_submit, permissions.can_withdraw,
                          permissions.can_start_revision, permissions.can_download_attachment):
            assert not predicate(other, **facts)
            if predicate is not permissions.can_download_attachment:
                assert not predicate(officer, **facts)


def test_screening_predicates_follow_the_table_and_the_role() -> None:
    officer = Actor(user_id=3, institution_id=1, roles=frozenset({Role.QA_OFFICER}))
    admin = Actor(user_id=4, institution_id=1, roles=frozenset({Role.ADMIN}))
    designer = Actor(user_id=1, institution_id=7, roles=frozenset({Role.DESIGNER}))
    for state in State:
        assert permissions.can_take_for_screening(officer, state) == (state is State.SUBMITTED)
        assert permissions.can_accept_for_review(officer, state) == (state is State.SCREENING)
        assert permissions.can_return_to_designer(officer, state) == (state in (State.SUBMITTED, State.SCREENING))
        assert permissions.can_screen(officer, state) == (state in (State.SUBMITTED, State.SCREENING))
        for other in (admin, designer):
            assert not permissions.can_screen(other, state)
            assert not permissions.can_take_for_screening(other, state)
            assert not permissions.can_accept_for_review(other, state)
            assert not permissions.can_return_to_designer(other, state)
    assert permissions.can_screen_programmes(officer) and not permissions.can_screen_programmes(admin)
