"""The outcomes a decision can hold, best first, and how a cap limits a recommendation."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """A decision outcome; declaration order is best to worst."""

    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    REVISE_AND_RESUBMIT = "revise_and_resubmit"
    REJECTED = "rejected"

    @property
    def rank(self) -> int:
        """0 for the best outcome, growing as outcomes get worse."""
        return _RANK[self]

    @property
    def label(self) -> str:
        """A human-readable label: "Approved with conditions"."""
        return self.value.replace("_", " ").capitalize()

    def is_better_than(self, other: Outcome) -> bool:
        """True when this outcome is strictly more favourable than `other`."""
        return self.rank < other.rank

    def capped_at(self, cap: Outcome) -> Outcome:
        """This outcome, or `cap` if `cap` is worse: a cap is the best outcome still allowed."""
        return worst(self, cap)


_RANK = {outcome: index for index, outcome in enumerate(Outcome)}


def worst(*outcomes: Outcome) -> Outcome:
    """The least favourable of `outcomes`.

    :raises ValueError: when called without outcomes.
    """
    if not outcomes:
        raise ValueError("worst() needs at least one outcome")
    return max(outcomes, key=lambda outcome: outcome.rank)


def parse(value: str) -> Outcome | None:
    """The Outcome spelled `value`, or None if there is none."""
    try:
        return Outcome(value)
    except ValueError:
        return None
