"""Reading decisions: which one is in effect, a programme's decision history, and what is accredited today.

Decisions are never edited. The one in effect is the newest effective decision of the programme (a
correction is newer than what it corrects); an addendum can lift its conditions. The public register,
exports and reports all read "what is accredited" through `accredited`, so they can never disagree.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from qa_engine.domain.decisions import ACCREDITING
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.workflow import State
from qa_engine.models import Addendum, Condition, Decision, DecisionStatus, Programme

#: Programme states in which an approval, while valid, stands (a periodic review's new draft keeps it).
APPROVAL_STANDS = (State.APPROVED, State.CONDITIONS, State.DRAFT, State.SUBMITTED, State.SCREENING,
                   State.RETURNED, State.IN_REVIEW, State.CONSOLIDATION, State.PROVIDER_RESPONSE)


def in_effect(session: Session, programme_id: int) -> Decision | None:
    """The programme's decision in effect (None before its first)."""
    return session.scalars(select(Decision).where(Decision.programme_id == programme_id,
                                                  Decision.status == DecisionStatus.EFFECTIVE)
                           .order_by(Decision.id.desc()).limit(1)).first()


def history(session: Session, programme_id: int) -> list[Decision]:
    """Every decision record of the programme, oldest first: proposals, declined ones, corrections."""
    return list(session.scalars(select(Decision).where(Decision.programme_id == programme_id)
                                .order_by(Decision.id)))


def current_outcome(session: Session, decision: Decision) -> Outcome:
    """The decision's outcome as amended by its addenda (e.g. approved once every condition was met)."""
    amended = session.scalar(select(Addendum.outcome).where(Addendum.decision_id == decision.id)
                             .order_by(Addendum.id.desc()).limit(1))
    return amended or decision.outcome


def newest_effective() -> Select:
    """A query of each programme's decision in effect (one row per decided programme)."""
    newer = aliased(Decision)
    return select(Decision).where(
        Decision.status == DecisionStatus.EFFECTIVE,
        ~select(newer.id).where(newer.programme_id == Decision.programme_id, newer.status == DecisionStatus.EFFECTIVE,
                                newer.id > Decision.id).exists())


def accredited(today: date) -> Select:
    """(Decision, Programme) of every programme accredited today: its decision in effect accredits it, is valid
    today, and the approval was neither withdrawn nor ended."""
    latest = newest_effective().subquery()
    decision = aliased(Decision, latest)
    return (select(decision, Programme).join(Programme, Programme.id == decision.programme_id)
            .where(decision.outcome.in_(ACCREDITING), decision.valid_from <= today, decision.valid_until >= today,
                   Programme.state.in_(APPROVAL_STANDS)))


def conditions_of(session: Session, decision: Decision) -> list[Condition]:
    """The conditions a decision carries: its own, or those of the decision it corrects (a correction keeps them)."""
    while not decision.conditions and decision.corrects_id is not None:
        decision = session.get(Decision, decision.corrects_id)
    return list(decision.conditions)
