"""The accreditation process: its states, the actions people take, and the one table of allowed transitions.

The table reads like the process diagram: (state, action) -> target state and the roles that may act.
Later issues (review, decision) add their rows here; nothing else decides
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
    TAKE_FOR_SCREENING = "take_for_screening"
    ACCEPT_FOR_REVIEW = "accept_for_review"
    RETURN_TO_DESIGNER = "return_to_designer"

    @property
    def label(self) -> str:
        """The action as shown to people."""
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Transition:
    """Where an action leads from a state, who may take it, and whether they must say why."""

    target: State
    roles: frozenset[Role]
    comment_required: bool = False


class TransitionRefused(Exception):
    """The action is not possible from this state, or not for this role."""

    def __init__(self, state: State | None, action: Action, role: Role | None, reason: str) -> None:
        super().__init__(reason)
        self.state, self.action, self.role, self.reason = state, action, role, reason


class CommentRequired(TransitionRefused):
    """The action is open to this role in this state, but only with a comment saying why."""


#: The state a programme is "in" before it exists: the key of the creating transition.
NEW: None = None

DESIGNER = frozenset({Role.DESIGNER})
QA_OFFICER = frozenset({Role.QA_OFFICER})
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
    # Screening by the QA officer: take the case, then accept it for review or send it back with reasons.
    (State.SUBMITTED, Action.TAKE_FOR_SCREENING): Transition(State.SCREENING, QA_OFFICER),
    (State.SCREENING, Action.ACCEPT_FOR_REVIEW): Transition(State.IN_REVIEW, QA_OFFICER),
    (State.SUBMITTED, Action.RETURN_TO_DESIGNER): Transition(State.RETURNED, QA_OFFICER, comment_required=True),
    (State.SCREENING, Action.RETURN_TO_DESIGNER): Transition(State.RETURNED, QA_OFFICER, comment_required=True),
}


def advance(state: State | None, action: Action, role: Role | None, *, comment: str | None = None) -> State:
    """The state after `role` takes `action` in `state` (None: a programme not yet created).

    :raises TransitionRefused: when the table has no such transition, or not for this role.
    :raises CommentRequired: when the transition needs a comment and `comment` is empty.
    """
    transition = TRANSITIONS.get((state, action))
    if transition is None:
        where = f"a {state.label.lower()} programme" if state else "a programme that does not exist"
        raise TransitionRefused(state, action, role, f"“{action.label}” is not possible for {where}.")
    if role not in transition.roles:
        raise TransitionRefused(state, action, role, f"“{action.label}” is not open to this role.")
    if transition.comment_required and not (comment and comment.strip()):
        raise CommentRequired(state, action, role, f"“{action.label}” needs a comment saying why.")
    return transition.target


def requires_comment(state: State | None, action: Action) -> bool:
    """Whether taking `action` in `state` needs a comment saying why."""
    transition = TRANSITIONS.get((state, action))
    return transition is not None and transition.comment_required


def allowed(state: State | None, action: Action, role: Role | None) -> bool:
    """Whether `advance(state, action, role)` would succeed."""
    transition = TRANSITIONS.get((state, action))
    return transition is not None and role in transition.roles
