"""Accreditation decisions as rules: what a decision must say, validity, conditions, appeals, four eyes.

A decision is the legal act (ESG 2.5, 2.6): it must be justified, and departing from the outcome the panel's
scores recommend needs its own reason. Approval with conditions binds the provider to each condition by a
date; when every condition is met the approval becomes unconditional through an addendum. Appeals (ESG 2.7)
are open for a window after the decision and are handled by people who took no part in the case.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from qa_engine.domain.outcomes import Outcome

DEFAULT_VALIDITY_YEARS = 3
DEFAULT_APPEAL_DAYS = 30
#: Outcomes that accredit the programme, so carry a validity period and appear in the public register.
ACCREDITING = frozenset({Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS})
#: Outcomes the provider may appeal (an unconditional approval leaves nothing to appeal).
APPEALABLE = frozenset({Outcome.APPROVED_WITH_CONDITIONS, Outcome.REVISE_AND_RESUBMIT, Outcome.REJECTED})


class ConditionStatus(StrEnum):
    OPEN = "open"  # waiting for the provider's evidence
    EVIDENCE_SUBMITTED = "evidence_submitted"  # the officer has to judge it
    MET = "met"
    NOT_MET = "not_met"  # judged insufficient: the provider may submit new evidence until the due date

    @property
    def label(self) -> str:
        """The status as shown to people."""
        return self.value.replace("_", " ").capitalize()


class AppealOutcome(StrEnum):
    DISMISSED = "dismissed"  # the decision stands
    UPHELD = "upheld"  # the decision is reconsidered

    @property
    def label(self) -> str:
        """The outcome as shown to people."""
        return self.value.capitalize()


@dataclass(frozen=True)
class ConditionDraft:
    """A binding condition as the decider writes it."""

    text: str
    evidence_required: str
    due_on: date | None


@dataclass(frozen=True)
class DecisionDraft:
    """Everything a decider states; checked by `problems` before anything is recorded."""

    outcome: Outcome | None
    rationale: str
    recommended: Outcome | None = None
    departure_reason: str = ""
    recommendations: str = ""
    conditions: tuple[ConditionDraft, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None


def validity_end(valid_from: date, years: int = DEFAULT_VALIDITY_YEARS) -> date:
    """The last day of an approval valid for `years` from `valid_from` (29 February rolls to 28 February)."""
    try:
        anniversary = valid_from.replace(year=valid_from.year + years)
    except ValueError:
        anniversary = valid_from.replace(year=valid_from.year + years, day=28)
    return anniversary - timedelta(days=1)


def problems(draft: DecisionDraft, *, today: date, max_validity_years: int = 6) -> dict[str, str]:
    """What is wrong with a decision draft, by field (empty when it may be recorded)."""
    errors: dict[str, str] = {}
    if draft.outcome is None:
        errors["outcome"] = "Choose the outcome."
    if not draft.rationale.strip():
        errors["rationale"] = "State the reasons for the decision: it is published and may be appealed."
    if (draft.outcome is not None and draft.recommended is not None and draft.outcome is not draft.recommended
            and not draft.departure_reason.strip()):
        errors["departure_reason"] = (f"The scores recommend “{draft.recommended.label}”: say why the decision "
                                      f"departs from it.")
    if draft.outcome is Outcome.APPROVED_WITH_CONDITIONS and not draft.conditions:
        errors["conditions"] = "An approval with conditions needs at least one condition."
    if draft.outcome is not None and draft.outcome is not Outcome.APPROVED_WITH_CONDITIONS and draft.conditions:
        errors["conditions"] = (f"Only an approval with conditions carries conditions; write advice to a "
                                f"“{draft.outcome.label.lower()}” decision as recommendations.")
    errors.update(_validity_problems(draft, today, max_validity_years))
    for index, condition in enumerate(draft.conditions):
        message = _condition_problem(condition, today, draft.valid_until)
        if message:
            errors[f"conditions-{index}"] = message
    return errors


def _validity_problems(draft: DecisionDraft, today: date, max_years: int) -> dict[str, str]:
    if draft.outcome not in ACCREDITING:
        return {}
    if draft.valid_from is None or draft.valid_until is None:
        return {"valid_until": "An approval needs the dates it is valid from and until."}
    if draft.valid_until <= draft.valid_from:
        return {"valid_until": "The approval must end after it starts."}
    if draft.valid_until > validity_end(draft.valid_from, max_years):
        return {"valid_until": f"An approval may last at most {max_years} years."}
    if draft.valid_until < today:
        return {"valid_until": "The approval would already have ended."}
    return {}


def _condition_problem(condition: ConditionDraft, today: date, valid_until: date | None) -> str | None:
    if not condition.text.strip():
        return "Say what the provider must do."
    if not condition.evidence_required.strip():
        return "Say what evidence will show the condition is met."
    if condition.due_on is None or condition.due_on <= today:
        return "Give a due date after today."
    if valid_until is not None and condition.due_on > valid_until:
        return "A condition must be due before the approval ends."
    return None


def may_confirm(proposer_id: int, confirmer_id: int, *, four_eyes: bool) -> bool:
    """Under the four-eyes rule a second person confirms; without it the decider's own record takes effect."""
    return confirmer_id != proposer_id if four_eyes else True


def appeal_deadline(decided_on: date, days: int = DEFAULT_APPEAL_DAYS) -> date:
    """The last day on which the decision of `decided_on` may be appealed."""
    return decided_on + timedelta(days=days)


def appeal_open(decided_on: date, today: date, days: int = DEFAULT_APPEAL_DAYS) -> bool:
    """Whether an appeal may still be lodged today."""
    return decided_on <= today <= appeal_deadline(decided_on, days)


@dataclass(frozen=True)
class CaseParticipants:
    """Who took part in a case: the decision's deciders and confirmers, and the panel members."""

    deciders: frozenset[int]
    reviewers: frozenset[int]


def appeal_conflicts(person_id: int, case: CaseParticipants) -> list[str]:
    """Why `person_id` may not handle an appeal of this case (empty when they may)."""
    reasons = []
    if person_id in case.deciders:
        reasons.append("Took part in the decision")
    if person_id in case.reviewers:
        reasons.append("Reviewed the programme")
    return reasons


def eligible_appeal_handlers(candidates: Iterable[int], case: CaseParticipants) -> list[int]:
    """The candidates who took no part in the decision or the review, in the given order."""
    return [person for person in candidates if not appeal_conflicts(person, case)]


def all_met(statuses: Collection[ConditionStatus]) -> bool:
    """Every condition is met (and there is at least one)."""
    return bool(statuses) and all(status is ConditionStatus.MET for status in statuses)


def overdue(due_on: date, status: ConditionStatus, today: date) -> bool:
    """A condition not met by its due date."""
    return status is not ConditionStatus.MET and today > due_on


def expiring(valid_until: date, today: date, *, within_days: int) -> bool:
    """An approval ending within `within_days` (and not yet ended)."""
    return today <= valid_until <= today + timedelta(days=within_days)

