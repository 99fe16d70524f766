"""Open Badges 3.0: an approved programme as an `Achievement`, and an example credential wrapping it.

The Annex I elements that OB 3.0 has no property for travel in the `microCredential` extension object,
whose keys expand in the engine's namespace through `EXTENSION_CONTEXT` (see docs/exports.md).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from qa_engine.domain.proposal import Proposal
from qa_engine.domain.vocabularies import Vocabularies
from qa_engine.exports.records import ExportItem, default_vocabularies, number, require_approval, term_label

SCHEMA_PATH = Path(__file__).parent / "specs" / "openbadges-3.0-achievementcredential.schema.json"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXTENSION_NS = "https://qa-engine.example/ns/microcredential#"
# Every key under `microCredential` (at any depth) expands in EXTENSION_NS; `id` and `type` keep
# their VC meaning. A property-scoped context, so that it also reaches nested objects.
EXTENSION_CONTEXT: dict[str, Any] = {
    "mc": EXTENSION_NS,
    "microCredential": {"@id": "mc:microCredential", "@context": {"@vocab": EXTENSION_NS}},
}
EQF_FRAMEWORK = "European Qualifications Framework"


def _compact(value: Any) -> Any:
    """Drop empty strings, None and empty lists or objects, recursively (the schema rejects nulls)."""
    if isinstance(value, dict):
        pairs = ((k, _compact(v)) for k, v in value.items())
        return {k: v for k, v in pairs if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [c for c in (_compact(v) for v in value) if c not in (None, "", [], {})]
    return value


def _alignment(name: str, url: str, framework: str, code: str, kind: str, description: str = "") -> dict:
    return {
        "type": ["Alignment"],
        "targetName": name,
        "targetUrl": url,
        "targetFramework": framework,
        "targetCode": code,
        "targetType": f"ext:{kind}",
        "targetDescription": description,
    }


def _alignments(item: ExportItem, vocab: Vocabularies) -> list[dict]:
    p, uri = item.proposal, item.programme_uri
    level, cls = p.level, p.classification
    found: list[dict] = []
    if level.eqf_level is not None:
        n = level.eqf_level
        found.append(_alignment(f"EQF level {n}", f"http://data.europa.eu/snb/eqf/{n}", EQF_FRAMEWORK, str(n),
                                "EQFLevel"))
    if level.nqf_level:
        framework = f"National qualifications framework ({level.nqf_country or p.awarding_body.country})"
        found.append(_alignment(level.nqf_level, item.nqf_level_uri or f"{uri}#nqf-level", framework,
                                level.nqf_level, "NQFLevel"))
    if cls.isced_f_code:
        found.append(_alignment(vocab.isced_fields.get(cls.isced_f_code, cls.isced_f_code),
                                f"http://data.europa.eu/snb/isced-f/{cls.isced_f_code}", "ISCED-F 2013",
                                cls.isced_f_code, "ISCEDF"))
    skills = dict.fromkeys([*cls.esco_skills, *(s for lo in p.learning_outcomes for s in lo.esco_skills)])
    found += [_alignment(_tail(s), s, "ESCO", _tail(s), "ESCOSkill") for s in skills]
    found += [_alignment(_tail(o), o, "ESCO", _tail(o), "ESCOOccupation") for o in cls.esco_occupations]
    found += [
        _alignment(lo.text, f"{uri}#outcome-{lo.id}", f"Learning outcomes of {p.identification.title}", lo.id,
                   "LearningOutcome", lo.kind.value if lo.kind else "")
        for lo in p.learning_outcomes
    ]
    return found


def _tail(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _narrative(p: Proposal, vocab: Vocabularies) -> str:
    lines = ["Learners earn this micro-credential by passing its assessments:", ""]
    for a in p.assessments:
        facts = [term_label(vocab, "assessment_types", a.type) if a.type else "",
                 f"{number(a.weight_percent)}% of the result" if a.weight_percent is not None else "",
                 f"outcomes {', '.join(a.outcome_ids)}" if a.outcome_ids else "",
                 term_label(vocab, "supervision_levels", a.supervision) if a.supervision else ""]
        summary = "; ".join(f for f in facts if f)
        lines.append(f"- **{a.title or a.id}** ({summary}). Pass criteria: {a.pass_criteria or 'not stated'}")
    return "\n".join(lines)


def _result_descriptions(item: ExportItem) -> list[dict]:
    schemes = dict.fromkeys(a.grading_scheme for a in item.proposal.assessments if a.grading_scheme)
    return [
        {"id": f"{item.programme_uri}#grading-{index}", "type": ["ResultDescription"], "name": scheme,
         "resultType": "Result"}
        for index, scheme in enumerate(schemes, start=1)
    ]


def _profile(p: Proposal, uri: str) -> dict:
    body = p.awarding_body
    ident = body.identifier if ":" in body.identifier else f"{uri}#awarding-body"
    return {"id": ident, "type": ["Profile"], "name": body.name,
            "address": {"type": ["Address"], "addressCountryCode": body.country}}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _extension(item: ExportItem, vocab: Vocabularies) -> dict:
    p, d, agency = item.proposal, item.decision, item.agency
    level, hours = p.level, p.level.hours
    return {
        "type": "MicroCredentialFacts",
        "programmeType": p.identification.programme_type,
        "credentialType": p.identification.credential_type,
        "awardingBody": {"name": p.awarding_body.name, "country": p.awarding_body.country,
                         "identifier": p.awarding_body.identifier},
        "partners": list(p.identification.partners),
        "ects": level.ects, "eqfLevel": level.eqf_level, "eqfNotApplicableReason": level.eqf_na_reason,
        "nqfCountry": level.nqf_country, "nqfLevel": level.nqf_level, "nqfLevelUri": item.nqf_level_uri,
        "qfEheaCycle": level.qf_ehea_cycle,
        "workloadHours": level.total_hours,
        "hoursBreakdown": {"contact": hours.contact, "guided": hours.guided, "selfStudy": hours.self_study,
                           "workBased": hours.work_based, "assessment": hours.assessment},
        "durationWeeks": level.duration_weeks, "startDate": _iso(level.start_date), "endDate": _iso(level.end_date),
        "formOfParticipation": p.delivery.mode,
        "formOfParticipationLabel": term_label(vocab, "modes", p.delivery.mode) if p.delivery.mode else "",
        "languages": list(p.delivery.languages),
        "learningSetting": p.classification.learning_setting.value if p.classification.learning_setting else "",
        "targetGroup": p.classification.target_group,
        "assessments": [
            {"id": a.id, "title": a.title, "assessmentType": a.type, "weightPercent": a.weight_percent,
             "outcomes": list(a.outcome_ids), "passCriteria": a.pass_criteria, "gradingScheme": a.grading_scheme,
             "supervision": a.supervision,
             "supervisionLabel": term_label(vocab, "supervision_levels", a.supervision) if a.supervision else "",
             "language": a.language}
            for a in p.assessments
        ],
        "prerequisites": p.admission.entry_requirements,
        "recognitionOfPriorLearning": p.admission.rpl_route,
        "stackability": {"stackable": p.pathways.stackable, "targetCredential": p.pathways.target_credential,
                         "targetCredentialEcts": p.pathways.target_credential_ects,
                         "creditsRecognised": p.pathways.credits_recognised,
                         "recognitionAgreements": list(p.pathways.recognition_agreements)},
        "qualityAssurance": {"type": p.quality_assurance.qa_type, "internalBody": p.quality_assurance.qa_body,
                             "iqasReference": p.quality_assurance.iqas_reference,
                             "reviewCycleYears": p.quality_assurance.review_cycle_years},
        "publicInformation": p.quality_assurance.public_info_url,
        "accreditation": {
            "agency": agency.name, "agencyId": agency.uri, "agencyDeqarId": agency.deqar_id,
            "decision": d.outcome.value, "decisionLabel": d.outcome.label, "decisionBody": d.decision_body,
            "decidedOn": d.decided_on.isoformat(), "validFrom": d.valid_from.isoformat(),
            "validUntil": _iso(d.valid_to), "reportUrl": d.report_url,
            "conditions": [{"text": c.text, "due": _iso(c.due)} for c in d.conditions],
        },
    }


def achievement(item: ExportItem, vocabularies: Vocabularies | None = None) -> dict:
    """The approved programme as an OB 3.0 `Achievement` (achievementType MicroCredential).

    :raises ExportError: when the decision is not an approval.
    """
    require_approval(item)
    vocab = vocabularies or default_vocabularies()
    p = item.proposal
    languages = [lang for lang in p.delivery.languages if lang]
    return _compact({
        "id": item.programme_uri,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": p.identification.title,
        "description": p.identification.description,
        "humanCode": p.identification.internal_code,
        "criteria": {"id": item.programme_uri, "narrative": _narrative(p, vocab)},
        "creditsAvailable": number(p.level.ects) if p.level.ects is not None else None,
        "alignment": _alignments(item, vocab),
        "fieldOfStudy": vocab.isced_fields.get(p.classification.isced_f_code, p.classification.isced_f_code),
        "inLanguage": languages[0] if languages else None,
        "resultDescription": _result_descriptions(item),
        "creator": _profile(p, item.programme_uri),
        "microCredential": _extension(item, vocab),
    })


def achievement_credential(
    item: ExportItem, *, issued_on: date | datetime, vocabularies: Vocabularies | None = None
) -> dict:
    """An example (unsigned) OpenBadgeCredential whose subject holds the achievement, issued by the awarding body."""
    moment = issued_on if isinstance(issued_on, datetime) else datetime.combine(issued_on, time(), UTC)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT, EXTENSION_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, item.programme_uri + '#example-credential')}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{item.proposal.identification.title} (example credential)",
        "issuer": _profile(item.proposal, item.programme_uri),
        "validFrom": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": achievement(item, vocabularies)},
    }


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # A registry holding only the schema itself: every $ref resolves locally, nothing is fetched.
    registry: Registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def validate_ob3(credential: Any) -> list[str]:
    """Validate against the official OB 3.0 AchievementCredential JSON schema; one message per error."""
    errors = sorted(_validator().iter_errors(credential), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_path(error.absolute_path) or '(document)'}: {error.message}" for error in errors]


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text
