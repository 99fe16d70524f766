"""The accreditation process: its states, the actions people take, and the one table of allowed transitions.

The table reads like the process diagram: (state, action) -> target state, the roles that may act, the
facts about the case that must hold (preconditions, established by the services) and whether the actor
must say why. Nothing else decides whether a programme may move.
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
    # Decided: the four outcomes, then what may follow an approval.
    APPROVED = "approved"
    CONDITIONS = "conditions"  # approved with conditions, which are being followed up
    REVISE_AND_RESUBMIT = "revise_and_resubmit"
    REJECTED = "rejected"
    EXPIRED = "expired"
    APPROVAL_WITHDRAWN = "approval_withdrawn"
    WITHDRAWN = "withdrawn"  # by the provider, before a decision

    @property
    def label(self) -> str:
        """The state as shown to people."""
        return _STATE_LABELS.get(self) or self.value.replace("_", " ").capitalize()


_STATE_LABELS = {State.CONDITIONS: "Approved with conditions", State.REVISE_AND_RESUBMIT: "Revise and resubmit"}


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
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    REQUIRE_REVISION = "require_revision"
    REJECT = "reject"
    CONDITIONS_MET = "conditions_met"
    UPHOLD_APPEAL = "uphold_appeal"
    WITHDRAW_APPROVAL = "withdraw_approval"
    EXPIRE = "expire"
    START_PERIODIC_REVIEW = "start_periodic_review"

    @property
    def label(self) -> str:
        """The action as shown to people."""
        return self.value.replace("_", " ").capitalize()


class Precondition(StrEnum):
    """A fact about the case, beyond its state, that a transition needs; services establish which hold."""

    REVIEWS_IN = "reviews_in"  # the panel meets its policy and every confirmed member has submitted
    CONSENSUS_RECORDED = "consensus_recorded"  # every criterion the reviewers disagree on has a consensus mark
    RESPONSE_WINDOW_CLOSED = "response_window_closed"  # the provider's time to answer the draft report is over
    DECISION_CONFIRMED = "decision_confirmed"  # the decision is recorded and, under four eyes, confirmed
    ALL_CONDITIONS_MET = "all_conditions_met"
    APPEAL_LODGED = "appeal_lodged"  # an appeal against the decision in effect awaits its outcome
    VALIDITY_ENDED = "validity_ended"

    @property
    def unmet_message(self) -> str:
        """Why the action must wait, as shown to people."""
        return _UNMET[self]


_UNMET = {
    Precondition.REVIEWS_IN: "The panel is not complete or not every reviewer has submitted.",
    Precondition.CONSENSUS_RECORDED: "A consensus mark is still missing for a criterion the reviewers disagree on.",
    Precondition.RESPONSE_WINDOW_CLOSED: "The provider's response window is still open.",
    Precondition.DECISION_CONFIRMED: "The decision has not been confirmed by a second officer.",
    Precondition.ALL_CONDITIONS_MET: "Not every condition has been met.",
    Precondition.APPEAL_LODGED: "No appeal is waiting for its outcome.",
    Precondition.VALIDITY_ENDED: "The approval is still valid.",
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
#: An appeal is handled by a panel of people who took no part in the case: officers, administrators, reviewers.
APPEAL_HANDLERS = frozenset({Role.QA_OFFICER, Role.ADMIN, Role.REVIEWER})
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

#: The decided states an appeal can reopen (an unconditional approval leaves nothing to appeal).
APPEALABLE = (State.CONDITIONS, State.REVISE_AND_RESUBMIT, State.REJECTED, State.APPROVAL_WITHDRAWN)
#: States in which the programme holds an approval.
ACCREDITED = (State.APPROVED, State.CONDITIONS)
DECIDE = frozenset({Precondition.DECISION_CONFIRMED})

TRANSITIONS: Mapping[tuple[State | None, Action], Transition] = {
    (NEW, Action.CREATE): Transition(State.DRAFT, DESIGNER),
    (State.DRAFT, Action.SUBMIT): Transition(State.SUBMITTED, DESIGNER),
    (State.RETURNED, Action.START_REVISION): Transition(State.DRAFT, DESIGNER),
    (State.REVISE_AND_RESUBMIT, Action.START_REVISION): Transition(State.DRAFT, DESIGNER),
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
    # The decision: one action per outcome, each taking effect once recorded (and confirmed under four eyes).
    (State.DECISION_PENDING, Action.APPROVE): Transition(State.APPROVED, QA_OFFICER, requires=DECIDE),
    (State.DECISION_PENDING, Action.APPROVE_WITH_CONDITIONS): Transition(State.CONDITIONS, QA_OFFICER,
                                                                         requires=DECIDE),
    (State.DECISION_PENDING, Action.REQUIRE_REVISION): Transition(State.REVISE_AND_RESUBMIT, QA_OFFICER,
                                                                  requires=DECIDE),
    (State.DECISION_PENDING, Action.REJECT): Transition(State.REJECTED, QA_OFFICER, requires=DECIDE),
    # After the decision: conditions met, appeals upheld, approvals withdrawn or ended, periodic review.
    (State.CONDITIONS, Action.CONDITIONS_MET): Transition(
        State.APPROVED, QA_OFFICER, requires=frozenset({Precondition.ALL_CONDITIONS_MET})),
    **{(state, Action.UPHOLD_APPEAL): Transition(State.DECISION_PENDING, APPEAL_HANDLERS, comment_required=True,
                                                 requires=frozenset({Precondition.APPEAL_LODGED}))
       for state in APPEALABLE},
    **{(state, Action.WITHDRAW_APPROVAL): Transition(State.APPROVAL_WITHDRAWN, QA_OFFICER, comment_required=True)
       for state in ACCREDITED},
    **{(state, Action.EXPIRE): Transition(State.EXPIRED, QA_OFFICER,
                                          requires=frozenset({Precondition.VALIDITY_ENDED})) for state in ACCREDITED},
    (State.APPROVED, Action.START_PERIODIC_REVIEW): Transition(State.DRAFT, DESIGNER),
    (State.EXPIRED, Action.START_PERIODIC_REVIEW): Transition(State.DRAFT, DESIGNER),
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
