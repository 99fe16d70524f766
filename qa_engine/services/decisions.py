"""Accreditation decisions: the case as the decider sees it, recording a decision with or without four eyes,
confirming or declining a proposed one, and correcting one in effect.

Without four eyes a decision takes effect when it is recorded; under four eyes it is recorded as proposed and
takes effect when a second QA officer confirms it (or is declined, and the case is decided afresh). Taking
effect is all or nothing: the decision, its conditions, the programme's transition and the e-mails to the
designer and the reviewers happen in one savepoint, so a refused transition leaves nothing behind but its
audit entry. A decision in effect is never edited (the database refuses); a correction is a new decision that
names the one it corrects, with the same outcome.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, aliased

from qa_engine.db import utcnow
from qa_engine.domain import decisions as rules
from qa_engine.domain import permissions, review_visibility
from qa_engine.domain.decisions import ACCREDITING, APPEALABLE, ConditionDraft, DecisionDraft
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.review_visibility import ReviewerIdentity
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric_model import Rubric
from qa_engine.domain.rubrics import RubricRegistry
from qa_engine.domain.scoring import PanelScore
from qa_engine.domain.vocabularies import Vocabularies
from qa_engine.domain.workflow import Action, Precondition, State
from qa_engine.models import Addendum, AuditEntry, Condition, Decision, DecisionStatus, Programme, Review, User
from qa_engine.services import audit, decision_records, outbox, proposals, report_archive, reviews, workflow
from qa_engine.services.decision_records import conditions_of
from qa_engine.services.proposals import NotAllowed
from qa_engine.services.reviews import ReviewSettings

ACTIONS = {Outcome.APPROVED: Action.APPROVE, Outcome.APPROVED_WITH_CONDITIONS: Action.APPROVE_WITH_CONDITIONS,
           Outcome.REVISE_AND_RESUBMIT: Action.REQUIRE_REVISION, Outcome.REJECTED: Action.REJECT}
BLIND = ("The review was blind: the provider must not learn who reviewed. Leave out the names, e-mail "
         "addresses and institutions of the panel members.")


class Refused(workflow.Conflict):
    """A rule of the decision stage refuses the step; the attempt is audited."""


class Invalid(ValueError):
    """The decision cannot be recorded as stated; `errors` maps form fields to messages. Nothing was changed."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class DecisionSettings:
    """Four eyes, validity, the appeal window and the deciding body, from the configuration."""

    four_eyes: bool = False
    validity_years: int = rules.DEFAULT_VALIDITY_YEARS
    appeal_days: int = rules.DEFAULT_APPEAL_DAYS
    body: str = "Accreditation committee"


def settings_from_config(config: Mapping[str, Any]) -> DecisionSettings:
    """The decision settings of a configuration (defaults for the keys it lacks)."""
    return DecisionSettings(bool(config.get("FOUR_EYES", False)),
                            int(config.get("DECISION_VALIDITY_YEARS", rules.DEFAULT_VALIDITY_YEARS)),
                            int(config.get("APPEAL_WINDOW_DAYS", rules.DEFAULT_APPEAL_DAYS)),
                            str(config.get("DECISION_BODY", "Accreditation committee")))


@dataclass(frozen=True)
class Scope:
    """Limits of an approval, as ELM's limit* properties: EQF level, ISCED-F field, mode of delivery."""

    eqf_level: int | None = None
    field: str | None = None
    mode: str | None = None


@dataclass(frozen=True)
class Terms:
    """What a decision states beyond its outcome, and all a correction may change."""

    rationale: str
    recommendations: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    scope: Scope = Scope()


@dataclass(frozen=True)
class Statement:
    """A decision as the decider states it."""

    outcome: Outcome | None
    terms: Terms
    departure_reason: str = ""
    conditions: tuple[ConditionDraft, ...] = ()
    decision_body: str = ""
    members_present: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConditionLine:
    """A condition and whether it is overdue today."""

    condition: Condition
    overdue: bool


@dataclass(frozen=True)
class Case:
    """The decision page: what the decision rests on, a decision waiting for confirmation, and the history."""

    programme: Programme
    viewer_id: int
    officer: bool  # the viewer decides (administrators read)
    four_eyes: bool
    review: Review | None
    rubric: Rubric | None
    panel: PanelScore | None  # None before any review is in, or when the pinned rubric is gone
    rubric_problem: str | None
    history: tuple[Decision, ...]
    declined: Mapping[int, str]  # the reasons given for declining, by decision id

    @property
    def recommended(self) -> Outcome | None:
        """The outcome the panel's scores recommend."""
        return self.panel.recommended if self.panel else None

    @property
    def proposed(self) -> Decision | None:
        """The decision waiting for a second officer's confirmation."""
        return next((d for d in self.history if d.status is DecisionStatus.PROPOSED), None)

    @property
    def proposed_conditions(self) -> tuple[ConditionLine, ...]:
        """The conditions of the proposed decision (none is due yet)."""
        return tuple(ConditionLine(c, False) for c in self.proposed.conditions) if self.proposed else ()

    @property
    def pending(self) -> bool:
        """The programme waits for its decision."""
        return self.programme.state is State.DECISION_PENDING

    @property
    def can_decide(self) -> bool:
        """The viewer may record a decision now."""
        return self.officer and self.pending and self.proposed is None

    @property
    def can_confirm(self) -> bool:
        """The viewer may confirm the proposed decision (not its proposer, under four eyes)."""
        proposed = self.proposed
        return (self.officer and proposed is not None
                and rules.may_confirm(proposed.decided_by_id, self.viewer_id, four_eyes=self.four_eyes))

    @property
    def can_decline(self) -> bool:
        """The viewer may decline the proposed decision (its proposer too, to withdraw it)."""
        return self.officer and self.proposed is not None


@dataclass(frozen=True)
class Dossier:
    """One decision as its page shows it: the outcome as amended, conditions, addenda and corrections."""

    decision: Decision
    outcome: Outcome
    conditions: tuple[ConditionLine, ...]
    addenda: tuple[Addendum, ...]
    corrects: Decision | None
    corrected_by: Decision | None
    correctable: bool  # the viewer may correct it: a QA officer, and it is the decision in effect
    declined_reason: str | None


# Reading ---------------------------------------------------------------------------------------------------


def case(session: Session, programme: Programme, *, actor: Actor, settings: DecisionSettings,
         review_settings: ReviewSettings, registry: RubricRegistry) -> Case:
    """What the decision on `programme` rests on and where it stands.

    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    if not permissions.can_oversee_programmes(actor):
        raise NotAllowed("Only QA officers and administrators see the decision page.")
    review = reviews.current_round(session, programme.id)
    rubric, panel, problem = _scores(session, review, review_settings, registry)
    return Case(programme, actor.user_id, permissions.can_screen_programmes(actor), settings.four_eyes, review,
                rubric, panel, problem, tuple(decision_records.history(session, programme.id)),
                _declined(session, programme.id))


def default_terms(session: Session, programme: Programme, *, settings: DecisionSettings, vocabularies: Vocabularies,
                  today: date) -> Terms:
    """What the form starts from: valid from today for the configured years, the submitted version's scope."""
    return Terms("", "", today, rules.validity_end(today, settings.validity_years),
                 submitted_scope(session, programme, vocabularies))


def submitted_scope(session: Session, programme: Programme, vocabularies: Vocabularies) -> Scope:
    """The EQF level, ISCED-F field and mode of the programme's last submitted version, where they are known."""
    version = proposals.get_version(session, programme, programme.current_version)
    if version is None:
        return Scope()
    content = json.loads(version.content)
    level = content.get("level", {}).get("eqf_level")
    field = str(content.get("classification", {}).get("isced_f_code") or "")
    mode = vocabularies.match_term("modes", str(content.get("delivery", {}).get("mode") or ""))
    return Scope(level if isinstance(level, int) and 1 <= level <= 8 else None,
                 field if field in vocabularies.isced_fields else None, mode)


def dossier(session: Session, decision: Decision, *, actor: Actor, today: date) -> Dossier:
    """A decision as `actor` may read it: designers of the provider read decisions in effect, overseers all.

    :raises NotAllowed: for anyone else, and for designers when the decision never took effect.
    """
    designer = permissions.can_design_for(actor, provider_id=decision.programme.provider_id)
    if not (permissions.can_oversee_programmes(actor)
            or designer and decision.status is DecisionStatus.EFFECTIVE):
        raise NotAllowed("This decision is not yours to read.")
    corrected_by = session.scalars(select(Decision).where(Decision.corrects_id == decision.id)).first()
    addenda = session.scalars(select(Addendum).where(Addendum.decision_id == decision.id).order_by(Addendum.id))
    return Dossier(decision, decision_records.current_outcome(session, decision),
                   condition_lines(session, decision, today), tuple(addenda),
                   session.get(Decision, decision.corrects_id) if decision.corrects_id else None, corrected_by,
                   permissions.can_screen_programmes(actor) and correctable(session, decision),
                   _declined(session, decision.programme_id).get(decision.id))


def correctable(session: Session, decision: Decision) -> bool:
    """Whether the decision may be corrected: it is the programme's decision in effect."""
    current = decision_records.in_effect(session, decision.programme_id)
    return current is not None and current.id == decision.id


def accredits(outcome: Outcome) -> bool:
    """Whether the outcome accredits the programme, so that the decision states validity and scope."""
    return outcome in ACCREDITING


def terms_of(decision: Decision) -> Terms:
    """A decision's terms, to start a correction from."""
    return Terms(decision.rationale, decision.recommendations or "", decision.valid_from, decision.valid_until,
                 Scope(decision.limit_eqf_level, decision.limit_field, decision.limit_mode))


def originals_in_effect() -> Select:
    """A query of each programme's newest effective decision that is not a correction: the one that set the
    conditions (a correction keeps them)."""
    newer = aliased(Decision)
    return select(Decision).where(
        Decision.status == DecisionStatus.EFFECTIVE, Decision.corrects_id.is_(None),
        ~select(newer.id).where(newer.programme_id == Decision.programme_id, newer.status == DecisionStatus.EFFECTIVE,
                                newer.corrects_id.is_(None), newer.id > Decision.id).exists())


def condition_lines(session: Session, decision: Decision, today: date) -> tuple[ConditionLine, ...]:
    """The decision's conditions, each with whether it is overdue today."""
    return tuple(ConditionLine(c, rules.overdue(c.due_on, c.status, today)) for c in conditions_of(session, decision))


# Acting ----------------------------------------------------------------------------------------------------


def decide(session: Session, programme: Programme, statement: Statement, *, actor: User, settings: DecisionSettings,
           review_settings: ReviewSettings, registry: RubricRegistry, today: date) -> Decision:
    """Record the decision: in effect at once, or proposed for a second officer under four eyes.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises Refused: when the programme is not waiting for a decision, a proposed one waits, or the rubric the
        review is pinned to changed, so that no outcome can be recommended (audited).
    :raises Invalid: with every problem of the statement, by field; nothing is changed.
    :raises workflow.Conflict: when the transition is refused; nothing but the audit entry remains.
    """
    _require_officer(actor)
    programme = reviews.lock_programme(session, programme.id)
    facts = {"outcome": statement.outcome.value if statement.outcome else None}
    if programme.state is not State.DECISION_PENDING:
        raise _refused(session, programme, actor, facts, f"The programme is {State(programme.state).label.lower()}: "
                                                         f"it is not waiting for a decision.")
    if _proposed(session, programme.id) is not None:
        raise _refused(session, programme, actor, facts, "A proposed decision is waiting for a second QA officer: "
                                                         "confirm or decline it first.")
    review = reviews.current_round(session, programme.id)
    _, panel, rubric_problem = _scores(session, review, review_settings, registry)
    if rubric_problem:
        raise _refused(session, programme, actor, facts, rubric_problem)
    recommended = panel.recommended if panel else None
    errors = statement_problems(statement, recommended, review, today)
    if errors:
        raise Invalid(errors)
    decision = _new_decision(programme, review, statement, recommended, actor)
    if settings.four_eyes:
        decision.status = DecisionStatus.PROPOSED
        session.add(decision)
        session.flush()
        _audit(session, "decision.proposed", decision, actor, _facts(decision))
        return decision
    with all_or_nothing(session, programme, actor, facts):
        decision.status, decision.decided_on = DecisionStatus.EFFECTIVE, today
        decision.appeal_deadline = _appeal_deadline(decision.outcome, today, settings)
        report_archive.archive_for_decision(session, decision)
        session.add(decision)
        session.flush()
        _audit(session, "decision.recorded", decision, actor, _facts(decision))
        _enact(session, decision, programme, actor)
    return decision


def confirm(session: Session, decision: Decision, *, actor: User, settings: DecisionSettings, today: date) -> None:
    """A second QA officer confirms a proposed decision: it takes effect, as `decide` without four eyes.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises Refused: for its proposer under four eyes, or a decision no longer proposed (audited).
    :raises workflow.Conflict: when the transition is refused; the decision stays proposed.
    """
    _require_officer(actor)
    programme = reviews.lock_programme(session, decision.programme_id)
    session.refresh(decision)
    facts = {"decision": decision.id}
    if decision.status is not DecisionStatus.PROPOSED:
        raise _refused(session, programme, actor, facts, f"This decision is {decision.status.value} already: there "
                                                         f"is nothing to confirm.")
    if not rules.may_confirm(decision.decided_by_id, actor.id, four_eyes=settings.four_eyes):
        raise _refused(session, programme, actor, facts, "You proposed this decision: under the four-eyes rule "
                                                         "another QA officer confirms it.")
    deadline = _appeal_deadline(decision.outcome, today, settings)
    with all_or_nothing(session, programme, actor, facts):
        report_archive.archive_for_decision(session, decision, decided_on=today, appeal_deadline=deadline)
        _settle(session, decision, status=DecisionStatus.EFFECTIVE, confirmed_by_id=actor.id, confirmed_at=utcnow(),
                decided_on=today, appeal_deadline=deadline)
        _audit(session, "decision.confirmed", decision, actor, _facts(decision))
        _enact(session, decision, programme, actor)


def decline(session: Session, decision: Decision, *, actor: User, reason: str) -> None:
    """Decline a proposed decision with the reason; the programme waits for a fresh decision.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises Invalid: without a reason; nothing is changed.
    :raises Refused: when the decision is no longer proposed (audited).
    """
    _require_officer(actor)
    text = (reason or "").strip()
    if not text:
        raise Invalid({"reason": "Say why the decision is declined: its proposer reads this."})
    programme = reviews.lock_programme(session, decision.programme_id)
    session.refresh(decision)
    if decision.status is not DecisionStatus.PROPOSED:
        raise _refused(session, programme, actor, {"decision": decision.id},
                       f"This decision is {decision.status.value} already: there is nothing to decline.")
    _settle(session, decision, status=DecisionStatus.DECLINED)
    _audit(session, "decision.declined", decision, actor, {"reason": text})
    if decision.decided_by_id != actor.id:
        outbox.notify(session, "decision_declined", decision.decided_by, programme=programme, decision=decision,
                      reason=text, declined_by=actor)


def correct(session: Session, decision: Decision, terms: Terms, *, actor: User, reason: str, today: date) -> Decision:
    """Correct the decision in effect: a new decision with the same outcome and the corrected terms, linked to it.

    The corrected decision stays as it was; the correction keeps its legal date, appeal deadline and conditions,
    and carries its addenda. The designer is told.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises Refused: unless `decision` is the programme's decision in effect (audited).
    :raises Invalid: without a reason, with a problem in the terms, or when nothing changes; nothing is changed.
    """
    _require_officer(actor)
    programme = reviews.lock_programme(session, decision.programme_id)
    if not correctable(session, decision):
        raise _refused(session, programme, actor, {"decision": decision.id},
                       "Only the decision in effect can be corrected; this one is not (it is proposed, declined "
                       "or corrected already).")
    review = session.get(Review, decision.review_id) if decision.review_id else None
    errors = correction_problems(decision, terms, reason, conditions_of(session, decision), review, today)
    if errors:
        raise Invalid(errors)
    correction = _corrected(decision, terms, actor, reason.strip())
    report_archive.archive_for_decision(session, correction)
    session.add(correction)
    session.flush()
    for addendum in session.scalars(select(Addendum).where(Addendum.decision_id == decision.id)
                                    .order_by(Addendum.id)):
        session.add(Addendum(decision_id=correction.id, issued_on=addendum.issued_on, outcome=addendum.outcome,
                             text=addendum.text, issued_by_id=addendum.issued_by_id))
    changed = changed_terms(decision, correction)
    _audit(session, "decision.corrected", correction, actor,
           {"corrects": decision.id, "reason": correction.correction_reason, "changed": changed})
    outbox.notify(session, "decision_corrected", programme.designer, programme=programme, decision=correction,
                  corrected=decision, changed=changed, conditions=conditions_of(session, correction))
    return correction


# Rules beyond the pure ones --------------------------------------------------------------------------------


def statement_problems(statement: Statement, recommended: Outcome | None, review: Review | None,
                       today: date) -> dict[str, str]:
    """Every problem of a decision statement, by form field: the domain's rules, then blind review."""
    terms = statement.terms
    draft = DecisionDraft(statement.outcome, terms.rationale, recommended, statement.departure_reason,
                          terms.recommendations, statement.conditions, terms.valid_from, terms.valid_until)
    errors = rules.problems(draft, today=today)
    if not statement.decision_body.strip():
        errors["decision_body"] = "Name the body that takes the decision."
    texts = {"rationale": terms.rationale, "recommendations": terms.recommendations,
             "departure_reason": statement.departure_reason, "members_present": "\n".join(statement.members_present)}
    for index, condition in enumerate(statement.conditions):
        texts[f"conditions-{index}"] = f"{condition.text}\n{condition.evidence_required}"
    return {**_named_reviewers(review, texts), **errors}


def correction_problems(decision: Decision, terms: Terms, reason: str, conditions: list[Condition],
                        review: Review | None, today: date) -> dict[str, str]:
    """Every problem of a correction, by form field (the conditions stand as decided)."""
    drafts = tuple(ConditionDraft(c.text, c.evidence_required, c.due_on) for c in conditions)
    draft = DecisionDraft(decision.outcome, terms.rationale, None, "", terms.recommendations, drafts,
                          terms.valid_from, terms.valid_until)
    errors = {key: message for key, message in rules.problems(draft, today=today).items()
              if not key.startswith("conditions")}
    if "valid_until" not in errors and terms.valid_until and decision.outcome in ACCREDITING:
        late = [c.number for c in conditions if c.due_on > terms.valid_until]
        if late:
            errors["valid_until"] = f"The approval would end before condition {late[0]} is due."
    if not (reason or "").strip():
        errors["correction_reason"] = "Say what was wrong: the correction and its reason are published with it."
    errors.update(_named_reviewers(review, {"rationale": terms.rationale,
                                            "recommendations": terms.recommendations}))
    if not errors and not changed_terms(decision, _corrected(decision, terms, None, reason)):
        errors["form"] = "The correction changes nothing: edit what was wrong."
    return errors


def changed_terms(old: Decision, new: Decision) -> list[str]:
    """The names of the terms that differ between a decision and its correction."""
    names = ("rationale", "recommendations", "valid_from", "valid_until", "limit_eqf_level", "limit_field",
             "limit_mode")
    return [name for name in names if getattr(old, name) != getattr(new, name)]


def _named_reviewers(review: Review | None, texts: Mapping[str, str]) -> dict[str, str]:
    """In blind review, the texts that name (or mail, or place) a member of the panel."""
    if review is None or not review.blind:
        return {}
    clean = review_visibility.scrubber([
        (ReviewerIdentity(seat.reviewer_id, seat.reviewer.full_name, seat.reviewer.email,
                          seat.reviewer.institution.name), review_visibility.ANONYMOUS)
        for seat in review.assignments])
    return {field: BLIND for field, text in texts.items() if text and clean(text) != text}


# Helpers ---------------------------------------------------------------------------------------------------


@contextmanager
def all_or_nothing(session: Session, programme: Programme, actor: User, facts: dict[str, Any], *,
                   event: str = "decision.refused") -> Iterator[None]:
    """Run the block in a savepoint: when a transition or a compare-and-set in it is refused, everything the block
    did is undone, and the refusal is audited as `event` after the savepoint, so that its entry stays."""
    try:
        with session.begin_nested():
            yield
    except workflow.Conflict as conflict:
        audit.record(session, event, actor=actor, role=Role.QA_OFFICER, obj=("programme", programme.id),
                     details={**facts, "reason": conflict.message})
        raise


def _enact(session: Session, decision: Decision, programme: Programme, actor: User) -> None:
    """The transition for the outcome, and the e-mails to the designer and every reviewer of the round."""
    workflow.transition(session, programme, ACTIONS[decision.outcome], actor=actor, role=Role.QA_OFFICER,
                        holds=frozenset({Precondition.DECISION_CONFIRMED}),
                        details={"decision": decision.id, "outcome": decision.outcome.value})
    conditions = list(decision.conditions)
    outbox.notify(session, "decision", programme.designer, programme=programme, decision=decision,
                  conditions=conditions, appealable=decision.outcome in APPEALABLE)
    review = session.get(Review, decision.review_id) if decision.review_id else None
    for seat in review.assignments if review else ():
        if seat.status is MemberStatus.SUBMITTED:
            outbox.notify(session, "decision_reviewer", seat.reviewer, programme=programme, decision=decision,
                          conditions=len(conditions))


def _new_decision(programme: Programme, review: Review | None, statement: Statement, recommended: Outcome | None,
                  actor: User) -> Decision:
    outcome = statement.outcome
    assert outcome is not None, "checked by statement_problems"
    departs = recommended is not None and outcome is not recommended
    decision = Decision(programme_id=programme.id, review_id=review.id if review else None,
                        version_number=review.version_number if review else programme.current_version,
                        outcome=outcome, recommended_outcome=recommended,
                        departure_reason=statement.departure_reason.strip() if departs else None,
                        decision_body=statement.decision_body.strip(),
                        members_present=json.dumps(list(statement.members_present), ensure_ascii=False),
                        decided_by_id=actor.id, decided_at=utcnow(), **_term_columns(outcome, statement.terms))
    decision.conditions = [Condition(number=index, text=c.text.strip(), evidence_required=c.evidence_required.strip(),
                                     due_on=c.due_on, status=rules.ConditionStatus.OPEN)
                           for index, c in enumerate(statement.conditions, start=1)]
    return decision


def _corrected(decision: Decision, terms: Terms, actor: User | None, reason: str) -> Decision:
    kept = {name: getattr(decision, name) for name in (
        "programme_id", "review_id", "version_number", "outcome", "recommended_outcome", "departure_reason",
        "decision_body", "members_present", "decided_on", "appeal_deadline")}
    return Decision(**kept, status=DecisionStatus.EFFECTIVE, decided_by_id=actor.id if actor else None,
                    decided_at=utcnow(), corrects_id=decision.id, correction_reason=reason,
                    **_term_columns(decision.outcome, terms))


def _term_columns(outcome: Outcome, terms: Terms) -> dict[str, Any]:
    """The columns of the terms; validity and scope belong to approvals only."""
    approval = accredits(outcome)
    scope = terms.scope if approval else Scope()
    return {"rationale": terms.rationale.strip(), "recommendations": terms.recommendations.strip(),
            "valid_from": terms.valid_from if approval else None,
            "valid_until": terms.valid_until if approval else None,
            "limit_eqf_level": scope.eqf_level, "limit_field": scope.field, "limit_mode": scope.mode}


def _appeal_deadline(outcome: Outcome, today: date, settings: DecisionSettings) -> date | None:
    return rules.appeal_deadline(today, settings.appeal_days) if outcome in APPEALABLE else None


def _settle(session: Session, decision: Decision, **values: Any) -> None:
    """Move a proposed decision on: a compare-and-set on its status (the database allows no other update)."""
    statement = (update(Decision).where(Decision.id == decision.id, Decision.status == DecisionStatus.PROPOSED)
                 .values(**values).execution_options(synchronize_session=False))
    if session.execute(statement).rowcount != 1:
        raise Refused("The decision was confirmed or declined in the meantime.")
    session.refresh(decision)


def _scores(session: Session, review: Review | None, settings: ReviewSettings,
            registry: RubricRegistry) -> tuple[Rubric | None, PanelScore | None, str | None]:
    if review is None or not any(a.status is MemberStatus.SUBMITTED for a in review.assignments):
        return None, None, None
    try:
        rubric = reviews.pinned_rubric(review, registry)
    except reviews.RubricChanged as error:
        return None, None, str(error)
    return rubric, reviews.panel_score(session, review, rubric, settings), None


def _proposed(session: Session, programme_id: int) -> Decision | None:
    return session.scalars(select(Decision).where(Decision.programme_id == programme_id,
                                                  Decision.status == DecisionStatus.PROPOSED)).first()


def _declined(session: Session, programme_id: int) -> dict[int, str]:
    rows = session.scalars(select(AuditEntry.details).where(
        AuditEntry.object_type == "programme", AuditEntry.object_id == str(programme_id),
        AuditEntry.action == "decision.declined"))
    return {facts["decision"]: facts.get("reason", "") for facts in map(json.loads, rows)}


def _facts(decision: Decision) -> dict[str, Any]:
    return {"outcome": decision.outcome.value, "status": decision.status.value,
            "recommended": decision.recommended_outcome.value if decision.recommended_outcome else None,
            "departure_reason": decision.departure_reason, "conditions": len(decision.conditions),
            "valid_from": decision.valid_from.isoformat() if decision.valid_from else None,
            "valid_until": decision.valid_until.isoformat() if decision.valid_until else None}


def _audit(session: Session, event: str, decision: Decision, actor: User, details: dict[str, Any]) -> None:
    audit.record(session, event, actor=actor, role=Role.QA_OFFICER, obj=("programme", decision.programme_id),
                 details={"decision": decision.id, **details})


def _refused(session: Session, programme: Programme, actor: User, facts: dict[str, Any], reason: str) -> Refused:
    audit.record(session, "decision.refused", actor=actor, role=Role.QA_OFFICER, obj=("programme", programme.id),
                 details={**facts, "reason": reason})
    return Refused(reason)


def _require_officer(actor: User) -> None:
    if not permissions.can_screen_programmes(actor.actor):
        raise NotAllowed("Only QA officers take decisions.")

