"""Programmes: the lists a person may see (the only way lists and counts are built)."""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from qa_engine.domain import permissions
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Programme, ProgrammeTally, ProgrammeWord
from qa_engine.services import word_search


def visible_programmes(actor: Actor) -> Select[tuple[Programme]]:
    """Programmes `actor` may see, as a query (mirrors permissions.can_see_programme)."""
    own = Programme.provider_id == actor.institution_id if actor.has(Role.DESIGNER) else false()
    overseen = Programme.state != State.DRAFT if permissions.can_oversee_programmes(actor) else false()
    return select(Programme).where(or_(own, overseen))


def counts_by_state(session: Session, actor: Actor) -> dict[State, int]:
    """How many visible programmes are in each state: read from the tallies the database keeps when the actor sees
    every programme but drafts (a QA officer or an administrator who designs none), counted otherwise."""
    if sees_all_submitted(actor):
        return {State(state): n for state, n in session.execute(
            select(ProgrammeTally.state, ProgrammeTally.programmes)
            .where(ProgrammeTally.state != State.DRAFT, ProgrammeTally.programmes > 0))}
    visible = visible_programmes(actor).subquery()
    rows = session.execute(select(visible.c.state, func.count()).group_by(visible.c.state))
    return {State(state): n for state, n in rows}


def sees_all_submitted(actor: Actor) -> bool:
    """Whether the actor's visible programmes are exactly those that are not drafts."""
    return permissions.can_oversee_programmes(actor) and not actor.has(Role.DESIGNER)


def recent(session: Session, actor: Actor, *, states: tuple[State, ...] = (), limit: int = 10) -> list[Programme]:
    """The most recently changed visible programmes, optionally in some states."""
    query = visible_programmes(actor).order_by(Programme.updated_at.desc(), Programme.id.desc()).limit(limit)
    if states:
        query = query.where(Programme.state.in_(states))
    return list(session.scalars(query))


def matching(search: str, *, postgresql: bool = False, state: State | None = None) -> ColumnElement[bool]:
    """Each word of `search` begins a word of the programme's title or its provider's name or short name (any
    case; punctuation only separates; services.word_search), and the programme is in `state` if one is given. A
    search without a word (only punctuation) matches every programme (the caller filters by state itself)."""
    words = word_search.each_word_begins(search, ProgrammeWord, Programme.id, postgresql=postgresql,
                                         among=None if state is None else ProgrammeWord.state == state.value)
    return true() if words is None else words
