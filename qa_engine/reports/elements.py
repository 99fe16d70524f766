"""The EU standard elements of a micro-credential (Council Recommendation 2022/C 243/02, Annex I) as table rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from qa_engine import paths
from qa_engine.domain.proposal import Proposal
from qa_engine.domain.vocabularies import Term, Vocabularies, load_vocabularies

NOT_STATED = "Not stated"
_CYCLES = {"short": "short cycle", "first": "first cycle", "second": "second cycle", "third": "third cycle"}


@dataclass(frozen=True)
class Row:
    """One element of a summary table: its label and one or more lines of value."""

    label: str
    lines: tuple[str, ...]


@lru_cache(maxsize=1)
def vocabularies() -> Vocabularies:
    """The engine's controlled vocabularies, loaded once per process."""
    return load_vocabularies(paths.resource_dir("rubrics") / "vocabularies")


def long_date(value: date | None) -> str:
    """"1 February 2027", or an empty string for None."""
    return f"{value.day} {value:%B %Y}" if value else ""


def number(value: float | None) -> str:
    """6 rather than 6.0; one decimal otherwise; empty for None."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def annex_rows(proposal: Proposal) -> tuple[Row, ...]:
    """The mandatory Annex I elements that exist before any learner, then the optional ones."""
    return mandatory_rows(proposal) + optional_rows(proposal)


def mandatory_rows(proposal: Proposal) -> tuple[Row, ...]:
    """Annex I mandatory elements (learner identity and issue date are filled in at issuance, not here)."""
    vocab = vocabularies()
    body, ident = proposal.awarding_body, proposal.identification
    awarding = body.name + (f" (with {', '.join(ident.partners)})" if ident.partners else "")
    return (
        _row("Title of the micro-credential", ident.title),
        _row("Country of the issuer", vocab.countries.get(body.country, body.country)),
        _row("Awarding body", awarding),
        _row("Type of credential", ident.credential_type),
        _row("Learning outcomes", *(f"{lo.id}. {lo.text}" for lo in proposal.learning_outcomes)),
        _row("Notional workload", _workload(proposal)),
        _row("Level", *_levels(proposal)),
        _row("Field of education (ISCED-F 2013)", _isced(proposal, vocab)),
        _row("Type of assessment", *(_assessment(a.title, a.type, a.weight_percent, vocab)
                                     for a in proposal.assessments)),
        _row("Form of participation", _participation(proposal, vocab)),
        _row("Type of quality assurance", *_quality(proposal)),
    )


def optional_rows(proposal: Proposal) -> tuple[Row, ...]:
    """Annex I optional elements."""
    vocab = vocabularies()
    supervision = (f"{a.title}: {_term(vocab.supervision_levels, a.supervision)}"
                   for a in proposal.assessments if a.supervision)
    grading = dict.fromkeys(a.grading_scheme for a in proposal.assessments if a.grading_scheme)
    return (
        _row("Prerequisites to enrol", proposal.admission.entry_requirements),
        _row("Supervision and identity verification during assessment", *supervision),
        _row("Grading", *grading),
        _row("Integration and stackability", _stackability(proposal)),
        _row("Further information", proposal.further_information),
    )


def practical_rows(proposal: Proposal) -> tuple[Row, ...]:
    """Dates, places, fee, target group, contact and public page: what a learner needs to enrol."""
    level, admission, delivery = proposal.level, proposal.admission, proposal.delivery
    dates = " to ".join(filter(None, (long_date(level.start_date), long_date(level.end_date))))
    places = " to ".join(filter(None, (number(admission.places_min), number(admission.places_max))))
    fee = f"{number(admission.fee)} {admission.fee_currency}".strip() if admission.fee is not None else ""
    contact = proposal.contact
    return (
        _row("Target group", proposal.classification.target_group),
        _row("Dates", dates),
        _row("Timetable", delivery.timetable),
        _row("Places", places),
        _row("Fee", fee),
        _row("Recognition of prior learning", admission.rpl_route),
        _row("Learner support", admission.support_services),
        _row("Accessibility", admission.accessibility),
        _row("Contact", ", ".join(filter(None, (contact.name, contact.email, contact.phone)))),
        _row("More information", proposal.quality_assurance.public_info_url),
    )


def _row(label: str, *lines: str) -> Row:
    kept = tuple(line for line in lines if line and line.strip())
    return Row(label, kept or (NOT_STATED,))


def _term(terms: Mapping[str, Term], value: str) -> str:
    term = terms.get(value)
    return term.label if term is not None else value


def _workload(proposal: Proposal) -> str:
    level = proposal.level
    parts = []
    if level.ects is not None:
        parts.append(f"{number(level.ects)} ECTS credits")
    if level.total_hours is not None:
        parts.append(f"{number(level.total_hours)} hours of learning in total")
    if level.duration_weeks is not None:
        parts.append(f"over {number(level.duration_weeks)} weeks")
    return ", ".join(parts)


def _levels(proposal: Proposal) -> tuple[str, ...]:
    level = proposal.level
    eqf = f"EQF level {level.eqf_level}" if level.eqf_level else f"No EQF level: {level.eqf_na_reason or NOT_STATED}"
    lines = [eqf]
    if level.nqf_level:
        lines.append(f"National framework ({level.nqf_country or NOT_STATED}): {level.nqf_level}")
    if level.qf_ehea_cycle:
        lines.append(f"QF-EHEA: {_CYCLES.get(level.qf_ehea_cycle, level.qf_ehea_cycle)}")
    return tuple(lines)


def _isced(proposal: Proposal, vocab: Vocabularies) -> str:
    code = proposal.classification.isced_f_code
    label = vocab.isced_fields.get(code, "")
    return f"{code} {label}".strip()


def _assessment(title: str, kind: str, weight: float | None, vocab: Vocabularies) -> str:
    share = f", {number(weight)}%" if weight is not None else ""
    return f"{title} ({_term(vocab.assessment_types, kind)}{share})" if kind else f"{title}{share}"


def _participation(proposal: Proposal, vocab: Vocabularies) -> str:
    delivery = proposal.delivery
    languages = ", ".join(vocab.languages.get(code, code) for code in delivery.languages)
    parts = [_term(vocab.modes, delivery.mode) if delivery.mode else ""]
    parts.append(f"taught in {languages}" if languages else "")
    parts.append(delivery.platform)
    return "; ".join(part for part in parts if part)


def _quality(proposal: Proposal) -> tuple[str, ...]:
    qa = proposal.quality_assurance
    body = f"Responsible body: {qa.qa_body}" if qa.qa_body else ""
    cycle = f"Reviewed every {number(qa.review_cycle_years)} years" if qa.review_cycle_years else ""
    return qa.qa_type, body, cycle


def _stackability(proposal: Proposal) -> str:
    pathways = proposal.pathways
    if pathways.stackable is False:
        return "Stand-alone: not designed to stack into a larger qualification"
    if not pathways.target_credential:
        return ""
    ects = f"{number(pathways.target_credential_ects)} ECTS" if pathways.target_credential_ects else ""
    size = f" ({ects})" if ects and ects not in pathways.target_credential else ""
    recognised = (f"; {number(pathways.credits_recognised)} ECTS recognised"
                  if pathways.credits_recognised is not None else "")
    return f"Stacks towards {pathways.target_credential}{size}{recognised}"
