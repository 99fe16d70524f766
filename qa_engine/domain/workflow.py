"""The accreditation process: its states, the actions people take, and the one table of allowed transitions.

The table reads like the process diagram: (state, action) -> target state and the roles that may act.
Later issues (screening by the QA officer, review, decision) add their rows here; nothing else decides
whether a programme may move.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from qa_engine.domain.roles import Role


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCREENING = "screening"
    RETURNED = "returned"
    IN_REVIEW = "in_review"
    CONSOLIDATION = "consolidation"
    PROVIDER_RESPONSE = "provider_response"
    DECISION_PENDING = "decision_pending"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The state as shown to people."""
        return self.value.replace("_", " ").capitalize()


class Action(StrEnum):
    CREATE = "create"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    START_REVISION = "start_revision"

    @property
    def label(self) -> str:
        """The action as shown to people."""
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Transition:
    """Where an action leads from a state, and who may take it."""

    target: State
    roles: frozenset[Role]


class TransitionRefused(Exception):
    """The action is not possible from this state, or not for this role."""

    def __init__(self, state: State | None, action: Action, role: Role | None, reason: str) -> None:
        super().__init__(reason)
        self.state, self.action, self.role, self.reason = state, action, role, reason


#: The state a programme is "in" before it exists: the key of the creating transition.
NEW: None = None

DESIGNER = frozenset({Role.DESIGNER})
#: States before a decision is taken: the designer may still withdraw the programme.
PRE_DECISION = (
    State.DRAFT,
    State.SUBMITTED,
    State.SCREENING,
    State.RETURNED,
    State.IN_REVIEW,
    State.CONSOLIDATION,
    State.PROVIDER_RESPONSE,
    State.DECISION_PENDING,
)

TRANSITIONS: Mapping[tuple[State | None, Action], Transition] = {
    (NEW, Action.CREATE): Transition(State.DRAFT, DESIGNER),
    (State.DRAFT, Action.SUBMIT): Transition(State.SUBMITTED, DESIGNER),
    (State.RETURNED, Action.START_REVISION): Transition(State.DRAFT, DESIGNER),
    **{(state, Action.WITHDRAW): Transition(State.WITHDRAWN, DESIGNER) for state in PRE_DECISION},
}


def advance(state: State | None, action: Action, role: Role | None) -> State:
    """The state after `role` takes `action` in `state` (None: a programme not yet created).

    :raises TransitionRefused: when the table has no such transition, or not for this role.
    """
    transition = TRANSITIONS.get((state, action))
    if transition is None:
        where = f"a {state.label.lower()} programme" if state else "a programme that does not exist"
        raise TransitionRefused(state, action, role, f"“{action.label}” is not possible for {where}.")
    if role not in transition.roles:
        raise TransitionRefused(state, action, role, f"“{action.label}” is not open to this role.")
    return transition.target


def allowed(state: State | None, action: Action, role: Role | None) -> bool:
    """Whether `advance(state, action, role)` would succeed."""
    transition = TRANSITIONS.get((state, action))
    return transition is not None and role in transition.roles
