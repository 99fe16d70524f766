"""`qa-engine screen` and `qa-engine import-elm` without a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_engine.commands.proposals import import_elm, screen

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "proposals"
SAMPLE = ROOT.parent / "shared" / "specs" / "elm-3" / "Sample-MC-Annex1-unsigned.jsonld"


def _screen(*args: str):
    return CliRunner().invoke(screen, [*args, "--today", "2026-10-01"])


def test_screen_sound_example_exits_0_with_json():
    result = _screen(str(EXAMPLES / "sound-data-analytics.json"))

    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert (report["blocking"], report["counts"], report["country"]) == (
        False,
        {"pass": 19, "warn": 0, "fail": 0},
        "ES",
    )
    assert [f["check"] for f in report["findings"]][:3] == ["C1", "C2", "C3"]


def test_screen_failing_example_exits_1():
    result = _screen(str(EXAMPLES / "fail-ects-hours.json"))

    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [f["check"] for f in report["findings"] if f["status"] == "fail"] == ["C3"]


def test_screen_uses_the_countrys_hours_per_ects():
    result = _screen(str(EXAMPLES / "sound-data-analytics.json"), "--country", "fi")

    report = json.loads(result.stdout)
    assert (report["country"], report["hours_per_ects"]) == ("FI", [27, 27])
    assert [f["status"] for f in report["findings"] if f["check"] == "C3"] == ["warn"]


def test_screen_decision_date_after_start_fails():
    result = _screen(str(EXAMPLES / "sound-data-analytics.json"), "--decision-date", "2027-03-01")

    assert result.exit_code == 1


def test_screen_garbage_file_exits_2_with_message(tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("this is { not json", "utf-8")

    result = _screen(str(garbage))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {garbage} is not JSON: Expecting value at line 1, column 1\n"


def test_screen_invalid_proposal_exits_2_naming_fields(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"level": {"ects": "six"}, "learning_outcomes": [{"text": 1}]}), "utf-8")

    result = _screen(str(bad))

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {bad} is not a valid proposal:",
        "  level.ects: must be a number",
        "  learning_outcomes[0].text: must be a string",
    ]


def test_screen_json_array_exits_2(tmp_path):
    array = tmp_path / "array.json"
    array.write_text("[]", "utf-8")

    result = _screen(str(array))

    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {array} is not a proposal: the document must be a JSON object\n",
    )


@pytest.mark.skipif(not SAMPLE.exists(), reason="the ELM sample in shared/specs is not available")
def test_import_elm_prints_a_draft_and_the_unmapped_notes(tmp_path):
    output = tmp_path / "draft.json"

    result = CliRunner().invoke(import_elm, [str(SAMPLE), "--output", str(output)])

    draft = json.loads(output.read_text("utf-8"))
    assert result.exit_code == 0
    assert draft["identification"]["title"] == "Digital micro-credential creation"
    assert "not imported: credentialSubject.hasClaim.specifiedBy.maximumDuration: not mapped (P1M)" in (
        result.stderr.splitlines()
    )
