"""The shipped example proposals: each validates against the JSON Schema and gives its expected findings."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from qa_engine.domain import proposal as proposal_model
from qa_engine.domain.proposal import Proposal, proposal_from_dict
from qa_engine.domain.proposal_format import field_types
from qa_engine.domain.screening import ScreeningConfig, screen
from qa_engine.domain.vocabularies import load_vocabularies

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "proposals"
SCHEMA = json.loads((ROOT / "qa_engine" / "schemas" / "proposal.schema.json").read_text("utf-8"))

# Every check not listed passes.
EXPECTED = {
    "sound-data-analytics.json": {},
    "fail-ects-hours.json": {"C3": "fail"},
    "fail-vague-outcomes.json": {"C6": "fail"},
    "fail-unassessed-outcome.json": {"C8": "fail"},
    "fail-protected-title.json": {"C16": "fail"},
    "fail-incomplete-annex.json": {"C1": "fail", "C18": "warn"},
    "warn-staff-mix.json": {"C11": "warn"},
    "warn-intensive-schedule.json": {"C5": "warn"},
}


def _load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text("utf-8"))


def test_every_example_file_has_expectations():
    assert sorted(p.name for p in EXAMPLES.glob("*.json")) == sorted(EXPECTED)


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_validates_against_schema(name):
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    assert [error.message for error in validator.iter_errors(_load(name))] == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_gives_expected_findings(name):
    vocab = load_vocabularies(ROOT / "rubrics" / "vocabularies")

    result = screen(proposal_from_dict(_load(name)), ScreeningConfig(), vocab, today=date(2026, 10, 1))

    not_passing = {f.check: result.status_of(f.check).value for f in result.findings if f.status != "pass"}
    assert not_passing == EXPECTED[name]
    assert result.blocking == ("fail" in EXPECTED[name].values())


def test_schema_rejects_what_the_parser_rejects():
    validator = jsonschema.Draft202012Validator(SCHEMA)
    data = _load("sound-data-analytics.json")
    data["level"]["eqf_level"] = 9
    data["staff"][0]["category"] = "teacher"
    data["colour"] = "blue"

    assert len(list(validator.iter_errors(data))) == 3


def _schema_fields(node: dict) -> dict:
    properties = node.get("properties") or node.get("items", {}).get("properties") or {}
    return {name: _schema_fields(child) for name, child in properties.items()}


def _model_fields(kind: type) -> dict:
    fields = {}
    for field in dataclasses.fields(kind):
        inner = field_types(kind)[field.name]
        if typing.get_origin(inner) is tuple:
            inner = typing.get_args(inner)[0]
        fields[field.name] = _model_fields(inner) if dataclasses.is_dataclass(inner) else {}
    return fields


def test_schema_describes_exactly_the_model_fields():
    assert _schema_fields(SCHEMA) == {"format_version": {}, **_model_fields(Proposal)}
    assert proposal_model.FORMAT_VERSION == SCHEMA["properties"]["format_version"]["const"]
