"""Every screening check C1-C19: a passing, a warning (where the check has one) and a failing case."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qa_engine.domain.proposal import (
    Assessment,
    Evidence,
    LearningOutcome,
    Proposal,
    StaffCategory,
    StaffMember,
    proposal_from_dict,
)
from qa_engine.domain.screening import (
    CHECKS,
    ApprovedProgramme,
    ScreeningConfig,
    ScreeningResult,
    Status,
    screen,
)
from qa_engine.domain.vocabularies import Vocabularies, load_vocabularies

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 10, 1)
PASS, WARN, FAIL = Status.PASS, Status.WARN, Status.FAIL


@pytest.fixture(scope="module")
def vocab() -> Vocabularies:
    return load_vocabularies(ROOT / "rubrics" / "vocabularies")


@pytest.fixture(scope="module")
def sound() -> Proposal:
    data = json.loads((ROOT / "examples" / "proposals" / "sound-data-analytics.json").read_text("utf-8"))
    return proposal_from_dict(data)


def change(proposal: Proposal, **changes: Any) -> Proposal:
    """A copy with `section__field=value` replaced, e.g. change(p, level__ects=5)."""
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            value = dataclasses.replace(getattr(proposal, section), **{name: value})
        proposal = dataclasses.replace(proposal, **{section: value})
    return proposal


def run(
    proposal: Proposal, vocab: Vocabularies, config: ScreeningConfig | None = None, **kw: Any
) -> ScreeningResult:
    return screen(proposal, config or ScreeningConfig(), vocab, today=kw.pop("today", TODAY), **kw)


def only(result: ScreeningResult, check: str) -> list[tuple[Status, str, tuple[str, ...]]]:
    return [(f.status, f.message, f.fields) for f in result.for_check(check)]


def statuses(result: ScreeningResult, check: str) -> list[Status]:
    return [f.status for f in result.for_check(check)]


# -- the result as a whole ---------------------------------------------------------------------------


def test_screen_sound_proposal_passes_every_check(sound, vocab):
    result = run(sound, vocab)

    assert [f.check for f in result.findings] == [check_id for check_id, _, _ in CHECKS]
    assert result.counts == {"pass": 19, "warn": 0, "fail": 0}
    assert result.blocking is False


def test_screen_result_to_dict_is_plain_json(sound, vocab):
    result = run(change(sound, identification__title="Master of Data"), vocab)

    data = json.loads(json.dumps(result.to_dict()))

    assert data["blocking"] is True
    assert data["counts"] == {"pass": 18, "warn": 0, "fail": 1}
    assert data["findings"][15]["check"] == "C16"
    assert data["findings"][15]["status"] == "fail"
    assert data["findings"][15]["fields"] == ["identification.title"]


def test_status_of_reports_the_worst_finding(sound, vocab):
    outcomes = (
        *sound.learning_outcomes[:4],
        dataclasses.replace(sound.learning_outcomes[4], text="Know GDPR."),
    )
    result = run(change(sound, learning_outcomes=outcomes, further_information=""), vocab)

    assert result.status_of("C6") == FAIL
    assert result.status_of("C1") == WARN
    assert result.status_of("C2") == PASS


# -- C1 Annex I completeness ----------------------------------------------------------------------


def test_c1_missing_mandatory_elements_fail(sound, vocab):
    proposal = change(sound, identification__title="", delivery__mode="")

    assert only(run(proposal, vocab), "C1") == [
        (
            FAIL,
            "Annex I requires the title and the form of participation; fill them in before submitting.",
            ("identification.title", "delivery.mode"),
        ),
    ]


def test_c1_missing_optional_elements_warn(sound, vocab):
    assessments = (dataclasses.replace(sound.assessments[0], supervision=""), *sound.assessments[1:])
    proposal = change(sound, further_information="", assessments=assessments)

    assert only(run(proposal, vocab), "C1") == [
        (
            WARN,
            "These optional Annex I elements are not described: supervision and identity verification for "
            "assessment 1 and further information. Add them, or say in further_information why they do not "
            "apply.",
            ("assessments[0].supervision", "further_information"),
        ),
    ]


def test_c1_eqf_not_applicable_with_reason_passes(sound, vocab):
    proposal = change(sound, level__eqf_level=None, level__eqf_na_reason="Non-formal professional training")

    assert statuses(run(proposal, vocab), "C1") == [PASS]


# -- C2 size bounds ---------------------------------------------------------------------------------


def test_c2_ects_within_range_passes(sound, vocab):
    assert only(run(sound, vocab), "C2") == [(PASS, "6 ECTS is within 1–59 ECTS.", ("level.ects",))]


def test_c2_ects_above_range_warns(sound, vocab):
    result = run(change(sound, level__ects=75), vocab)

    assert only(result, "C2") == [
        (
            WARN,
            "75 ECTS is above the maximum of 1–59 ECTS that this scheme accepts for a short learning "
            "programme; change the size or explain why it is needed.",
            ("level.ects",),
        ),
    ]


def test_c2_zero_ects_fails(sound, vocab):
    assert statuses(run(change(sound, level__ects=0), vocab), "C2") == [FAIL]


def test_c2_range_comes_from_config(sound, vocab):
    config = ScreeningConfig(ects_range=(10, 30))

    assert statuses(run(sound, vocab, config), "C2") == [WARN]


# -- C3 ECTS and hours -------------------------------------------------------------------------------


def test_c3_hours_in_range_passes(sound, vocab):
    assert statuses(run(sound, vocab), "C3") == [PASS]


def test_c3_slightly_outside_range_warns(sound, vocab):
    result = run(change(sound, level__total_hours=186), vocab)

    assert only(result, "C3") == [
        (
            WARN,
            "6 ECTS with 186 hours is 31 hours per ECTS; this scheme expects 25–30 hours per ECTS "
            "(150–180 hours). The difference is small; adjust the hours or explain it.",
            ("level.ects", "level.total_hours"),
        ),
    ]


def test_c3_far_outside_range_fails(sound, vocab):
    result = run(change(sound, level__total_hours=90), vocab)

    assert only(result, "C3") == [
        (
            FAIL,
            "6 ECTS with 90 hours is 15 hours per ECTS; this scheme expects 25–30 hours per ECTS "
            "(150–180 hours). Change the total hours or the ECTS credits so that they agree.",
            ("level.ects", "level.total_hours"),
        ),
    ]


def test_c3_missing_total_hours_fails(sound, vocab):
    assert statuses(run(change(sound, level__total_hours=None), vocab), "C3") == [FAIL]


def test_c3_country_range_from_config_applies(sound, vocab):
    finnish = ScreeningConfig(hours_per_ects=(27, 27))

    assert statuses(run(sound, vocab, finnish), "C3") == [WARN]


# -- C4 hours breakdown ------------------------------------------------------------------------------


def test_c4_parts_adding_up_pass(sound, vocab):
    assert statuses(run(sound, vocab), "C4") == [PASS]


def test_c4_parts_not_adding_up_fail(sound, vocab):
    hours = dataclasses.replace(sound.level.hours, self_study=70)

    assert only(run(change(sound, level__hours=hours), vocab), "C4") == [
        (
            FAIL,
            "The hours breakdown adds up to 154 h (contact 30 + guided 24 + self-study 70 + work-based 18 + "
            "assessment 12) but the total is 168 h; make the parts add up to the total.",
            ("level.hours", "level.total_hours"),
        ),
    ]


def test_c4_within_tolerance_passes(sound, vocab):
    hours = dataclasses.replace(sound.level.hours, self_study=83.5)

    assert statuses(run(change(sound, level__hours=hours), vocab), "C4") == [PASS]


def test_c4_no_breakdown_fails(sound, vocab):
    result = run(change(sound, level__hours=type(sound.level.hours)()), vocab)

    assert statuses(result, "C4") == [FAIL]


# -- C5 weekly intensity -----------------------------------------------------------------------------


def test_c5_moderate_weekly_load_passes(sound, vocab):
    assert only(run(sound, vocab), "C5") == [
        (PASS, "168 hours over 12 weeks is 14 hours a week.", ("level.total_hours", "level.duration_weeks")),
    ]


def test_c5_working_adults_over_20_hours_warns(sound, vocab):
    result = run(change(sound, level__duration_weeks=6, level__end_date=date(2027, 3, 14)), vocab)

    assert statuses(result, "C5") == [WARN]
    assert result.for_check("C5")[0].fields == (
        "level.total_hours",
        "level.duration_weeks",
        "classification.target_group",
    )


def test_c5_full_time_students_over_20_hours_pass(sound, vocab):
    proposal = change(
        sound,
        level__duration_weeks=6,
        level__end_date=date(2027, 3, 14),
        classification__target_group="Final-year undergraduates in economics",
    )

    assert statuses(run(proposal, vocab), "C5") == [PASS]


def test_c5_over_full_time_ceiling_fails(sound, vocab):
    result = run(change(sound, level__duration_weeks=4, level__end_date=None), vocab)

    assert only(result, "C5") == [
        (
            FAIL,
            "168 hours over 4 weeks is 42 hours a week, more than the full-time ceiling of 40; spread the "
            "programme over more weeks or reduce the hours.",
            ("level.total_hours", "level.duration_weeks"),
        ),
    ]


def test_c5_missing_duration_warns_not_checked(sound, vocab):
    result = run(change(sound, level__duration_weeks=None), vocab)

    assert statuses(result, "C5") == [WARN]


# -- C6 learning-outcome form ------------------------------------------------------------------------


def _outcome(sound: Proposal, index: int, text: str) -> Proposal:
    outcomes = list(sound.learning_outcomes)
    outcomes[index] = dataclasses.replace(outcomes[index], text=text)
    return change(sound, learning_outcomes=tuple(outcomes))


def test_c6_action_verbs_pass(sound, vocab):
    assert statuses(run(sound, vocab), "C6") == [PASS]


def test_c6_vague_verb_fails(sound, vocab):
    result = run(_outcome(sound, 1, "Understand how data sets are cleaned."), vocab)

    assert only(result, "C6") == [
        (
            FAIL,
            "Learning outcome 2 starts with 'understand', which cannot be observed; start it with an action "
            "verb such as 'explain' or 'analyse'.",
            ("learning_outcomes[1].text",),
        ),
    ]


def test_c6_vague_phrase_after_lead_in_fails(sound, vocab):
    result = run(_outcome(sound, 0, "The learner will be able to be aware of GDPR duties."), vocab)

    assert [f.message.split(",")[0] for f in result.for_check("C6")] == [
        "Learning outcome 1 starts with 'be aware of'"
    ]


def test_c6_lead_in_and_adverb_are_skipped(sound, vocab):
    result = run(
        _outcome(sound, 4, "On completion, the learner will be able to critically evaluate a model."), vocab
    )

    assert statuses(result, "C6") == [PASS]


def test_c6_unknown_verb_warns(sound, vocab):
    result = run(_outcome(sound, 2, "Master the analysis of business data."), vocab)

    assert only(result, "C6") == [
        (
            WARN,
            "Learning outcome 3 starts with 'master', which is not in the list of observable action verbs; "
            "start it with one such as 'apply', 'analyse' or 'design'.",
            ("learning_outcomes[2].text",),
        ),
    ]


def test_c6_long_outcome_warns(sound, vocab):
    result = run(_outcome(sound, 0, "Explain " + "data " * 44), vocab)

    assert only(result, "C6") == [
        (
            WARN,
            "Learning outcome 1 has 45 words; keep it to 40 or fewer by stating one achievement per outcome.",
            ("learning_outcomes[0].text",),
        ),
    ]


def test_c6_too_few_outcomes_warn(sound, vocab):
    result = run(change(sound, learning_outcomes=sound.learning_outcomes[:2]), vocab)

    assert (
        WARN,
        "The programme has 2 learning outcomes; a short learning programme usually has 3–8. Merge or "
        "split outcomes.",
        ("learning_outcomes",),
    ) in only(result, "C6")


# -- C7 outcomes and level ---------------------------------------------------------------------------


def test_c7_higher_order_verbs_at_eqf6_pass(sound, vocab):
    assert statuses(run(sound, vocab), "C7") == [PASS]


def test_c7_only_lower_order_verbs_at_eqf6_warn(sound, vocab):
    texts = [
        "Explain analytics.",
        "Describe data sets.",
        "Use dashboards.",
        "Apply GDPR rules.",
        "List metrics.",
    ]
    outcomes = tuple(
        dataclasses.replace(lo, text=t) for lo, t in zip(sound.learning_outcomes, texts, strict=True)
    )

    result = run(change(sound, learning_outcomes=outcomes), vocab)

    assert only(result, "C7") == [
        (
            WARN,
            "EQF 6 calls for analysis, evaluation or creation, but the outcomes' verbs range from 'list' "
            "(remember) to 'use' (apply). Check that the outcomes reflect the level, for example by "
            "starting one with "
            "'analyse', 'evaluate' or 'design'. This is a hint for the reviewers, not a verdict.",
            ("level.eqf_level", "learning_outcomes"),
        ),
    ]


def test_c7_research_verbs_at_low_level_warn(sound, vocab):
    texts = [
        "Evaluate analytics.",
        "Design data sets.",
        "Create dashboards.",
        "Justify rules.",
        "Develop models.",
    ]
    outcomes = tuple(
        dataclasses.replace(lo, text=t) for lo, t in zip(sound.learning_outcomes, texts, strict=True)
    )

    result = run(change(sound, learning_outcomes=outcomes, level__eqf_level=3), vocab)

    assert statuses(result, "C7") == [WARN]


def test_c7_never_fails(sound, vocab):
    outcomes = tuple(dataclasses.replace(lo, text="Know things.") for lo in sound.learning_outcomes)

    assert statuses(run(change(sound, learning_outcomes=outcomes), vocab), "C7") == [WARN]


# -- C8 outcome-to-assessment coverage ---------------------------------------------------------------


def test_c8_full_coverage_passes(sound, vocab):
    assert statuses(run(sound, vocab), "C8") == [PASS]


def test_c8_unassessed_outcome_fails(sound, vocab):
    assessments = (*sound.assessments[:2], dataclasses.replace(sound.assessments[2], outcome_ids=("LO1",)))

    assert only(run(change(sound, assessments=assessments), vocab), "C8") == [
        (
            FAIL,
            "Learning outcome 5 (LO5) is not assessed; add its id to the outcome_ids of at least one "
            "assessment.",
            ("learning_outcomes[4]", "assessments"),
        ),
    ]


def test_c8_assessment_without_outcomes_and_unknown_id_fail(sound, vocab):
    extra = Assessment(
        id="A4", type="presentation", weight_percent=0, pass_criteria="Present.", outcome_ids=()
    )
    broken = dataclasses.replace(sound.assessments[2], outcome_ids=("LO5", "LO9"))
    result = run(change(sound, assessments=(*sound.assessments[:2], broken, extra)), vocab)

    assert [(f.status, f.fields) for f in result.for_check("C8")] == [
        (FAIL, ("assessments[2].outcome_ids",)),
        (FAIL, ("assessments[3].outcome_ids",)),
        (WARN, ("assessments[3].weight_percent",)),
    ]


def test_c8_weights_not_adding_to_100_fail(sound, vocab):
    assessments = (dataclasses.replace(sound.assessments[0], weight_percent=20), *sound.assessments[1:])

    assert only(run(change(sound, assessments=assessments), vocab), "C8") == [
        (
            FAIL,
            "The assessment weights add up to 90%; make them add up to 100%.",
            (
                "assessments[0].weight_percent",
                "assessments[1].weight_percent",
                "assessments[2].weight_percent",
            ),
        ),
    ]


def test_c8_zero_weight_warns(sound, vocab):
    assessments = (
        sound.assessments[0],
        dataclasses.replace(sound.assessments[1], weight_percent=70),
        dataclasses.replace(sound.assessments[2], weight_percent=0),
    )

    assert only(run(change(sound, assessments=assessments), vocab), "C8") == [
        (
            WARN,
            "Assessment 3 has a weight of 0%; if it is formative, say so in its pass criteria, otherwise "
            "give "
            "it a weight.",
            ("assessments[2].weight_percent",),
        ),
    ]


def test_c8_duplicate_outcome_ids_fail(sound, vocab):
    outcomes = (*sound.learning_outcomes[:4], dataclasses.replace(sound.learning_outcomes[4], id="LO1"))

    assert FAIL in statuses(run(change(sound, learning_outcomes=outcomes), vocab), "C8")


# -- C9 assessment metadata --------------------------------------------------------------------------


def _assessment(sound: Proposal, index: int, **changes: Any) -> Proposal:
    assessments = list(sound.assessments)
    assessments[index] = dataclasses.replace(assessments[index], **changes)
    return change(sound, assessments=tuple(assessments))


def test_c9_described_assessments_pass(sound, vocab):
    assert statuses(run(sound, vocab), "C9") == [PASS]


def test_c9_unknown_type_fails_with_suggestion(sound, vocab):
    result = run(_assessment(sound, 0, type="essay"), vocab)

    assert only(result, "C9") == [
        (
            FAIL,
            "Assessment 1 has the type 'essay', which is not a known assessment type; use "
            "'written_assignment'.",
            ("assessments[0].type",),
        ),
    ]


def test_c9_missing_pass_criteria_and_bad_supervision_fail(sound, vocab):
    result = run(_assessment(sound, 1, pass_criteria="", supervision="proctored-ish"), vocab)

    assert [(f.status, f.fields) for f in result.for_check("C9")] == [
        (FAIL, ("assessments[1].pass_criteria",)),
        (FAIL, ("assessments[1].supervision",)),
    ]


def test_c9_heavy_unsupervised_assessment_warns(sound, vocab):
    result = run(_assessment(sound, 1, supervision="unsupervised_no_id"), vocab)

    assert only(result, "C9") == [
        (
            WARN,
            "Assessment 2 carries 50% of the result and is unsupervised with no identity verification; "
            "explain how you make sure the learner did the work, or add supervision or an identity check.",
            ("assessments[1].supervision",),
        ),
    ]


# -- C10 entry requirements --------------------------------------------------------------------------


def test_c10_requirements_and_rpl_pass(sound, vocab):
    assert statuses(run(sound, vocab), "C10") == [PASS]


def test_c10_missing_requirements_fail(sound, vocab):
    result = run(change(sound, admission__entry_requirements=""), vocab)

    assert only(result, "C10") == [
        (
            FAIL,
            "State the entry requirements: who may enrol, with what prior learning or experience.",
            ("admission.entry_requirements",),
        ),
    ]


def test_c10_eqf6_without_level_or_rpl_fails(sound, vocab):
    proposal = change(
        sound,
        admission__entry_requirements="Open to everyone with an interest in data.",
        admission__rpl_route="",
    )

    assert statuses(run(proposal, vocab), "C10") == [FAIL]


def test_c10_eqf4_without_level_or_rpl_only_warns(sound, vocab):
    proposal = change(
        sound,
        admission__entry_requirements="Open to everyone with an interest in data.",
        admission__rpl_route="",
        level__eqf_level=4,
    )

    assert statuses(run(proposal, vocab), "C10") == [WARN]


def test_c10_no_rpl_route_warns(sound, vocab):
    result = run(change(sound, admission__rpl_route=""), vocab)

    assert only(result, "C10") == [
        (
            WARN,
            "There is no route for recognising prior learning, so applicants without the stated requirements "
            "cannot enter; describe one in admission.rpl_route.",
            ("admission.rpl_route",),
        ),
    ]


# -- C11 staff mix -----------------------------------------------------------------------------------


def test_c11_balanced_staff_pass(sound, vocab):
    assert only(run(sound, vocab), "C11") == [
        (
            PASS,
            "Academic staff teach 81% and professional practitioners 32% of the 62 teaching hours; 2 of 4 "
            "staff hold a doctorate.",
            ("staff",),
        ),
    ]


def test_c11_low_academic_share_warns(sound, vocab):
    staff = tuple(dataclasses.replace(m, category=StaffCategory.PROFESSIONAL) for m in sound.staff[1:])
    result = run(change(sound, staff=(sound.staff[0], *staff)), vocab)

    assert statuses(result, "C11") == [WARN]
    assert result.for_check("C11")[0].message.endswith(
        "The academic share is below 50%; add academic staff or explain how academic standards are assured."
    )


def test_c11_no_professionals_in_labour_market_programme_warns(sound, vocab):
    staff = tuple(dataclasses.replace(m, category=StaffCategory.ACADEMIC) for m in sound.staff)
    result = run(change(sound, staff=staff), vocab)

    assert statuses(result, "C11") == [WARN]
    assert "no professional practitioner teaches on it" in result.for_check("C11")[0].message


def test_c11_no_staff_fails(sound, vocab):
    assert statuses(run(change(sound, staff=()), vocab), "C11") == [FAIL]


def test_c11_incomplete_staff_member_fails(sound, vocab):
    staff = (*sound.staff[:3], StaffMember(name="Ana Ruiz", category=StaffCategory.ACADEMIC))

    assert only(run(change(sound, staff=staff), vocab), "C11") == [
        (
            FAIL,
            "Staff member 4 (Ana Ruiz) has no highest qualification and teaching hours; add them.",
            ("staff[3].highest_qualification", "staff[3].teaching_hours"),
        ),
    ]


# -- C12 resource intensity --------------------------------------------------------------------------


def test_c12_plausible_resources_pass(sound, vocab):
    assert only(run(sound, vocab), "C12") == [
        (
            PASS,
            "62 staff hours for up to 40 learners (1.6 h per learner); a cost of 150 EUR per learner per "
            "ECTS.",
            ("admission.places_max", "staff", "resources"),
        ),
    ]


def test_c12_too_many_places_for_staff_hours_warns(sound, vocab):
    result = run(
        change(
            sound,
            admission__places_max=400,
            resources__budget_total_cost=360000,
            resources__budget_income=380000,
        ),
        vocab,
    )

    assert only(result, "C12") == [
        (
            WARN,
            "62 staff hours for 400 learners and 6 ECTS is 0.03 staff hours per learner per ECTS, outside "
            "the "
            "usual 0.1–5; check the places and the staff hours.",
            ("admission.places_max", "staff"),
        ),
    ]


def test_c12_budget_deficit_warns(sound, vocab):
    result = run(change(sound, resources__budget_income=20000), vocab)

    assert [(f.status, f.fields) for f in result.for_check("C12")] == [
        (WARN, ("resources.budget_income", "resources.budget_total_cost")),
    ]


def test_c12_min_places_above_max_fails(sound, vocab):
    assert statuses(run(change(sound, admission__places_min=50), vocab), "C12") == [FAIL]


# -- C13 need and duplication ------------------------------------------------------------------------


def test_c13_evidenced_need_passes(sound, vocab):
    assert statuses(run(sound, vocab), "C13") == [PASS]


def test_c13_no_evidence_fails(sound, vocab):
    proposal = change(sound, justification__evidence=(), classification__esco_occupations=())

    assert only(run(proposal, vocab), "C13") == [
        (
            FAIL,
            "Give at least one piece of evidence of need: an employer letter, a labour-market catalogue "
            "reference, or ESCO occupations or skills.",
            ("justification.evidence", "classification.esco_occupations"),
        ),
    ]


def test_c13_missing_need_statement_fails(sound, vocab):
    assert statuses(run(change(sound, justification__need_statement=""), vocab), "C13") == [FAIL]


def test_c13_near_duplicate_of_approved_programme_warns(sound, vocab):
    twin = ApprovedProgramme(
        "P-17",
        "Applied Data Analytics for Business Decisions",
        tuple(lo.text for lo in sound.learning_outcomes),
    )
    other = ApprovedProgramme("P-3", "Welding for shipbuilders", ("Weld steel plates.",))

    result = run(sound, vocab, approved=[other, twin])

    assert only(result, "C13") == [
        (
            WARN,
            "The proposal is 100% similar in title and learning outcomes to the approved programme 'Applied "
            "Data Analytics for Business Decisions' (P-17); explain in justification.duplication_statement "
            "how it "
            "differs, or consider offering that programme instead.",
            ("identification.title", "learning_outcomes", "justification.duplication_statement"),
        ),
    ]


def test_c13_names_the_five_most_similar_approved_programmes_and_counts_the_rest(sound, vocab):
    outcomes = tuple(lo.text for lo in sound.learning_outcomes)
    twins = [ApprovedProgramme(f"P-{n}", "Applied Data Analytics for Business Decisions",
                               outcomes[: len(outcomes) - (n % 3)]) for n in range(8)]

    warnings = only(run(sound, vocab, approved=twins), "C13")

    named = [message.split("(")[1].split(")")[0] for _, message, _ in warnings[:5]]
    assert [status for status, *_ in warnings] == [WARN] * 6
    assert sorted(named[:3]) == ["P-0", "P-3", "P-6"]  # identical outcomes first: 100% similar
    assert warnings[5][1] == ("3 more approved programme(s) are 60% similar or more; the 5 most similar are named "
                              "above.")


def test_c13_evidence_without_reference_warns(sound, vocab):
    evidence = (*sound.justification.evidence, Evidence(kind="survey", reference=""))

    assert statuses(run(change(sound, justification__evidence=evidence), vocab), "C13") == [WARN]


# -- C14 stackability --------------------------------------------------------------------------------


def test_c14_stackable_with_target_passes(sound, vocab):
    assert statuses(run(sound, vocab), "C14") == [PASS]


def test_c14_stand_alone_passes(sound, vocab):
    assert statuses(run(change(sound, pathways__stackable=False), vocab), "C14") == [PASS]


def test_c14_undeclared_warns(sound, vocab):
    assert statuses(run(change(sound, pathways__stackable=None), vocab), "C14") == [WARN]


def test_c14_no_agreement_warns(sound, vocab):
    assert statuses(run(change(sound, pathways__recognition_agreements=()), vocab), "C14") == [WARN]


def test_c14_more_credits_than_programme_fails(sound, vocab):
    result = run(change(sound, pathways__credits_recognised=10), vocab)

    assert only(result, "C14") == [
        (
            FAIL,
            "10 credits are recognised but the programme carries only 6 ECTS; correct the recognised "
            "credits.",
            ("pathways.credits_recognised", "level.ects"),
        ),
    ]


def test_c14_stackable_without_target_fails(sound, vocab):
    result = run(change(sound, pathways__target_credential=""), vocab)

    assert [(f.status, f.fields) for f in result.for_check("C14")] == [
        (FAIL, ("pathways.target_credential",))
    ]


# -- C15 quality assurance ---------------------------------------------------------------------------


def test_c15_qa_arrangements_pass(sound, vocab):
    assert statuses(run(sound, vocab), "C15") == [PASS]


def test_c15_long_review_cycle_and_no_iqas_fail(sound, vocab):
    result = run(
        change(sound, quality_assurance__review_cycle_years=5, quality_assurance__iqas_reference=""), vocab
    )

    assert only(result, "C15") == [
        (
            FAIL,
            "Give the internal QA system (IQAS) document or URL that covers the programme.",
            ("quality_assurance.iqas_reference",),
        ),
        (
            FAIL,
            "The review cycle of 5 years is outside 0–3 years; review the programme at least every 3 years.",
            ("quality_assurance.review_cycle_years",),
        ),
    ]


def test_c15_no_indicators_warns(sound, vocab):
    assert statuses(run(change(sound, quality_assurance__indicators=()), vocab), "C15") == [WARN]


# -- C16 title hygiene -------------------------------------------------------------------------------


def test_c16_plain_title_passes(sound, vocab):
    assert statuses(run(sound, vocab), "C16") == [PASS]


def test_c16_protected_word_fails(sound, vocab):
    result = run(change(sound, identification__title="Master Class in Data Analytics"), vocab)

    assert only(result, "C16") == [
        (
            FAIL,
            "The title contains 'master', which names an award a short learning programme does not lead to; "
            "rename the programme without it.",
            ("identification.title",),
        ),
    ]


def test_c16_word_inside_another_word_passes(sound, vocab):
    result = run(change(sound, identification__title="Mastering Data: Degree-Free Analytics"), vocab)

    assert statuses(result, "C16") == [PASS]


def test_c16_extra_protected_word_from_config_fails(sound, vocab):
    config = ScreeningConfig(extra_protected_title_words=("analytics",))

    assert statuses(run(sound, vocab, config), "C16") == [FAIL]


def test_c16_caution_word_warns(sound, vocab):
    result = run(change(sound, identification__title="Accredited Data Analytics"), vocab)

    assert statuses(result, "C16") == [WARN]


# -- C17 controlled vocabularies ---------------------------------------------------------------------


def test_c17_valid_codes_pass(sound, vocab):
    assert statuses(run(sound, vocab), "C17") == [PASS]


def test_c17_invalid_codes_fail(sound, vocab):
    outcomes = (
        dataclasses.replace(sound.learning_outcomes[0], esco_skills=("https://esco.eu/skill/x",)),
        *sound.learning_outcomes[1:],
    )
    proposal = change(
        sound,
        delivery__languages=("en", "english"),
        awarding_body__country="ESP",
        classification__isced_f_code="0618",
        learning_outcomes=outcomes,
    )

    assert [(f.status, f.fields) for f in run(proposal, vocab).for_check("C17")] == [
        (FAIL, ("awarding_body.country",)),
        (FAIL, ("delivery.languages[1]",)),
        (FAIL, ("learning_outcomes[0].esco_skills[0]",)),
        (FAIL, ("classification.isced_f_code",)),
    ]


def test_c17_unknown_mode_fails(sound, vocab):
    result = run(change(sound, delivery__mode="hybrid"), vocab)

    assert only(result, "C17") == [
        (
            FAIL,
            "'hybrid' is not a form of participation; use one of online, onsite, blended.",
            ("delivery.mode",),
        ),
    ]


def test_c17_broad_isced_field_warns(sound, vocab):
    result = run(change(sound, classification__isced_f_code="06"), vocab)

    assert statuses(result, "C17") == [WARN]


# -- C18 public information --------------------------------------------------------------------------


def test_c18_complete_information_passes(sound, vocab):
    assert statuses(run(sound, vocab), "C18") == [PASS]


def test_c18_missing_fee_and_timetable_warn(sound, vocab):
    result = run(change(sound, admission__fee=None, delivery__timetable=""), vocab)

    assert only(result, "C18") == [
        (
            WARN,
            "Before the programme is published, learners need the fee (0 if free) and the timetable; add "
            "them "
            "now or before publication.",
            ("admission.fee", "delivery.timetable"),
        ),
    ]


def test_c18_malformed_email_fails(sound, vocab):
    assert statuses(run(change(sound, contact__email="info at upa"), vocab), "C18") == [FAIL]


# -- C19 dates ---------------------------------------------------------------------------------------


def test_c19_future_consistent_dates_pass(sound, vocab):
    assert statuses(run(sound, vocab), "C19") == [PASS]


def test_c19_start_before_expected_decision_fails(sound, vocab):
    result = run(sound, vocab, expected_decision_date=date(2027, 3, 1))

    assert only(result, "C19") == [
        (
            FAIL,
            "The start date 2027-02-01 is before the expected decision on 2027-03-01; move the start after "
            "the "
            "decision.",
            ("level.start_date",),
        ),
    ]


def test_c19_start_in_the_past_fails(sound, vocab):
    assert statuses(run(sound, vocab, today=date(2027, 2, 1)), "C19") == [FAIL]


def test_c19_start_soon_without_decision_date_warns(sound, vocab):
    assert statuses(run(sound, vocab, today=date(2027, 1, 15)), "C19") == [WARN]


def test_c19_dates_disagreeing_with_duration_fail(sound, vocab):
    result = run(change(sound, level__end_date=date(2027, 6, 30)), vocab)

    assert [(f.status, f.fields) for f in result.for_check("C19")] == [
        (FAIL, ("level.start_date", "level.end_date", "level.duration_weeks")),
    ]


def test_c19_end_before_start_fails(sound, vocab):
    assert statuses(run(change(sound, level__end_date=date(2027, 1, 1)), vocab), "C19") == [FAIL]


def test_c19_missing_start_warns(sound, vocab):
    assert statuses(run(change(sound, level__start_date=None, level__end_date=None), vocab), "C19") == [WARN]


def test_outcome_type_is_exported(sound):
    assert isinstance(sound.learning_outcomes[0], LearningOutcome)
