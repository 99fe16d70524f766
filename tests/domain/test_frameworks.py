"""Framework data: the shipped EQF, QF-EHEA, ECTS, national frameworks and references; validation."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from qa_engine.domain.datafiles import DataFileError
from qa_engine.domain.frameworks import check_frameworks, load_frameworks

SHIPPED = Path(__file__).resolve().parents[2] / "rubrics" / "frameworks"


@pytest.fixture(scope="module")
def shipped():
    return load_frameworks(SHIPPED)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "frameworks"
    shutil.copytree(SHIPPED, target)
    return target


def errors_of(directory: Path) -> list[str]:
    frameworks, errors = check_frameworks(directory)
    assert frameworks is None
    return errors


def test_eqf_has_eight_levels_with_the_three_descriptors(shipped):
    assert [level.level for level in shipped.eqf.levels] == list(range(1, 9))
    level6 = shipped.eqf.level(6)
    assert level6.knowledge == (
        "Advanced knowledge of a field of work or study, "
        "involving a critical understanding of theories and principles"
    )
    assert level6.responsibility_autonomy.startswith("Manage complex technical or professional activities")
    assert all(level.skills for level in shipped.eqf.levels)


def test_eqf_level_unknown_raises_key_error(shipped):
    with pytest.raises(KeyError, match="EQF has no level 9; levels are 1-8"):
        shipped.eqf.level(9)


def test_qf_ehea_cycles_map_to_eqf_five_to_eight(shipped):
    assert [(cycle.id, cycle.eqf_level) for cycle in shipped.qf_ehea] == [
        ("short_cycle", 5), ("first_cycle", 6), ("second_cycle", 7), ("third_cycle", 8),
    ]
    assert (shipped.cycle_for_eqf(6).ects_min, shipped.cycle_for_eqf(6).ects_max) == (180, 240)
    assert shipped.cycle_for_eqf(4) is None


def test_ects_hours_range_uses_country_override_or_default(shipped):
    assert shipped.ects_hours_range(None) == (25.0, 30.0)
    assert shipped.ects_hours_range("FI") == (27.0, 27.0)
    assert shipped.ects_hours_range("fi") == (27.0, 27.0)
    assert shipped.ects_hours_range("IE") == (20.0, 30.0)
    assert shipped.ects_hours_range("PT") == (25.0, 30.0)
    assert shipped.ects_credits_per_year == 60


def test_national_frameworks_are_discovered_by_country(shipped):
    assert sorted(shipped.nqfs) == ["ES", "FI", "GB-SCT", "IE"]
    assert [len(shipped.nqfs[c].levels) for c in ("IE", "GB-SCT", "ES", "FI")] == [10, 12, 4, 8]


@pytest.mark.parametrize(("country", "level", "eqf"), [
    ("IE", "6", (5,)), ("IE", "8", (6,)), ("IE", 10, (8,)),
    ("GB-SCT", "2", ()), ("GB-SCT", "8", (5,)), ("GB-SCT", "10", (6,)),
    ("ES", "2", (6,)), ("ES", "3", (7,)), ("FI", "7", (7,)), ("gb-sct", "12", (8,)),
])
def test_eqf_for_nqf_maps_national_levels(shipped, country, level, eqf):
    assert shipped.eqf_for_nqf(country, level) == eqf


def test_eqf_for_nqf_unknown_country_or_level_names_what_is_known(shipped):
    with pytest.raises(KeyError) as country_error:
        shipped.eqf_for_nqf("DE", "6")
    assert country_error.value.args[0] == "no national framework for 'DE'; known: ES, FI, GB-SCT, IE"
    with pytest.raises(KeyError) as level_error:
        shipped.eqf_for_nqf("ES", "5")
    assert level_error.value.args[0] == "MECES (ES) has no level '5'; levels are 1, 2, 3, 4"


def test_references_cover_esg_annexes_and_frameworks(shipped):
    ids = set(shipped.references)
    esg = {rid for rid in ids if rid.startswith("esg.")}
    assert len(esg) == 10 + 7 + 7
    assert {"esg.1.10", "esg.2.7", "esg.3.7"} <= esg
    annex1 = [ref for rid, ref in shipped.reference_items.items() if rid.startswith("annex1.")]
    assert sorted(ref.mandatory for ref in annex1).count(True) == 11
    assert sorted(ref.mandatory for ref in annex1).count(False) == 5
    assert len([rid for rid in ids if rid.startswith("annex2.")]) == 10
    assert {"eqf", "nqf", "qf_ehea", "ects"} <= ids
    assert shipped.references["esg.1.2"] == "ESG 1.2: Design and approval of programmes"
    assert shipped.references["annex2.relevance"] == "Annex II 3: Relevance"
    assert shipped.references["annex1.learning_outcomes"] == "Annex I 6: Learning outcomes"


def test_adding_a_country_is_adding_a_file(copy):
    (copy / "nqf-mt.toml").write_text(
        'country = "MT"\nname = "Malta Qualifications Framework"\nshort_name = "MQF"\n'
        '[[levels]]\ncode = "6"\ntitle = "MQF Level 6"\neqf = [6]\n', encoding="utf-8")
    frameworks = load_frameworks(copy)
    assert frameworks.eqf_for_nqf("MT", "6") == (6,)


def test_broken_nqf_file_reports_every_error_with_its_field(copy):
    (copy / "nqf-xx.toml").write_text(
        'country = "Xland"\nname = "X"\nshort_name = "XQF"\nnotes = "typo"\n'
        '[[levels]]\ncode = "1"\ntitle = "One"\neqf = [9]\n'
        '[[levels]]\ncode = "1"\ntitle = "Again"\neqf = [1]\nqualification = ["a"]\n'
        '[[levels]]\ncode = "3"\neqf = "4"\n', encoding="utf-8")
    assert errors_of(copy) == [
        "nqf-xx.toml: country: 'Xland' is not an ISO 3166 code such as IE, FI or GB-SCT",
        "nqf-xx.toml: levels[0].eqf: 9 is not an EQF level (1-8)",
        "nqf-xx.toml: levels[1].qualification: unknown key",
        "nqf-xx.toml: levels[2].title: is required",
        "nqf-xx.toml: levels[2].eqf: must be a list of integers",
        "nqf-xx.toml: levels[1].code: duplicate code '1'",
        "nqf-xx.toml: notes: unknown key",
    ]


def test_nqf_levels_must_not_go_down_the_eqf(copy):
    (copy / "nqf-xx.toml").write_text(
        'country = "XX"\nname = "X"\nshort_name = "XQF"\n'
        '[[levels]]\ncode = "1"\ntitle = "One"\neqf = [5]\n'
        '[[levels]]\ncode = "2"\ntitle = "Two"\neqf = [4]\n', encoding="utf-8")
    assert errors_of(copy) == [
        "nqf-xx.toml: levels[1].eqf: must not be below the EQF level(s) of the level before ([5])",
    ]


def test_two_files_for_one_country_is_an_error(copy):
    shutil.copy(copy / "nqf-ie.toml", copy / "nqf-ie-copy.toml")
    assert errors_of(copy) == ["nqf-ie.toml: country: IE is also defined in nqf-ie-copy.toml"]


def test_missing_and_unexpected_files_are_errors(copy):
    (copy / "eqf.toml").unlink()
    (copy / "nfq-ie.toml").write_text("", encoding="utf-8")
    assert errors_of(copy) == [
        "eqf.toml: required framework file is missing",
        "nfq-ie.toml: unexpected file "
        "(expected eqf.toml, qf-ehea.toml, ects.toml, references.toml or nqf-*.toml)",
    ]


def test_ects_ranges_and_countries_are_validated(copy):
    (copy / "ects.toml").write_text(
        'title = "ECTS"\n[default]\nhours_per_credit = [30, 25]\n'
        '[[countries]]\ncountry = "FI"\nhours_per_credit = [27, 27]\n'
        '[[countries]]\ncountry = "FI"\nhours_per_credit = [27]\n', encoding="utf-8")
    assert errors_of(copy) == [
        "ects.toml: default.hours_per_credit: must be [low, high] with 0 < low <= high",
        "ects.toml: countries[1].hours_per_credit: must be [low, high] with 0 < low <= high",
        "ects.toml: countries[1].country: duplicate country 'FI'",
    ]


def test_eqf_file_must_list_eight_levels_in_order(copy):
    text = (copy / "eqf.toml").read_text(encoding="utf-8")
    cut = text.index("[[levels]]\nlevel = 8")
    (copy / "eqf.toml").write_text(text[:cut].replace("level = 2\n", "level = 3\n"), encoding="utf-8")
    assert errors_of(copy) == [
        "eqf.toml: levels: must list the 8 EQF levels, found 7",
        "eqf.toml: levels[1].level: must be 2 (levels are listed from 1 to 8 in order)",
    ]


def test_references_are_validated(copy):
    (copy / "references.toml").write_text(
        '[[groups]]\nid = "esg"\ntitle = "ESG"\nshort = "ESG"\n'
        '[[references]]\nid = "esg.1.1"\ngroup = "esg"\ntitle = "Policy"\n'
        '[[references]]\nid = "esg.1.1"\ngroup = "esgg"\ntitle = "Again"\n'
        '[[references]]\nid = "ESG 1.2"\ngroup = "esg"\ntitle = "Design"\nmandatory = "yes"\n',
        encoding="utf-8")
    assert errors_of(copy) == [
        "references.toml: references[1].group: unknown group 'esgg'; known: esg",
        "references.toml: references[2].id: "
        "must be lower-case words joined by dots, like esg.1.2 or annex2.relevance",
        "references.toml: references[2].mandatory: must be true or false",
        "references.toml: references[1].id: duplicate id 'esg.1.1'",
    ]


def test_invalid_toml_is_reported_and_load_raises_with_every_error(copy):
    (copy / "qf-ehea.toml").write_text("title = \n", encoding="utf-8")
    (copy / "nqf-fi.toml").write_text('country = "FI"\n', encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError) as syntax:
        tomllib.loads("title = \n")
    with pytest.raises(DataFileError) as raised:
        load_frameworks(copy)
    assert raised.value.errors == [
        f"qf-ehea.toml: invalid TOML: {syntax.value}",
        "nqf-fi.toml: name: is required",
        "nqf-fi.toml: short_name: is required",
        "nqf-fi.toml: levels: is required",
    ]
    assert str(raised.value) == "\n".join(raised.value.errors)


def test_missing_directory_is_one_error(tmp_path):
    assert errors_of(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: frameworks directory not found"]
