"""The proposal JSON format: strict parsing with every bad field named, and exact round trips."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_engine.domain.proposal import (
    LearningOutcome,
    OutcomeKind,
    Proposal,
    ProposalFormatError,
    empty_proposal,
    proposal_from_dict,
    proposal_to_dict,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "proposals"


def _errors(data: dict) -> list[str]:
    with pytest.raises(ProposalFormatError) as caught:
        proposal_from_dict(data)
    return caught.value.errors


def test_empty_proposal_round_trips():
    assert proposal_from_dict(proposal_to_dict(empty_proposal())) == empty_proposal()


def test_empty_document_gives_empty_proposal():
    assert proposal_from_dict({}) == empty_proposal()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_example_round_trips_exactly(path):
    data = json.loads(path.read_text("utf-8"))

    assert proposal_to_dict(proposal_from_dict(data)) == data


def test_values_are_typed():
    proposal = proposal_from_dict(
        {
            "level": {"eqf_level": 6, "ects": 7.5, "start_date": "2027-02-01"},
            "learning_outcomes": [{"id": "LO1", "text": "Explain ECTS.", "kind": "knowledge"}],
        }
    )

    assert proposal.level.eqf_level == 6
    assert proposal.level.ects == 7.5
    assert proposal.level.start_date == date(2027, 2, 1)
    assert proposal.learning_outcomes == (LearningOutcome("LO1", "Explain ECTS.", OutcomeKind.KNOWLEDGE),)


def test_dates_and_enums_are_written_as_strings():
    proposal = proposal_from_dict(
        {"level": {"end_date": "2027-04-25"}, "learning_outcomes": [{"kind": "skills"}]}
    )

    data = proposal_to_dict(proposal)

    assert data["level"]["end_date"] == "2027-04-25"
    assert data["learning_outcomes"][0]["kind"] == "skills"
    assert json.loads(json.dumps(data)) == data


def test_every_bad_field_is_named_by_path():
    errors = _errors(
        {
            "learning_outcomes": [{"text": "Explain."}, {"text": "Apply."}, {"text": 3}],
            "level": {"eqf_level": 9, "ects": True, "start_date": "1 Feb 2027"},
            "staff": [{"category": "teacher"}],
            "delivery": {"languages": "en"},
            "colour": "blue",
        }
    )

    assert errors == [
        "colour: unknown field",
        "level.eqf_level: must be from 1 to 8",
        "level.ects: must be a number",
        "level.start_date: must be a date written YYYY-MM-DD",
        "learning_outcomes[2].text: must be a string",
        "delivery.languages: must be a list",
        "staff[0].category: must be one of academic, professional, both",
    ]


def test_impossible_date_is_rejected():
    assert _errors({"level": {"start_date": "2027-02-30"}}) == [
        "level.start_date: must be a date written YYYY-MM-DD"
    ]


def test_negative_numbers_are_rejected():
    assert _errors({"admission": {"places_max": -1}, "level": {"total_hours": -5}}) == [
        "level.total_hours: must be at least 0",
        "admission.places_max: must be at least 0",
    ]


def test_whole_number_fields_reject_fractions():
    assert _errors({"admission": {"places_min": 2.5}}) == ["admission.places_min: must be a whole number"]


def test_wrong_format_version_is_rejected():
    assert _errors({"format_version": 2}) == ["format_version: must be 1"]


def test_nested_object_of_wrong_type_is_named():
    assert _errors({"awarding_body": "University of Zed"}) == ["awarding_body: must be an object"]


def test_error_message_joins_all_errors():
    with pytest.raises(ProposalFormatError, match="colour: unknown field; shade: unknown field"):
        proposal_from_dict({"colour": 1, "shade": 2})


@given(
    title=st.text(max_size=40),
    ects=st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False)),
    eqf=st.one_of(st.none(), st.integers(min_value=1, max_value=8)),
    languages=st.lists(st.sampled_from(["en", "es", "fi"]), max_size=3),
)
def test_round_trip_holds_for_generated_proposals(title, ects, eqf, languages):
    data = proposal_to_dict(empty_proposal())
    data["identification"]["title"] = title
    data["level"].update(ects=ects, eqf_level=eqf)
    data["delivery"]["languages"] = languages

    proposal = proposal_from_dict(data)

    assert isinstance(proposal, Proposal)
    assert proposal_from_dict(proposal_to_dict(proposal)) == proposal
    assert proposal_to_dict(proposal) == data
