"""From report data to what the templates show, for one audience: labels, redaction, formatted marks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from markupsafe import Markup

from qa_engine.domain import review_visibility as visibility
from qa_engine.domain.rubric_model import Criterion, Dimension, Rubric
from qa_engine.domain.scoring import CriterionAggregate
from qa_engine.reports import charts, elements
from qa_engine.reports.data import AssessmentReportData, Audience, DecisionEntry, ReviewerEntry

Clean = Callable[[str], str]


@dataclass(frozen=True)
class ReviewerView:
    """A panel member as this audience may see them: `name`, `institution`, `profile` empty when withheld."""

    letter: str
    label: str
    name: str
    institution: str
    profile: str


@dataclass(frozen=True)
class CriterionView:
    """One criterion's row: each reviewer's mark, the panel's aggregate, disagreement and consensus."""

    id: str
    title: str
    gate: bool
    marks: tuple[str, ...]
    mean: str
    spread: str
    effective: str
    disagreement: bool
    to_discuss: bool
    consensus: str
    consensus_reason: str


@dataclass(frozen=True)
class Justification:
    """A reviewer's written justification of a mark."""

    criterion_id: str
    reviewer: str
    name: str
    mark: str
    text: str


@dataclass(frozen=True)
class DimensionView:
    """A rubric dimension with its panel score, criteria rows and justifications."""

    id: str
    title: str
    description: str
    weight: str
    score: str
    criteria: tuple[CriterionView, ...]
    justifications: tuple[Justification, ...]


def identities_visible(audience: Audience, blind_mode: bool) -> bool:
    """May this rendering name the reviewers: always internally, to the applicant only outside blind mode."""
    viewer = visibility.Relation.QA_OFFICER if audience is Audience.INTERNAL else visibility.Relation.DESIGNER
    return visibility.can_see_reviewer_identity(viewer, blind_mode)


def assessment_context(data: AssessmentReportData, audience: Audience) -> dict[str, Any]:
    """The template context of the assessment report for `audience`."""
    named = identities_visible(audience, data.blind_mode)
    alias = visibility.ReviewerAlias(tuple(reviewer.assignment_id for reviewer in data.reviewers))
    clean = _identity if named else _scrubber(data, alias)
    records = _records(data, alias, redact=not named)
    reviewers = tuple(
        ReviewerView(record.label.removeprefix("Reviewer "), record.label, entry.name if named else "",
                     entry.institution if named else "", entry.profile if named else "")
        for record, entry in zip(records, _in_alias_order(data, alias), strict=True)
    )
    dimensions = tuple(_dimension(data, dimension, records, clean) for dimension in data.rubric.dimensions)
    return {
        "proposal": data.proposal,
        "annex_rows": elements.annex_rows(data.proposal),
        "screening": data.screening,
        "rubric": data.rubric,
        "panel": data.panel,
        "overall": _score(data.panel.overall),
        "recommended": data.panel.recommended.label if data.panel.recommended else "No recommendation",
        "chart": Markup(_chart(data)),
        "dimensions": dimensions,
        "reviewers": reviewers,
        "identities_visible": named,
        "decision": decision_view(data.decision, clean),
        "internal": audience is Audience.INTERNAL,
        "internal_notes": data.internal_notes if audience is Audience.INTERNAL else (),
        "blind_mode": data.blind_mode,
        "reference": data.reference,
        "url": data.url,
        "generated_on": elements.long_date(data.generated_on),
    }


def decision_view(decision: DecisionEntry | None, clean: Clean) -> dict[str, Any] | None:
    """The decision with every free text passed through `clean` and dates written out."""
    if decision is None:
        return None
    return {
        "outcome": decision.outcome.label,
        "approved": decision.outcome.value.startswith("approved"),
        "rationale": clean(decision.rationale),
        "recommendations": tuple(clean(text) for text in decision.recommendations),
        "conditions": tuple({"text": clean(c.text), "due": elements.long_date(c.due),
                             "evidence": clean(c.evidence_required)} for c in decision.conditions),
        "valid_from": elements.long_date(decision.valid_from),
        "valid_to": elements.long_date(decision.valid_to),
        "decided_on": elements.long_date(decision.decided_on),
        "decided_by": decision.decided_by,
        "appeal_days": decision.appeal_window_days,
        "appeal_by": elements.long_date(decision.decided_on + timedelta(days=decision.appeal_window_days)),
        "departure_reason": clean(decision.departure_reason),
    }


def letter_clean(data: AssessmentReportData) -> Clean:
    """What the provider-facing letter passes its free text through: the blind-mode scrubber, or nothing."""
    if identities_visible(Audience.APPLICANT, data.blind_mode):
        return _identity
    return _scrubber(data, visibility.ReviewerAlias(tuple(r.assignment_id for r in data.reviewers)))


def _identity(text: str) -> str:
    return text


def _people(data: AssessmentReportData) -> list[visibility.ReviewerIdentity]:
    return [visibility.ReviewerIdentity(r.assignment_id, r.name, r.email, r.institution) for r in data.reviewers]


def _scrubber(data: AssessmentReportData, alias: visibility.ReviewerAlias) -> Clean:
    return visibility.scrubber([(person, alias.label(person.reviewer_id)) for person in _people(data)])


def _in_alias_order(data: AssessmentReportData, alias: visibility.ReviewerAlias) -> list[ReviewerEntry]:
    return sorted(data.reviewers, key=lambda reviewer: alias.assignment_ids.index(reviewer.assignment_id))


def _records(data: AssessmentReportData, alias: visibility.ReviewerAlias,
             *, redact: bool) -> tuple[visibility.ReviewRecord, ...]:
    records = tuple(
        visibility.ReviewRecord(
            assignment_id=entry.assignment_id, reviewer=person, label=alias.label(entry.assignment_id),
            marks={cid: mark.value for cid, mark in entry.marks.items()},
            texts={cid: mark.justification for cid, mark in entry.marks.items()},
        )
        for entry, person in zip(data.reviewers, _people(data), strict=True)
    )
    if not redact:
        return tuple(sorted(records, key=lambda record: alias.assignment_ids.index(record.assignment_id)))
    return visibility.redact_for_designer(records, blind_mode=True, alias=alias)


def _dimension(data: AssessmentReportData, dimension: Dimension,
               records: tuple[visibility.ReviewRecord, ...], clean: Clean) -> DimensionView:
    rubric, score = data.rubric, data.panel.dimension(dimension.id)
    criteria = tuple(_criterion(rubric, c, data.panel.criteria[c.id], records, clean) for c in dimension.criteria)
    justifications = tuple(
        Justification(c.id, record.label, record.reviewer.name if record.reviewer else "",
                      _mark(rubric, record.marks[c.id]), record.texts[c.id])
        for c in dimension.criteria for record in records
        if c.id in record.marks and record.texts.get(c.id, "").strip()
    )
    return DimensionView(dimension.id, dimension.title, dimension.description, elements.number(dimension.weight),
                         _score(score.score), criteria, justifications)


def _criterion(rubric: Rubric, criterion: Criterion, aggregate: CriterionAggregate,
               records: tuple[visibility.ReviewRecord, ...], clean: Clean) -> CriterionView:
    marks = tuple(_short(record.marks[criterion.id]) if criterion.id in record.marks else "–" for record in records)
    spread = f"{aggregate.min}–{aggregate.max}" if aggregate.min is not None and aggregate.spread else ""
    consensus = aggregate.consensus
    return CriterionView(
        id=criterion.id, title=criterion.title, gate=criterion.gate is not None, marks=marks,
        mean=_score(aggregate.mean), spread=spread, effective=_effective(rubric, aggregate),
        disagreement=aggregate.disagreement, to_discuss=aggregate.needs_consensus,
        consensus=_mark(rubric, consensus.value) if consensus else "",
        consensus_reason=clean(consensus.reason) if consensus else "",
    )


def _mark(rubric: Rubric, value: int | None) -> str:
    return "N/A" if value is None else f"{value} {rubric.scale.label(value)}"


def _short(value: int | None) -> str:
    return "N/A" if value is None else str(value)


def _effective(rubric: Rubric, aggregate: CriterionAggregate) -> str:
    if aggregate.consensus is not None:
        return _mark(rubric, aggregate.consensus.value)
    return _score(aggregate.effective) if aggregate.effective is not None else "N/A"


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _chart(data: AssessmentReportData) -> str:
    scale, panel = data.rubric.scale, data.panel
    bars = [charts.Bar(f"{d.id} {d.title}", panel.dimension(d.id).score) for d in data.rubric.dimensions]
    described = "; ".join(f"{bar.label}: {_score(bar.value)}" for bar in bars)
    return charts.bar_chart(
        bars, minimum=scale.minimum, maximum=scale.maximum, chart_id="dimension-chart",
        title="Panel score by dimension",
        description=f"Weighted mean of the panel's marks per dimension, on the scale {scale.minimum} "
                    f"({scale.label(scale.minimum)}) to {scale.maximum} ({scale.label(scale.maximum)}). {described}.",
        axis_label=f"Score ({scale.minimum} = {scale.label(scale.minimum)}, "
                   f"{scale.maximum} = {scale.label(scale.maximum)})",
    )
