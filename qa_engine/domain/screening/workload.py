"""C1-C5: the Annex I elements are there, and size, hours and duration agree with each other."""

from __future__ import annotations

import re

from qa_engine.domain.screening.model import Context, Verdict, fail, listing, number, passed, warn

HOUR_PARTS = ("contact", "guided", "self_study", "work_based", "assessment")


def annex_completeness(ctx: Context) -> list[Verdict]:
    """C1: the mandatory Annex I elements are filled in; the optional ones are at least mentioned."""
    p = ctx.proposal
    mandatory = [
        ("identification.title", p.identification.title.strip(), "the title"),
        ("awarding_body.name", p.awarding_body.name.strip(), "the awarding body"),
        ("awarding_body.country", p.awarding_body.country.strip(), "the awarding body's country"),
        ("learning_outcomes", any(lo.text.strip() for lo in p.learning_outcomes), "the learning outcomes"),
        ("level.ects", p.level.ects is not None, "the notional workload in ECTS"),
        (
            "level.eqf_level",
            p.level.eqf_level or p.level.eqf_na_reason.strip(),
            "the EQF level (or, in level.eqf_na_reason, why none applies)",
        ),
        ("assessments", any(a.type.strip() for a in p.assessments), "the type of assessment"),
        ("delivery.mode", p.delivery.mode.strip(), "the form of participation"),
        ("quality_assurance.qa_type", p.quality_assurance.qa_type.strip(), "the type of quality assurance"),
    ]
    missing = [(path, label) for path, present, label in mandatory if not present]
    verdicts = []
    if missing:
        labels = listing([label for _, label in missing])
        verdicts.append(
            fail(
                f"Annex I requires {labels}; fill {'it' if len(missing) == 1 else 'them'} in "
                "before submitting.",
                *(path for path, _ in missing),
            )
        )
    optional = _missing_optional(ctx)
    if optional:
        labels = listing([label for _, label in optional])
        verdicts.append(
            warn(
                f"These optional Annex I elements are not described: {labels}. Add them, "
                "or say in further_information why they do not apply.",
                *(path for path, _ in optional),
            )
        )
    return verdicts or [passed("All mandatory and optional Annex I elements are described.")]


def _missing_optional(ctx: Context) -> list[tuple[str, str]]:
    # Prerequisites and stackability are optional Annex I elements too, but C10 and C14 check them.
    p = ctx.proposal
    missing = [
        (f"assessments[{i}].supervision", f"supervision and identity verification for assessment {i + 1}")
        for i, a in enumerate(p.assessments)
        if not a.supervision.strip()
    ]
    missing += [
        (f"assessments[{i}].grading_scheme", f"the grading scheme of assessment {i + 1}")
        for i, a in enumerate(p.assessments)
        if not a.grading_scheme.strip()
    ]
    if not p.further_information.strip():
        missing.append(("further_information", "further information"))
    return missing


def size_bounds(ctx: Context) -> list[Verdict]:
    """C2: the ECTS credits lie within the scheme's range for a short learning programme."""
    ects, (low, high) = ctx.proposal.level.ects, ctx.config.ects_range
    if ects is None:
        return [warn("Not checked: give the workload in ECTS credits.", "level.ects")]
    if ects <= 0:
        return [fail("The workload is 0 ECTS; give the credits the programme carries.", "level.ects")]
    if ects < low or ects > high:
        side = "below the minimum" if ects < low else "above the maximum"
        return [
            warn(
                f"{number(ects)} ECTS is {side} of {number(low)}–{number(high)} ECTS that this scheme "
                "accepts for a short learning programme; change the size or explain why it is needed.",
                "level.ects",
            )
        ]
    return [passed(f"{number(ects)} ECTS is within {number(low)}–{number(high)} ECTS.", "level.ects")]


def ects_hours(ctx: Context) -> list[Verdict]:
    """C3: total hours per ECTS credit lie in the configured range; far outside it fails."""
    level, (low, high) = ctx.proposal.level, ctx.config.hours_per_ects
    if level.total_hours is None:
        return [
            fail(
                "Give the total notional learning hours, so that they can be checked against the "
                "ECTS credits.",
                "level.total_hours",
            )
        ]
    if not level.ects:
        return [warn("Not checked: give the workload in ECTS credits.", "level.ects")]
    ratio = level.total_hours / level.ects
    expected = f"{number(low * level.ects)}–{number(high * level.ects)} hours"
    summary = (
        f"{number(level.ects)} ECTS with {number(level.total_hours)} hours is {number(ratio)} hours per "
        f"ECTS; this scheme expects {number(low)}–{number(high)} hours per ECTS ({expected})."
    )
    if low <= ratio <= high:
        return [passed(summary, "level.ects", "level.total_hours")]
    deviation = (low - ratio) / low if ratio < low else (ratio - high) / high
    if deviation > ctx.config.hours_per_ects_fail_tolerance:
        return [
            fail(
                f"{summary} Change the total hours or the ECTS credits so that they agree.",
                "level.ects",
                "level.total_hours",
            )
        ]
    return [
        warn(
            f"{summary} The difference is small; adjust the hours or explain it.",
            "level.ects",
            "level.total_hours",
        )
    ]


def hours_breakdown(ctx: Context) -> list[Verdict]:
    """C4: contact, guided, self-study, work-based and assessment hours add up to the total."""
    level = ctx.proposal.level
    parts = {name: getattr(level.hours, name) for name in HOUR_PARTS}
    given = {name: value for name, value in parts.items() if value is not None}
    if level.total_hours is None:
        return [warn("Not checked: give the total hours (see C3).", "level.total_hours")]
    if not given:
        return [
            fail(
                f"Break the {number(level.total_hours)} total hours down into contact, guided, "
                "self-study, work-based and assessment hours.",
                "level.hours",
            )
        ]
    total = sum(given.values())
    terms = " + ".join(f"{name.replace('_', '-')} {number(value)}" for name, value in given.items())
    if abs(total - level.total_hours) > ctx.config.hours_breakdown_tolerance:
        return [
            fail(
                f"The hours breakdown adds up to {number(total)} h ({terms}) but the total is "
                f"{number(level.total_hours)} h; make the parts add up to the total.",
                "level.hours",
                "level.total_hours",
            )
        ]
    return [
        passed(
            f"The hours breakdown ({terms}) adds up to the total of {number(level.total_hours)} h.",
            "level.hours",
        )
    ]


def weekly_intensity(ctx: Context) -> list[Verdict]:
    """C5: hours per week stay under the full-time ceiling, and lower for working adults."""
    level, config = ctx.proposal.level, ctx.config
    if level.total_hours is None:
        return [warn("Not checked: give the total hours (see C3).", "level.total_hours")]
    if level.duration_weeks is None:
        return [
            warn(
                "Not checked: give the duration in weeks, so that the weekly workload can be judged.",
                "level.duration_weeks",
            )
        ]
    if level.duration_weeks <= 0:
        return [
            fail(
                "The duration is 0 weeks; give the number of weeks the programme runs.",
                "level.duration_weeks",
            )
        ]
    weekly = level.total_hours / level.duration_weeks
    summary = (
        f"{number(level.total_hours)} hours over {number(level.duration_weeks)} weeks is "
        f"{number(weekly)} hours a week"
    )
    fields = ("level.total_hours", "level.duration_weeks")
    if weekly > config.max_weekly_hours:
        return [
            fail(
                f"{summary}, more than the full-time ceiling of {number(config.max_weekly_hours)}; "
                "spread the programme over more weeks or reduce the hours.",
                *fields,
            )
        ]
    if weekly > config.working_adult_weekly_hours and _aimed_at_working_adults(ctx):
        return [
            warn(
                f"{summary}; the target group works, and working adults can rarely study more than "
                f"{number(config.working_adult_weekly_hours)} hours a week. Spread the programme over "
                "more weeks or explain how learners will find the time.",
                *fields,
                "classification.target_group",
            )
        ]
    return [passed(f"{summary}.", *fields)]


def _aimed_at_working_adults(ctx: Context) -> bool:
    words = set(re.findall(r"[a-z-]+", ctx.proposal.classification.target_group.lower()))
    return bool(words & set(ctx.config.working_adult_keywords))
