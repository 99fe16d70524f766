"""From reviewers' marks to dimension and overall scores, gates, disagreement flags and a recommended outcome.

Scores are weighted means on the rubric's scale. N/A (and an unmarked criterion) is left out and the other
weights renormalised, exactly as if the criterion were not in the rubric; a dimension with nothing marked
drops out of the overall score the same way. Sums use `math.fsum`, so results do not depend on reviewer order.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import fsum
from types import MappingProxyType

from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubric_model import Criterion, Rubric


@dataclass(frozen=True)
class Mark:
    """One reviewer's mark on one criterion: a scale value, or None for N/A."""

    value: int | None
    justification: str = ""


@dataclass(frozen=True)
class Consensus:
    """The mark a panel agreed on for a criterion (None for N/A), and why; it overrides the aggregate."""

    value: int | None
    reason: str


@dataclass(frozen=True)
class CapHit:
    """A criterion whose value capped the recommendation: by its own gate, or by a rubric-wide cap."""

    criterion_id: str
    value: float
    cap: Outcome
    gate: bool


@dataclass(frozen=True)
class DimensionScore:
    """A dimension's weighted mean (None when nothing in it was marked) and how many criteria it rests on."""

    dimension_id: str
    score: float | None
    weight: float
    n_scored: int


@dataclass(frozen=True)
class Totals:
    """Scores and recommendation computed from one value per criterion."""

    dimensions: tuple[DimensionScore, ...]
    overall: float | None
    caps: tuple[CapHit, ...]
    recommended: Outcome | None

    @property
    def gates_triggered(self) -> tuple[CapHit, ...]:
        """The gate criteria that capped the outcome."""
        return tuple(hit for hit in self.caps if hit.gate)

    def dimension(self, dimension_id: str) -> DimensionScore:
        """The score of `dimension_id`; KeyError otherwise."""
        for score in self.dimensions:
            if score.dimension_id == dimension_id:
                return score
        raise KeyError(dimension_id)


@dataclass(frozen=True)
class ReviewScore(Totals):
    """One reviewer's scores; `missing` lists criteria without a mark (left out like N/A)."""

    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every criterion has a mark (N/A counts as a mark)."""
        return not self.missing


@dataclass(frozen=True)
class CriterionAggregate:
    """What a panel's marks on one criterion add up to, and whether the panel must talk about it."""

    criterion_id: str
    n: int
    n_na: int
    mean: float | None
    median: float | None
    min: int | None
    max: int | None
    spread: int | None
    disagreement: bool
    consensus: Consensus | None
    effective: float | None
    gate_split: bool = False

    @property
    def na_split(self) -> bool:
        """True when some reviewers marked N/A and others gave a mark."""
        return self.n_na > 0 and self.n > 0

    @property
    def needs_consensus(self) -> bool:
        """True when the panel should agree a mark here: a disagreement, a split gate, or a split on N/A."""
        return self.consensus is None and (self.disagreement or self.gate_split or self.na_split)


@dataclass(frozen=True)
class PanelScore(Totals):
    """A panel's scores on the effective values (consensus where recorded, otherwise the mean)."""

    criteria: Mapping[str, CriterionAggregate] = field(default_factory=dict, hash=False)
    disagreement_threshold: int = 2

    @property
    def to_discuss(self) -> tuple[str, ...]:
        """The criteria on which the panel still needs to agree, in rubric order."""
        return tuple(cid for cid, aggregate in self.criteria.items() if aggregate.needs_consensus)


def validate_marks(rubric: Rubric, marks: Mapping[str, Mark], *, complete: bool) -> dict[str, str]:
    """Problems with `marks` by criterion id: unknown, off scale, N/A not allowed, unjustified, missing."""
    errors: dict[str, str] = {}
    known = {criterion.id: criterion for criterion in rubric.criteria}
    for cid, mark in marks.items():
        criterion = known.get(cid)
        if criterion is None:
            errors[cid] = "unknown criterion"
        elif mark.value is None and not criterion.na_allowed:
            errors[cid] = "N/A is not allowed for this criterion"
        elif mark.value is not None and mark.value not in rubric.scale.values:
            errors[cid] = f"{mark.value} is not a value of the scale ({_values(rubric)})"
        elif not mark.justification.strip() and criterion.requires_justification(
                mark.value, na_requires_justification=rubric.na_requires_justification):
            errors[cid] = _justification_message(rubric, criterion, mark.value)
    if complete:
        errors.update({cid: "a mark is required" for cid in known if cid not in marks})
    return errors


def score_review(rubric: Rubric, marks: Mapping[str, Mark]) -> ReviewScore:
    """Score one reviewer's marks; unmarked criteria are left out like N/A and listed in `missing`.

    :raises ValueError: a mark names an unknown criterion or a value off the scale.
    """
    _check_values(rubric, ((cid, mark.value) for cid, mark in marks.items()))
    values = {cid: _as_float(mark.value) for cid, mark in marks.items()}
    totals = _totals(rubric, values)
    missing = tuple(criterion.id for criterion in rubric.criteria if criterion.id not in marks)
    return ReviewScore(totals.dimensions, totals.overall, totals.caps, totals.recommended, missing)


def score_panel(rubric: Rubric, reviews: Sequence[Mapping[str, Mark]],
                consensus: Mapping[str, Consensus] | None = None, *,
                disagreement_threshold: int = 2) -> PanelScore:
    """Aggregate several reviewers' marks per criterion, flag disagreements, and score the effective values.

    :raises ValueError: unknown criteria or off-scale values in a review or a consensus, a consensus without
        a reason or with N/A where the criterion does not allow it, or a threshold below 1.
    """
    if disagreement_threshold < 1:
        raise ValueError("disagreement_threshold must be >= 1")
    consensus = consensus or {}
    for review in reviews:
        _check_values(rubric, ((cid, mark.value) for cid, mark in review.items()))
    _check_values(rubric, ((cid, agreed.value) for cid, agreed in consensus.items()))
    unexplained = sorted(cid for cid, agreed in consensus.items() if not agreed.reason.strip())
    if unexplained:
        raise ValueError(f"a consensus needs a reason: {', '.join(unexplained)}")
    no_na = sorted(cid for cid, agreed in consensus.items()
                   if agreed.value is None and not rubric.criterion(cid).na_allowed)
    if no_na:
        raise ValueError(f"N/A is not allowed for: {', '.join(no_na)}")
    aggregates = {
        c.id: _aggregate(c, [review[c.id] for review in reviews if c.id in review], consensus.get(c.id),
                         disagreement_threshold)
        for c in rubric.criteria
    }
    totals = _totals(rubric, {cid: aggregate.effective for cid, aggregate in aggregates.items()})
    return PanelScore(totals.dimensions, totals.overall, totals.caps, totals.recommended,
                      MappingProxyType(aggregates), disagreement_threshold)


def _aggregate(criterion: Criterion, marks: list[Mark], agreed: Consensus | None,
               threshold: int) -> CriterionAggregate:
    values = sorted(mark.value for mark in marks if mark.value is not None)
    n_na = len(marks) - len(values)
    mean = fsum(values) / len(values) if values else None
    spread = values[-1] - values[0] if values else None
    effective = _as_float(agreed.value) if agreed is not None else mean
    gate = criterion.gate
    worst = values[0] if values else None
    gate_split = gate is not None and agreed is None and gate.applies(worst) and not gate.applies(effective)
    return CriterionAggregate(
        criterion_id=criterion.id, n=len(values), n_na=n_na, mean=mean,
        median=float(statistics.median(values)) if values else None,
        min=values[0] if values else None, max=values[-1] if values else None, spread=spread,
        disagreement=spread is not None and spread >= threshold, consensus=agreed, effective=effective,
        gate_split=gate_split,
    )


def _totals(rubric: Rubric, values: Mapping[str, float | None]) -> Totals:
    dimensions = []
    for dimension in rubric.dimensions:
        pairs = [(c.weight, values[c.id]) for c in dimension.criteria if values.get(c.id) is not None]
        dimensions.append(DimensionScore(dimension.id, _weighted_mean(pairs), dimension.weight, len(pairs)))
    overall = _weighted_mean([(d.weight, d.score) for d in dimensions if d.score is not None])
    caps = []
    for criterion in rubric.criteria:
        value = values.get(criterion.id)
        if criterion.gate is not None and criterion.gate.applies(value):
            caps.append(CapHit(criterion.id, value, criterion.gate.cap, gate=True))
        caps.extend(CapHit(criterion.id, value, rule.cap, gate=False)
                    for rule in rubric.outcome_rules.caps if rule.applies(value))
    recommended = None
    if overall is not None:
        recommended = rubric.outcome_rules.for_score(overall)
        for hit in caps:
            recommended = recommended.capped_at(hit.cap)
    return Totals(tuple(dimensions), overall, tuple(caps), recommended)


def _weighted_mean(pairs: Sequence[tuple[float, float | None]]) -> float | None:
    """The weighted mean, clamped to the values' range so that rounding never leaves the scale."""
    present = [(weight, value) for weight, value in pairs if value is not None]
    if not present:
        return None
    mean = fsum(weight * value for weight, value in present) / fsum(weight for weight, _ in present)
    values = [value for _, value in present]
    return min(max(mean, min(values)), max(values))


def _check_values(rubric: Rubric, items: Iterable[tuple[str, int | None]]) -> None:
    known = {criterion.id for criterion in rubric.criteria}
    problems: list[str] = []
    for cid, value in items:
        if cid not in known:
            problems.append(f"{cid}: unknown criterion")
        elif value is not None and value not in rubric.scale.values:
            problems.append(f"{cid}: {value} is not a value of the scale ({_values(rubric)})")
    if problems:
        raise ValueError("; ".join(problems))


def _justification_message(rubric: Rubric, criterion: Criterion, value: int | None) -> str:
    if value is None:
        return "a justification is required for N/A"
    below = criterion.justification_required_below
    return f"a justification is required for a mark below {below} ({rubric.scale.label(below)})"


def _as_float(value: int | None) -> float | None:
    return None if value is None else float(value)


def _values(rubric: Rubric) -> str:
    return ", ".join(str(value) for value in rubric.scale.values)
