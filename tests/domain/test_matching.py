"""Reviewer matching: conflicts, exclusions, the transparent score, and deterministic ranking."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from qa_engine.domain.matching import (
    Exclusion,
    ProgrammeFacts,
    ReviewerProfile,
    ScoreLine,
    conflicts,
    exclusions,
    field_level,
    score_lines,
    stem,
    suggest,
)
from qa_engine.domain.panels import ProfileType

TODAY = date(2026, 3, 2)
PROVIDER, PARTNER, OTHER = 10, 11, 12
PROGRAMME = ProgrammeFacts(
    provider_id=PROVIDER,
    isced_codes=("0613",),
    texts=("Health data analytics", "Analyse clinical datasets with Python", "health; analytics; python"),
    languages=frozenset({"en", "es"}),
    partner_ids=frozenset({PARTNER}),
)


def reviewer(rid: int, name: str = "", **changes) -> ReviewerProfile:
    base = ReviewerProfile(id=rid, name=name or f"Reviewer {rid}", institution_id=OTHER)
    return replace(base, **changes)


def test_conflicts_none_for_an_outsider():
    assert conflicts(reviewer(1), PROGRAMME) == []


def test_conflicts_lists_every_reason():
    person = reviewer(1, institution_id=PROVIDER, conflict_institution_ids=frozenset({PROVIDER, PARTNER}),
                      former_institution_ids=frozenset({PARTNER}))
    programme = replace(PROGRAMME, conflicted_reviewer_ids=frozenset({1}))
    assert conflicts(person, programme) == [
        "Named as conflicted for this programme",
        "Same institution as the provider",
        "Declared a conflict with the provider",
        f"Declared a conflict with partner {PARTNER}",
        f"Formerly at partner {PARTNER}",
    ]


def test_conflicts_partner_institution_and_former_provider():
    person = reviewer(1, institution_id=PARTNER, former_institution_ids=frozenset({PROVIDER}))
    assert conflicts(person, PROGRAMME) == [
        "Formerly at the provider institution",
        f"Same institution as partner {PARTNER}",
    ]


def test_exclusions_unavailable_until_a_future_date():
    away = reviewer(1, available=date(2026, 4, 1))
    assert exclusions(away, PROGRAMME, today=TODAY) == ["Unavailable until 2026-04-01"]
    assert exclusions(reviewer(1, available=TODAY), PROGRAMME, today=TODAY) == []
    assert exclusions(reviewer(1, available=False), PROGRAMME, today=TODAY) == ["Unavailable"]


def test_exclusions_at_max_load_and_already_on_panel():
    person = reviewer(1, current_load=4, max_load=4)
    assert exclusions(person, PROGRAMME, today=TODAY, exclude_ids={1}) == [
        "Already on the panel",
        "At maximum load (4 of 4)",
    ]
    assert exclusions(replace(person, current_load=3), PROGRAMME, today=TODAY) == []


def test_field_level_detailed_narrow_broad_none():
    assert [field_level(e, "0613") for e in ("0613", "0612", "061", "06", "0611", "0713", "")] == [4, 3, 3, 2, 3, 0, 0]
    assert field_level("0613", "061") == 3


def test_stem_folds_common_suffixes():
    assert [stem(w) for w in ("analytics", "analytical", "computing", "computer", "data")] == [
        "analytic", "analytic", "comput", "comput", "data"]


def test_score_lines_full_breakdown():
    person = reviewer(1, profile_types=frozenset({ProfileType.STUDENT}), expertise=("0613", "0912"),
                      keywords=("Health", "analytics", "machine learning", "Clinical data"),
                      languages=frozenset({"EN"}),
                      current_load=2, max_load=4)
    assert score_lines(person, PROGRAMME, frozenset({ProfileType.STUDENT})) == (
        ScoreLine("Same detailed field 0613", 30),
        ScoreLine("Keywords: analytics, Clinical data, Health", 24),
        ScoreLine("Speaks en, not es", 5),
        ScoreLine("Covers needed profile: student", 15),
        ScoreLine("Load 2 of 4", -10),
    )


def test_score_lines_no_match_and_no_language():
    person = reviewer(1, expertise=("0011",), keywords=("pottery",), languages=frozenset({"fi"}))
    assert score_lines(person, PROGRAMME) == (ScoreLine("Does not speak en, es", 0), ScoreLine("Load 0", 0))
    assert str(ScoreLine("Load 2 of 4", -10)) == "Load 2 of 4 (-10)"


def test_score_lines_keyword_points_are_capped():
    programme = replace(PROGRAMME, texts=("alpha bravo charlie delta echo foxtrot",), languages=frozenset())
    person = reviewer(1, keywords=("alpha", "bravo", "charlie", "delta", "echo", "foxtrot"))
    assert score_lines(person, programme)[0] == ScoreLine("Keywords: alpha, bravo, charlie, delta, echo, foxtrot", 40)


def test_score_lines_stop_words_and_prefix_match():
    programme = replace(PROGRAMME, texts=("Students will understand statistical modelling",), languages=frozenset())
    person = reviewer(1, keywords=("students", "statistics", "models", "the"))
    assert score_lines(person, programme)[0] == ScoreLine("Keywords: models, statistics", 16)


def test_suggest_ranks_by_score_and_reports_reasons():
    strong = reviewer(1, "Ana", expertise=("0613",), keywords=("analytics", "health"),
                      languages=frozenset({"en", "es"}),
                      current_load=2, max_load=4)
    weak = reviewer(2, "Bo", expertise=("06",))
    result = suggest(PROGRAMME, [weak, strong], today=TODAY)
    assert [(s.reviewer.id, s.score) for s in result.ranked] == [(1, 30 + 16 + 10 - 10), (2, 10)]
    assert result.ranked[0].reasons == ("Same detailed field 0613", "Keywords: analytics, health", "Speaks en, es",
                                        "Load 2 of 4")
    assert result.excluded == ()


def test_suggest_needed_profile_bonus_changes_order():
    academic = reviewer(1, "A", profile_types=frozenset({ProfileType.ACADEMIC}), expertise=("061",))
    student = reviewer(2, "B", profile_types=frozenset({ProfileType.STUDENT}), expertise=("06",))
    assert [s.reviewer.id for s in suggest(PROGRAMME, [academic, student], today=TODAY).ranked] == [1, 2]
    ranked = suggest(PROGRAMME, [academic, student], today=TODAY, needed_profiles=[ProfileType.STUDENT]).ranked
    assert [(s.reviewer.id, s.score) for s in ranked] == [(2, 25), (1, 20)]


def test_suggest_ties_break_on_load_then_name_then_id():
    people = [reviewer(4, "bea"), reviewer(3, "Bea"), reviewer(2, "Al", current_load=1, expertise=("0613",)),
              reviewer(1, "Zed")]
    ranked = suggest(replace(PROGRAMME, isced_codes=("0110",)), people, today=TODAY).ranked
    assert [s.reviewer.id for s in ranked] == [3, 4, 1, 2]
    assert len({s.score for s in ranked[:3]}) == 1


def test_suggest_no_candidates():
    result = suggest(PROGRAMME, [], today=TODAY)
    assert (result.ranked, result.excluded) == ((), ())


def test_suggest_every_candidate_conflicted():
    people = [reviewer(2, "Bo", institution_id=PROVIDER),
              reviewer(1, "Al", conflict_institution_ids=frozenset({PARTNER}))]
    result = suggest(PROGRAMME, people, today=TODAY)
    assert result.ranked == ()
    assert result.excluded == (
        Exclusion(people[1], (f"Declared a conflict with partner {PARTNER}",)),
        Exclusion(people[0], ("Same institution as the provider",)),
    )


def test_suggest_excludes_full_and_unavailable_and_respects_limit():
    people = [reviewer(n, f"R{n:02}") for n in range(1, 15)]
    people += [reviewer(20, "Full", current_load=3, max_load=3), reviewer(21, "Away", available=date(2026, 3, 3))]
    result = suggest(PROGRAMME, people, today=TODAY, limit=3)
    assert [s.reviewer.id for s in result.ranked] == [1, 2, 3]
    assert [(e.reviewer.id, e.reasons) for e in result.excluded] == [
        (21, ("Unavailable until 2026-03-03",)), (20, ("At maximum load (3 of 3)",))]
    assert len(suggest(PROGRAMME, people, today=TODAY, limit=None).ranked) == 14


def test_suggest_order_does_not_depend_on_input_order():
    people = [reviewer(n, "Same", expertise=(("0613", "061", "06")[n % 3],)) for n in range(1, 9)]
    forward = suggest(PROGRAMME, people, today=TODAY).ranked
    backward = suggest(PROGRAMME, list(reversed(people)), today=TODAY).ranked
    assert forward == backward


ids = st.integers(1, 6)
reviewers_st = st.lists(
    st.builds(
        ReviewerProfile,
        id=st.integers(1, 1000),
        name=st.sampled_from(["Ana", "Bo", "Cy"]),
        institution_id=st.one_of(st.none(), ids),
        profile_types=st.frozensets(st.sampled_from(list(ProfileType)), max_size=2),
        expertise=st.lists(st.sampled_from(["0613", "061", "06", "0912", "0411"]), max_size=2).map(tuple),
        keywords=st.lists(st.sampled_from(["health", "analytics", "python", "finance"]), max_size=3).map(tuple),
        languages=st.frozensets(st.sampled_from(["en", "es", "fi"])),
        available=st.one_of(st.booleans(), st.dates(date(2026, 1, 1), date(2026, 6, 1))),
        conflict_institution_ids=st.frozensets(ids, max_size=2),
        former_institution_ids=st.frozensets(ids, max_size=1),
        current_load=st.integers(0, 5),
        max_load=st.one_of(st.none(), st.integers(1, 5)),
    ),
    max_size=8,
    unique_by=lambda r: r.id,
)


@given(reviewers_st, ids, st.frozensets(ids, max_size=2))
def test_suggest_never_includes_a_conflicted_or_unavailable_reviewer(people, provider, partners):
    programme = replace(PROGRAMME, provider_id=provider, partner_ids=partners - {provider})
    result = suggest(programme, people, today=TODAY, limit=None)
    assert all(conflicts(s.reviewer, programme) == [] for s in result.ranked)
    assert all(exclusions(s.reviewer, programme, today=TODAY) == [] for s in result.ranked)
    assert sorted(r.id for r in people) == sorted([s.reviewer.id for s in result.ranked] +
                                                   [e.reviewer.id for e in result.excluded])
    assert all(s.score == sum(line.points for line in s.lines) for s in result.ranked)
    keys = [(-s.score, s.reviewer.current_load, s.reviewer.name.casefold(), s.reviewer.id) for s in result.ranked]
    assert keys == sorted(keys)
