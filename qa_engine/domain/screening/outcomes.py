"""C6-C9: learning outcomes are observable, fit the level, are all assessed, and assessments are described."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from qa_engine.domain.proposal import LearningOutcome
from qa_engine.domain.screening.model import Context, Verdict, fail, number, passed, warn
from qa_engine.domain.vocabularies import BLOOM_LEVELS, Vocabularies


@dataclass(frozen=True)
class VerbReading:
    """The verb an outcome starts with, after lead-ins and adverbs, and what the vocabularies say of it."""

    verb: str
    vague: str | None
    level: int | None


def read_verb(text: str, vocabularies: Vocabularies) -> VerbReading:
    """Find the leading verb of an outcome statement ("The learner will be able to critically assess")."""
    words = re.findall(r"[a-z][a-z'-]*", text.lower())
    phrase = " ".join(words)
    for lead_in in sorted(vocabularies.lead_ins, key=len, reverse=True):
        lead_words = re.findall(r"[a-z][a-z'-]*", lead_in)
        if words[: len(lead_words)] == lead_words:
            words = words[len(lead_words) :]
            phrase = " ".join(words)
            break
    for vague in vocabularies.vague_phrases:
        if phrase == vague or phrase.startswith(vague + " "):
            return VerbReading(vague, vague, None)
    while words and words[0] in vocabularies.adverbs:
        words = words[1:]
    verb = words[0] if words else ""
    return VerbReading(verb, None, vocabularies.verb_levels.get(verb))


def outcome_form(ctx: Context) -> list[Verdict]:
    """C6: each outcome starts with an observable action verb, is short enough, and there are 3-8."""
    outcomes, config = ctx.proposal.learning_outcomes, ctx.config
    if not outcomes:
        return [
            fail(
                "Write the learning outcomes: what a learner can do on completion, each starting with "
                "an action verb.",
                "learning_outcomes",
            )
        ]
    verdicts = [v for i, lo in enumerate(outcomes) for v in _outcome_verdicts(i, lo, ctx)]
    low, high = config.outcome_count_range
    if not low <= len(outcomes) <= high:
        verdicts.append(
            warn(
                f"The programme has {len(outcomes)} learning outcomes; a short learning "
                f"programme usually has {low}–{high}. Merge or split outcomes.",
                "learning_outcomes",
            )
        )
    return verdicts or [
        passed(
            f"All {len(outcomes)} learning outcomes start with an observable action verb "
            f"and have at most {config.outcome_max_words} words.",
            "learning_outcomes",
        )
    ]


def _outcome_verdicts(index: int, outcome: LearningOutcome, ctx: Context) -> list[Verdict]:
    path, name = f"learning_outcomes[{index}].text", f"Learning outcome {index + 1}"
    if not outcome.text.strip():
        return [fail(f"{name} is empty; write what the learner can do, starting with an action verb.", path)]
    reading = read_verb(outcome.text, ctx.vocabularies)
    verdicts = []
    if reading.vague:
        verdicts.append(
            fail(
                f"{name} starts with '{reading.vague}', which cannot be observed; start it with "
                "an action verb such as 'explain' or 'analyse'.",
                path,
            )
        )
    elif reading.level is None:
        verdicts.append(
            warn(
                f"{name} starts with '{reading.verb}', which is not in the list of observable "
                "action verbs; start it with one such as 'apply', 'analyse' or 'design'.",
                path,
            )
        )
    words = len(outcome.text.split())
    if words > ctx.config.outcome_max_words:
        verdicts.append(
            warn(
                f"{name} has {words} words; keep it to {ctx.config.outcome_max_words} or fewer "
                "by stating one achievement per outcome.",
                path,
            )
        )
    return verdicts


def level_plausibility(ctx: Context) -> list[Verdict]:
    """C7: the outcomes' verbs look like the claimed EQF level (a heuristic: warns, never fails)."""
    eqf, config = ctx.proposal.level.eqf_level, ctx.config
    if eqf is None:
        return [
            passed("No EQF level is claimed, so the outcomes are not compared with one.", "level.eqf_level")
        ]
    readings = [read_verb(lo.text, ctx.vocabularies) for lo in ctx.proposal.learning_outcomes]
    levels = [(r.level, r.verb) for r in readings if r.level is not None]
    if not levels:
        return [
            warn(
                "Not checked: no learning outcome starts with a recognised action verb (see C6).",
                "learning_outcomes",
            )
        ]
    top, bottom = max(levels), min(levels)
    span = f"from '{bottom[1]}' ({BLOOM_LEVELS[bottom[0]]}) to '{top[1]}' ({BLOOM_LEVELS[top[0]]})"
    fields = ("level.eqf_level", "learning_outcomes")
    if eqf >= config.higher_order_min_eqf and top[0] < config.higher_order_bloom_level:
        return [
            warn(
                f"EQF {eqf} calls for analysis, evaluation or creation, but the outcomes' verbs range "
                f"{span}. Check that the outcomes reflect the level, for example by starting one with "
                "'analyse', 'evaluate' or 'design'. This is a hint for the reviewers, not a verdict.",
                *fields,
            )
        ]
    if eqf <= config.research_max_eqf and bottom[0] >= config.research_bloom_level:
        return [
            warn(
                f"At EQF {eqf} every outcome is at the level of {BLOOM_LEVELS[bottom[0]]} or above "
                f"({span}), which is ambitious; check that the outcomes match the level. This is a hint "
                "for the reviewers, not a verdict.",
                *fields,
            )
        ]
    return [passed(f"The outcomes' verbs range {span}, which is plausible for EQF {eqf}.", *fields)]


def assessment_coverage(ctx: Context) -> list[Verdict]:
    """C8: every outcome is assessed, every assessment covers an outcome, weights add up to 100%."""
    p = ctx.proposal
    if not p.assessments:
        return [
            fail(
                "Describe the assessments and map each learning outcome to at least one of them.",
                "assessments",
            )
        ]
    verdicts = _outcome_id_verdicts(ctx) + _mapping_verdicts(ctx) + _weight_verdicts(ctx)
    return verdicts or [
        passed(
            f"Every learning outcome is assessed, every assessment covers an outcome, and "
            f"the weights add up to {number(ctx.config.weights_total)}%.",
            "assessments",
        )
    ]


def _outcome_id_verdicts(ctx: Context) -> list[Verdict]:
    outcomes = ctx.proposal.learning_outcomes
    counts = Counter(lo.id for lo in outcomes)
    verdicts = [
        fail(
            f"Learning outcome {i + 1} has no id; give it one that assessments can refer to.",
            f"learning_outcomes[{i}].id",
        )
        for i, lo in enumerate(outcomes)
        if not lo.id.strip()
    ]
    verdicts += [
        fail(
            f"Learning outcome {i + 1} has the id '{lo.id}', which another outcome also has; give "
            "each outcome its own id.",
            f"learning_outcomes[{i}].id",
        )
        for i, lo in enumerate(outcomes)
        if lo.id.strip() and counts[lo.id] > 1
    ]
    return verdicts


def _mapping_verdicts(ctx: Context) -> list[Verdict]:
    p = ctx.proposal
    known, covered = {lo.id for lo in p.learning_outcomes}, {i for a in p.assessments for i in a.outcome_ids}
    verdicts = [
        fail(
            f"Learning outcome {i + 1} ({lo.id}) is not assessed; add its id to the outcome_ids of "
            "at least one assessment.",
            f"learning_outcomes[{i}]",
            "assessments",
        )
        for i, lo in enumerate(p.learning_outcomes)
        if lo.id.strip() and lo.id not in covered
    ]
    for i, a in enumerate(p.assessments):
        if not a.outcome_ids:
            verdicts.append(
                fail(
                    f"Assessment {i + 1} covers no learning outcome; list the outcomes it assesses "
                    "in its outcome_ids.",
                    f"assessments[{i}].outcome_ids",
                )
            )
        unknown = [o for o in a.outcome_ids if o not in known]
        if unknown:
            verdicts.append(
                fail(
                    f"Assessment {i + 1} refers to {', '.join(repr(o) for o in unknown)}, which "
                    "no learning outcome has as its id; correct the outcome_ids.",
                    f"assessments[{i}].outcome_ids",
                )
            )
    return verdicts


def _weight_verdicts(ctx: Context) -> list[Verdict]:
    assessments, config = ctx.proposal.assessments, ctx.config
    missing = [i for i, a in enumerate(assessments) if a.weight_percent is None]
    if missing:
        return [
            fail(
                f"Give the weight of assessment {i + 1} as a percentage of the final result.",
                f"assessments[{i}].weight_percent",
            )
            for i in missing
        ]
    total = sum(a.weight_percent or 0 for a in assessments)
    fields = tuple(f"assessments[{i}].weight_percent" for i in range(len(assessments)))
    verdicts = []
    if abs(total - config.weights_total) > config.weights_tolerance:
        verdicts.append(
            fail(
                f"The assessment weights add up to {number(total)}%; make them add up to "
                f"{number(config.weights_total)}%.",
                *fields,
            )
        )
    verdicts += [
        warn(
            f"Assessment {i + 1} has a weight of 0%; if it is formative, say so in its pass "
            "criteria, otherwise give it a weight.",
            f"assessments[{i}].weight_percent",
        )
        for i, a in enumerate(assessments)
        if a.weight_percent == 0
    ]
    return verdicts


def assessment_metadata(ctx: Context) -> list[Verdict]:
    """C9: each assessment has a type and supervision level from the vocabularies, and pass criteria."""
    if not ctx.proposal.assessments:
        return [warn("Not checked: there are no assessments (see C8).", "assessments")]
    verdicts = [v for i in range(len(ctx.proposal.assessments)) for v in _assessment_verdicts(i, ctx)]
    return verdicts or [
        passed(
            "Every assessment has a known type and pass criteria, and its supervision level is declared.",
            "assessments",
        )
    ]


def _assessment_verdicts(index: int, ctx: Context) -> list[Verdict]:
    a, vocab, name = ctx.proposal.assessments[index], ctx.vocabularies, f"Assessment {index + 1}"
    path = f"assessments[{index}]"
    verdicts = []
    if a.type not in vocab.assessment_types:
        suggestion = vocab.match_term("assessment_types", a.type) if a.type else None
        hint = f"'{suggestion}'" if suggestion else f"one of {', '.join(vocab.assessment_types)}"
        problem = (
            f"has the type '{a.type}', which is not a known assessment type" if a.type else "has no type"
        )
        verdicts.append(fail(f"{name} {problem}; use {hint}.", f"{path}.type"))
    if not a.pass_criteria.strip():
        verdicts.append(
            fail(
                f"{name} states no pass criteria; say what a learner must show to pass.",
                f"{path}.pass_criteria",
            )
        )
    if a.supervision and a.supervision not in vocab.supervision_levels:
        verdicts.append(
            fail(
                f"{name} has the supervision level '{a.supervision}', which is not one of the "
                f"three Annex I levels; use one of {', '.join(vocab.supervision_levels)}.",
                f"{path}.supervision",
            )
        )
    elif a.supervision == "unsupervised_no_id" and (a.weight_percent or 0) >= 50:
        verdicts.append(
            warn(
                f"{name} carries {number(a.weight_percent or 0)}% of the result and is "
                "unsupervised with no identity verification; explain how you make sure the "
                "learner did the work, or add supervision or an identity check.",
                f"{path}.supervision",
            )
        )
    return verdicts
