"""Scoring: weighted scores, N/A renormalisation, gates and caps, panels, consensus, and their properties."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_engine.domain.frameworks import load_frameworks
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.rubrics import (
    CapRule,
    Criterion,
    Dimension,
    OutcomeRules,
    Rubric,
    Scale,
    ScaleLevel,
    Threshold,
    load_rubrics,
)
from qa_engine.domain.scoring import CapHit, Consensus, Mark, score_panel, score_review, validate_marks

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
SHIPPED = load_rubrics(RUBRICS, load_frameworks(RUBRICS / "frameworks")).all()


def criterion(cid: str, dimension: str, weight: float, **extra) -> Criterion:
    return Criterion(cid, dimension, cid, "guidance", weight, ("esg.1.2",),
                     justification_required_below=3, **extra)


def small_rubric() -> Rubric:
    a = (criterion("a1", "A", 1, gate=CapRule(1, Outcome.REVISE_AND_RESUBMIT)),
         criterion("a2", "A", 3, na_allowed=True))
    b = (criterion("b1", "B", 1), criterion("b2", "B", 1, na_allowed=True))
    labels = ((4, "Exceeds"), (3, "Meets"), (2, "Cond"), (1, "No"))
    levels = tuple(ScaleLevel(value, label, "") for value, label in labels)
    rules = OutcomeRules(
        (Threshold(3.0, Outcome.APPROVED), Threshold(2.5, Outcome.APPROVED_WITH_CONDITIONS),
         Threshold(1.75, Outcome.REVISE_AND_RESUBMIT), Threshold(1.0, Outcome.REJECTED)),
        (CapRule(2, Outcome.APPROVED_WITH_CONDITIONS),),
    )
    dimensions = (Dimension("A", "A", 1.0, a), Dimension("B", "B", 2.0, b))
    return Rubric("small", 1, "Small", "", Scale(levels), dimensions, rules, "0" * 64, "small-v1.toml")


RUBRIC = small_rubric()


def marks(**values: int | None) -> dict[str, Mark]:
    return {cid: Mark(v, "because" if v is None or v < 3 else "") for cid, v in values.items()}


# --- one reviewer -----------------------------------------------------------------------------------------

def test_scores_are_weighted_means_of_criteria_then_dimensions():
    score = score_review(RUBRIC, marks(a1=4, a2=2, b1=3, b2=4))
    assert score.dimension("A").score == pytest.approx((4 * 1 + 2 * 3) / 4)
    assert score.dimension("B").score == pytest.approx(3.5)
    assert score.overall == pytest.approx((2.5 * 1 + 3.5 * 2) / 3)
    assert score.complete


def test_na_is_left_out_and_weights_renormalised():
    score = score_review(RUBRIC, marks(a1=4, a2=None, b1=3, b2=None))
    assert score.dimension("A").score == 4.0
    assert score.dimension("A").n_scored == 1
    assert score.dimension("B").score == 3.0
    assert score.overall == pytest.approx((4 + 3 * 2) / 3)


def test_dimension_with_nothing_marked_drops_out_of_overall():
    score = score_review(RUBRIC, marks(a1=2, a2=4))
    assert score.dimension("B").score is None
    assert score.overall == pytest.approx((2 + 12) / 4)
    assert score.missing == ("b1", "b2")
    assert not score.complete


def test_no_marks_gives_no_score_and_no_recommendation():
    score = score_review(RUBRIC, {})
    assert (score.overall, score.recommended, score.caps) == (None, None, ())


def test_thresholds_pick_the_outcome_when_nothing_caps():
    assert score_review(RUBRIC, marks(a1=3, a2=3, b1=3, b2=3)).recommended is Outcome.APPROVED
    assert score_review(RUBRIC, marks(a1=4, a2=4, b1=3, b2=3)).recommended is Outcome.APPROVED


def test_gate_caps_the_outcome_even_when_the_score_is_high():
    score = score_review(RUBRIC, marks(a1=1, a2=4, b1=4, b2=4))
    assert score.overall == pytest.approx((13 / 4 + 8) / 3)
    assert score.gates_triggered == (CapHit("a1", 1.0, Outcome.REVISE_AND_RESUBMIT, gate=True),)
    assert score.caps == (
        CapHit("a1", 1.0, Outcome.REVISE_AND_RESUBMIT, gate=True),
        CapHit("a1", 1.0, Outcome.APPROVED_WITH_CONDITIONS, gate=False),
    )
    assert score.recommended is Outcome.REVISE_AND_RESUBMIT


def test_any_mark_of_two_caps_at_approved_with_conditions():
    score = score_review(RUBRIC, marks(a1=4, a2=4, b1=4, b2=2))
    assert score.overall >= 3.0
    assert score.gates_triggered == ()
    assert score.recommended is Outcome.APPROVED_WITH_CONDITIONS


def test_a_cap_never_improves_a_low_score():
    score = score_review(RUBRIC, marks(a1=2, a2=1, b1=1, b2=1))
    assert score.recommended is Outcome.REJECTED


def test_score_review_rejects_unknown_criteria_and_off_scale_values():
    with pytest.raises(ValueError) as raised:
        score_review(RUBRIC, {"zz": Mark(3), "a1": Mark(7)})
    assert str(raised.value) == "zz: unknown criterion; a1: 7 is not a value of the scale (4, 3, 2, 1)"


def test_validate_marks_reports_each_problem_by_criterion():
    errors = validate_marks(RUBRIC, {
        "zz": Mark(3), "a1": Mark(None, "why"), "a2": Mark(5), "b1": Mark(2), "b2": Mark(None),
    }, complete=False)
    assert errors == {
        "zz": "unknown criterion",
        "a1": "N/A is not allowed for this criterion",
        "a2": "5 is not a value of the scale (4, 3, 2, 1)",
        "b1": "a justification is required for a mark below 3 (Meets)",
        "b2": "a justification is required for N/A",
    }


def test_validate_marks_complete_requires_every_criterion():
    assert validate_marks(RUBRIC, marks(a1=3, b1=4), complete=True) == {
        "a2": "a mark is required", "b2": "a mark is required",
    }
    assert validate_marks(RUBRIC, marks(a1=3, a2=None, b1=1, b2=4), complete=True) == {}


def test_validate_marks_follows_the_rubric_settings():
    rubric = replace(RUBRIC, na_requires_justification=False)
    assert validate_marks(rubric, {"a2": Mark(None), "a1": Mark(2, "  ")}, complete=False) == {
        "a1": "a justification is required for a mark below 3 (Meets)",
    }


# --- a panel ----------------------------------------------------------------------------------------------

def test_panel_aggregates_each_criterion():
    reviews = [marks(a1=4, a2=2, b1=3), marks(a1=3, a2=None, b1=3), marks(a1=1, a2=4, b1=4)]
    panel = score_panel(RUBRIC, reviews)
    a1 = panel.criteria["a1"]
    assert (a1.n, a1.n_na, a1.min, a1.max, a1.spread) == (3, 0, 1, 4, 3)
    assert a1.mean == pytest.approx(8 / 3)
    assert a1.median == 3.0
    assert a1.disagreement and a1.gate_split and a1.needs_consensus
    a2 = panel.criteria["a2"]
    assert (a2.n, a2.n_na, a2.mean, a2.median, a2.spread, a2.disagreement) == (2, 1, 3.0, 3.0, 2, True)
    assert a2.na_split
    b2 = panel.criteria["b2"]
    assert (b2.n, b2.n_na, b2.mean, b2.effective, b2.needs_consensus) == (0, 0, None, None, False)
    assert panel.to_discuss == ("a1", "a2")


def test_disagreement_threshold_is_configurable():
    reviews = [marks(a1=3, b1=4), marks(a1=4, b1=4)]
    assert not score_panel(RUBRIC, reviews).criteria["a1"].disagreement
    strict = score_panel(RUBRIC, reviews, disagreement_threshold=1)
    assert strict.criteria["a1"].disagreement
    assert not strict.criteria["b1"].disagreement
    assert strict.disagreement_threshold == 1
    with pytest.raises(ValueError, match="disagreement_threshold must be >= 1"):
        score_panel(RUBRIC, reviews, disagreement_threshold=0)


def test_panel_scores_use_the_mean_of_each_criterion():
    panel = score_panel(RUBRIC, [marks(a1=4, a2=4, b1=2, b2=4), marks(a1=2, a2=4, b1=4, b2=4)])
    assert panel.criteria["a1"].effective == 3.0
    assert panel.dimension("A").score == pytest.approx((3 + 12) / 4)
    assert panel.overall == pytest.approx((15 / 4 + 3.5 * 2) / 3)
    assert panel.recommended is Outcome.APPROVED


def test_consensus_overrides_the_aggregate_and_keeps_its_reason():
    reviews = [marks(a1=4, a2=4, b1=4, b2=4), marks(a1=1, a2=4, b1=4, b2=4)]
    before = score_panel(RUBRIC, reviews)
    assert before.criteria["a1"].effective == 2.5
    assert before.to_discuss == ("a1",)
    agreed = Consensus(2, "Outcomes LO3 and LO5 must be rewritten; fixable as a condition.")
    after = score_panel(RUBRIC, reviews, {"a1": agreed})
    a1 = after.criteria["a1"]
    assert (a1.consensus, a1.effective, a1.mean, a1.needs_consensus) == (agreed, 2.0, 2.5, False)
    assert a1.consensus.reason == "Outcomes LO3 and LO5 must be rewritten; fixable as a condition."
    assert after.to_discuss == ()
    assert after.recommended is Outcome.APPROVED_WITH_CONDITIONS


def test_consensus_can_agree_na_where_allowed():
    panel = score_panel(RUBRIC, [marks(a1=3, a2=1, b1=3), marks(a1=3, a2=4, b1=3)],
                        {"a2": Consensus(None, "Not applicable to this provider.")})
    assert panel.criteria["a2"].effective is None
    assert panel.dimension("A").score == 3.0


def test_consensus_must_be_on_the_scale_and_explained():
    with pytest.raises(ValueError, match=r"^a1: 9 is not a value of the scale \(4, 3, 2, 1\)$"):
        score_panel(RUBRIC, [marks(a1=3)], {"a1": Consensus(9, "typo")})
    with pytest.raises(ValueError, match=r"^a consensus needs a reason: a1, b1$"):
        score_panel(RUBRIC, [marks(a1=3)], {"b1": Consensus(3, " "), "a1": Consensus(3, "")})
    with pytest.raises(ValueError, match=r"^N/A is not allowed for: a1$"):
        score_panel(RUBRIC, [marks(a1=3)], {"a1": Consensus(None, "not relevant")})


def test_gate_on_a_panel_uses_the_effective_value():
    reviews = [marks(a1=1, a2=4, b1=4, b2=4), marks(a1=1, a2=4, b1=4, b2=4)]
    panel = score_panel(RUBRIC, reviews)
    assert [hit.criterion_id for hit in panel.gates_triggered] == ["a1"]
    assert panel.recommended is Outcome.REVISE_AND_RESUBMIT
    assert not panel.criteria["a1"].gate_split


def test_default_rubric_recommends_each_outcome():
    rubric = next(r for r in SHIPPED if r.id == "slp-ex-ante")
    def everything(value: int) -> dict[str, Mark]:
        return {c.id: Mark(value, "reason") for c in rubric.criteria}
    assert score_review(rubric, everything(3)).recommended is Outcome.APPROVED
    assert score_review(rubric, everything(2)).recommended is Outcome.REVISE_AND_RESUBMIT
    assert score_review(rubric, everything(1)).recommended is Outcome.REJECTED
    mixed = everything(3) | {"D2.1": Mark(2, "letters are generic"), "D7.2": Mark(2, "no captions")}
    assert score_review(rubric, mixed).recommended is Outcome.APPROVED_WITH_CONDITIONS
    gate = everything(4) | {"D5.2": Mark(1, "two outcomes are not assessed")}
    assert score_review(rubric, gate).recommended is Outcome.REVISE_AND_RESUBMIT


# --- properties -------------------------------------------------------------------------------------------

ALL_RUBRICS = [RUBRIC, *SHIPPED]


def mark_values(rubric: Rubric) -> st.SearchStrategy[dict[str, int | None]]:
    options = {
        c.id: st.sampled_from([*rubric.scale.values, *([None] if c.na_allowed else [])])
        for c in rubric.criteria
    }
    return st.fixed_dictionaries(options)


def as_marks(values: dict[str, int | None]) -> dict[str, Mark]:
    return {cid: Mark(value, "reason") for cid, value in values.items()}


@st.composite
def rubric_and_marks(draw: st.DrawFn) -> tuple[Rubric, dict[str, int | None]]:
    rubric = draw(st.sampled_from(ALL_RUBRICS))
    return rubric, draw(mark_values(rubric))


@given(rubric_and_marks())
def test_scores_stay_within_the_scale(case):
    rubric, values = case
    score = score_review(rubric, as_marks(values))
    scores = [d.score for d in score.dimensions if d.score is not None] + [score.overall]
    for value in scores:
        if value is not None:
            assert rubric.scale.minimum <= value <= rubric.scale.maximum


@given(rubric_and_marks(), st.data())
def test_scores_are_monotone_in_each_mark(case, data):
    rubric, values = case
    scored = [cid for cid, value in values.items() if value is not None and value < rubric.scale.maximum]
    if not scored:
        return
    cid = data.draw(st.sampled_from(scored))
    higher = data.draw(st.sampled_from([v for v in rubric.scale.values if v > values[cid]]))
    low, high = score_review(rubric, as_marks(values)), score_review(rubric, as_marks(values | {cid: higher}))
    assert high.overall >= low.overall
    for before, after in zip(low.dimensions, high.dimensions, strict=True):
        assert before.score is None or after.score >= before.score
    assert high.recommended.rank <= low.recommended.rank


@given(st.sampled_from(ALL_RUBRICS).flatmap(
    lambda r: st.tuples(st.just(r), st.lists(mark_values(r), min_size=1, max_size=5), st.randoms())))
def test_panel_is_unchanged_by_reordering_reviewers(case):
    rubric, reviews, random = case
    shuffled = list(reviews)
    random.shuffle(shuffled)
    first = score_panel(rubric, [as_marks(v) for v in reviews])
    second = score_panel(rubric, [as_marks(v) for v in shuffled])
    assert first == second


def without(rubric: Rubric, cid: str) -> Rubric:
    dimensions = tuple(replace(d, criteria=tuple(c for c in d.criteria if c.id != cid))
                       for d in rubric.dimensions)
    return replace(rubric, dimensions=dimensions)


@given(rubric_and_marks(), st.data())
def test_na_is_the_same_as_removing_the_criterion_and_not_a_zero(case, data):
    rubric, values = case
    allowed = [c.id for c in rubric.criteria if c.na_allowed]
    if not allowed:
        return
    cid = data.draw(st.sampled_from(allowed))
    na = score_review(rubric, as_marks(values | {cid: None}))
    removed = score_review(without(rubric, cid), as_marks({k: v for k, v in values.items() if k != cid}))
    assert (na.overall, na.dimensions, na.caps, na.recommended) == (
        removed.overall, removed.dimensions, removed.caps, removed.recommended)
    lowest = score_review(rubric, as_marks(values | {cid: rubric.scale.minimum}))
    dimension = rubric.criterion(cid).dimension_id
    others = [values[c.id] for c in rubric.dimension(dimension).criteria if c.id != cid]
    if any(value is not None and value > rubric.scale.minimum for value in others):
        assert na.dimension(dimension).score > lowest.dimension(dimension).score
        assert na.overall > lowest.overall
