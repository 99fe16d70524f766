"""From report data to what the templates show, for one audience: labels, redaction, formatted marks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from markupsafe import Markup

from qa_engine.domain import review_visibility as visibility
from qa_engine.domain.rubric_model import Criterion, Dimension, Rubric
from qa_engine.domain.scoring import CriterionAggregate, PanelScore
from qa_engine.reports import charts, elements
from qa_engine.reports.data import AssessmentReportData, Audience, DecisionEntry, PeriodSummary, StageTime

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
    panel_mark: str  # what the applicant and the public read: the agreed mark, or the mean and its level


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
    """The template context of the assessment report for `audience`.

    Internally: every reviewer's marks and justifications, named. For the applicant and the public (what
    docs/exports.md publishes): the panel's mark per criterion with the consensus reasoning, the scores, and
    outside blind review the names and profiles of the reviewers; no individual review, no internal note.
    """
    internal = audience is Audience.INTERNAL
    named = identities_visible(audience, data.blind_mode)
    clean = _identity if named else anonymiser(data)
    labelled = _labelled(data)
    records = labelled if internal else ()
    reviewers = tuple(
        ReviewerView(record.label.removeprefix("Reviewer "), record.label, entry.name,
                     entry.institution if internal else "", entry.profile)
        for record, entry in zip(labelled, data.reviewers, strict=True)
    ) if named else ()
    rubric, panel = data.rubric, data.panel
    dimensions = tuple(_dimension(rubric, panel, d, records, clean) for d in rubric.dimensions) \
        if rubric and panel else ()
    recommended = "" if panel is None else panel.recommended.label if panel.recommended else "No recommendation"
    return {
        "proposal": data.proposal,
        "annex_rows": elements.annex_rows(data.proposal),
        "screening": data.screening,
        "rubric": rubric,
        "panel": panel,
        "panel_note": data.panel_note,
        "overall": _score(panel.overall) if panel else "–",
        # The committee's business until it decides: a draft for the applicant does not say it.
        "recommended": recommended if internal or data.decision else "",
        "chart": Markup(_chart(rubric, panel)) if rubric and panel else "",
        "dimensions": dimensions,
        "reviewers": reviewers,
        "reviewer_count": len(data.reviewers),
        "identities_visible": named,
        "decision": decision_view(data.decision, clean),
        "internal": internal,
        "internal_notes": data.internal_notes if internal else (),
        "blind_mode": data.blind_mode,
        "reference": data.reference,
        "url": data.url,
        "generated_on": elements.long_date(data.generated_on),
    }


def decision_view(decision: DecisionEntry | None, clean: Clean) -> dict[str, Any] | None:
    """The decision with every free text passed through `clean` and dates written out."""
    if decision is None:
        return None
    appeal_by = decision.appeal_deadline or decision.decided_on + timedelta(days=decision.appeal_window_days)
    current = decision.addenda[-1].outcome if decision.addenda else decision.outcome
    return {
        "outcome": decision.outcome.label,
        "current_outcome": current.label if current is not decision.outcome else "",
        "approved": decision.outcome.value.startswith("approved"),
        "rationale": clean(decision.rationale),
        "recommendations": tuple(clean(text) for text in decision.recommendations),
        "conditions": tuple({"text": clean(c.text), "due": elements.long_date(c.due),
                             "evidence": clean(c.evidence_required)} for c in decision.conditions),
        "valid_from": elements.long_date(decision.valid_from),
        "valid_to": elements.long_date(decision.valid_to),
        "decided_on": elements.long_date(decision.decided_on),
        "decided_by": decision.decided_by,
        "appealable": decision.appealable,
        "appeal_days": decision.appeal_window_days,
        "appeal_by": elements.long_date(appeal_by),
        "departure_reason": clean(decision.departure_reason),
        "addenda": tuple({"issued_on": elements.long_date(a.issued_on), "outcome": a.outcome.label,
                          "text": clean(a.text)} for a in decision.addenda),
        "correction_reason": clean(decision.correction_reason),
    }


def letter_clean(data: AssessmentReportData) -> Clean:
    """What the provider-facing letter passes its free text through: the blind-mode scrubber, or nothing."""
    return _identity if identities_visible(Audience.APPLICANT, data.blind_mode) else anonymiser(data)


def anonymiser(data: AssessmentReportData) -> Clean:
    """Blind review: every panel member's name, e-mail and institution out of a text, each named "a reviewer"
    so that not even the number of reviewers shows (as the register and the draft report do)."""
    people = (*data.reviewers, *data.other_members)
    return visibility.scrubber([(visibility.ReviewerIdentity(p.assignment_id, p.name, p.email, p.institution),
                                 visibility.ANONYMOUS) for p in people])


def _identity(text: str) -> str:
    return text


def _labelled(data: AssessmentReportData) -> tuple[visibility.ReviewRecord, ...]:
    """The reviews with their letters in the order the panel sat ("Reviewer A" is the first seat)."""
    alias = visibility.ReviewerAlias(tuple(reviewer.assignment_id for reviewer in data.reviewers))
    return tuple(
        visibility.ReviewRecord(
            assignment_id=entry.assignment_id,
            reviewer=visibility.ReviewerIdentity(entry.assignment_id, entry.name, entry.email, entry.institution),
            label=alias.label(entry.assignment_id),
            marks={cid: mark.value for cid, mark in entry.marks.items()},
            texts={cid: mark.justification for cid, mark in entry.marks.items()},
        )
        for entry in data.reviewers
    )


def _dimension(rubric: Rubric, panel: PanelScore, dimension: Dimension,
               records: tuple[visibility.ReviewRecord, ...], clean: Clean) -> DimensionView:
    score = panel.dimension(dimension.id)
    criteria = tuple(_criterion(rubric, c, panel.criteria[c.id], records, clean) for c in dimension.criteria)
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
        panel_mark=_panel_mark(rubric, aggregate),
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


def _panel_mark(rubric: Rubric, aggregate: CriterionAggregate) -> str:
    if aggregate.consensus is not None:
        return f"{_mark(rubric, aggregate.consensus.value)} (agreed by the panel)"
    if aggregate.effective is None:
        return "N/A" if aggregate.n_na else "–"
    nearest = min(rubric.scale.levels, key=lambda level: (abs(level.value - aggregate.effective), level.value))
    return f"{aggregate.effective:.2f} ({nearest.label})"


def _chart(rubric: Rubric, panel: PanelScore) -> str:
    scale = rubric.scale
    bars = [charts.Bar(f"{d.id} {d.title}", panel.dimension(d.id).score) for d in rubric.dimensions]
    described = "; ".join(f"{bar.label}: {_score(bar.value)}" for bar in bars)
    return charts.bar_chart(
        bars, minimum=scale.minimum, maximum=scale.maximum, chart_id="dimension-chart",
        title="Panel score by dimension",
        description=f"Weighted mean of the panel's marks per dimension, on the scale {scale.minimum} "
                    f"({scale.label(scale.minimum)}) to {scale.maximum} ({scale.label(scale.maximum)}). {described}.",
        axis_label=f"Score ({scale.minimum} = {scale.label(scale.minimum)}, "
                   f"{scale.maximum} = {scale.label(scale.maximum)})",
    )


def summary_context(summary: PeriodSummary) -> dict[str, Any]:
    """The template context of the period summary: rows with their numbers written out."""
    decided = summary.decided
    return {
        "summary": summary,
        "period": f"{elements.long_date(summary.start)} to {elements.long_date(summary.end)}",
        "generated_on": elements.long_date(summary.generated_on),
        "outcome_labels": tuple(outcome.label for outcome in summary.outcomes),
        "by_outcome": tuple((outcome.label, count, f"{100 * count / decided:.0f}%" if decided else "–")
                            for outcome, count in zip(summary.outcomes, summary.totals, strict=True)),
        "stages": tuple(_stage_row(stage) for stage in summary.stages),
        "overall": _stage_row(summary.overall) if summary.overall else None,
        "reviewers": tuple({"name": r.name, "seats": r.seats, "on_time": r.on_time, "late": r.late,
                            "days_late": _days(r.days_late) if r.days_late is not None else "–",
                            "outstanding": r.outstanding, "hours": _amount(r.hours, 1)} for r in summary.reviewers),
        "reviewer_totals": {name: sum(getattr(r, name) for r in summary.reviewers)
                            for name in ("seats", "on_time", "late", "outstanding")},
        "conditions": tuple({"programme": c.programme, "number": c.number, "text": c.text,
                             "due": elements.long_date(c.due_on), "status": c.status,
                             "overdue": f"{c.days_overdue} days" if c.days_overdue else "not yet due"}
                            for c in summary.conditions),
        "costs": tuple({"label": line.label, "hours": _amount(line.hours, 1), "rate": _amount(line.rate, 2),
                        "amount": _amount(line.amount, 2)} for line in summary.costs),
        "total_hours": _amount(sum(line.hours for line in summary.costs), 1),
        "total_cost": _amount(summary.total_cost, 2),
    }


def _stage_row(stage: StageTime) -> dict[str, Any]:
    return {"stage": stage.stage, "programmes": stage.programmes, "median": _days(stage.median_days),
            "mean": _days(stage.mean_days), "max": _days(stage.max_days)}


def _days(value: float) -> str:
    return f"{value:.1f}"


def _amount(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"
