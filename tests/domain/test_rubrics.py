"""Rubric files: the two shipped rubrics, the registry, and full validation with file-and-field errors."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest

from qa_engine.domain.datafiles import DataFileError
from qa_engine.domain.frameworks import load_frameworks
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubrics import CapRule, check_paths, load_rubrics, parse_key

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
FRAMEWORKS = load_frameworks(RUBRICS / "frameworks")
REGISTRY = load_rubrics(RUBRICS, FRAMEWORKS)

MINIMAL = """\
id = "r"
version = 1
title = "R"
justification_required_below = 3

[[scale]]
value = 3
label = "Good"
descriptor = "good"

[[scale]]
value = 2
label = "Fair"
descriptor = "fair"

[[scale]]
value = 1
label = "Poor"
descriptor = "poor"

[outcome_rules]
thresholds = [
    { min_score = 2.5, outcome = "approved" },
    { min_score = 1.0, outcome = "rejected" },
]

[[dimensions]]
id = "A"
title = "A"
weight = 1

[[criteria]]
id = "a1"
dimension = "A"
title = "a1"
guidance = "look"
weight = 1
references = ["esg.1.2"]

[[criteria]]
id = "a2"
dimension = "A"
title = "a2"
guidance = "look"
weight = 2
references = ["annex2.relevance"]
"""


CAPS = "must be one of approved_with_conditions, revise_and_resubmit, rejected"


def errors_for(tmp_path: Path, text: str, name: str = "r-v1.toml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return check_paths([path], FRAMEWORKS)


def test_default_rubric_has_the_eight_dimensions_of_the_engine_model():
    rubric = REGISTRY.get("slp-ex-ante")
    assert rubric.key == "slp-ex-ante@1"
    assert [(d.id, d.title) for d in rubric.dimensions] == [
        ("D1", "Programme description and identification"),
        ("D2", "Justification and relevance"),
        ("D3", "Learning outcomes"),
        ("D4", "Access, admission and learner support"),
        ("D5", "Planning, teaching and assessment"),
        ("D6", "Teaching and support staff"),
        ("D7", "Material resources and services"),
        ("D8", "Expected outcomes and quality assurance"),
    ]
    assert [(level.value, level.label) for level in rubric.scale.levels] == [
        (4, "Exceeds"), (3, "Meets"), (2, "Meets with conditions"), (1, "Does not meet"),
    ]
    assert [len(d.criteria) for d in rubric.dimensions] == [5, 4, 4, 3, 4, 3, 3, 4]


def test_default_rubric_gates_are_those_of_the_engine_model():
    rubric = REGISTRY.get("slp-ex-ante")
    gates = ["D1.1", "D1.3", "D1.4", "D3.1", "D3.2", "D4.1", "D5.2", "D6.1", "D8.2"]
    assert [c.id for c in rubric.gates] == gates
    assert {c.gate for c in rubric.gates} == {CapRule(1, Outcome.REVISE_AND_RESUBMIT)}
    assert all(not c.na_allowed for c in rubric.gates)


def test_default_rubric_criteria_are_written_out():
    rubric = REGISTRY.get("slp-ex-ante")
    for criterion in rubric.criteria:
        assert len(criterion.guidance) > 200, criterion.id
        assert criterion.references and criterion.evidence, criterion.id
        assert sorted(criterion.level_descriptors) == [1, 2, 3, 4], criterion.id
        assert criterion.justification_required_below == 3
    assert [c.id for c in rubric.criteria if c.na_allowed] == ["D3.4", "D4.2", "D7.3"]
    assert rubric.na_requires_justification


def test_internal_rubric_differs_in_scale_size_and_weights():
    rubric = REGISTRY.get("internal-approval", 1)
    assert rubric.scale.values == (3, 2, 1)
    assert [d.id for d in rubric.dimensions] == ["description", "outcomes", "delivery", "quality"]
    assert len(rubric.criteria) == 10
    assert rubric.dimension("outcomes").weight == 2.0
    assert rubric.criterion("delivery.budget").level_descriptors == {}


def test_registry_get_by_version_forms_and_latest():
    latest = REGISTRY.get("slp-ex-ante")
    assert REGISTRY.get("slp-ex-ante", "1") is latest
    assert REGISTRY.get("slp-ex-ante", 1) is latest
    assert REGISTRY.get("slp-ex-ante", "v1") is latest
    assert [r.key for r in REGISTRY.all()] == ["internal-approval@1", "slp-ex-ante@1"]
    assert [r.key for r in REGISTRY.latest()] == ["internal-approval@1", "slp-ex-ante@1"]


def test_registry_get_unknown_raises_key_error_naming_what_exists():
    with pytest.raises(KeyError) as unknown:
        REGISTRY.get("slp")
    assert unknown.value.args[0] == "unknown rubric 'slp'; known rubrics: internal-approval, slp-ex-ante"
    with pytest.raises(KeyError) as version:
        REGISTRY.get("slp-ex-ante", 2)
    assert version.value.args[0] == "rubric 'slp-ex-ante' has no version 2; known versions: slp-ex-ante@1"


def test_registry_latest_picks_highest_version(tmp_path):
    (tmp_path / "r-v1.toml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "r-v2.toml").write_text(MINIMAL.replace("version = 1", "version = 2"), encoding="utf-8")
    registry = load_rubrics(tmp_path, FRAMEWORKS)
    assert registry.get("r").version == 2
    assert [r.key for r in registry.all()] == ["r@1", "r@2"]
    assert [r.key for r in registry.latest()] == ["r@2"]


def test_parse_key_splits_id_and_version():
    assert parse_key("slp-ex-ante") == ("slp-ex-ante", None)
    assert parse_key("slp-ex-ante@2") == ("slp-ex-ante", 2)
    with pytest.raises(ValueError, match="the version after '@' must be a positive integer"):
        parse_key("slp-ex-ante@latest")


def test_minimal_rubric_is_valid_and_hashed(tmp_path):
    assert errors_for(tmp_path, MINIMAL) == []
    rubric = load_rubrics(tmp_path, FRAMEWORKS).get("r")
    assert rubric.content_hash == hashlib.sha256(MINIMAL.encode()).hexdigest()
    assert rubric.source == "r-v1.toml"
    assert not rubric.released
    assert rubric.criterion("a2").weight == 2.0
    assert rubric.criterion("a2").justification_required_below == 3


def test_weight_must_be_positive(tmp_path):
    assert errors_for(tmp_path, MINIMAL.replace("weight = 2", "weight = 0")) == [
        "r-v1.toml: criteria[1].weight: must be > 0",
    ]


def test_unknown_keys_are_errors_at_every_depth(tmp_path):
    text = MINIMAL.replace("weight = 2", "wieght = 2").replace('title = "R"', 'title = "R"\nauthor = "me"')
    text = text.replace("{ min_score = 1.0,", "{ min_score = 1.0, note = 'x',")
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: criteria[1].weight: is required",
        "r-v1.toml: criteria[1].wieght: unknown key",
        "r-v1.toml: outcome_rules.thresholds[1].note: unknown key",
        "r-v1.toml: author: unknown key",
    ]


def test_ids_must_be_unique_and_dimensions_known(tmp_path):
    text = MINIMAL.replace('id = "a2"\ndimension = "A"', 'id = "a1"\ndimension = "B"')
    text += '\n[[dimensions]]\nid = "A"\ntitle = "again"\nweight = 1\n'
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: dimensions[1].id: duplicate id 'A'",
        "r-v1.toml: criteria[1].dimension: unknown dimension 'B'; known: A",
        "r-v1.toml: criteria[1].id: duplicate id 'a1'",
    ]


def test_dimension_without_criteria_is_an_error(tmp_path):
    text = MINIMAL + '\n[[dimensions]]\nid = "B"\ntitle = "Empty"\nweight = 1\n'
    assert errors_for(tmp_path, text) == ["r-v1.toml: dimensions[1]: has no criteria"]


def test_references_must_be_known_and_distinct(tmp_path):
    text = MINIMAL.replace('references = ["esg.1.2"]', 'references = ["esg.1.2", "esg.1.22", "esg.1.2"]')
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: criteria[0].references[1]: unknown reference 'esg.1.22'",
        "r-v1.toml: criteria[0].references[2]: duplicate reference 'esg.1.2'",
    ]


def test_scale_must_be_strictly_descending_with_distinct_labels(tmp_path):
    text = MINIMAL.replace("value = 2\n", "value = 3\n").replace('label = "Poor"', 'label = "Good"')
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: scale[1].value: must be lower than the level before it (3): best first",
        "r-v1.toml: scale[2].label: duplicate label 'Good'",
    ]


def test_gates_must_be_well_formed(tmp_path):
    text = MINIMAL.replace('weight = 1\nreferences = ["esg.1.2"]',
                           'weight = 1\nreferences = ["esg.1.2"]\nna_allowed = true\n'
                           'gate = { at_or_below = 3, cap = "approved", when = 1 }')
    text = text.replace('weight = 2\n', 'weight = 2\ngate = { at_or_below = 1, cap = "postponed" }\n')
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: criteria[0].gate.at_or_below: must be a value of the scale below its highest (2, 1)",
        f"r-v1.toml: criteria[0].gate.cap: {CAPS}",
        "r-v1.toml: criteria[0].gate.when: unknown key",
        "r-v1.toml: criteria[0].na_allowed: a gate criterion cannot allow N/A",
        f"r-v1.toml: criteria[1].gate.cap: {CAPS}",
    ]


def test_outcome_thresholds_must_descend_and_cover_the_scale(tmp_path):
    text = MINIMAL.replace(
        '{ min_score = 2.5, outcome = "approved" },\n    { min_score = 1.0, outcome = "rejected" },',
        '{ min_score = 2.5, outcome = "approved_with_conditions" },\n'
        '    { min_score = 2.5, outcome = "approved" },\n'
        '    { min_score = 4, outcome = "accepted" },\n'
        '    { min_score = 1.5, outcome = "rejected" },')
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: outcome_rules.thresholds[1].min_score: must be lower than the threshold before it (2.5)",
        "r-v1.toml: outcome_rules.thresholds[1].outcome: "
        "must be worse than the outcome before it (approved_with_conditions)",
        "r-v1.toml: outcome_rules.thresholds[2].outcome: "
        "must be one of approved, approved_with_conditions, revise_and_resubmit, rejected",
        "r-v1.toml: outcome_rules.thresholds[2].min_score: must be within the scale (1-3)",
        "r-v1.toml: outcome_rules.thresholds[2].min_score: must be lower than the threshold before it (2.5)",
    ]


def test_last_threshold_must_be_the_lowest_mark(tmp_path):
    text = MINIMAL.replace("{ min_score = 1.0,", "{ min_score = 1.5,")
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: outcome_rules.thresholds[1].min_score: "
        "the last threshold must be the lowest scale value (1) so that every score has an outcome",
    ]


def test_level_descriptors_and_justification_must_use_scale_values(tmp_path):
    text = MINIMAL.replace("justification_required_below = 3", "justification_required_below = 5")
    text += '[criteria.levels]\n3 = "all good"\n4 = "too high"\nx = "not a number"\n'
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: justification_required_below: 5 is not a value of the scale (3, 2, 1)",
        "r-v1.toml: criteria[1].levels.4: not a value of the scale (3, 2, 1)",
        "r-v1.toml: criteria[1].levels.x: not a value of the scale (3, 2, 1)",
    ]


def test_types_are_checked(tmp_path):
    text = MINIMAL.replace("version = 1", 'version = "1"').replace("weight = 2", 'weight = "heavy"')
    text = text.replace('references = ["annex2.relevance"]',
                        'references = "annex2.relevance"\nna_allowed = "yes"')
    assert errors_for(tmp_path, text) == [
        "r-v1.toml: version: must be an integer",
        "r-v1.toml: criteria[1].weight: must be a number",
        "r-v1.toml: criteria[1].references: must be a list of non-empty strings",
        "r-v1.toml: criteria[1].na_allowed: must be true or false",
    ]


def test_file_name_must_match_id_and_version(tmp_path):
    assert errors_for(tmp_path, MINIMAL, name="rubric.toml") == [
        "rubric.toml: file name must be r-v1.toml (from its id and version)",
    ]


def test_invalid_toml_names_the_file(tmp_path):
    with pytest.raises(tomllib.TOMLDecodeError) as syntax:
        tomllib.loads("id = \n")
    assert errors_for(tmp_path, "id = \n") == [f"r-v1.toml: invalid TOML: {syntax.value}"]


def test_load_reports_every_error_of_every_file_at_once(tmp_path):
    (tmp_path / "r-v1.toml").write_text(MINIMAL.replace("weight = 2", "weight = -1"), encoding="utf-8")
    (tmp_path / "s-v1.toml").write_text(MINIMAL.replace('id = "r"', 'id = "s"').replace('"esg.1.2"', '"esg"'),
                                        encoding="utf-8")
    (tmp_path / "t-v1.toml").write_text(MINIMAL.replace('id = "r"', 'id = "r"\nid = "t"'), encoding="utf-8")
    with pytest.raises(DataFileError) as raised:
        load_rubrics(tmp_path, FRAMEWORKS)
    assert raised.value.errors[:2] == [
        "r-v1.toml: criteria[1].weight: must be > 0",
        "s-v1.toml: criteria[0].references[0]: unknown reference 'esg'",
    ]
    assert raised.value.errors[2].startswith("t-v1.toml: invalid TOML: ")
    assert str(raised.value) == "\n".join(raised.value.errors)


def test_same_id_and_version_in_two_files_is_an_error(tmp_path):
    (tmp_path / "r-v1.toml").write_text(MINIMAL, encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "r-v1.toml").write_text(MINIMAL + "# a copy\n", encoding="utf-8")
    assert check_paths([tmp_path / "r-v1.toml", other], FRAMEWORKS) == [
        "r-v1.toml: id: r@1 is also defined in r-v1.toml",
    ]


def test_check_paths_reports_missing_paths(tmp_path):
    missing = tmp_path / "nope.toml"
    assert check_paths([missing], FRAMEWORKS) == [f"{missing}: no such file or directory"]


def test_shipped_directory_checks_clean():
    assert check_paths([RUBRICS], FRAMEWORKS) == []
