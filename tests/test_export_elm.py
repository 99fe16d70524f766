"""Europass ELM v3 export, checked offline: typed nodes first, then the official LOQ SHACL shapes."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from qa_engine.commands.exports import decision_from_dict
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.exports.elm import ELM_CONTEXT, ElmValidation, qualification_graph, validate_elm
from qa_engine.exports.elm_validation import python_pattern, shapes_graph
from qa_engine.exports.records import ExportError, ExportItem, export_item

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
PROPOSAL = ROOT / "examples" / "proposals" / "sound-data-analytics.json"
DECISION = ROOT / "examples" / "decisions" / "approved.json"
# The QDR concept of England's RQF level 6, as used by the official EDC sample credential.
RQF_LEVEL_6 = "http://data.europa.eu/snb/qdr/c_c392e7a2"


def example_item(**decision_changes: object) -> ExportItem:
    proposal = proposal_from_dict(json.loads(PROPOSAL.read_text(encoding="utf-8")))
    decision, agency, nqf = decision_from_dict({**json.loads(DECISION.read_text(encoding="utf-8")), **decision_changes})
    return export_item(proposal, decision, agency, nqf_level_uri=nqf)


def levelled_item() -> ExportItem:
    """The sound example, levelled in a framework whose QDR concept is known."""
    item = example_item()
    level = dataclasses.replace(item.proposal.level, nqf_country="GB", nqf_level="RQF Level 6")
    return dataclasses.replace(item, proposal=dataclasses.replace(item.proposal, level=level),
                               nqf_level_uri=RQF_LEVEL_6)


@pytest.fixture(scope="module")
def document() -> dict:
    return qualification_graph([levelled_item()])


@pytest.fixture(scope="module")
def result(document: dict) -> ElmValidation:
    return validate_elm(document)


def test_elm_export_conforms_with_typed_nodes(result: ElmValidation) -> None:
    assert (result.qualifications, result.accreditations) == (1, 1)
    assert result.violations == ()
    assert result.conforms is True


def test_elm_shapes_are_loaded_once_and_are_many() -> None:
    assert shapes_graph() is shapes_graph()
    assert len(set(shapes_graph().subjects(predicate=None, object=None))) > 100


def test_elm_uses_the_edc_context_with_id_and_type_aliases(document: dict) -> None:
    assert document["@context"] == ELM_CONTEXT == ["http://data.europa.eu/snb/model/context/edc-ap",
                                                   {"id": "@id", "type": "@type"}]


def test_elm_qualification_carries_the_annex_i_elements(document: dict) -> None:
    qualification = document["@graph"][0]
    assert qualification["type"] == "Qualification"
    assert qualification["dcType"]["id"] == "http://data.europa.eu/snb/learning-opportunity/74a4a268e8"
    assert qualification["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/6"
    assert qualification["creditPoint"]["point"] == "6"
    assert qualification["volumeOfLearning"] == "PT168H"
    assert len(qualification["learningOutcome"]) == 5
    assert qualification["mode"]["id"] == "http://data.europa.eu/snb/learning-assessment/e92d221e4d"
    assert [lang["id"][-3:] for lang in qualification["language"]] == ["ENG", "SPA"]
    assert qualification["thematicArea"]["id"] == "http://data.europa.eu/snb/isced-f/0688"
    assert [a["category"]["en"] for a in qualification["provenBy"]] == ["Portfolio", "Project", "Case study"]
    assert qualification["accreditation"] == "https://qa.example.org/register/programmes/42#accreditation"


def test_elm_accreditation_carries_the_decision(document: dict) -> None:
    accreditation = document["@graph"][1]
    assert accreditation["accreditingAgent"] == "https://qa.example.org/agency"
    assert accreditation["decision"]["prefLabel"] == {"en": "Approved with conditions"}
    assert accreditation["dateIssued"] == "2026-12-01T00:00:00Z"
    assert accreditation["expiryDate"] == "2029-12-31T00:00:00Z"
    assert accreditation["report"]["contentURL"] == "https://qa.example.org/register/programmes/42/report.pdf"
    assert accreditation["limitQualification"] == "https://qa.example.org/register/programmes/42"
    assert accreditation["limitJurisdiction"]["id"] == "http://publications.europa.eu/resource/authority/atu/ESP"


def test_elm_two_programmes_give_two_of_each_node() -> None:
    second = dataclasses.replace(levelled_item(), programme_uri="https://qa.example.org/register/programmes/43")
    result = validate_elm(qualification_graph([levelled_item(), second]))
    assert (result.qualifications, result.accreditations, result.conforms) == (2, 2, True)


def test_elm_without_a_qdr_concept_reports_the_missing_nqf_level() -> None:
    result = validate_elm(qualification_graph([example_item()]))
    assert result.violations == ("https://qa.example.org/register/programmes/42 elm:NQFLevel: "
                                 "Less than 1 values on <https://qa.example.org/register/programmes/42>->elm:NQFLevel",)


def test_elm_keys_that_do_not_expand_fail_the_typed_node_guard(document: dict) -> None:
    broken = {**document, "@context": "http://data.europa.eu/snb/model/context/edc-ap"}  # no id/type aliases
    result = validate_elm(broken)
    assert (result.conforms, result.qualifications, result.accreditations) == (False, 0, 0)
    assert result.violations == (
        "no elm:Qualification typed node: the shapes would check nothing (do `id`/`type` expand?)",
        "no elm:Accreditation typed node: the shapes would check nothing (do `id`/`type` expand?)",
    )


def test_elm_missing_title_is_a_shacl_violation(document: dict) -> None:
    broken = copy.deepcopy(document)
    del broken["@graph"][0]["title"]
    result = validate_elm(broken)
    assert (result.conforms, result.qualifications) == (False, 1)
    assert len(result.violations) == 1
    assert result.violations[0].startswith("https://qa.example.org/register/programmes/42 dcterms:title: "
                                           "Less than 1 values on")


def test_elm_accreditation_type_outside_the_eu_list_is_a_violation(document: dict) -> None:
    broken = copy.deepcopy(document)
    broken["@graph"][1]["dcType"]["inScheme"]["id"] = "https://qa-engine.example/ns/accreditation"
    result = validate_elm(broken)
    assert result.conforms is False
    assert any("dcterms:type" in line for line in result.violations)


def test_elm_unknown_term_is_reported(document: dict) -> None:
    broken = copy.deepcopy(document)
    broken["@graph"][0]["http://data.europa.eu/snb/model/elm/titel"] = "typo"
    result = validate_elm(broken)
    assert "http://data.europa.eu/snb/model/elm/titel: not a term of the ELM ontology" in result.violations


def test_elm_unknown_context_is_refused_without_fetching(document: dict) -> None:
    result = validate_elm({**document, "@context": "https://example.org/not-available-offline"})
    assert result.conforms is False
    assert result.violations[0].startswith("not parseable as JSON-LD: unknown JSON-LD context")


def test_elm_java_regex_patterns_are_rewritten_for_python() -> None:
    assert python_pattern("^(?i)(http|https):x[%[\\p{L}\\p{Nl}\\p{Nd}]]*") == ("^(http|https):x[%\\w]*", "i")


def test_elm_rejected_programme_is_refused() -> None:
    with pytest.raises(ExportError, match="not approved"):
        qualification_graph([example_item(outcome="rejected")])
