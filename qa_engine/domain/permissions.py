"""Who may do what: named predicates over plain facts, used by guards, services and templates alike."""
from __future__ import annotations

from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import State


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
