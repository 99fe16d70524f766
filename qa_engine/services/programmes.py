"""Programmes: the lists a person may see (the only way lists and counts are built)."""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import Session

from qa_engine.domain import permissions
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Institution, Programme


def visible_programmes(actor: Actor) -> Select[tuple[Programme]]:
    """Programmes `actor` may see, as a query (mirrors permissions.can_see_programme)."""
    own = Programme.provider_id == actor.institution_id if actor.has(Role.DESIGNER) else false()
    overseen = Programme.state != State.DRAFT if permissions.can_oversee_programmes(actor) else false()
    return select(Programme).where(or_(own, overseen))


def counts_by_state(session: Session, actor: Actor) -> dict[State, int]:
    """How many visible programmes are in each state."""
    visible = visible_programmes(actor).subquery()
    rows = session.execute(select(visible.c.state, func.count()).group_by(visible.c.state))
    return {State(state): n for state, n in rows}


def recent(session: Session, actor: Actor, *, states: tuple[State, ...] = (), limit: int = 10) -> list[Programme]:
    """The most recently changed visible programmes, optionally in some states."""
    query = visible_programmes(actor).order_by(Programme.updated_at.desc(), Programme.id.desc()).limit(limit)
    if states:
        query = query.where(Programme.state.in_(states))
    return list(session.scalars(query))


def matching(term: str) -> ColumnElement[bool]:
    """Title, provider name or provider short name contains `term` (lower case), wildcards taken literally."""
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    providers = select(Institution.id).where(or_(func.lower(Institution.name).like(pattern, escape="\\"),
                                                 func.lower(Institution.short_name).like(pattern, escape="\\")))
    return or_(func.lower(Programme.title).like(pattern, escape="\\"), Programme.provider_id.in_(providers))
