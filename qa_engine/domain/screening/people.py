"""C10-C12: who may enter, who teaches, and whether the staff and money fit the places planned."""

from __future__ import annotations

import re

from qa_engine.domain.proposal import QualificationLevel, StaffCategory
from qa_engine.domain.screening.model import Context, Verdict, fail, listing, number, passed, warn


def entry_requirements(ctx: Context) -> list[Verdict]:
    """C10: entry requirements are stated; from EQF 6 they name a prior level or an RPL route."""
    admission, eqf, config = ctx.proposal.admission, ctx.proposal.level.eqf_level, ctx.config
    if not admission.entry_requirements.strip():
        return [
            fail(
                "State the entry requirements: who may enrol, with what prior learning or experience.",
                "admission.entry_requirements",
            )
        ]
    words = set(re.findall(r"[a-z]+", admission.entry_requirements.lower()))
    names_level = bool(words & set(config.prior_qualification_keywords))
    has_rpl = bool(admission.rpl_route.strip())
    fields = ("admission.entry_requirements", "admission.rpl_route")
    if eqf is not None and eqf >= config.prior_qualification_min_eqf and not (names_level or has_rpl):
        return [
            fail(
                f"At EQF {eqf} the entry requirements must name the prior qualification or level "
                "expected (for example 'a bachelor's degree or EQF 5 qualification'), or describe a route "
                "for recognising prior learning in admission.rpl_route.",
                *fields,
            )
        ]
    if not has_rpl:
        return [
            warn(
                "There is no route for recognising prior learning, so applicants without the stated "
                "requirements cannot enter; describe one in admission.rpl_route.",
                "admission.rpl_route",
            )
        ]
    return [passed("Entry requirements and a route for recognising prior learning are stated.", *fields)]


def staff_mix(ctx: Context) -> list[Verdict]:
    """C11: staff are described, and academics and professionals share the teaching sensibly."""
    staff = ctx.proposal.staff
    if not staff:
        return [
            fail(
                "List the teaching staff with their highest qualification, category (academic or "
                "professional) and teaching hours.",
                "staff",
            )
        ]
    incomplete = [_missing_staff_fields(i, ctx) for i in range(len(staff))]
    verdicts = [verdict for verdict in incomplete if verdict]
    if verdicts:
        return verdicts
    hours = sum(member.teaching_hours or 0 for member in staff)
    if hours <= 0:
        return [fail("No staff member has teaching hours; give each one's hours in the programme.", "staff")]
    return _share_verdicts(ctx, hours)


def _missing_staff_fields(index: int, ctx: Context) -> Verdict | None:
    member = ctx.proposal.staff[index]
    missing = [
        (name, label)
        for name, label, value in (
            ("highest_qualification", "highest qualification", member.highest_qualification),
            ("category", "category (academic, professional or both)", member.category),
            ("teaching_hours", "teaching hours", member.teaching_hours),
        )
        if value is None
    ]
    if not missing:
        return None
    who = f"Staff member {index + 1}" + (f" ({member.name})" if member.name else "")
    pronoun = "it" if len(missing) == 1 else "them"
    return fail(
        f"{who} has no {listing([label for _, label in missing])}; add {pronoun}.",
        *(f"staff[{index}].{name}" for name, _ in missing),
    )


def _share_verdicts(ctx: Context, hours: float) -> list[Verdict]:
    staff, config = ctx.proposal.staff, ctx.config

    def share(*categories: StaffCategory) -> float:
        return sum(m.teaching_hours or 0 for m in staff if m.category in categories) / hours

    academic = share(StaffCategory.ACADEMIC, StaffCategory.BOTH)
    professional = share(StaffCategory.PROFESSIONAL, StaffCategory.BOTH)
    doctors = sum(m.highest_qualification is QualificationLevel.DOCTORATE for m in staff)
    summary = (
        f"Academic staff teach {academic:.0%} and professional practitioners {professional:.0%} of the "
        f"{number(hours)} teaching hours; {doctors} of {len(staff)} staff hold a doctorate."
    )
    verdicts = []
    if academic < config.min_academic_share:
        verdicts.append(
            warn(
                f"{summary} The academic share is below {config.min_academic_share:.0%}; add "
                "academic staff or explain how academic standards are assured.",
                "staff",
            )
        )
    if professional == 0 and _labour_market_programme(ctx):
        verdicts.append(
            warn(
                f"{summary} The programme is aimed at the labour market but no professional "
                "practitioner teaches on it; involve one or explain why not.",
                "staff",
            )
        )
    return verdicts or [passed(summary, "staff")]


def _labour_market_programme(ctx: Context) -> bool:
    p, kinds = ctx.proposal, set(ctx.config.labour_market_evidence_kinds)
    return bool(p.classification.esco_occupations) or any(e.kind in kinds for e in p.justification.evidence)


def resource_intensity(ctx: Context) -> list[Verdict]:
    """C12: staff hours and cost per learner are within plausible bounds for the places planned."""
    admission = ctx.proposal.admission
    if admission.places_min is not None and admission.places_max is not None:
        if admission.places_min > admission.places_max:
            return [
                fail(
                    f"The minimum of {admission.places_min} places is above the maximum of "
                    f"{admission.places_max}; correct the numbers.",
                    "admission.places_min",
                    "admission.places_max",
                )
            ]
    if not admission.places_max:
        return [
            warn(
                "Not checked: give the maximum number of places, so that staff hours and cost per "
                "learner can be judged.",
                "admission.places_max",
            )
        ]
    verdicts = _staffing_verdicts(ctx) + _budget_verdicts(ctx)
    return verdicts or [passed(_resource_summary(ctx), "admission.places_max", "staff", "resources")]


def _staffing_verdicts(ctx: Context) -> list[Verdict]:
    p, config = ctx.proposal, ctx.config
    places, ects = p.admission.places_max or 0, p.level.ects
    hours = sum(m.teaching_hours or 0 for m in p.staff)
    verdicts = []
    if hours and ects:
        per_learner = hours / places / ects
        low, high = config.staff_hours_per_learner_ects
        if not low <= per_learner <= high:
            verdicts.append(
                warn(
                    f"{number(hours)} staff hours for {places} learners and {number(ects)} ECTS is "
                    f"{per_learner:.2f} staff hours per learner per ECTS, outside the usual "
                    f"{number(low)}–{number(high)}; check the places and the staff hours.",
                    "admission.places_max",
                    "staff",
                )
            )
    if (
        p.delivery.mode == "online"
        and p.staff
        and places / len(p.staff) > config.max_online_learners_per_staff
    ):
        verdicts.append(
            warn(
                f"Online delivery to {places} learners with {len(p.staff)} staff is "
                f"{places / len(p.staff):.0f} learners per tutor, more than "
                f"{config.max_online_learners_per_staff}; add tutors or reduce the places.",
                "admission.places_max",
                "staff",
            )
        )
    return verdicts


def _budget_verdicts(ctx: Context) -> list[Verdict]:
    p, config = ctx.proposal, ctx.config
    cost, income, places, ects = (
        p.resources.budget_total_cost,
        p.resources.budget_income,
        p.admission.places_max or 0,
        p.level.ects,
    )
    verdicts = []
    if cost and ects:
        per_ects = cost / places / ects
        low, high = config.cost_per_learner_ects
        if not low <= per_ects <= high:
            verdicts.append(
                warn(
                    f"The budget of {number(cost)} for {places} learners and {number(ects)} ECTS "
                    f"costs {number(per_ects)} per learner per ECTS, outside the usual "
                    f"{number(low)}–{number(high)}; check the budget.",
                    "resources.budget_total_cost",
                )
            )
    if cost is not None and income is not None and income < cost:
        verdicts.append(
            warn(
                f"The budget shows income of {number(income)} against costs of {number(cost)}; "
                "explain how the difference is covered.",
                "resources.budget_income",
                "resources.budget_total_cost",
            )
        )
    return verdicts


def _resource_summary(ctx: Context) -> str:
    p = ctx.proposal
    places, hours = p.admission.places_max or 0, sum(m.teaching_hours or 0 for m in p.staff)
    text = f"{number(hours)} staff hours for up to {places} learners ({hours / places:.1f} h per learner)"
    if p.resources.budget_total_cost and p.level.ects:
        cost = number(p.resources.budget_total_cost / places / p.level.ects)
        text += (
            f"; a cost of {' '.join(filter(None, (cost, p.resources.budget_currency)))} per learner per ECTS"
        )
    return text + "."
