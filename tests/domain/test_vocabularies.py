"""The controlled vocabularies: the shipped files load, and broken files are reported by file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa_engine.domain.screening.outcomes import read_verb
from qa_engine.domain.vocabularies import VocabularyError, load_vocabularies

SHIPPED = Path(__file__).resolve().parents[2] / "rubrics" / "vocabularies"


@pytest.fixture(scope="module")
def vocab():
    return load_vocabularies(SHIPPED)


def test_languages_are_the_full_iso_639_1_list(vocab):
    assert len(vocab.languages) >= 183
    assert vocab.languages["fi"] == "Finnish"
    assert vocab.language_alpha3["eng"] == "en"
    assert vocab.language_alpha3["ger"] == vocab.language_alpha3["deu"] == "de"


def test_countries_map_alpha3_to_alpha2(vocab):
    assert len(vocab.countries) == 249
    assert vocab.country_alpha3["irl"] == "IE"


def test_isced_has_broad_narrow_and_detailed_fields(vocab):
    assert vocab.isced_fields["06"] == "Information and Communication Technologies (ICTs)"
    assert vocab.isced_fields["061"] == "Information and Communication Technologies (ICTs)"
    assert vocab.isced_fields["0613"] == "Software and applications development and analysis"
    assert {code for code in vocab.isced_fields if len(code) == 2} == {
        "00",
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
        "08",
        "09",
        "10",
        "99",
    }


def test_verbs_have_bloom_levels(vocab):
    assert (vocab.verb_levels["explain"], vocab.verb_levels["analyse"], vocab.verb_levels["design"]) == (
        2,
        4,
        6,
    )
    assert "understand" not in vocab.verb_levels


def test_supervision_levels_are_the_three_annex_levels(vocab):
    assert list(vocab.supervision_levels) == ["unsupervised_no_id", "supervised_no_id", "supervised_with_id"]


def test_match_term_finds_aliases_ignoring_case(vocab):
    assert vocab.match_term("modes", "Blended") == "blended"
    assert vocab.match_term("modes", "Face-to-face") == "onsite"
    assert vocab.match_term("assessment_types", "artefact assessment") == "artefact"
    assert (
        vocab.match_term("supervision_levels", "Unsupervised without ID Verification") == "unsupervised_no_id"
    )
    assert vocab.match_term("modes", "by carrier pigeon") is None


def test_read_verb_skips_lead_ins_and_adverbs(vocab):
    reading = read_verb("On completion, the learner will be able to critically evaluate models", vocab)

    assert (reading.verb, reading.vague, reading.level) == ("evaluate", None, 5)


def test_read_verb_spots_vague_phrases(vocab):
    assert read_verb("Be familiar with SQL", vocab).vague == "be familiar with"


def test_missing_file_is_reported_by_name(tmp_path):
    for path in SHIPPED.glob("*.toml"):
        shutil.copy(path, tmp_path)
    (tmp_path / "modes.toml").unlink()

    with pytest.raises(VocabularyError) as caught:
        load_vocabularies(tmp_path)

    assert [e.split(":")[0] for e in caught.value.errors] == ["modes.toml"]


def test_malformed_entry_is_reported_by_file_and_field(tmp_path):
    for path in SHIPPED.glob("*.toml"):
        shutil.copy(path, tmp_path)
    (tmp_path / "modes.toml").write_text('id = "modes"\nversion = 1\n[[mode]]\nid = "online"\n', "utf-8")

    with pytest.raises(VocabularyError) as caught:
        load_vocabularies(tmp_path)

    assert caught.value.errors == ["modes.toml: mode[0].label: missing"]


def test_bad_bloom_level_is_reported(tmp_path):
    for path in SHIPPED.glob("*.toml"):
        shutil.copy(path, tmp_path)
    text = (tmp_path / "action_verbs.toml").read_text("utf-8").replace("\n6 = [", "\n7 = [")
    (tmp_path / "action_verbs.toml").write_text(text, "utf-8")

    with pytest.raises(VocabularyError) as caught:
        load_vocabularies(tmp_path)

    assert caught.value.errors == ["action_verbs.toml: levels.7: must be a level from 1 to 6"]
