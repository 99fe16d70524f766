"""Panel composition: requirements, matching of people to seats, pending vs confirmed, configuration."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_engine.domain.panels import (
    ESG_REQUIREMENTS,
    MemberStatus,
    PanelMember,
    PanelPolicy,
    PanelRequirement,
    Problem,
    ProfileType,
    Unmet,
    check_panel,
    policy_from_mapping,
)

A, P, E, S, INTL, Q = (ProfileType.ACADEMIC, ProfileType.PROFESSIONAL, ProfileType.EMPLOYER, ProfileType.STUDENT,
                    ProfileType.INTERNATIONAL, ProfileType.QA_EXPERT)
ESG = PanelPolicy.esg_default()
ACADEMIC, PRO_OR_EMPLOYER, STUDENT = ESG_REQUIREMENTS


def member(rid: int, *profiles: ProfileType, status: MemberStatus = MemberStatus.ACCEPTED) -> PanelMember:
    return PanelMember(rid, frozenset(profiles), status)


def test_esg_default_policy_is_three_to_five_with_three_requirements():
    assert ESG.size_min == 3
    assert ESG.size_max == 5
    assert [(r.label, r.accepts, r.minimum) for r in ESG.requirements] == [
        ("Academic", frozenset({A}), 1),
        ("Professional or employer", frozenset({P, E}), 1),
        ("Student", frozenset({S}), 1),
    ]


def test_check_panel_empty_reports_every_requirement_and_size():
    check = check_panel(ESG, [])
    assert check.unmet == (
        Unmet(Problem.REQUIREMENT, "Academic", 1, ACADEMIC),
        Unmet(Problem.REQUIREMENT, "Professional or employer", 1, PRO_OR_EMPLOYER),
        Unmet(Problem.REQUIREMENT, "Student", 1, STUDENT),
        Unmet(Problem.TOO_FEW, "minimum 3", 3),
    )
    assert check.satisfied is False
    assert [u.message for u in check.unmet] == [
        "Academic: 1 more needed",
        "Professional or employer: 1 more needed",
        "Student: 1 more needed",
        "3 more reviewers needed (minimum 3)",
    ]


def test_check_panel_full_esg_panel_is_satisfied():
    check = check_panel(ESG, [member(1, A), member(2, E), member(3, S, status=MemberStatus.SUBMITTED)])
    assert check.satisfied is True
    assert check.unmet == ()
    assert [f.reviewer_ids for f in check.confirmed.fills] == [(1,), (2,), (3,)]


def test_check_panel_person_with_two_profiles_counts_once():
    check = check_panel(ESG, [member(1, S, P), member(2, A), member(3, A)])
    assert check.unmet == (Unmet(Problem.REQUIREMENT, "Student", 1, STUDENT),)
    assert check.needed_profiles == frozenset({S})


def test_check_panel_reassigns_a_two_profile_person_to_where_only_they_fit():
    # member 1 (academic + professional) must take the professional seat so member 2 can be the academic
    check = check_panel(ESG, [member(1, A, P), member(2, A), member(3, S)])
    assert check.satisfied is True
    assert [f.reviewer_ids for f in check.confirmed.fills] == [(2,), (1,), (3,)]


def test_check_panel_contested_person_goes_to_the_earlier_requirement():
    check = check_panel(ESG, [member(1, A, S), member(2, E), member(3, Q)])
    assert check.unmet == (Unmet(Problem.REQUIREMENT, "Student", 1, STUDENT),)


def test_check_panel_shareable_requirement_counts_people_already_seated():
    policy = PanelPolicy(3, 5, (*ESG_REQUIREMENTS, PanelRequirement("International", frozenset({INTL}), 1, True)))
    check = check_panel(policy, [member(1, A, INTL), member(2, P), member(3, S)])
    assert check.satisfied is True
    assert check.confirmed.fills[3].reviewer_ids == (1,)


def test_check_panel_minimum_two_needs_two_distinct_people():
    policy = PanelPolicy(2, 4, (PanelRequirement("Academic", frozenset({A}), 2),))
    check = check_panel(policy, [member(1, A), member(2, P)])
    assert check.unmet == (Unmet(Problem.REQUIREMENT, "Academic", 1, policy.requirements[0]),)


def test_check_panel_invited_are_pending_not_confirmed():
    members = [member(1, A), member(2, P), member(3, S, status=MemberStatus.INVITED)]
    strict = check_panel(ESG, members)
    assert strict.unmet == (Unmet(Problem.REQUIREMENT, "Student", 1, STUDENT), Unmet(Problem.TOO_FEW, "minimum 3", 1))
    assert strict.projected.satisfied is True
    assert strict.projected.size == 3
    assert strict.confirmed.size == 2
    assert check_panel(ESG, members, count_invited=True).satisfied is True


def test_check_panel_projection_keeps_confirmed_members_seated():
    members = [member(1, A, P), member(2, A, status=MemberStatus.INVITED), member(3, S)]
    check = check_panel(ESG, members, count_invited=True)
    assert [f.reviewer_ids for f in check.confirmed.fills] == [(1,), (), (3,)]
    assert [f.reviewer_ids for f in check.projected.fills] == [(2,), (1,), (3,)]


def test_check_panel_ignores_declined_and_removed():
    members = [member(1, A), member(2, P), member(3, S, status=MemberStatus.DECLINED),
               member(4, S, status=MemberStatus.REMOVED), member(4, S, status=MemberStatus.REMOVED)]
    check = check_panel(ESG, members, count_invited=True)
    assert check.unmet == (Unmet(Problem.REQUIREMENT, "Student", 1, STUDENT), Unmet(Problem.TOO_FEW, "minimum 3", 1))


def test_check_panel_too_many_members():
    members = [member(n, A) for n in range(1, 4)]
    members += [member(4, P), member(5, S), member(6, A, status=MemberStatus.INVITED)]
    assert check_panel(ESG, members).satisfied is True
    check = check_panel(ESG, members, count_invited=True)
    assert check.unmet == (Unmet(Problem.TOO_MANY, "maximum 5", 1),)
    assert check.unmet[0].message == "1 reviewer too many (maximum 5)"


def test_check_panel_rejects_duplicate_active_reviewer():
    with pytest.raises(ValueError, match="more than once"):
        check_panel(ESG, [member(1, A), member(1, A, status=MemberStatus.INVITED)])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PanelPolicy(0, 3), "size_min: must be >= 1"),
        (lambda: PanelPolicy(4, 3), "size_max: must be >= size_min"),
        (lambda: PanelPolicy(1, 2, ESG_REQUIREMENTS), "requirements: need 3 distinct members but size_max is 2"),
        (lambda: PanelRequirement("X", frozenset()), "X: accepts no profile type"),
        (lambda: PanelRequirement("X", frozenset({A}), 0), "X: minimum must be >= 1"),
    ],
)
def test_policy_invalid_raises(build, message):
    with pytest.raises(ValueError) as error:
        build()
    assert str(error.value) == message


def test_policy_from_mapping_empty_is_esg_default():
    assert policy_from_mapping({}) == ESG


def test_policy_from_mapping_full():
    policy = policy_from_mapping({
        "size_min": 2,
        "size_max": 4,
        "requirements": [
            {"profiles": ["professional", "employer"]},
            {"label": "Two academics", "profiles": ["academic"], "minimum": 2},
            {"profiles": ["international"], "shareable": True},
        ],
    })
    assert policy == PanelPolicy(2, 4, (
        PanelRequirement("Professional or employer", frozenset({P, E})),
        PanelRequirement("Two academics", frozenset({A}), 2),
        PanelRequirement("International", frozenset({INTL}), 1, True),
    ))


def test_policy_from_mapping_empty_requirements_list_means_none():
    assert policy_from_mapping({"requirements": []}).requirements == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"size": 3}, "size: unknown field (expected one of requirements, size_max, size_min)"),
        ({"size_min": "3"}, "size_min: must be an integer"),
        ({"size_max": True}, "size_max: must be an integer"),
        ({"size_min": 6}, "size_max: must be >= size_min"),
        ({"requirements": {"profiles": ["academic"]}}, "requirements: must be a list of tables"),
        ({"requirements": ["academic"]}, "requirements[0]: must be a table"),
        ({"requirements": [{"profiles": ["academic"]}, {"profiles": ["studnet"]}]},
         "requirements[1].profiles[0]: unknown profile 'studnet' "
         "(one of academic, professional, employer, student, international, qa_expert)"),
        ({"requirements": [{"profiles": []}]}, "requirements[0].profiles: must be a non-empty list of profile types"),
        ({"requirements": [{"profiles": ["student"], "minimum": 0}]}, "requirements[0].minimum: must be >= 1"),
        ({"requirements": [{"profiles": ["student"], "minimum": 1.5}]}, "requirements[0].minimum: must be an integer"),
        ({"requirements": [{"profiles": ["student"], "shareable": "yes"}]},
         "requirements[0].shareable: must be true or false"),
        ({"requirements": [{"profiles": ["student"], "label": ""}]},
         "requirements[0].label: must be a non-empty string"),
        ({"requirements": [{"profiles": ["student"], "min": 1}]},
         "requirements[0].min: unknown field (expected one of label, minimum, profiles, shareable)"),
    ],
)
def test_policy_from_mapping_invalid_names_the_field(data, message):
    with pytest.raises(ValueError) as error:
        policy_from_mapping(data)
    assert str(error.value) == message


# --- properties: the matching agrees with brute force -------------------------------------------------------

profiles_st = st.frozensets(st.sampled_from(list(ProfileType)), max_size=3)
requirement_st = st.builds(
    PanelRequirement,
    label=st.just("r"),
    accepts=st.frozensets(st.sampled_from(list(ProfileType)), min_size=1, max_size=3),
    minimum=st.integers(1, 2),
    shareable=st.booleans(),
)


@st.composite
def panels(draw):
    requirements = tuple(draw(st.lists(requirement_st, max_size=3)))
    seats = sum(r.minimum for r in requirements if not r.shareable)
    policy = PanelPolicy(1, max(seats, 1) + 2, requirements)
    statuses = st.sampled_from(list(MemberStatus))
    members = [PanelMember(n, draw(profiles_st), draw(statuses)) for n in range(draw(st.integers(0, 5)))]
    return policy, members


def brute_force_deficits(policy: PanelPolicy, members: list[PanelMember]) -> list[tuple[int, ...]]:
    """Every achievable deficit vector over the exclusive requirements (each member takes at most one seat)."""
    exclusive = [r for r in policy.requirements if not r.shareable]
    options = [[None, *[i for i, r in enumerate(exclusive) if r.admits(m.profiles)]] for m in members]
    vectors = []
    for choice in itertools.product(*options):
        vectors.append(tuple(max(0, r.minimum - choice.count(i)) for i, r in enumerate(exclusive)))
    return vectors


def deficits(coverage, policy) -> tuple[int, ...]:
    return tuple(f.missing for f, r in zip(coverage.fills, policy.requirements, strict=True) if not r.shareable)


@settings(max_examples=300)
@given(panels())
def test_check_panel_confirmed_matches_brute_force(case):
    policy, members = case
    confirmed = [m for m in members if m.status in (MemberStatus.ACCEPTED, MemberStatus.SUBMITTED)]
    coverage = check_panel(policy, members).confirmed
    # the lexicographically best deficit vector: earlier requirements first, and no smaller total shortfall
    assert deficits(coverage, policy) == min(brute_force_deficits(policy, confirmed))
    assert sum(deficits(coverage, policy)) == min(map(sum, brute_force_deficits(policy, confirmed)))


@settings(max_examples=300)
@given(panels())
def test_check_panel_projected_is_achievable_and_minimal(case):
    policy, members = case
    active = [m for m in members if m.status in (MemberStatus.ACCEPTED, MemberStatus.SUBMITTED, MemberStatus.INVITED)]
    coverage = check_panel(policy, members, count_invited=True).projected
    vectors = brute_force_deficits(policy, active)
    assert deficits(coverage, policy) in vectors
    assert sum(deficits(coverage, policy)) == min(map(sum, vectors))
    for fill in coverage.fills:
        assert all(fill.requirement.admits(m.profiles) for m in active if m.reviewer_id in fill.reviewer_ids)
    seated = [rid for f, r in zip(coverage.fills, policy.requirements, strict=True) if not r.shareable
              for rid in f.reviewer_ids]
    assert len(seated) == len(set(seated))


@settings(max_examples=200)
@given(panels())
def test_check_panel_satisfied_iff_brute_force_can_meet_everything(case):
    policy, members = case
    check = check_panel(policy, members)
    confirmed = [m for m in members if m.status in (MemberStatus.ACCEPTED, MemberStatus.SUBMITTED)]
    exclusive_ok = any(not any(v) for v in brute_force_deficits(policy, confirmed))
    shareable_ok = all(sum(r.admits(m.profiles) for m in confirmed) >= r.minimum
                       for r in policy.requirements if r.shareable)
    size_ok = policy.size_min <= len(confirmed) <= policy.size_max
    assert check.satisfied == (exclusive_ok and shareable_ok and size_ok)
