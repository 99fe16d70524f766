"""The accreditation process: its states, the actions people take, and the one table of allowed transitions.

The table reads like the process diagram: (state, action) -> target state and the roles that may act.
Later issues (review, decision) add their rows here; nothing else decides
whether a programme may move.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
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
    COMPLETE_REVIEWS = "complete_reviews"
    REOPEN_REVIEW = "reopen_review"
    SEND_DRAFT_REPORT = "send_draft_report"
    RESPOND_TO_REPORT = "respond_to_report"
    CLOSE_RESPONSE_WINDOW = "close_response_window"

    @property
    def label(self) -> str:
        """The action as shown to people."""
        return self.value.replace("_", " ").capitalize()


class Precondition(StrEnum):
    """A fact about the case, beyond its state, that a transition needs; services establish which hold."""

    REVIEWS_IN = "reviews_in"  # the panel meets its policy and every confirmed member has submitted
    CONSENSUS_RECORDED = "consensus_recorded"  # every criterion the reviewers disagree on has a consensus mark
    RESPONSE_WINDOW_CLOSED = "response_window_closed"  # the provider's time to answer the draft report is over

    @property
    def unmet_message(self) -> str:
        """Why the action must wait, as shown to people."""
        return _UNMET[self]


_UNMET = {
    Precondition.REVIEWS_IN: "The panel is not complete or not every reviewer has submitted.",
    Precondition.CONSENSUS_RECORDED: "A consensus mark is still missing for a criterion the reviewers disagree on.",
    Precondition.RESPONSE_WINDOW_CLOSED: "The provider's response window is still open.",
}


@dataclass(frozen=True)
class Transition:
    """Where an action leads from a state, who may take it, what must hold, and whether they must say why."""

    target: State
    roles: frozenset[Role]
    comment_required: bool = False
    requires: frozenset[Precondition] = frozenset()


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
#: The last reviewer's submission closes the review; a QA officer may close it after removing a straggler.
REVIEW_CLOSERS = frozenset({Role.REVIEWER, Role.QA_OFFICER})
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
    # External review: the panel scores; when every review is in, the case moves to consolidation. A QA officer
    # may send a submitted review back to its reviewer, which reopens the review.
    (State.IN_REVIEW, Action.COMPLETE_REVIEWS): Transition(
        State.CONSOLIDATION, REVIEW_CLOSERS, requires=frozenset({Precondition.REVIEWS_IN})),
    (State.CONSOLIDATION, Action.REOPEN_REVIEW): Transition(State.IN_REVIEW, QA_OFFICER, comment_required=True),
    # Consolidation ends with the draft panel report sent to the provider, who may answer it within a window.
    (State.CONSOLIDATION, Action.SEND_DRAFT_REPORT): Transition(
        State.PROVIDER_RESPONSE, QA_OFFICER, requires=frozenset({Precondition.CONSENSUS_RECORDED})),
    (State.PROVIDER_RESPONSE, Action.RESPOND_TO_REPORT): Transition(
        State.DECISION_PENDING, DESIGNER, comment_required=True),
    (State.PROVIDER_RESPONSE, Action.CLOSE_RESPONSE_WINDOW): Transition(
        State.DECISION_PENDING, QA_OFFICER, requires=frozenset({Precondition.RESPONSE_WINDOW_CLOSED})),
}


def advance(state: State | None, action: Action, role: Role | None, *, comment: str | None = None,
            holds: Collection[Precondition] = ()) -> State:
    """The state after `role` takes `action` in `state` (None: a programme not yet created).

    `holds` names the preconditions that are true of the case now.

    :raises TransitionRefused: when the table has no such transition, not for this role, or a precondition fails.
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
    for precondition in sorted(transition.requires - frozenset(holds)):
        raise TransitionRefused(state, action, role, precondition.unmet_message)
    return transition.target


def requires_comment(state: State | None, action: Action) -> bool:
    """Whether taking `action` in `state` needs a comment saying why."""
    transition = TRANSITIONS.get((state, action))
    return transition is not None and transition.comment_required


def requirements(state: State | None, action: Action) -> frozenset[Precondition]:
    """The preconditions taking `action` in `state` needs (empty when there is no such transition)."""
    transition = TRANSITIONS.get((state, action))
    return frozenset() if transition is None else transition.requires


def allowed(state: State | None, action: Action, role: Role | None, *,
            holds: Collection[Precondition] | None = None) -> bool:
    """Whether `role` may take `action` in `state`; with `holds`, also whether its preconditions are met."""
    transition = TRANSITIONS.get((state, action))
    if transition is None or role not in transition.roles:
        return False
    return holds is None or transition.requires <= frozenset(holds)
