"""A programme proposal: the Annex I elements plus what an assessor needs, as frozen dataclasses.

Free-text fields default to "" and unknown numbers or dates to None, so that a draft can be
saved half-filled; the screening checks, not the format, say what is still missing. Values that
come from configurable vocabularies (assessment type, supervision level, mode, languages, ISCED-F
code, evidence kind) are plain strings, checked by screening (C9, C17) against the loaded lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from qa_engine.domain import proposal_format
from qa_engine.domain.proposal_format import ProposalFormatError

__all__ = ["ProposalFormatError", "empty_proposal", "proposal_from_dict", "proposal_to_dict"]

FORMAT_VERSION = 1


class OutcomeKind(StrEnum):
    KNOWLEDGE = "knowledge"
    SKILLS = "skills"
    AUTONOMY = "autonomy"


class QualificationLevel(StrEnum):
    DOCTORATE = "doctorate"
    MASTER = "master"
    BACHELOR = "bachelor"
    OTHER = "other"


class StaffCategory(StrEnum):
    ACADEMIC = "academic"
    PROFESSIONAL = "professional"
    BOTH = "both"


class LearningSetting(StrEnum):
    FORMAL = "formal"
    NON_FORMAL = "non_formal"


class AttachmentKind(StrEnum):
    SYLLABUS = "syllabus"
    LETTER_OF_SUPPORT = "letter_of_support"
    CV = "cv"
    ASSESSMENT_BRIEF = "assessment_brief"
    OTHER = "other"


@dataclass(frozen=True)
class Identification:
    title: str = ""
    internal_code: str = ""
    description: str = ""
    programme_type: str = "Short learning programme"
    credential_type: str = ""
    partners: tuple[str, ...] = ()


@dataclass(frozen=True)
class AwardingBody:
    name: str = ""
    country: str = ""
    identifier: str = ""


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Hours:
    contact: float | None = None
    guided: float | None = None
    self_study: float | None = None
    work_based: float | None = None
    assessment: float | None = None


@dataclass(frozen=True)
class LevelAndSize:
    eqf_level: int | None = field(default=None, metadata={"minimum": 1, "maximum": 8})
    eqf_na_reason: str = ""
    nqf_country: str = ""
    nqf_level: str = ""
    qf_ehea_cycle: str = ""
    ects: float | None = None
    total_hours: float | None = None
    hours: Hours = field(default_factory=Hours)
    duration_weeks: float | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class Classification:
    isced_f_code: str = ""
    esco_occupations: tuple[str, ...] = ()
    esco_skills: tuple[str, ...] = ()
    learning_setting: LearningSetting | None = None
    target_group: str = ""


@dataclass(frozen=True)
class Evidence:
    kind: str = ""
    reference: str = ""
    description: str = ""


@dataclass(frozen=True)
class Justification:
    need_statement: str = ""
    evidence: tuple[Evidence, ...] = ()
    demand_estimate: str = ""
    duplication_statement: str = ""


@dataclass(frozen=True)
class LearningOutcome:
    id: str = ""
    text: str = ""
    kind: OutcomeKind | None = None
    esco_skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assessment:
    id: str = ""
    title: str = ""
    type: str = ""
    weight_percent: float | None = field(default=None, metadata={"maximum": 100})
    outcome_ids: tuple[str, ...] = ()
    pass_criteria: str = ""
    grading_scheme: str = ""
    supervision: str = ""
    language: str = ""


@dataclass(frozen=True)
class Admission:
    entry_requirements: str = ""
    rpl_route: str = ""
    selection_method: str = ""
    places_min: int | None = None
    places_max: int | None = None
    support_services: str = ""
    accessibility: str = ""
    fee: float | None = None
    fee_currency: str = ""


@dataclass(frozen=True)
class Delivery:
    mode: str = ""
    platform: str = ""
    location: str = ""
    languages: tuple[str, ...] = ()
    timetable: str = ""


@dataclass(frozen=True)
class StaffMember:
    name: str = ""
    role: str = ""
    highest_qualification: QualificationLevel | None = None
    category: StaffCategory | None = None
    institution: str = ""
    years_experience: float | None = None
    teaching_hours: float | None = None


@dataclass(frozen=True)
class Resources:
    facilities: str = ""
    learning_materials: str = ""
    vle: str = ""
    budget_total_cost: float | None = None
    budget_income: float | None = None
    budget_currency: str = ""


@dataclass(frozen=True)
class Pathways:
    stackable: bool | None = None
    target_credential: str = ""
    target_credential_ects: float | None = None
    credits_recognised: float | None = None
    recognition_agreements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Indicator:
    name: str = ""
    target: str = ""


@dataclass(frozen=True)
class QualityAssurance:
    iqas_reference: str = ""
    qa_body: str = ""
    qa_type: str = ""
    indicators: tuple[Indicator, ...] = ()
    review_cycle_years: float | None = None
    public_info_url: str = ""


@dataclass(frozen=True)
class Attachment:
    kind: AttachmentKind = AttachmentKind.OTHER
    filename: str = ""
    sha256: str = ""
    description: str = ""


@dataclass(frozen=True)
class Proposal:
    identification: Identification = field(default_factory=Identification)
    awarding_body: AwardingBody = field(default_factory=AwardingBody)
    contact: Contact = field(default_factory=Contact)
    level: LevelAndSize = field(default_factory=LevelAndSize)
    classification: Classification = field(default_factory=Classification)
    justification: Justification = field(default_factory=Justification)
    learning_outcomes: tuple[LearningOutcome, ...] = ()
    assessments: tuple[Assessment, ...] = ()
    admission: Admission = field(default_factory=Admission)
    delivery: Delivery = field(default_factory=Delivery)
    staff: tuple[StaffMember, ...] = ()
    resources: Resources = field(default_factory=Resources)
    pathways: Pathways = field(default_factory=Pathways)
    quality_assurance: QualityAssurance = field(default_factory=QualityAssurance)
    further_information: str = ""
    attachments: tuple[Attachment, ...] = ()


def empty_proposal() -> Proposal:
    """A blank draft: every field at its empty default."""
    return Proposal()


def proposal_from_dict(data: Mapping[str, Any]) -> Proposal:
    """Parse the engine's proposal JSON format; missing fields take their empty defaults.

    :raises ProposalFormatError: listing every bad field by path, e.g. `learning_outcomes[2].text`.
    """
    errors: list[str] = []
    version = data.get("format_version", FORMAT_VERSION) if isinstance(data, Mapping) else None
    if version != FORMAT_VERSION:
        errors.append(f"format_version: must be {FORMAT_VERSION}")
    body = {k: v for k, v in data.items() if k != "format_version"} if isinstance(data, Mapping) else data
    proposal = proposal_format.decode(Proposal, body, "", errors)
    if errors:
        raise ProposalFormatError(errors)
    return proposal


def proposal_to_dict(proposal: Proposal) -> dict[str, Any]:
    """The proposal in the engine's JSON format (dates as ISO strings); `proposal_from_dict` inverts it."""
    return {"format_version": FORMAT_VERSION, **proposal_format.encode(proposal)}
