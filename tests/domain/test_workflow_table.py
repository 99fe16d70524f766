"""The transition table, exhaustively: every state, action and role, against what the process says."""
from __future__ import annotations

import itertools

import pytest

from qa_engine.domain import permissions, workflow
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import NEW, TRANSITIONS, Action, State, Transition, TransitionRefused

STATES: tuple[State | None, ...] = (NEW, *State)
ROLES: tuple[Role | None, ...] = (None, *Role)

# What the designer's side of the process allows, written out by hand (the table must agree).
EXPECTED: dict[tuple[State | None, Action], State] = {
    (NEW, Action.CREATE): State.DRAFT,
    (State.DRAFT, Action.SUBMIT): State.SUBMITTED,
    (State.RETURNED, Action.START_REVISION): State.DRAFT,
    (State.DRAFT, Action.WITHDRAW): State.WITHDRAWN,
    (State.SUBMITTED, Action.WITHDRAW): State.WITHDRAWN,
    (State.SCREENING, Action.WITHDRAW): State.WITHDRAWN,
    (State.RETURNED, Action.WITHDRAW): State.WITHDRAWN,
    (State.IN_REVIEW, Action.WITHDRAW): State.WITHDRAWN,
    (State.CONSOLIDATION, Action.WITHDRAW): State.WITHDRAWN,
    (State.PROVIDER_RESPONSE, Action.WITHDRAW): State.WITHDRAWN,
    (State.DECISION_PENDING, Action.WITHDRAW): State.WITHDRAWN,
}


@pytest.mark.parametrize(("state", "action", "role"), list(itertools.product(STATES, Action, ROLES)))
def test_advance_every_state_action_role(state: State | None, action: Action, role: Role | None) -> None:
    target = EXPECTED.get((state, action))
    if target is not None and role is Role.DESIGNER:
        assert workflow.advance(state, action, role) == target
        assert workflow.allowed(state, action, role)
    else:
        with pytest.raises(TransitionRefused) as refused:
            workflow.advance(state, action, role)
        assert (refused.value.state, refused.value.action, refused.value.role) == (state, action, role)
        assert refused.value.reason
        assert not workflow.allowed(state, action, role)


def test_table_holds_exactly_the_expected_rows() -> None:
    assert {key: transition.target for key, transition in TRANSITIONS.items()} == EXPECTED
    assert all(isinstance(t, Transition) and t.roles == frozenset({Role.DESIGNER}) for t in TRANSITIONS.values())


def test_decided_and_withdrawn_programmes_cannot_move() -> None:
    for state, action, role in itertools.product((State.DECIDED, State.WITHDRAWN), Action, ROLES):
        assert not workflow.allowed(state, action, role)


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
        assert permissions.can_start_revision(own, **facts) == (state is State.RETURNED)
        assert permissions.can_withdraw(own, **facts) == (state in workflow.PRE_DECISION)
        assert permissions.can_download_attachment(officer, **facts) == (state is not State.DRAFT)
        for predicate in (permissions.can_edit_programme, permissions.can_submit, permissions.can_withdraw,
                          permissions.can_start_revision, permissions.can_download_attachment):
            assert not predicate(other, **facts)
            if predicate is not permissions.can_download_attachment:
                assert not predicate(officer, **facts)
