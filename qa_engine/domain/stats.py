"""Statistics for the QA office: percentiles, and the time a programme spends in each stage of the process.

Percentiles interpolate linearly between the closest ranks (Hyndman and Fan's type 7, the default of numpy and
of spreadsheets' PERCENTILE.INC): of n sorted values, the p-th percentile lies at the 0-based position
h = (n - 1) * p / 100, between the values at ranks floor(h) and ceil(h). `ranks` names those two ranks in whole
numbers, so that a database can pick exactly those rows out of a million (services.analytics) and `from_ranks`
finishes the sum here: the answer is the same as `percentile` over the whole list.

A programme's transitions are audited as "programme.<action>"; each action leads to one state only (the
transition table says so, and `ENTERED` checks it), so a transition says which stage it enters, and the next
transition of the same programme says when that stage was left.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from qa_engine.domain.workflow import TRANSITIONS, State

MEDIAN = 50
P90 = 90
TRANSITION_PREFIX = "programme."


def ranks(n: int, pct: int) -> tuple[int, int]:
    """The 0-based ranks, among `n` sorted values, that the `pct`-th percentile lies between.

    :raises ValueError: when there are no values or `pct` is not a whole number from 0 to 100.
    """
    _check(n, pct)
    position = (n - 1) * pct
    return position // 100, -(-position // 100)


def from_ranks(n: int, pct: int, at: Mapping[int, float]) -> float:
    """The `pct`-th percentile of `n` values, given the values `at` the two ranks `ranks(n, pct)` names."""
    low, high = ranks(n, pct)
    fraction = ((n - 1) * pct - low * 100) / 100
    return at[low] + (at[high] - at[low]) * fraction


def percentile(values: Iterable[float], pct: int) -> float | None:
    """The `pct`-th percentile (0..100) of `values`, None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    low, high = ranks(len(ordered), pct)
    return from_ranks(len(ordered), pct, {low: ordered[low], high: ordered[high]})


def median(values: Iterable[float]) -> float | None:
    """The median of `values`, None when there are none."""
    return percentile(values, MEDIAN)


def _check(n: int, pct: int) -> None:
    if n < 1:
        raise ValueError("a percentile needs at least one value")
    if isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100:
        raise ValueError("pct: must be a whole number from 0 to 100")


def _entered() -> dict[str, State]:
    """The audit action of each transition -> the state it enters (checked: one state per action)."""
    entered: dict[str, State] = {}
    for (_state, action), transition in TRANSITIONS.items():
        key = TRANSITION_PREFIX + action.value
        if entered.setdefault(key, transition.target) is not transition.target:
            raise ValueError(f"{action.value}: leads to more than one state; stages cannot be read from actions")
    return entered


#: "programme.<action>" -> the state the programme enters by it.
ENTERED: Mapping[str, State] = _entered()


def entered_state(action: str) -> State | None:
    """The state a programme enters by the audited `action`, None for anything that is not a transition."""
    return ENTERED.get(action)


@dataclass(frozen=True)
class Step:
    """One audited entry of a programme's history: when, and which action."""

    at: datetime
    action: str


@dataclass(frozen=True)
class Stay:
    """A stage a programme went through: the state, when it entered it and when it left."""

    state: State
    entered: datetime
    left: datetime

    @property
    def days(self) -> float:
        """How long the stay lasted, in days."""
        return (self.left - self.entered).total_seconds() / 86400


def stays(steps: Sequence[Step]) -> list[Stay]:
    """The completed stays of one programme from its history in order; the stage it is in now is not over."""
    transitions = [(step.at, state) for step in steps if (state := entered_state(step.action)) is not None]
    return [Stay(state, at, left) for (at, state), (left, _next) in zip(transitions, transitions[1:], strict=False)]


@dataclass(frozen=True)
class StageTime:
    """How long programmes stayed in a stage: how many stays ended, their median and 90th percentile in days."""

    state: State
    count: int
    median_days: float
    p90_days: float

