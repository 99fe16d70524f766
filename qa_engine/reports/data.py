"""What a report shows, as plain frozen values: the services fill these in from the database, tests by hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.proposal import Proposal
from qa_engine.domain.rubric_model import Rubric
from qa_engine.domain.scoring import Mark, PanelScore
from qa_engine.domain.screening import ScreeningResult


class Audience(StrEnum):
    """Who a rendering is for: the agency itself, or the applicant and the public."""

    INTERNAL = "internal"
    APPLICANT = "applicant"


@dataclass(frozen=True)
class Branding:
    """The agency's name, logo (a PNG or SVG path relative to the app's static folder) and contact line."""

    agency_name: str
    logo: str | None = None
    contact: str = ""


@dataclass(frozen=True)
class ReviewerEntry:
    """One panel member as the internal report names them, with their marks by criterion id."""

    assignment_id: int
    name: str
    institution: str = ""
    profile: str = ""
    marks: Mapping[str, Mark] = field(default_factory=dict, hash=False)
    email: str = ""


@dataclass(frozen=True)
class Condition:
    """A condition of approval: what to do, by when, and the evidence that shows it done."""

    text: str
    due: date
    evidence_required: str = ""


@dataclass(frozen=True)
class DecisionEntry:
    """The decision body's decision, with its conditions, validity and the appeal window."""

    outcome: Outcome
    rationale: str
    decided_on: date
    decided_by: str
    recommendations: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    appeal_window_days: int = 30
    departure_reason: str = ""


@dataclass(frozen=True)
class AssessmentReportData:
    """Everything the assessment report and the decision letter show; `decision` None marks a draft."""

    proposal: Proposal
    screening: ScreeningResult
    rubric: Rubric
    panel: PanelScore
    reviewers: tuple[ReviewerEntry, ...]
    generated_on: date
    decision: DecisionEntry | None = None
    internal_notes: tuple[str, ...] = ()
    blind_mode: bool = True
    reference: str = ""
    url: str = ""
