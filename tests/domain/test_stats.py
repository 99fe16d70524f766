"""Percentiles by linear interpolation between closest ranks, and stage durations from a programme's transitions."""
from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from qa_engine.domain import stats
from qa_engine.domain.stats import Stay, Step
from qa_engine.domain.workflow import TRANSITIONS, Action, State

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


# Percentiles ------------------------------------------------------------------------------------------------


def test_median_of_an_odd_and_an_even_number_of_values() -> None:
    assert stats.median([7, 1, 3]) == 3
    assert stats.median([4, 1, 3, 2]) == 2.5


def test_percentiles_interpolate_between_the_closest_ranks() -> None:
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert stats.percentile(values, 90) == pytest.approx(91.0)  # h = 9 * 0.9 = 8.1: 90 + 0.1 * 10
    assert stats.percentile(values, 50) == pytest.approx(55.0)
    assert (stats.percentile(values, 0), stats.percentile(values, 100)) == (10, 100)


def test_one_value_is_every_percentile_and_no_value_has_none() -> None:
    assert [stats.percentile([4.5], pct) for pct in (0, 50, 90, 100)] == [4.5, 4.5, 4.5, 4.5]
    assert (stats.median([]), stats.percentile([], 90)) == (None, None)


@pytest.mark.parametrize("seed", range(20))
def test_percentiles_agree_with_the_standard_library_inclusive_method(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.uniform(0, 400) for _ in range(rng.randint(2, 60))]
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert stats.percentile(values, 90) == pytest.approx(deciles[8])
    assert stats.median(values) == pytest.approx(statistics.median(values))


@pytest.mark.parametrize(("n", "pct", "expected"), [(1, 90, (0, 0)), (2, 50, (0, 1)), (3, 50, (1, 1)),
                                                    (10, 90, (8, 9)), (11, 90, (9, 9)), (101, 90, (90, 90)),
                                                    (5, 0, (0, 0)), (5, 100, (4, 4))])
def test_ranks_name_the_two_rows_a_percentile_needs(n: int, pct: int, expected: tuple[int, int]) -> None:
    assert stats.ranks(n, pct) == expected


def test_from_ranks_needs_only_the_values_at_those_ranks() -> None:
    values = sorted(random.Random(7).uniform(0, 50) for _ in range(37))
    low, high = stats.ranks(37, 90)
    assert stats.from_ranks(37, 90, {low: values[low], high: values[high]}) == pytest.approx(
        stats.percentile(values, 90))


@pytest.mark.parametrize(("n", "pct"), [(0, 50), (3, -1), (3, 101), (3, 50.5), (3, True)])
def test_ranks_refuse_no_values_and_a_percentile_outside_0_to_100(n: int, pct: object) -> None:
    with pytest.raises(ValueError, match="percentile|pct"):
        stats.ranks(n, pct)  # type: ignore[arg-type]


# Stages -----------------------------------------------------------------------------------------------------


def test_every_audited_transition_enters_the_state_the_table_says() -> None:
    for (_state, action), transition in TRANSITIONS.items():
        assert stats.entered_state(f"programme.{action.value}") is transition.target
    assert len(stats.ENTERED) == len(Action)
    assert stats.entered_state("programme.transition_refused") is None
    assert stats.entered_state("programme.section_saved") is None
    assert stats.entered_state("review.invited") is None


def test_stays_run_from_entering_a_state_to_the_next_transition_and_skip_other_entries() -> None:
    steps = [Step(at(0), "programme.create"), Step(at(1), "programme.section_saved"), Step(at(3), "programme.submit"),
             Step(at(3.5), "programme.transition_refused"), Step(at(4), "programme.take_for_screening"),
             Step(at(6), "programme.return_to_designer"), Step(at(9), "programme.start_revision")]
    assert stats.stays(steps) == [Stay(State.DRAFT, at(0), at(3)), Stay(State.SUBMITTED, at(3), at(4)),
                                  Stay(State.SCREENING, at(4), at(6)), Stay(State.RETURNED, at(6), at(9))]
    assert [stay.days for stay in stats.stays(steps)] == [3, 1, 2, 3]


def test_a_programme_with_one_transition_has_no_completed_stay() -> None:
    assert stats.stays([Step(at(0), "programme.create")]) == []
    assert stats.stays([]) == []

