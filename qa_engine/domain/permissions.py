"""Who may do what: named predicates over plain facts, used by guards, services and templates alike."""
from __future__ import annotations

from qa_engine.domain import workflow
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import Action, State


def can_administer(actor: Actor) -> bool:
    """Manage accounts, institutions and configuration data."""
    return actor.has(Role.ADMIN)


def can_oversee_programmes(actor: Actor) -> bool:
    """See every programme that has left its designer's hands (QA officers and administrators)."""
    return actor.has(Role.QA_OFFICER, Role.ADMIN)


def can_see_programme(actor: Actor, *, provider_id: int, state: State) -> bool:
    """Designers see their own institution's programmes; overseers see all but other people's drafts."""
    if actor.has(Role.DESIGNER) and actor.institution_id == provider_id:
        return True
    return can_oversee_programmes(actor) and state is not State.DRAFT


def can_design(actor: Actor) -> bool:
    """Describe programmes and submit them for accreditation."""
    return actor.has(Role.DESIGNER)


def can_review(actor: Actor) -> bool:
    """Take part in review panels (assignment-level checks come with each review)."""
    return actor.has(Role.REVIEWER)


def can_design_for(actor: Actor, *, provider_id: int) -> bool:
    """A designer of the provider institution: the only people who write its proposals."""
    return actor.has(Role.DESIGNER) and actor.institution_id == provider_id


def can_edit_programme(actor: Actor, *, provider_id: int, state: State) -> bool:
    """Change the working draft, its sections and its attachments."""
    return can_design_for(actor, provider_id=provider_id) and state is State.DRAFT


def can_submit(actor: Actor, *, provider_id: int, state: State) -> bool:
    """Submit the draft for accreditation (screening may still block it)."""
    return can_design_for(actor, provider_id=provider_id) and workflow.allowed(state, Action.SUBMIT, Role.DESIGNER)


def can_withdraw(actor: Actor, *, provider_id: int, state: State) -> bool:
    """Withdraw the programme before a decision."""
    return can_design_for(actor, provider_id=provider_id) and workflow.allowed(state, Action.WITHDRAW, Role.DESIGNER)


def can_start_revision(actor: Actor, *, provider_id: int, state: State) -> bool:
    """Open a new draft from the last version after the programme came back."""
    return can_design_for(actor, provider_id=provider_id) and workflow.allowed(
        state, Action.START_REVISION, Role.DESIGNER
    )


def can_download_attachment(actor: Actor, *, provider_id: int, state: State) -> bool:
    """Download a programme's attachments: whoever may see the programme."""
    return can_see_programme(actor, provider_id=provider_id, state=state)


def can_screen_programmes(actor: Actor) -> bool:
    """Act as QA officer on submitted programmes (the programme's state decides which actions are open)."""
    return actor.has(Role.QA_OFFICER)


def _officer_may(actor: Actor, state: State, action: Action) -> bool:
    return can_screen_programmes(actor) and workflow.allowed(state, action, Role.QA_OFFICER)


def can_screen(actor: Actor, state: State) -> bool:
    """Act on a programme waiting for screening: take it, accept it for review or return it (QA officers)."""
    return any(_officer_may(actor, state, action) for action in SCREENING_ACTIONS)


def can_take_for_screening(actor: Actor, state: State) -> bool:
    """Take a submitted programme to screen it."""
    return _officer_may(actor, state, Action.TAKE_FOR_SCREENING)


def can_accept_for_review(actor: Actor, state: State) -> bool:
    """Accept a screened programme for review by an expert panel."""
    return _officer_may(actor, state, Action.ACCEPT_FOR_REVIEW)


def can_return_to_designer(actor: Actor, state: State) -> bool:
    """Send a submitted or screened programme back to its designer, with comments."""
    return _officer_may(actor, state, Action.RETURN_TO_DESIGNER)


SCREENING_ACTIONS = (Action.TAKE_FOR_SCREENING, Action.ACCEPT_FOR_REVIEW, Action.RETURN_TO_DESIGNER)
