"""Open Badges 3.0 export: the sound example as an Achievement in an example credential, against the official schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from qa_engine.commands.exports import decision_from_dict
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.exports.ob3 import EXTENSION_CONTEXT, EXTENSION_NS, achievement_credential, validate_ob3
from qa_engine.exports.records import ExportError, ExportItem, export_item

ROOT = Path(__file__).resolve().parents[1]
PROPOSAL = ROOT / "examples" / "proposals" / "sound-data-analytics.json"
DECISION = ROOT / "examples" / "decisions" / "approved.json"


def example_item(**decision_changes: object) -> ExportItem:
    proposal = proposal_from_dict(json.loads(PROPOSAL.read_text(encoding="utf-8")))
    decision, agency, nqf = decision_from_dict({**json.loads(DECISION.read_text(encoding="utf-8")), **decision_changes})
    return export_item(proposal, decision, agency, nqf_level_uri=nqf)


@pytest.fixture(scope="module")
def credential() -> dict:
    return achievement_credential(example_item(), issued_on=example_item().decision.valid_from)


def test_ob3_sound_example_validates_against_official_schema(credential: dict) -> None:
    assert validate_ob3(credential) == []


def test_ob3_envelope_uses_vc2_and_ob303_contexts(credential: dict) -> None:
    assert credential["@context"][:2] == ["https://www.w3.org/ns/credentials/v2",
                                          "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential["@context"][2] == EXTENSION_CONTEXT
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["name"] == "Universidad Politécnica de Almagro"
    assert credential["validFrom"] == "2027-01-01T00:00:00Z"
    assert "proof" not in credential


def test_ob3_ects_in_credits_available(credential: dict) -> None:
    assert credential["credentialSubject"]["achievement"]["creditsAvailable"] == 6


def test_ob3_eqf_level_is_an_alignment(credential: dict) -> None:
    alignments = credential["credentialSubject"]["achievement"]["alignment"]
    eqf = [a for a in alignments if a["targetFramework"] == "European Qualifications Framework"]
    assert eqf == [{"type": ["Alignment"], "targetName": "EQF level 6", "targetUrl": "http://data.europa.eu/snb/eqf/6",
                    "targetFramework": "European Qualifications Framework", "targetCode": "6",
                    "targetType": "ext:EQFLevel"}]


def test_ob3_outcomes_nqf_isced_and_esco_are_alignments(credential: dict) -> None:
    kinds = [a["targetType"] for a in credential["credentialSubject"]["achievement"]["alignment"]]
    assert kinds == ["ext:EQFLevel", "ext:NQFLevel", "ext:ISCEDF", "ext:ESCOOccupation", "ext:ESCOOccupation",
                     *["ext:LearningOutcome"] * 5]


def test_ob3_every_annex_i_element_present(credential: dict) -> None:
    achievement = credential["credentialSubject"]["achievement"]
    facts = achievement["microCredential"]
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["name"] == "Applied Data Analytics for Business Decisions"
    assert achievement["creator"]["address"]["addressCountryCode"] == "ES"
    assert achievement["fieldOfStudy"].startswith("Inter-disciplinary programmes")
    assert achievement["inLanguage"] == "en"
    assert [r["name"] for r in achievement["resultDescription"]] == ["Spanish 0-10 scale; pass at 5.0"]
    assert "Pass criteria: At least 5 out of 10 on the portfolio rubric" in achievement["criteria"]["narrative"]
    assert facts["workloadHours"] == 168
    assert facts["hoursBreakdown"] == {"contact": 30, "guided": 24, "selfStudy": 84, "workBased": 18, "assessment": 12}
    assert facts["formOfParticipation"] == "blended"
    assert [a["assessmentType"] for a in facts["assessments"]] == ["portfolio", "project", "case_study"]
    assert [a["supervision"] for a in facts["assessments"]] == ["unsupervised_no_id", "supervised_with_id",
                                                                "unsupervised_no_id"]
    assert facts["qualityAssurance"]["type"].startswith("Internal programme approval")
    assert facts["prerequisites"].startswith("A bachelor's degree")
    assert facts["stackability"]["stackable"] is True
    assert facts["stackability"]["targetCredentialEcts"] == 60
    assert facts["accreditation"] == {
        "agency": "Agència per a la Qualitat del Sistema Universitari (example)",
        "agencyId": "https://qa.example.org/agency", "agencyDeqarId": "99",
        "decision": "approved_with_conditions", "decisionLabel": "Approved with conditions",
        "decisionBody": "Accreditation Committee", "decidedOn": "2026-12-01", "validFrom": "2027-01-01",
        "validUntil": "2029-12-31", "reportUrl": "https://qa.example.org/register/programmes/42/report.pdf",
        "conditions": [{"text": "Publish the assessment rubrics of the three assessments on the programme page.",
                        "due": "2027-03-01"}],
    }


def test_ob3_extension_context_scopes_its_vocabulary() -> None:
    assert EXTENSION_CONTEXT["microCredential"]["@context"] == {"@vocab": EXTENSION_NS}


def test_ob3_missing_criteria_fails_with_a_message(credential: dict) -> None:
    broken = copy.deepcopy(credential)
    del broken["credentialSubject"]["achievement"]["criteria"]
    assert validate_ob3(broken) == ["credentialSubject.achievement: 'criteria' is a required property"]


def test_ob3_wrong_type_fails_with_a_message(credential: dict) -> None:
    broken = {**credential, "type": ["VerifiableCredential", "Badge"]}
    assert validate_ob3(broken) == [
        "type: ['VerifiableCredential', 'Badge'] does not contain items matching the given schema"
    ]


def test_ob3_credits_as_text_fails(credential: dict) -> None:
    broken = copy.deepcopy(credential)
    broken["credentialSubject"]["achievement"]["creditsAvailable"] = "6 ECTS"
    assert validate_ob3(broken) == ["credentialSubject.achievement.creditsAvailable: '6 ECTS' is not of type 'number'"]


def test_ob3_rejected_programme_is_refused() -> None:
    with pytest.raises(ExportError, match="programme 42 is not approved"):
        achievement_credential(example_item(outcome="rejected"), issued_on=example_item().decision.valid_from)
