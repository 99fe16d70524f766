"""The shape of a rubric once loaded: scale, dimensions, criteria, gates and outcome rules, all immutable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from qa_engine.domain.outcomes import Outcome


@dataclass(frozen=True)
class ScaleLevel:
    """One mark of the scale: its value, short label and what it means."""

    value: int
    label: str
    descriptor: str


@dataclass(frozen=True)
class Scale:
    """The marks a reviewer can give, best first; N/A is not a level but a per-criterion permission."""

    levels: tuple[ScaleLevel, ...]

    @property
    def values(self) -> tuple[int, ...]:
        """The values, best first."""
        return tuple(level.value for level in self.levels)

    @property
    def maximum(self) -> int:
        """The best mark."""
        return self.levels[0].value

    @property
    def minimum(self) -> int:
        """The worst mark."""
        return self.levels[-1].value

    def level(self, value: int) -> ScaleLevel:
        """The level with `value`; KeyError if the scale has none."""
        for level in self.levels:
            if level.value == value:
                return level
        raise KeyError(f"{value} is not a value of the scale ({', '.join(map(str, self.values))})")

    def label(self, value: int | None) -> str:
        """The label of `value`, "N/A" for None."""
        return "N/A" if value is None else self.level(value).label


@dataclass(frozen=True)
class CapRule:
    """A mark at or below `at_or_below` caps the recommended outcome at `cap` (the best still allowed)."""

    at_or_below: int
    cap: Outcome

    def applies(self, value: float | None) -> bool:
        """True when `value` (a mark or an aggregate; None for N/A) triggers the cap."""
        return value is not None and value <= self.at_or_below


@dataclass(frozen=True)
class Threshold:
    """An overall score of at least `min_score` recommends `outcome` (before caps)."""

    min_score: float
    outcome: Outcome


@dataclass(frozen=True)
class OutcomeRules:
    """From scores to a recommendation: thresholds best first, and caps that apply to any criterion."""

    thresholds: tuple[Threshold, ...]
    caps: tuple[CapRule, ...] = ()

    def for_score(self, score: float) -> Outcome:
        """The outcome the overall `score` reaches, before any cap."""
        for threshold in self.thresholds:
            if score >= threshold.min_score:
                return threshold.outcome
        return self.thresholds[-1].outcome


@dataclass(frozen=True)
class Criterion:
    """One thing the reviewer judges, with guidance, references and how its mark is treated."""

    id: str
    dimension_id: str
    title: str
    guidance: str
    weight: float
    references: tuple[str, ...] = ()
    level_descriptors: Mapping[int, str] = field(default_factory=dict, hash=False)
    gate: CapRule | None = None
    na_allowed: bool = False
    justification_required_below: int | None = None
    evidence: tuple[str, ...] = ()

    def requires_justification(self, value: int | None, *, na_requires_justification: bool) -> bool:
        """True when a mark of `value` (None for N/A) must come with a written justification."""
        if value is None:
            return na_requires_justification
        return self.justification_required_below is not None and value < self.justification_required_below


@dataclass(frozen=True)
class Dimension:
    """A weighted group of criteria."""

    id: str
    title: str
    weight: float
    criteria: tuple[Criterion, ...]
    description: str = ""


@dataclass(frozen=True)
class Rubric:
    """A versioned rubric; reviews pin its `key` and `content_hash`."""

    id: str
    version: int
    title: str
    description: str
    scale: Scale
    dimensions: tuple[Dimension, ...]
    outcome_rules: OutcomeRules
    content_hash: str
    source: str
    na_requires_justification: bool = True
    released: bool = False

    @property
    def key(self) -> str:
        """`id@version`, the rubric's identity in reviews and in the lock file."""
        return f"{self.id}@{self.version}"

    @cached_property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion, in dimension order."""
        return tuple(criterion for dimension in self.dimensions for criterion in dimension.criteria)

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion `criterion_id`; KeyError otherwise."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(f"{self.key} has no criterion {criterion_id!r}")

    def dimension(self, dimension_id: str) -> Dimension:
        """The dimension `dimension_id`; KeyError otherwise."""
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(f"{self.key} has no dimension {dimension_id!r}")

    @property
    def gates(self) -> tuple[Criterion, ...]:
        """The criteria that carry a gate."""
        return tuple(criterion for criterion in self.criteria if criterion.gate is not None)
