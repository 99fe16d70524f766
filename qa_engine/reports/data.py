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
    """Who a rendering is for: the agency itself, or the applicant and the public (one and the same text)."""

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
class Addendum:
    """A dated amendment of the decision, e.g. approved without conditions once every one was met."""

    issued_on: date
    outcome: Outcome
    text: str


@dataclass(frozen=True)
class DecisionEntry:
    """The decision body's decision, with its conditions, validity and the appeal window.

    `appeal_deadline` is the legal deadline when it is known (else `decided_on` plus the window); an outcome
    that is not `appealable` (an unconditional approval) states no appeal rights.
    """

    outcome: Outcome
    rationale: str
    decided_on: date
    decided_by: str
    recommendations: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    appeal_window_days: int = 30
    departure_reason: str = ""  # internal: the committee's deliberation, never published
    appeal_deadline: date | None = None
    appealable: bool = True
    addenda: tuple[Addendum, ...] = ()
    correction_reason: str = ""  # public: a correction is published with its reason


@dataclass(frozen=True)
class InternalNote:
    """Something only the agency reads: who decided, who was present, the provider's response, a departure."""

    heading: str
    text: str


@dataclass(frozen=True)
class AssessmentReportData:
    """Everything the assessment report and the decision letter show; `decision` None marks a draft.

    `rubric` and `panel` are None when no panel reviewed the version decided on (or its pinned rubric is gone,
    which `panel_note` then says). `other_members` are the people who sat on the panel without submitting a
    review: never shown, but scrubbed from every text in blind review like the reviewers.
    """

    proposal: Proposal
    screening: ScreeningResult
    rubric: Rubric | None
    panel: PanelScore | None
    reviewers: tuple[ReviewerEntry, ...]
    generated_on: date
    decision: DecisionEntry | None = None
    internal_notes: tuple[InternalNote, ...] = ()
    blind_mode: bool = True
    reference: str = ""
    url: str = ""
    other_members: tuple[ReviewerEntry, ...] = ()
    panel_note: str = ""


# The period summary for a QA office ------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    """A group of decided programmes (an outcome, a level, a field) and how many had each outcome."""

    label: str
    counts: tuple[int, ...]  # in the order of PeriodSummary.outcomes

    @property
    def total(self) -> int:
        """Programmes in the group."""
        return sum(self.counts)


@dataclass(frozen=True)
class StageTime:
    """How long programmes spent in one stage of the process, in days (calendar time from the audit trail)."""

    stage: str
    programmes: int
    median_days: float
    mean_days: float
    max_days: float


@dataclass(frozen=True)
class ReviewerLoad:
    """One reviewer's seats on panels due in the period: load, timeliness against the due date, hours."""

    name: str
    seats: int
    on_time: int
    late: int
    outstanding: int  # not submitted, and the due date has passed
    days_late: float | None  # mean, over the late submissions
    hours: float


@dataclass(frozen=True)
class OpenCondition:
    """A condition of a decision in effect that is not met yet."""

    programme: str
    number: int
    text: str
    due_on: date
    status: str
    days_overdue: int  # 0 when not due yet


@dataclass(frozen=True)
class CostLine:
    """One line of the cost estimate: a quantity of hours at an hourly rate."""

    label: str
    hours: float
    rate: float

    @property
    def amount(self) -> float:
        """Hours times rate."""
        return self.hours * self.rate


@dataclass(frozen=True)
class PeriodSummary:
    """What a QA office did in a period: decisions, cycle times, reviewers, conditions and cost."""

    start: date
    end: date
    generated_on: date
    outcomes: tuple[Outcome, ...]
    by_level: tuple[CountRow, ...]  # every decided programme is in one row (those without a level too)
    by_field: tuple[CountRow, ...]
    stages: tuple[StageTime, ...]
    overall: StageTime | None  # from the first submission to the decision
    reviewers: tuple[ReviewerLoad, ...]
    conditions: tuple[OpenCondition, ...]
    costs: tuple[CostLine, ...]
    currency: str = "EUR"
    officer_minutes: Mapping[str, int] = field(default_factory=dict, hash=False)

    @property
    def totals(self) -> tuple[int, ...]:
        """Programmes decided in the period with each outcome, in the order of `outcomes`."""
        return tuple(sum(row.counts[index] for row in self.by_level) for index in range(len(self.outcomes)))

    @property
    def decided(self) -> int:
        """Programmes decided in the period."""
        return sum(self.totals)

    @property
    def overdue(self) -> int:
        """Open conditions past their due date."""
        return sum(1 for condition in self.conditions if condition.days_overdue > 0)

    @property
    def total_cost(self) -> float:
        """The sum of every cost line."""
        return sum(line.amount for line in self.costs)
