"""C13-C15: evidence of need and no near-duplicate, a declared pathway, and the QA arrangements."""

from __future__ import annotations

from qa_engine.domain.screening.model import (
    ApprovedProgramme,
    Context,
    Verdict,
    fail,
    number,
    passed,
    tokens,
    warn,
)

LISTED_DUPLICATES = 5  # the most similar approved programmes named one by one; the rest are counted


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    """Shared words over all words: 0 (nothing in common) to 1 (same words)."""
    return len(left & right) / len(left | right) if left | right else 0.0


def similarity(title_words: frozenset[str], outcome_words: frozenset[str], other: ApprovedProgramme) -> float:
    """Mean of the title and outcome word overlaps (title only when `other` has no outcomes)."""
    title_score = jaccard(title_words, other.title_words)
    if not other.outcome_texts:
        return title_score
    return (title_score + jaccard(outcome_words, other.outcome_words)) / 2


def need_and_duplication(ctx: Context) -> list[Verdict]:
    """C13: need is stated with evidence, and no approved programme is nearly the same."""
    justification, classification = ctx.proposal.justification, ctx.proposal.classification
    verdicts = []
    if not justification.need_statement.strip():
        verdicts.append(
            fail(
                "State the need the programme answers: who needs these skills and why now.",
                "justification.need_statement",
            )
        )
    if not justification.evidence and not (classification.esco_occupations or classification.esco_skills):
        verdicts.append(
            fail(
                "Give at least one piece of evidence of need: an employer letter, a labour-market "
                "catalogue reference, or ESCO occupations or skills.",
                "justification.evidence",
                "classification.esco_occupations",
            )
        )
    verdicts += [
        warn(
            f"Evidence item {i + 1} has no reference; give the document, URL or code it rests on.",
            f"justification.evidence[{i}].reference",
        )
        for i, e in enumerate(justification.evidence)
        if not e.reference.strip()
    ]
    verdicts += _duplicate_verdicts(ctx)
    if verdicts:
        return verdicts
    return [
        passed(
            f"The need is stated with {len(justification.evidence)} evidence item(s), and no approved "
            f"programme is {ctx.config.near_duplicate_threshold:.0%} similar or more.",
            "justification",
        )
    ]


def _duplicate_verdicts(ctx: Context) -> list[Verdict]:
    p, threshold = ctx.proposal, ctx.config.near_duplicate_threshold
    title_words, outcome_words = tokens([p.identification.title]), tokens(lo.text for lo in p.learning_outcomes)
    scored = sorted(((score, other) for other in ctx.approved
                     if (score := similarity(title_words, outcome_words, other)) >= threshold),
                    key=lambda pair: -pair[0])
    fields = ("identification.title", "learning_outcomes", "justification.duplication_statement")
    verdicts = [
        warn(
            f"The proposal is {score:.0%} similar in title and learning outcomes to the approved programme "
            f"'{other.title}' ({other.id}); explain in justification.duplication_statement how it differs, "
            "or consider offering that programme instead.",
            *fields,
        )
        for score, other in scored[:LISTED_DUPLICATES]
    ]
    if len(scored) > LISTED_DUPLICATES:
        more = len(scored) - LISTED_DUPLICATES
        verdicts.append(warn(f"{more} more approved programme(s) are {threshold:.0%} similar or more; the "
                             f"{LISTED_DUPLICATES} most similar are named above.", *fields))
    return verdicts


def stackability(ctx: Context) -> list[Verdict]:
    """C14: stand-alone or stackable is declared; a stackable programme names its target and credits."""
    pathways, ects = ctx.proposal.pathways, ctx.proposal.level.ects
    if pathways.stackable is None:
        return [
            warn(
                "Declare whether the programme stands alone or stacks towards a larger credential "
                "(an optional Annex I element reviewers look for).",
                "pathways.stackable",
            )
        ]
    if not pathways.stackable:
        return [passed("The programme is declared stand-alone.", "pathways.stackable")]
    verdicts = []
    if not pathways.target_credential.strip():
        verdicts.append(
            fail(
                "The programme is stackable: name the credential it stacks towards.",
                "pathways.target_credential",
            )
        )
    recognised = pathways.credits_recognised
    if recognised is None:
        verdicts.append(
            fail(
                "The programme is stackable: give the credits the target credential recognises.",
                "pathways.credits_recognised",
            )
        )
    elif ects is not None and recognised > ects:
        verdicts.append(
            fail(
                f"{number(recognised)} credits are recognised but the programme carries only "
                f"{number(ects)} ECTS; correct the recognised credits.",
                "pathways.credits_recognised",
                "level.ects",
            )
        )
    elif pathways.target_credential_ects is not None and recognised > pathways.target_credential_ects:
        verdicts.append(
            fail(
                f"{number(recognised)} credits are recognised but the target credential has only "
                f"{number(pathways.target_credential_ects)} ECTS; correct one of them.",
                "pathways.credits_recognised",
                "pathways.target_credential_ects",
            )
        )
    if not verdicts and not pathways.recognition_agreements:
        verdicts.append(
            warn(
                "The programme is stackable but no recognition agreement is listed; name the "
                "agreement or regulation under which the credits are recognised.",
                "pathways.recognition_agreements",
            )
        )
    return verdicts or [
        passed(
            f"Stacks towards '{pathways.target_credential}' with {number(recognised or 0)} "
            "credits recognised.",
            "pathways",
        )
    ]


def qa_arrangements(ctx: Context) -> list[Verdict]:
    """C15: an IQAS reference, a responsible body and a review cycle within the maximum; indicators set."""
    qa, max_cycle = ctx.proposal.quality_assurance, ctx.config.max_review_cycle_years
    verdicts = []
    if not qa.iqas_reference.strip():
        verdicts.append(
            fail(
                "Give the internal QA system (IQAS) document or URL that covers the programme.",
                "quality_assurance.iqas_reference",
            )
        )
    if not qa.qa_body.strip():
        verdicts.append(
            fail(
                "Name the body responsible for the programme's quality assurance.",
                "quality_assurance.qa_body",
            )
        )
    if qa.review_cycle_years is None:
        verdicts.append(
            fail(
                f"Set the periodic review cycle in years ({number(max_cycle)} at most).",
                "quality_assurance.review_cycle_years",
            )
        )
    elif not 0 < qa.review_cycle_years <= max_cycle:
        verdicts.append(
            fail(
                f"The review cycle of {number(qa.review_cycle_years)} years is outside 0–"
                f"{number(max_cycle)} years; review the programme at least every "
                f"{number(max_cycle)} years.",
                "quality_assurance.review_cycle_years",
            )
        )
    if not qa.indicators:
        verdicts.append(
            warn(
                "Set indicators with targets (completion, pass rate, satisfaction, progression or "
                "employment) to monitor the programme by.",
                "quality_assurance.indicators",
            )
        )
    verdicts += [
        warn(
            f"Indicator {i + 1} ('{ind.name}') has no target; give the value you aim for.",
            f"quality_assurance.indicators[{i}].target",
        )
        for i, ind in enumerate(qa.indicators)
        if not ind.target.strip()
    ]
    return verdicts or [
        passed(
            f"Covered by '{qa.iqas_reference}', overseen by {qa.qa_body}, reviewed every "
            f"{number(qa.review_cycle_years or 0)} years, with {len(qa.indicators)} "
            "indicators.",
            "quality_assurance",
        )
    ]
