"""Automated ex-ante screening: a proposal in, findings C1-C19 out (engine model, section 5).

Each check returns one or more verdicts: pass, warn or fail, with a message that tells the
designer what to change and the field paths concerned. A fail blocks submission; warnings go
forward to the QA officer and the reviewers. Where a check lacks the data it needs, it warns
"Not checked" rather than pass silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from qa_engine.domain.proposal import Proposal
from qa_engine.domain.screening import information, outcomes, people, relevance, workload
from qa_engine.domain.screening.model import (
    ApprovedProgramme,
    Context,
    Finding,
    ScreeningConfig,
    ScreeningResult,
    Status,
    Verdict,
)
from qa_engine.domain.vocabularies import Vocabularies

__all__ = ["CHECKS", "ApprovedProgramme", "Finding", "ScreeningConfig", "ScreeningResult", "Status", "screen"]

Check = Callable[[Context], list[Verdict]]

# The checks in the order the engine model numbers them; C20 (export validity) runs on exports.
CHECKS: tuple[tuple[str, str, Check], ...] = (
    ("C1", "Annex I completeness", workload.annex_completeness),
    ("C2", "Size bounds", workload.size_bounds),
    ("C3", "ECTS and hours", workload.ects_hours),
    ("C4", "Hours breakdown", workload.hours_breakdown),
    ("C5", "Weekly intensity", workload.weekly_intensity),
    ("C6", "Learning-outcome form", outcomes.outcome_form),
    ("C7", "Learning outcomes and level", outcomes.level_plausibility),
    ("C8", "Outcome-to-assessment coverage", outcomes.assessment_coverage),
    ("C9", "Assessment metadata", outcomes.assessment_metadata),
    ("C10", "Entry requirements", people.entry_requirements),
    ("C11", "Staff mix", people.staff_mix),
    ("C12", "Resource intensity", people.resource_intensity),
    ("C13", "Need and duplication", relevance.need_and_duplication),
    ("C14", "Stackability", relevance.stackability),
    ("C15", "Quality assurance arrangements", relevance.qa_arrangements),
    ("C16", "Title hygiene", information.title_hygiene),
    ("C17", "Controlled vocabularies", information.vocabularies_used),
    ("C18", "Public information", information.public_information),
    ("C19", "Dates", information.dates),
)


def screen(
    proposal: Proposal,
    config: ScreeningConfig,
    vocabularies: Vocabularies,
    *,
    approved: Sequence[ApprovedProgramme] = (),
    today: date,
    expected_decision_date: date | None = None,
) -> ScreeningResult:
    """Run every check on `proposal`; findings come in check order."""
    context = Context(proposal, config, vocabularies, approved, today, expected_decision_date)
    findings = tuple(
        Finding(check_id, title, verdict.status, verdict.message, verdict.fields)
        for check_id, title, check in CHECKS
        for verdict in check(context)
    )
    return ScreeningResult(findings)
