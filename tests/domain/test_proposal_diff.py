"""The field-by-field diff: exact (applying it to the old document gives the new one), ordered, strict."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from qa_engine.domain.proposal import proposal_from_dict, proposal_to_dict
from qa_engine.domain.proposal_diff import MISSING, Change, proposal_diff, same

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "proposals"
SOUND = json.loads((EXAMPLES / "sound-data-analytics.json").read_text())
STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")

json_leaves = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5, allow_nan=False) | st.text(max_size=4)
json_values = st.recursive(json_leaves, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from("abcd"), inner, max_size=3), max_leaves=12)
documents = st.dictionaries(st.sampled_from(["x", "y", "z"]), json_values, max_size=3)


def apply(document: Any, changes: list[Change]) -> Any:
    """Patch `document` with `changes` (the inverse the diff promises)."""
    result = copy.deepcopy(document)
    for change in changes:
        steps = [int(index) if index else name for name, index in STEP.findall(change.path)]
        parent = result
        for step in steps[:-1]:
            parent = parent[step]
        last = steps[-1]
        if change.new is MISSING and isinstance(parent, list):
            parent[last] = MISSING  # dropped at the end, so that later indices stay valid
        elif change.new is MISSING:
            del parent[last]
        elif isinstance(parent, list) and last >= len(parent):
            parent.append(copy.deepcopy(change.new))
        else:
            parent[last] = copy.deepcopy(change.new)
    return _drop_missing(result)


def _drop_missing(value: Any) -> Any:
    if isinstance(value, list):
        return [_drop_missing(item) for item in value if item is not MISSING]
    if isinstance(value, dict):
        return {key: _drop_missing(item) for key, item in value.items()}
    return value


def test_diff_of_a_document_with_itself_is_empty() -> None:
    assert proposal_diff(SOUND, copy.deepcopy(SOUND)) == []


def test_diff_names_each_changed_field_by_its_path() -> None:
    new = copy.deepcopy(SOUND)
    new["identification"]["title"] = "Applied Data Analytics"
    new["level"]["hours"]["contact"] = 32
    new["learning_outcomes"][1]["text"] = "Prepare data."
    assert proposal_diff(SOUND, new) == [
        Change("identification.title", "Applied Data Analytics for Business Decisions", "Applied Data Analytics"),
        Change("level.hours.contact", 30, 32),
        Change("learning_outcomes[1].text", SOUND["learning_outcomes"][1]["text"], "Prepare data."),
    ]


def test_added_and_removed_rows_are_whole_changes() -> None:
    new = copy.deepcopy(SOUND)
    removed = new["staff"].pop()
    new["learning_outcomes"].append({"id": "LO6", "text": "Act.", "kind": None, "esco_skills": []})
    changes = proposal_diff(SOUND, new)
    added = Change("learning_outcomes[5]", MISSING, new["learning_outcomes"][5])
    gone = Change(f"staff[{len(SOUND['staff']) - 1}]", removed, MISSING)
    assert changes == [added, gone]
    assert [c.kind for c in changes] == ["added", "removed"]


def test_values_compare_strictly() -> None:
    assert proposal_diff({"a": 1}, {"a": 1.0}) == [Change("a", 1, 1.0)]
    assert proposal_diff({"a": 1}, {"a": True}) == [Change("a", 1, True)]
    assert proposal_diff({"a": None}, {}) == [Change("a", None, MISSING)]
    assert proposal_diff({"a": []}, {"a": {}}) == [Change("a", [], {})]
    assert same({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]})


def test_diff_between_two_example_proposals_patches_one_into_the_other() -> None:
    other = json.loads((EXAMPLES / "warn-staff-mix.json").read_text())
    a, b = proposal_to_dict(proposal_from_dict(SOUND)), proposal_to_dict(proposal_from_dict(other))
    assert same(apply(a, proposal_diff(a, b)), b)
    assert proposal_diff(b, a) == [Change(c.path, c.new, c.old) for c in proposal_diff(a, b)]


@settings(max_examples=300, deadline=None)
@given(documents, documents)
def test_applying_the_diff_gives_exactly_the_new_document(a: dict, b: dict) -> None:
    changes = proposal_diff(a, b)
    assert same(apply(a, changes), b)
    assert (changes == []) == same(a, b)
