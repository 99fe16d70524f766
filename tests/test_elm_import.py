"""Import of Europass ELM v3 JSON-LD: the official sample credential and a bare Qualification."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.exports.elm_import import ElmImportError, proposal_from_elm

SAMPLE = (
    Path(__file__).resolve().parents[2] / "shared" / "specs" / "elm-3" / "Sample-MC-Annex1-unsigned.jsonld"
)

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="the ELM sample in shared/specs is not available")


@pytest.fixture(scope="module")
def sample() -> dict:
    return json.loads(SAMPLE.read_text("utf-8"))


@pytest.fixture(scope="module")
def imported(sample):
    return proposal_from_elm(sample)


def test_sample_imports_as_a_valid_proposal(imported):
    proposal = proposal_from_dict(imported.proposal_data)

    assert proposal.identification.title == "Digital micro-credential creation"
    assert proposal.identification.programme_type == "Short learning programme"
    assert (proposal.awarding_body.name, proposal.awarding_body.country) == ("University of Zed", "IE")


def test_sample_level_and_size(imported):
    level = proposal_from_dict(imported.proposal_data).level

    assert (level.ects, level.eqf_level, level.total_hours, level.nqf_level) == (2, 6, 60, "RQF Level 6")


def test_sample_outcomes_keep_their_esco_links(imported):
    outcomes = proposal_from_dict(imported.proposal_data).learning_outcomes

    assert [(lo.id, lo.text, len(lo.esco_skills)) for lo in outcomes] == [
        ("LO1", "Communication, collaboration and creativity", 3),
        ("LO2", "Developing digital content", 1),
    ]


def test_sample_entry_mode_language_and_field(imported):
    proposal = proposal_from_dict(imported.proposal_data)

    assert proposal.admission.entry_requirements.startswith("The learner needs to have an EDC Online")
    assert proposal.delivery.mode == "blended"
    assert proposal.delivery.languages == ("en",)
    assert proposal.classification.isced_f_code == "0688"
    assert proposal.classification.learning_setting == "non_formal"


def test_sample_assessment_type_supervision_and_grading(imported):
    (assessment,) = proposal_from_dict(imported.proposal_data).assessments

    assert (assessment.type, assessment.supervision, assessment.weight_percent) == (
        "artefact",
        "unsupervised_no_id",
        100,
    )
    assert assessment.outcome_ids == ("LO1", "LO2")
    assert assessment.grading_scheme == "Standard grading; result recorded as 'Pass'"
    assert assessment.pass_criteria.startswith("The learner will have passed")


def test_sample_unmapped_elements_are_listed(imported):
    notes = imported.unmapped

    assert "credentialSubject.hasClaim.specifiedBy.maximumDuration: not mapped (P1M)" in notes
    assert (
        "credentialSubject.hasClaim.specifiedBy.thematicArea[0]: further ISCED-F code 003 not imported"
        in notes
    )
    assert (
        "credentialSubject.hasClaim.specifiedBy.learningOutcome[1].title: also given in es; only 'en' was "
        "imported"
    ) in notes
    assert "credentialSubject.givenName: learner data, not part of a programme proposal (Ana)" in notes
    assert all(":" in note and not note.startswith(":") for note in notes)


def test_bare_qualification_imports(sample):
    qualification = copy.deepcopy(sample["credentialSubject"]["hasClaim"]["specifiedBy"])
    qualification["awardingOpportunity"] = [
        {
            "id": "urn:epass:awardingOpportunity:1",
            "type": "AwardingOpportunity",
            "awardingBody": sample["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"],
        }
    ]

    imported = proposal_from_elm(qualification)
    proposal = proposal_from_dict(imported.proposal_data)

    assert (proposal.identification.title, proposal.level.ects, proposal.level.eqf_level) == (
        "Digital micro-credential creation",
        2,
        6,
    )
    assert (proposal.awarding_body.name, proposal.awarding_body.country) == ("University of Zed", "IE")
    assert "maximumDuration: not mapped (P1M)" in imported.unmapped


def test_unknown_values_are_reported_not_dropped(sample):
    qualification = copy.deepcopy(sample["credentialSubject"]["hasClaim"]["specifiedBy"])
    qualification["mode"]["prefLabel"] = {"en": "By correspondence"}
    qualification["volumeOfLearning"] = "P2W"

    imported = proposal_from_elm(qualification)

    assert (
        "mode: mode 'By correspondence' is not online, onsite or blended; not imported" in imported.unmapped
    )
    assert (
        "volumeOfLearning: 'P2W' is not a duration in hours (PTnH); total hours not imported"
        in imported.unmapped
    )


def test_document_without_specification_is_refused():
    with pytest.raises(ElmImportError):
        proposal_from_elm({"type": ["VerifiableCredential"], "credentialSubject": {"id": "urn:x"}})
