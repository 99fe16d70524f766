"""Europass ELM v3: approved programmes as `Qualification`s and their decisions as `Accreditation`s (JSON-LD).

The document uses the official EDC application-profile context. That context does not alias `id` and
`type` (credentials get those from the W3C credentials context), so a small inline context adds them.
Concept URIs come from the EU controlled lists; see docs/exports.md for the mapping and its gaps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from qa_engine.domain.proposal import Assessment, LearningSetting, Proposal
from qa_engine.domain.vocabularies import Vocabularies
from qa_engine.exports.elm_validation import EDC_AP_CONTEXT_URL, ElmValidation, validate_elm
from qa_engine.exports.records import ExportItem, default_vocabularies, number, require_approval, term_label

__all__ = ["ELM_CONTEXT", "ElmValidation", "nqf_notes", "qualification_graph", "validate_elm"]

ELM_CONTEXT: list[Any] = [EDC_AP_CONTEXT_URL, {"id": "@id", "type": "@type"}]
TEXT_LANGUAGE = "en"  # the language proposals are written in
SNB = "http://data.europa.eu/snb"
EU_AUTHORITY = "http://publications.europa.eu/resource/authority"
SHORT_LEARNING_PROGRAMME = f"{SNB}/learning-opportunity/74a4a268e8"
ECTS = f"{SNB}/education-credit/6fcec5c5af"
# "Programme quality assurance" in the EDC accreditation types (DEQAR itself uses e57dddfcf3, which
# the EDC code lists label "programme licensing").
PROGRAMME_QUALITY_ASSURANCE = f"{SNB}/accreditation/820101cba6"
MODES = {"online": f"{SNB}/learning-assessment/920fbb3cbe", "blended": f"{SNB}/learning-assessment/e92d221e4d",
         "onsite": f"{SNB}/learning-assessment/9191af2ed9"}
SETTINGS = {LearningSetting.FORMAL: (f"{SNB}/learning-setting/6fd4685715", "formal learning"),
            LearningSetting.NON_FORMAL: (f"{SNB}/learning-setting/e207a81fc7", "non-formal learning")}
DECISION_SCHEME = "https://qa-engine.example/ns/decision"


def _text(value: str) -> dict[str, str]:
    return {TEXT_LANGUAGE: value}


def _concept(uri: str, scheme: str | None, label: str = "") -> dict:
    node: dict[str, Any] = {"id": uri, "type": "Concept"}
    if scheme:
        node["inScheme"] = {"id": scheme, "type": "ConceptScheme"}
    if label:
        node["prefLabel"] = _text(label)
    return node


def _note(uri: str, text: str) -> dict:
    return {"id": uri, "type": "Note", "noteLiteral": _text(text)}


def _web(uri: str, url: str, title: str = "") -> dict:
    node: dict[str, Any] = {"id": uri, "type": "WebResource", "contentURL": url}
    if title:
        node["title"] = _text(title)
    return node


def _moment(day: date) -> str:
    return datetime.combine(day, time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _country(code: str, vocab: Vocabularies) -> dict:
    alpha3 = {two: three for three, two in reversed(list(vocab.country_alpha3.items()))}.get(code.upper(), code)
    return _concept(f"{EU_AUTHORITY}/country/{alpha3.upper()}", f"{EU_AUTHORITY}/country",
                    vocab.countries.get(code.upper(), ""))


def _language(code: str, vocab: Vocabularies) -> dict:
    alpha3 = {two: three for three, two in reversed(list(vocab.language_alpha3.items()))}.get(code, code)
    return _concept(f"{EU_AUTHORITY}/language/{alpha3.upper()}", f"{EU_AUTHORITY}/language",
                    vocab.languages.get(code, ""))


def _organisation(uri: str, name: str, country: str, vocab: Vocabularies, website: str = "") -> dict:
    node = {
        "id": uri,
        "type": "Organisation",
        "legalName": _text(name),
        "location": {"id": f"{uri}#location", "type": "Location",
                     "address": {"id": f"{uri}#address", "type": "Address", "countryCode": _country(country, vocab)}},
    }
    if website:
        node["homepage"] = _web(f"{uri}#homepage", website)
    return node


def _awarding_body_uri(item: ExportItem) -> str:
    ident = item.proposal.awarding_body.identifier
    return ident if ":" in ident else f"{item.programme_uri}#awarding-body"


def _hours(value: float) -> str:
    return f"PT{number(value)}H"


def _assessment(uri: str, a: Assessment, vocab: Vocabularies) -> dict:
    node: dict[str, Any] = {"id": f"{uri}#assessment-{a.id}", "type": "LearningAssessmentSpecification",
                            "title": _text(a.title or a.id)}
    if a.type:
        node["category"] = _text(term_label(vocab, "assessment_types", a.type))
    if a.pass_criteria or a.grading_scheme:
        node["gradingScheme"] = {"id": f"{uri}#assessment-{a.id}-grading", "type": "GradingScheme",
                                 "title": _text(a.grading_scheme or "Pass criteria"),
                                 **({"description": _text(a.pass_criteria)} if a.pass_criteria else {})}
    if a.language:
        node["language"] = _language(a.language, vocab)
    facts = [f"Weight: {number(a.weight_percent)}%" if a.weight_percent is not None else "",
             f"Learning outcomes assessed: {', '.join(a.outcome_ids)}" if a.outcome_ids else "",
             f"Supervision and identity verification: {term_label(vocab, 'supervision_levels', a.supervision)}"
             if a.supervision else ""]
    if any(facts):
        node["additionalNote"] = _note(f"{uri}#assessment-{a.id}-note", ". ".join(f for f in facts if f) + ".")
    return node


def _notes(p: Proposal, uri: str) -> list[dict]:
    level, path = p.level, p.pathways
    texts = {
        "nqf": f"National qualifications framework level: {level.nqf_level} ({level.nqf_country})"
        if level.nqf_level else "",
        "occupations": "Related ESCO occupations: " + ", ".join(p.classification.esco_occupations)
        if p.classification.esco_occupations else "",
        "skills": "Related ESCO skills: " + ", ".join(p.classification.esco_skills)
        if p.classification.esco_skills else "",
        "stackability": (f"Stackable towards {path.target_credential}" if path.stackable else "Stand-alone")
        + (f"; {number(path.credits_recognised)} ECTS recognised" if path.credits_recognised else "")
        if path.stackable is not None else "",
        "quality-assurance": f"Internal quality assurance: {p.quality_assurance.qa_type}"
        if p.quality_assurance.qa_type else "",
    }
    return [_note(f"{uri}#note-{key}", text) for key, text in texts.items() if text]


def _qualification(item: ExportItem, vocab: Vocabularies) -> dict:
    p, uri = item.proposal, item.programme_uri
    level = p.level
    node: dict[str, Any] = {"id": uri, "type": "Qualification", "title": _text(p.identification.title)}
    if p.identification.description:
        node["description"] = _text(p.identification.description)
    if p.identification.programme_type.casefold() == "short learning programme":
        node["dcType"] = _concept(SHORT_LEARNING_PROGRAMME, f"{SNB}/learning-opportunity/25831c2",
                                  "Short learning programme")
    if level.eqf_level is not None:
        node["eqfLevel"] = _concept(f"{SNB}/eqf/{level.eqf_level}", f"{SNB}/eqf/25831c2", f"Level {level.eqf_level}")
    if item.nqf_level_uri:
        node["nqfLevel"] = _concept(item.nqf_level_uri, f"{SNB}/qdr/25831c2", level.nqf_level)
    if level.ects is not None:
        node["creditPoint"] = {"id": f"{uri}#credit-point", "type": "CreditPoint",
                               "framework": _concept(ECTS, f"{SNB}/education-credit/25831c2",
                                                     "European Credit Transfer System"),
                               "point": str(number(level.ects))}
    if level.total_hours is not None:
        node["volumeOfLearning"] = _hours(level.total_hours)
    node["learningOutcome"] = [
        {"id": f"{uri}#outcome-{lo.id}", "type": "LearningOutcome", "title": _text(lo.text),
         **({"relatedESCOSkill": [_concept(s, None) for s in lo.esco_skills]} if lo.esco_skills else {})}
        for lo in p.learning_outcomes
    ]
    _optional(node, p, uri, vocab)
    node["provenBy"] = [_assessment(uri, a, vocab) for a in p.assessments]
    node["awardingOpportunity"] = {"id": f"{uri}#awarding", "type": "AwardingOpportunity",
                                   "awardingBody": _awarding_body_uri(item), "learningAchievementSpecification": uri}
    node["accreditation"] = f"{uri}#accreditation"
    return {k: v for k, v in node.items() if v not in ([], None)}


def _optional(node: dict[str, Any], p: Proposal, uri: str, vocab: Vocabularies) -> None:
    cls = p.classification
    if p.admission.entry_requirements:
        node["entryRequirement"] = _note(f"{uri}#entry-requirement", p.admission.entry_requirements)
    if p.delivery.mode in MODES:
        node["mode"] = _concept(MODES[p.delivery.mode], f"{SNB}/learning-assessment/25831c2",
                                term_label(vocab, "modes", p.delivery.mode))
    node["language"] = [_language(code, vocab) for code in p.delivery.languages if code]
    if cls.isced_f_code:
        node["thematicArea"] = _concept(f"{SNB}/isced-f/{cls.isced_f_code}", f"{SNB}/isced-f/25831c2",
                                        vocab.isced_fields.get(cls.isced_f_code, ""))
    if cls.learning_setting:
        setting, label = SETTINGS[cls.learning_setting]
        node["learningSetting"] = _concept(setting, f"{SNB}/learning-setting/25831c2", label)
    if p.quality_assurance.public_info_url:
        node["homepage"] = _web(f"{uri}#homepage", p.quality_assurance.public_info_url)
    node["additionalNote"] = _notes(p, uri)


def _accreditation(item: ExportItem, vocab: Vocabularies) -> dict:
    p, d, uri = item.proposal, item.decision, item.programme_uri
    node: dict[str, Any] = {
        "id": f"{uri}#accreditation",
        "type": "Accreditation",
        "dcType": _concept(PROGRAMME_QUALITY_ASSURANCE, f"{SNB}/accreditation/25831c2"),
        "title": _text(f"Ex-ante accreditation of {p.identification.title}"),
        "description": _text(f"{d.outcome.label} by {d.decision_body} of {item.agency.name} on "
                             f"{d.decided_on.isoformat()}."),
        "decision": _concept(f"{DECISION_SCHEME}/{d.outcome.value}", DECISION_SCHEME, d.outcome.label),
        "report": _web(f"{uri}#report", d.report_url, "Assessment report and decision"),
        "organisation": _awarding_body_uri(item),
        "accreditingAgent": item.agency.uri,
        "limitQualification": uri,
        "dateIssued": _moment(d.decided_on),
        "valid": _moment(d.valid_from),
        "landingPage": _web(f"{uri}#landing-page", uri, "Public register entry"),
        "limitJurisdiction": _jurisdiction(item.agency.country, vocab),
    }
    if d.valid_to:
        node["expiryDate"] = node["reviewDate"] = _moment(d.valid_to)
    if p.level.eqf_level is not None:
        node["limitEQFLevel"] = f"{SNB}/eqf/{p.level.eqf_level}"
    if p.classification.isced_f_code:
        node["limitField"] = f"{SNB}/isced-f/{p.classification.isced_f_code}"
    if d.conditions:
        node["additionalNote"] = [
            _note(f"{uri}#condition-{index}", f"Condition: {c.text}" + (f" (due {c.due.isoformat()})" if c.due else ""))
            for index, c in enumerate(d.conditions, start=1)
        ]
    return node


def _jurisdiction(country: str, vocab: Vocabularies) -> dict:
    concept = _country(country, vocab)
    code = concept["id"].rsplit("/", 1)[-1]
    return _concept(f"{EU_AUTHORITY}/atu/{code}", f"{EU_AUTHORITY}/atu", vocab.countries.get(country.upper(), ""))


def qualification_graph(items: list[ExportItem], vocabularies: Vocabularies | None = None) -> dict:
    """One JSON-LD document: per item a Qualification and its Accreditation, plus the organisations.

    :raises ExportError: when an item's decision is not an approval.
    """
    vocab = vocabularies or default_vocabularies()
    graph: list[dict] = []
    organisations: dict[str, dict] = {}
    for item in items:
        require_approval(item)
        graph += [_qualification(item, vocab), _accreditation(item, vocab)]
        body = item.proposal.awarding_body
        organisations.setdefault(_awarding_body_uri(item),
                                 _organisation(_awarding_body_uri(item), body.name, body.country, vocab))
        organisations.setdefault(item.agency.uri, _organisation(item.agency.uri, item.agency.name,
                                                                item.agency.country, vocab, item.agency.website))
    return {"@context": ELM_CONTEXT, "@graph": graph + list(organisations.values())}


def nqf_notes(items: list[ExportItem]) -> list[str]:
    """A note for each item whose NQF level has no QDR concept URI: its graph leaves `NQFLevel` out."""
    return [f"note: programme {item.decision.programme_id}: the NQF level “{item.proposal.level.nqf_level}” "
            f"({item.proposal.level.nqf_country or item.proposal.awarding_body.country}) has no QDR concept URI "
            "(configure NQF_LEVEL_URIS); the ELM export leaves NQFLevel out"
            for item in items if item.proposal.level.nqf_level and not item.nqf_level_uri]
