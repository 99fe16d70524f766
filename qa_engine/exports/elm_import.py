"""Import a Europass ELM v3 JSON-LD description (credential or bare specification) as a draft proposal.

Every element the document carries is either mapped into the engine's proposal format or named in
`unmapped`, by its path in the document, so that nothing is dropped silently. Only the stdlib: the
document is read as plain JSON, not as linked data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qa_engine.domain.proposal import empty_proposal, proposal_to_dict
from qa_engine.domain.vocabularies import Vocabularies, load_vocabularies
from qa_engine.paths import resource_dir

SPEC_TYPES = {"Qualification", "LearningAchievementSpecification"}
EQF_URI = re.compile(r"http://data\.europa\.eu/snb/eqf/([1-8])$")
ISCED_URI = re.compile(r"http://data\.europa\.eu/snb/isced-f/(\d{2,4})$")
HOURS = re.compile(r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?$")
LANGUAGE_KEY = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
ECTS_CONCEPT = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
# Keys that identify a node rather than describe it.
_STRUCTURAL = {"id", "type", "@context", "inScheme"}


class ElmImportError(ValueError):
    """The document holds no learning achievement specification or qualification to import."""


@dataclass(frozen=True)
class ElmImport:
    """A draft in the proposal JSON format, and a note for every element that could not be mapped."""

    proposal_data: dict[str, Any]
    unmapped: list[str] = field(default_factory=list)


def proposal_from_elm(document: Mapping[str, Any], vocabularies: Vocabularies | None = None) -> ElmImport:
    """Map an ELM v3 credential or Qualification/LearningAchievementSpecification to a draft proposal.

    :raises ElmImportError: when the document has no specification to import.
    """
    vocab = vocabularies or load_vocabularies(resource_dir("rubrics") / "vocabularies")
    mapper = _Mapper(vocab)
    mapper.run(document)
    return ElmImport(mapper.data, mapper.notes)


def _types(node: Any) -> set[str]:
    kind = node.get("type", ()) if isinstance(node, Mapping) else ()
    return {kind} if isinstance(kind, str) else set(kind)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _is_language_map(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(
            isinstance(k, str) and LANGUAGE_KEY.fullmatch(k) and isinstance(v, str) for k, v in value.items()
        )
    )


def _preview(value: Any) -> str:
    """A short, readable rendering of a value for a note: a label or literal where there is one."""
    if isinstance(value, Mapping):
        for key in ("prefLabel", "noteLiteral", "legalName", "title"):
            if _is_language_map(value.get(key)):
                return _preview(next(iter(value[key].values())))
        if _is_language_map(value):
            return _preview(value.get("en", next(iter(value.values()))))
        for key in ("notation", "contentURL", "id"):
            if isinstance(value.get(key), str):
                return _preview(value[key])
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Mapper:
    """Fills `data` from the document and records, per node, which keys it used."""

    def __init__(self, vocabularies: Vocabularies) -> None:
        self.vocab = vocabularies
        self.data: dict[str, Any] = proposal_to_dict(empty_proposal())
        self.notes: list[str] = []

    # -- plumbing ------------------------------------------------------------------------------

    def text(self, value: Any, path: str) -> str:
        """A plain string from a language map ({"en": ...}), preferring English and noting the others."""
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping) and "noteLiteral" in value:
            return self.text(value["noteLiteral"], f"{path}.noteLiteral")
        if isinstance(value, Mapping) and "prefLabel" in value:
            return self.text(value["prefLabel"], f"{path}.prefLabel")
        if _is_language_map(value):
            chosen = "en" if "en" in value else next(iter(value))
            others = [lang for lang in value if lang != chosen]
            if others:
                self.notes.append(f"{path}: also given in {', '.join(others)}; only '{chosen}' was imported")
            return value[chosen]
        return ""

    def leftovers(self, node: Mapping[str, Any], path: str, used: set[str], why: str = "not mapped") -> None:
        """Note every key of `node` that was not used."""
        for key, value in node.items():
            if key not in used and key not in _STRUCTURAL:
                where = f"{path}.{key}" if path else key
                self.notes.append(f"{where}: {why} ({_preview(value)})")

    # -- the document ---------------------------------------------------------------------------

    def run(self, document: Mapping[str, Any]) -> None:
        if _types(document) & SPEC_TYPES:
            self.specification(document, "")
            return
        subject = document.get("credentialSubject")
        claims = _as_list(subject.get("hasClaim") if isinstance(subject, Mapping) else None)
        claim = next(
            (c for c in claims if isinstance(c, Mapping) and isinstance(c.get("specifiedBy"), Mapping)), None
        )
        if claim is None:
            raise ElmImportError(
                "no Qualification or LearningAchievementSpecification found: expected a bare specification "
                "or "
                "a credential with credentialSubject.hasClaim.specifiedBy"
            )
        for index, other in enumerate(claims):
            if other is not claim:
                self.notes.append(f"credentialSubject.hasClaim[{index}]: further claim not imported")
        self.credential(document, subject, claim)

    def credential(
        self, document: Mapping[str, Any], subject: Mapping[str, Any], claim: Mapping[str, Any]
    ) -> None:
        base = "credentialSubject.hasClaim"
        self.specification(claim["specifiedBy"], f"{base}.specifiedBy")
        used = {"specifiedBy"}
        if self.text(claim.get("title"), f"{base}.title") == self.data["identification"]["title"]:
            used.add("title")
        if isinstance(claim.get("awardedBy"), Mapping) and "awardingBody" in claim["awardedBy"]:
            self.awarding_body(claim["awardedBy"]["awardingBody"], f"{base}.awardedBy.awardingBody")
            used.add("awardedBy")
        if "provenBy" in claim:
            self.assessments(_as_list(claim["provenBy"]), f"{base}.provenBy")
            used.add("provenBy")
        if isinstance(claim.get("influencedBy"), Mapping):
            self.activity(claim["influencedBy"], f"{base}.influencedBy")
            used.add("influencedBy")
        self.leftovers(claim, base, used)
        self.leftovers(
            subject, "credentialSubject", {"hasClaim"}, "learner data, not part of a programme proposal"
        )
        if not self.data["awarding_body"]["country"] and isinstance(document.get("issuer"), Mapping):
            self.data["awarding_body"]["country"] = self.country(document["issuer"])
        self.leftovers(document, "", {"credentialSubject", "issuer"}, "credential envelope, not mapped")

    def specification(self, spec: Mapping[str, Any], path: str) -> None:
        prefix = f"{path}." if path else ""
        handlers = {
            "title": lambda v: self.set("identification", "title", self.text(v, f"{prefix}title")),
            "description": lambda v: self.set(
                "identification", "description", self.text(v, f"{prefix}description")
            ),
            "dcType": lambda v: self.set("identification", "programme_type", self.text(v, f"{prefix}dcType")),
            "qualificationCode": lambda v: self.set("identification", "internal_code", self.text(v, "")),
            "eqfLevel": lambda v: self.eqf(v, f"{prefix}eqfLevel"),
            "EQFLevel": lambda v: self.eqf(v, f"{prefix}EQFLevel"),
            "nqfLevel": lambda v: self.set(
                "level", "nqf_level", self.text(_as_list(v)[0], f"{prefix}nqfLevel")
            ),
            "creditPoint": lambda v: self.credits(v, f"{prefix}creditPoint"),
            "volumeOfLearning": lambda v: self.hours(v, f"{prefix}volumeOfLearning"),
            "entryRequirement": lambda v: self.set(
                "admission", "entry_requirements", self.text(v, f"{prefix}entryRequirement")
            ),
            "learningOutcome": lambda v: self.outcomes(_as_list(v), f"{prefix}learningOutcome"),
            "learningSetting": lambda v: self.setting(v, f"{prefix}learningSetting"),
            "mode": lambda v: self.mode(v, f"{prefix}mode"),
            "language": lambda v: self.languages(v, f"{prefix}language"),
            "thematicArea": lambda v: self.isced(_as_list(v), f"{prefix}thematicArea"),
            "ISCEDFCode": lambda v: self.isced(_as_list(v), f"{prefix}ISCEDFCode"),
            "targetGroup": lambda v: self.set(
                "classification",
                "target_group",
                "; ".join(self.text(g, f"{prefix}targetGroup") for g in _as_list(v)),
            ),
            "additionalNote": lambda v: self.set(
                "",
                "further_information",
                "\n".join(self.text(n, f"{prefix}additionalNote") for n in _as_list(v)),
            ),
            "homepage": lambda v: self.set(
                "quality_assurance", "public_info_url", _as_list(v)[0].get("contentURL", "")
            ),
            "provenBy": lambda v: self.assessments(_as_list(v), f"{prefix}provenBy"),
            "influencedBy": lambda v: self.activity(_as_list(v)[0], f"{prefix}influencedBy"),
            "awardingOpportunity": lambda v: self.opportunity(_as_list(v), f"{prefix}awardingOpportunity"),
            "accreditation": lambda v: self.accreditation(_as_list(v)[0], f"{prefix}accreditation"),
        }
        for key, value in spec.items():
            if key in handlers:
                handlers[key](value)
        self.leftovers(spec, path, set(handlers))

    def set(self, section: str, name: str, value: Any) -> None:
        target = self.data[section] if section else self.data
        if value not in ("", None) and target[name] in ("", None, []):
            target[name] = value

    # -- values ---------------------------------------------------------------------------------

    def eqf(self, value: Any, path: str) -> None:
        match = EQF_URI.match(str(value.get("id", "")) if isinstance(value, Mapping) else str(value))
        if match:
            self.set("level", "eqf_level", int(match.group(1)))
        else:
            self.notes.append(f"{path}: not an EQF level URI ({_preview(value)})")

    def credits(self, value: Any, path: str) -> None:
        for index, credit in enumerate(_as_list(value)):
            framework = credit.get("framework", {})
            label = self.text(framework, "").lower()
            point = str(credit.get("point", ""))
            if (framework.get("id") == ECTS_CONCEPT or "european credit" in label or "ects" in label) and (
                re.fullmatch(r"\d+(\.\d+)?", point)
            ):
                self.set("level", "ects", float(point) if "." in point else int(point))
            else:
                self.notes.append(
                    f"{path}[{index}]: credits in '{label or 'an unknown framework'}' not imported"
                )

    def hours(self, value: Any, path: str) -> None:
        match = HOURS.match(str(value))
        if match and any(match.groups()):
            hours = float(match.group(1) or 0) + float(match.group(2) or 0) / 60
            self.set("level", "total_hours", int(hours) if hours.is_integer() else hours)
        else:
            self.notes.append(
                f"{path}: '{value}' is not a duration in hours (PTnH); total hours not imported"
            )

    def outcomes(self, outcomes: list[Any], path: str) -> None:
        mapped = []
        for index, outcome in enumerate(outcomes):
            here = f"{path}[{index}]"
            skills = [
                s.get("id", "") for s in _as_list(outcome.get("relatedESCOSkill")) if isinstance(s, Mapping)
            ]
            mapped.append(
                {
                    "id": f"LO{index + 1}",
                    "text": self.text(outcome.get("title"), f"{here}.title"),
                    "kind": None,
                    "esco_skills": [s for s in skills if s],
                }
            )
            self.leftovers(outcome, here, {"title", "relatedESCOSkill"})
        self.data["learning_outcomes"] = mapped

    def setting(self, value: Any, path: str) -> None:
        label = self.text(value, path).lower()
        setting = "non_formal" if "non" in label else "formal" if "formal" in label else None
        if setting:
            self.set("classification", "learning_setting", setting)
        else:
            self.notes.append(f"{path}: unknown learning setting '{label}'")

    def mode(self, value: Any, path: str) -> None:
        label = self.text(value, path)
        mode = self.vocab.match_term("modes", label)
        if mode:
            self.set("delivery", "mode", mode)
        else:
            self.notes.append(f"{path}: mode '{label}' is not online, onsite or blended; not imported")

    def languages(self, value: Any, path: str) -> None:
        for index, language in enumerate(_as_list(value)):
            code = self.language(language)
            if code and code not in self.data["delivery"]["languages"]:
                self.data["delivery"]["languages"].append(code)
            elif not code:
                self.notes.append(f"{path}[{index}]: unknown language {_preview(language)}")

    def language(self, value: Any) -> str:
        uri = str(value.get("id", "")) if isinstance(value, Mapping) else str(value)
        return self.vocab.language_alpha3.get(uri.rsplit("/", 1)[-1].lower(), "")

    def isced(self, areas: list[Any], path: str) -> None:
        codes = [(m.group(1), i) for i, a in enumerate(areas) if (m := ISCED_URI.match(str(a.get("id", ""))))]
        if not codes:
            self.notes.append(f"{path}: no ISCED-F code found")
            return
        # The most detailed code says most about the field; the others are noted.
        best = max(codes, key=lambda pair: len(pair[0]))
        self.set("classification", "isced_f_code", best[0])
        self.notes += [
            f"{path}[{i}]: further ISCED-F code {code} not imported" for code, i in codes if code != best[0]
        ]

    def country(self, organisation: Mapping[str, Any]) -> str:
        address = (
            organisation.get("location", {}).get("address", {}) if isinstance(organisation, Mapping) else {}
        )
        uri = str(_as_list(address.get("countryCode"))[0].get("id", "")) if address.get("countryCode") else ""
        return self.vocab.country_alpha3.get(uri.rsplit("/", 1)[-1].lower(), "")

    # -- related nodes --------------------------------------------------------------------------

    def awarding_body(self, body: Any, path: str) -> None:
        body = _as_list(body)[0]
        self.set("awarding_body", "name", self.text(body.get("legalName"), f"{path}.legalName"))
        self.set("awarding_body", "country", self.country(body))
        registration = body.get("registration") or body.get("identifier") or {}
        self.set("awarding_body", "identifier", str(_as_list(registration)[0].get("notation", "")))
        used = {"legalName", "location", "registration" if body.get("registration") else "identifier"}
        self.leftovers(body, path, used)

    def assessments(self, assessments: list[Any], path: str) -> None:
        outcome_ids = [lo["id"] for lo in self.data["learning_outcomes"]]
        for index, node in enumerate(assessments):
            here = path if len(assessments) == 1 else f"{path}[{index}]"
            # A single assessment proves the whole achievement (ELM provenBy), so it covers every outcome.
            weight = 100 if len(assessments) == 1 else None
            self.data["assessments"].append(self.assessment(node, here, f"A{index + 1}", weight, outcome_ids))
        if len(assessments) > 1:
            self.notes.append(
                f"{path}: {len(assessments)} assessments; set their weights and outcomes by hand"
            )

    def assessment(
        self, node: Mapping[str, Any], path: str, ident: str, weight: Any, outcomes: list[str]
    ) -> dict:
        spec = node.get("specifiedBy", node) if isinstance(node.get("specifiedBy"), Mapping) else node
        spec_path = f"{path}.specifiedBy" if spec is not node else path
        kind_label = self.text(spec.get("dcType"), f"{spec_path}.dcType")
        kind = self.vocab.match_term("assessment_types", kind_label) if kind_label else None
        if kind_label and not kind:
            self.notes.append(f"{spec_path}.dcType: assessment type '{kind_label}' has no match; choose one")
        supervision_label = self.text(node.get("idVerification"), f"{path}.idVerification")
        supervision = (
            self.vocab.match_term("supervision_levels", supervision_label) if supervision_label else None
        )
        if supervision_label and not supervision:
            self.notes.append(
                f"{path}.idVerification: '{supervision_label}' is not one of the three Annex I levels"
            )
        scheme = spec.get("gradingScheme", {})
        grade = self.text(node.get("grade"), f"{path}.grade")
        scheme_text = self.text(scheme.get("title"), f"{spec_path}.gradingScheme.title")
        languages = [self.language(v) for v in _as_list(spec.get("language"))]
        self.leftovers(node, path, {"specifiedBy", "idVerification", "grade", "title"})
        if spec is not node:
            self.leftovers(spec, spec_path, {"dcType", "gradingScheme", "title", "language"})
        return {
            "id": ident,
            "title": self.text(spec.get("title") or node.get("title"), f"{spec_path}.title"),
            "type": kind or kind_label,
            "weight_percent": weight,
            "outcome_ids": outcomes,
            "pass_criteria": self.text(scheme.get("description"), f"{spec_path}.gradingScheme.description"),
            "grading_scheme": "; ".join(
                filter(None, [scheme_text, f"result recorded as '{grade}'" if grade else ""])
            ),
            "supervision": supervision or supervision_label,
            "language": next(filter(None, languages), ""),
        }

    def activity(self, node: Mapping[str, Any], path: str) -> None:
        spec = node.get("specifiedBy") if isinstance(node.get("specifiedBy"), Mapping) else node
        spec_path = f"{path}.specifiedBy" if spec is not node else path
        if "mode" in spec:
            self.mode(spec["mode"], f"{spec_path}.mode")
        used = {"specifiedBy", "awardedBy"} if spec is not node else {"mode", "volumeOfLearning"}
        if "description" in node and not self.data["identification"]["description"]:
            self.set("identification", "description", self.text(node["description"], f"{path}.description"))
            used.add("description")
        if "volumeOfLearning" in spec and self.data["level"]["total_hours"] is None:
            self.hours(spec["volumeOfLearning"], f"{spec_path}.volumeOfLearning")
        elif "volumeOfLearning" in spec:
            self.notes.append(
                f"{spec_path}.volumeOfLearning: activity volume '{spec['volumeOfLearning']}' not "
                "imported; the specification's volume of learning was used"
            )
        self.leftovers(node, path, used)
        if spec is not node:
            self.leftovers(spec, spec_path, {"mode", "volumeOfLearning"})

    def opportunity(self, opportunities: list[Any], path: str) -> None:
        for index, opportunity in enumerate(opportunities):
            if "awardingBody" in opportunity:
                self.awarding_body(opportunity["awardingBody"], f"{path}[{index}].awardingBody")
            self.leftovers(opportunity, f"{path}[{index}]", {"awardingBody"})

    def accreditation(self, node: Mapping[str, Any], path: str) -> None:
        self.set("quality_assurance", "qa_type", self.text(node.get("dcType"), f"{path}.dcType"))
        agent = _as_list(node.get("accreditingAgent"))
        if agent:
            self.set("quality_assurance", "qa_body", self.text(agent[0].get("legalName"), path))
        self.leftovers(node, path, {"dcType", "accreditingAgent"})
