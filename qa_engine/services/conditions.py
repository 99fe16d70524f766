"""The follow-up of conditions: the provider submits evidence for each, a QA officer judges it met or not, and
when every condition is met an addendum makes the approval unconditional.

A condition is a compare-and-set on its `version`: evidence may be submitted while it is open or judged not
met, and judged while evidence waits, so a stale page or a second officer gets a clear conflict instead of
overwriting. The conditions followed up are those of the programme's decision in effect (a correction keeps
them); the last judgement, the addendum and the CONDITIONS_MET transition happen in one savepoint.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, selectinload

from qa_engine.db import utcnow
from qa_engine.domain import decisions as rules
from qa_engine.domain import permissions
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import Action, Precondition, State
from qa_engine.models import Addendum, Condition, ConditionEvidence, Decision, Programme, User
from qa_engine.services import audit, decision_records, decisions, outbox, reviews, workflow
from qa_engine.services.decisions import ConditionLine, Invalid, Refused
from qa_engine.services.proposals import NotAllowed

#: Statuses in which the provider may submit (new) evidence.
AWAITING_EVIDENCE = (ConditionStatus.OPEN, ConditionStatus.NOT_MET)


@dataclass(frozen=True)
class Evidence:
    """One submission of evidence, with the names of who submitted and who judged it."""

    evidence: ConditionEvidence
    submitted_by: str
    judged_by: str | None


@dataclass(frozen=True)
class ConditionRow(ConditionLine):
    """A condition as its page shows it: overdue or not, its evidence, and what the viewer may do."""

    evidence: tuple[Evidence, ...] = ()
    may_submit: bool = False
    may_judge: bool = False


@dataclass(frozen=True)
class FollowUp:
    """The conditions page of a programme."""

    programme: Programme
    decision: Decision | None  # the decision that set the conditions (None: no conditional approval in effect)
    rows: tuple[ConditionRow, ...]
    addenda: tuple[Addendum, ...]
    today: date

    @property
    def overdue(self) -> int:
        """How many conditions are overdue."""
        return sum(row.overdue for row in self.rows)


@dataclass(frozen=True)
class Summary:
    """The decision in effect for the programme overview: its outcome as amended, and its conditions."""

    decision: Decision
    outcome: Outcome
    conditions: tuple[ConditionLine, ...]


@dataclass(frozen=True)
class OpenCondition:
    """A condition not met yet, for the QA officers' list."""

    condition: Condition
    programme: Programme
    overdue: bool


# Reading ---------------------------------------------------------------------------------------------------


def follow_up(session: Session, programme: Programme, *, actor: Actor, today: date) -> FollowUp:
    """The conditions of the programme's decision in effect, each with its evidence history.

    :raises NotAllowed: unless the actor is a designer of the provider, a QA officer or an administrator.
    """
    designer = permissions.can_design_for(actor, provider_id=programme.provider_id)
    if not (designer or permissions.can_oversee_programmes(actor)):
        raise NotAllowed("Only the provider's designers and QA officers follow conditions up.")
    decision = _setting_decision(session, programme.id)
    if decision is None:
        return FollowUp(programme, None, (), (), today)
    conditions = list(session.scalars(select(Condition).where(Condition.decision_id == decision.id)
                                      .options(selectinload(Condition.evidence)).order_by(Condition.number)))
    names = _names(session, (e for c in conditions for e in c.evidence))
    live = programme.state is State.CONDITIONS
    officer = permissions.can_screen_programmes(actor)
    rows = tuple(ConditionRow(
        c, rules.overdue(c.due_on, c.status, today),
        tuple(Evidence(e, names.get(e.submitted_by_id, ""), names.get(e.judged_by_id)) for e in c.evidence),
        may_submit=live and designer and c.status in AWAITING_EVIDENCE,
        may_judge=live and officer and c.status is ConditionStatus.EVIDENCE_SUBMITTED) for c in conditions)
    in_effect = decision_records.in_effect(session, programme.id)
    addenda = tuple(session.scalars(select(Addendum).where(Addendum.decision_id == in_effect.id)
                                    .order_by(Addendum.id))) if in_effect else ()
    return FollowUp(programme, decision, rows, addenda, today)


def summary(session: Session, programme_id: int, *, today: date) -> Summary | None:
    """The decision in effect, its outcome as amended and its conditions (None before the first decision)."""
    decision = decision_records.in_effect(session, programme_id)
    if decision is None:
        return None
    return Summary(decision, decision_records.current_outcome(session, decision),
                   decisions.condition_lines(session, decision, today))


def open_conditions(session: Session, *, actor: Actor, today: date) -> list[OpenCondition]:
    """Every condition not met yet of the programmes approved with conditions, overdue first, then by due date.

    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    if not permissions.can_oversee_programmes(actor):
        raise NotAllowed("Only QA officers and administrators see the conditions of every programme.")
    setting = decisions.originals_in_effect().subquery()
    query = (select(Condition, Programme).join(setting, setting.c.id == Condition.decision_id)
             .join(Programme, Programme.id == setting.c.programme_id)
             .where(Programme.state == State.CONDITIONS, Condition.status != ConditionStatus.MET)
             .order_by(case((Condition.due_on < today, 0), else_=1), Condition.due_on, Condition.id))
    return [OpenCondition(condition, programme, rules.overdue(condition.due_on, condition.status, today))
            for condition, programme in session.execute(query)]


# Acting ----------------------------------------------------------------------------------------------------


def submit_evidence(session: Session, condition: Condition, *, actor: User, text: str,
                    version: int | None) -> ConditionEvidence:
    """The provider's evidence for a condition; the QA officer who took the decision is e-mailed.

    :raises NotAllowed: unless the actor is a designer of the provider.
    :raises Invalid: without a description of the evidence; nothing is changed.
    :raises Refused: when the conditions are no longer followed up, evidence already waits for judgement, the
        condition is met, or it changed since the page was loaded (audited).
    """
    programme = condition.decision.programme
    if not permissions.can_design_for(actor.actor, provider_id=programme.provider_id):
        raise NotAllowed("Only the provider's designers submit evidence.")
    body = (text or "").strip()
    if not body:
        raise Invalid({"text": "Describe the evidence, or say where the QA officer finds it."})
    _require_live(session, condition, programme, actor, Role.DESIGNER)
    _advance(session, condition, version, AWAITING_EVIDENCE, ConditionStatus.EVIDENCE_SUBMITTED, actor,
             Role.DESIGNER)
    evidence = ConditionEvidence(condition_id=condition.id, text=body, submitted_by_id=actor.id)
    session.add(evidence)
    session.flush()
    _audit(session, "condition.evidence_submitted", condition, actor, Role.DESIGNER, {"evidence": evidence.id})
    decision = condition.decision
    outbox.notify(session, "condition_evidence", decision.decided_by, programme=programme, condition=condition,
                  evidence=evidence, designer=actor)
    return evidence


def judge(session: Session, condition: Condition, *, actor: User, met: bool, comment: str, version: int | None,
          today: date) -> Addendum | None:
    """Judge the evidence waiting for a condition met or not met; when every condition is met, issue the addendum
    and approve the programme unconditionally. The designer is told.

    :returns: the addendum, when this judgement met the last condition.
    :raises NotAllowed: unless the actor is a QA officer.
    :raises Invalid: without a comment; nothing is changed.
    :raises Refused: when the conditions are no longer followed up, no evidence waits, or the condition
        changed since the page was loaded (audited).
    :raises workflow.Conflict: when the transition is refused; nothing but the audit entry remains.
    """
    if not permissions.can_screen_programmes(actor.actor):
        raise NotAllowed("Only QA officers judge the evidence for conditions.")
    reason = (comment or "").strip()
    if not reason:
        raise Invalid({"comment": "Give your reasons: the provider reads them."})
    programme = reviews.lock_programme(session, condition.decision.programme_id)
    _require_live(session, condition, programme, actor, Role.QA_OFFICER)
    facts = {"condition": condition.id, "met": met}
    with decisions.all_or_nothing(session, programme, actor, facts, event="condition.refused"):
        status = ConditionStatus.MET if met else ConditionStatus.NOT_MET
        _advance(session, condition, version, (ConditionStatus.EVIDENCE_SUBMITTED,), status, actor, Role.QA_OFFICER)
        evidence = condition.evidence[-1]
        evidence.met, evidence.judgement, evidence.judged_by_id, evidence.judged_at = met, reason, actor.id, utcnow()
        session.flush()
        _audit(session, "condition.judged", condition, actor, Role.QA_OFFICER,
               {"evidence": evidence.id, "met": met, "comment": reason})
        conditions = _fresh(session, condition.decision_id)
        if rules.all_met([c.status for c in conditions]):
            return _addendum(session, programme, conditions, actor, today)
        outbox.notify(session, "condition_judged", programme.designer, programme=programme, condition=condition,
                      evidence=evidence)
    return None


def _addendum(session: Session, programme: Programme, conditions: list[Condition], actor: User,
              today: date) -> Addendum:
    """Every condition is met: the addendum to the decision in effect, the transition, and the designer told."""
    decision = decision_records.in_effect(session, programme.id)
    assert decision is not None, "conditions are followed up under a decision in effect"
    text = "Every condition of the decision is met:\n" + "\n".join(
        f"{c.number}. {c.text} (met on {c.evidence[-1].judged_at:%Y-%m-%d})" for c in conditions)
    addendum = Addendum(decision_id=decision.id, issued_on=today, outcome=Outcome.APPROVED, text=text,
                        issued_by_id=actor.id)
    session.add(addendum)
    session.flush()
    audit.record(session, "decision.addendum", actor=actor, role=Role.QA_OFFICER, obj=("programme", programme.id),
                 details={"decision": decision.id, "addendum": addendum.id, "outcome": Outcome.APPROVED.value})
    workflow.transition(session, programme, Action.CONDITIONS_MET, actor=actor, role=Role.QA_OFFICER,
                        holds=frozenset({Precondition.ALL_CONDITIONS_MET}),
                        details={"decision": decision.id, "addendum": addendum.id})
    outbox.notify(session, "conditions_met", programme.designer, programme=programme, decision=decision,
                  addendum=addendum, conditions=conditions)
    return addendum


# Helpers ---------------------------------------------------------------------------------------------------


def _setting_decision(session: Session, programme_id: int) -> Decision | None:
    """The decision in effect that set conditions (a conditional approval, not a correction), if any."""
    decision = session.scalars(decisions.originals_in_effect().where(Decision.programme_id == programme_id)).first()
    return decision if decision and decision.outcome is Outcome.APPROVED_WITH_CONDITIONS else None


def _fresh(session: Session, decision_id: int) -> list[Condition]:
    """The decision's conditions as committed now (read under the programme lock), with their evidence."""
    return list(session.scalars(select(Condition).where(Condition.decision_id == decision_id)
                                .options(selectinload(Condition.evidence)).order_by(Condition.number)
                                .execution_options(populate_existing=True)))


def _require_live(session: Session, condition: Condition, programme: Programme, actor: User, role: Role) -> None:
    setting = _setting_decision(session, programme.id)
    if programme.state is not State.CONDITIONS or setting is None or setting.id != condition.decision_id:
        raise _refused(session, condition, actor, role,
                       f"The conditions are not being followed up: the programme is "
                       f"{State(programme.state).label.lower()}.")


def _advance(session: Session, condition: Condition, version: int | None, from_statuses: Iterable[ConditionStatus],
             to: ConditionStatus, actor: User, role: Role) -> None:
    """The compare-and-set on the condition's version and status."""
    statement = (update(Condition).where(Condition.id == condition.id, Condition.version == version,
                                         Condition.status.in_(list(from_statuses)))
                 .values(status=to, version=Condition.version + 1).execution_options(synchronize_session=False))
    moved = version is not None and session.execute(statement).rowcount == 1
    session.refresh(condition)
    if not moved:
        raise _refused(session, condition, actor, role, _why_not(condition, version))


def _why_not(condition: Condition, version: int | None) -> str:
    if condition.status is ConditionStatus.MET:
        return f"Condition {condition.number} is met already."
    if condition.status is ConditionStatus.EVIDENCE_SUBMITTED and version == condition.version:
        return f"Evidence for condition {condition.number} is waiting for the QA officer's judgement."
    if condition.status in AWAITING_EVIDENCE and version == condition.version:
        return f"No evidence for condition {condition.number} is waiting for a judgement."
    return f"Condition {condition.number} changed in the meantime: reload the page to see where it stands."


def _names(session: Session, evidence: Iterable[ConditionEvidence]) -> dict[int, str]:
    ids = {i for e in evidence for i in (e.submitted_by_id, e.judged_by_id) if i is not None}
    if not ids:
        return {}
    return {user_id: name for user_id, name in session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))}


def _audit(session: Session, event: str, condition: Condition, actor: User, role: Role, details: dict) -> None:
    audit.record(session, event, actor=actor, role=role, obj=("programme", condition.decision.programme_id),
                 details={"condition": condition.id, "number": condition.number, **details})


def _refused(session: Session, condition: Condition, actor: User, role: Role, reason: str) -> Refused:
    _audit(session, "condition.refused", condition, actor, role, {"reason": reason})
    return Refused(reason)
