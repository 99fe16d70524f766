"""Decision rules: what a decision must state, validity, conditions, four eyes, appeals."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_engine.domain import decisions
from qa_engine.domain.decisions import (
    CaseParticipants,
    ConditionDraft,
    ConditionStatus,
    DecisionDraft,
    appeal_conflicts,
    appeal_open,
    problems,
    validity_end,
)
from qa_engine.domain.outcomes import Outcome

TODAY = date(2026, 11, 24)
CONDITION = ConditionDraft("Publish the RPL procedure.", "The published procedure.", date(2027, 3, 1))


def draft(**overrides) -> DecisionDraft:  # noqa: ANN003
    values = {"outcome": Outcome.APPROVED, "rationale": "Meets every standard.", "recommended": Outcome.APPROVED,
              "valid_from": TODAY, "valid_until": validity_end(TODAY)}
    return DecisionDraft(**{**values, **overrides})


def test_a_complete_approval_has_no_problems() -> None:
    assert problems(draft(), today=TODAY) == {}


def test_a_rejection_needs_no_validity() -> None:
    assert problems(draft(outcome=Outcome.REJECTED, recommended=Outcome.REJECTED, valid_from=None,
                          valid_until=None), today=TODAY) == {}


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"outcome": None}, "outcome", "Choose the outcome"),
    ({"rationale": "  "}, "rationale", "reasons"),
    ({"recommended": Outcome.REJECTED}, "departure_reason", "recommend “Rejected”"),
    ({"outcome": Outcome.APPROVED_WITH_CONDITIONS, "recommended": None}, "conditions", "at least one condition"),
    ({"conditions": (CONDITION,)}, "conditions", "Only an approval with conditions"),
    ({"valid_until": None}, "valid_until", "valid from and until"),
    ({"valid_until": TODAY}, "valid_until", "end after it starts"),
    ({"valid_until": date(2040, 1, 1)}, "valid_until", "at most 6 years"),
    ({"valid_from": date(2020, 1, 1), "valid_until": date(2021, 1, 1)}, "valid_until", "already have ended"),
])
def test_each_problem_is_named_on_its_field(overrides: dict, field: str, words: str) -> None:
    found = problems(draft(**overrides), today=TODAY)
    assert field in found and words in found[field]


def test_departing_from_the_recommendation_with_a_reason_is_fine() -> None:
    assert problems(draft(recommended=Outcome.REJECTED, departure_reason="The gate was misapplied."),
                    today=TODAY) == {}


@pytest.mark.parametrize(("condition", "words"), [
    (ConditionDraft(" ", "x", date(2027, 1, 1)), "must do"),
    (ConditionDraft("x", "", date(2027, 1, 1)), "evidence"),
    (ConditionDraft("x", "y", None), "due date after today"),
    (ConditionDraft("x", "y", TODAY), "due date after today"),
    (ConditionDraft("x", "y", date(2031, 1, 1)), "before the approval ends"),
])
def test_each_condition_is_checked(condition: ConditionDraft, words: str) -> None:
    conditional = draft(outcome=Outcome.APPROVED_WITH_CONDITIONS, recommended=None, conditions=(CONDITION, condition))
    found = problems(conditional, today=TODAY)
    assert list(found) == ["conditions-1"] and words in found["conditions-1"]


def test_validity_end_is_the_day_before_the_anniversary() -> None:
    assert validity_end(date(2026, 11, 24)) == date(2029, 11, 23)
    assert validity_end(date(2028, 2, 29), 1) == date(2029, 2, 27)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(1, 6))
def test_validity_lasts_about_the_years_asked(start: date, years: int) -> None:
    days = (validity_end(start, years) - start).days + 1
    assert 365 * years <= days <= 366 * years


def test_four_eyes_needs_a_second_person() -> None:
    assert not decisions.may_confirm(7, 7, four_eyes=True)
    assert decisions.may_confirm(7, 8, four_eyes=True)
    assert decisions.may_confirm(7, 7, four_eyes=False)


def test_the_appeal_window_includes_its_last_day() -> None:
    assert appeal_open(TODAY, date(2026, 12, 24))
    assert not appeal_open(TODAY, date(2026, 12, 25))
    assert not appeal_open(TODAY, date(2026, 11, 23))


def test_appeal_handlers_took_no_part_in_the_case() -> None:
    case = CaseParticipants(deciders=frozenset({1, 2}), reviewers=frozenset({3}))
    assert appeal_conflicts(1, case) == ["Took part in the decision"]
    assert appeal_conflicts(3, case) == ["Reviewed the programme"]
    assert decisions.eligible_appeal_handlers([1, 2, 3, 4, 5], case) == [4, 5]


def test_conditions_are_all_met_only_when_each_one_is() -> None:
    assert decisions.all_met([ConditionStatus.MET, ConditionStatus.MET])
    assert not decisions.all_met([ConditionStatus.MET, ConditionStatus.EVIDENCE_SUBMITTED])
    assert not decisions.all_met([])


def test_overdue_and_expiring() -> None:
    assert decisions.overdue(date(2026, 11, 23), ConditionStatus.OPEN, TODAY)
    assert not decisions.overdue(date(2026, 11, 23), ConditionStatus.MET, TODAY)
    assert not decisions.overdue(TODAY, ConditionStatus.NOT_MET, TODAY)
    assert decisions.expiring(date(2027, 1, 1), TODAY, within_days=90)
    assert not decisions.expiring(date(2027, 6, 1), TODAY, within_days=90)
    assert not decisions.expiring(date(2026, 11, 1), TODAY, within_days=90)
