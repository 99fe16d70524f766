"""C16-C19: the title, coded values, the information learners need, and the dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from qa_engine.domain.screening.model import Context, Verdict, fail, listing, number, passed, warn

ESCO_OCCUPATION = re.compile(
    r"http://data\.europa\.eu/esco/(occupation/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|isco/C\d{1,4})"
)
ESCO_SKILL = re.compile(r"http://data\.europa\.eu/esco/skill/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
WEB_URL = re.compile(r"https?://[^\s/]+\.[^\s]+")


def _words_in(text: str, words: tuple[str, ...]) -> list[str]:
    lowered = text.lower()
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", lowered)]


def title_hygiene(ctx: Context) -> list[Verdict]:
    """C16: the title uses no protected award word (fail) and no status word without need (warn)."""
    title, vocab = ctx.proposal.identification.title, ctx.vocabularies
    if not title.strip():
        return [warn("Not checked: the programme has no title (see C1).", "identification.title")]
    protected = _words_in(title, vocab.protected_title_words + ctx.config.extra_protected_title_words)
    if protected:
        quoted = listing([f"'{w}'" for w in protected])
        return [
            fail(
                f"The title contains {quoted}, which name{'s' if len(protected) == 1 else ''} an award "
                "a short learning programme does not lead to; rename the programme without "
                f"{'it' if len(protected) == 1 else 'them'}.",
                "identification.title",
            )
        ]
    caution = _words_in(title, vocab.caution_title_words)
    if caution:
        return [
            warn(
                f"The title contains {listing([repr(w) for w in caution])}, which may suggest a status "
                "the programme does not have; keep it only if it is accurate.",
                "identification.title",
            )
        ]
    return [passed("The title contains no protected award word.", "identification.title")]


def vocabularies_used(ctx: Context) -> list[Verdict]:
    """C17: field code, languages, mode, countries, evidence kinds and ESCO URIs use their vocabularies."""
    verdicts = _code_verdicts(ctx) + _language_verdicts(ctx) + _esco_verdicts(ctx)
    isced = ctx.proposal.classification.isced_f_code
    if not isced:
        verdicts.append(
            warn(
                "Give the ISCED-F 2013 field of education code (for example 0613).",
                "classification.isced_f_code",
            )
        )
    elif isced not in ctx.vocabularies.isced_fields:
        verdicts.append(
            fail(
                f"'{isced}' is not an ISCED-F 2013 field code; use a 3- or 4-digit code such as "
                "0613 (software and applications development and analysis).",
                "classification.isced_f_code",
            )
        )
    elif len(isced) == 2:
        verdicts.append(
            warn(
                f"'{isced}' is a broad ISCED-F field ({ctx.vocabularies.isced_fields[isced]}); "
                "give the narrow (3-digit) or detailed (4-digit) field.",
                "classification.isced_f_code",
            )
        )
    return verdicts or [
        passed("Field code, languages, mode, countries and ESCO links use their controlled vocabularies.")
    ]


def _code_verdicts(ctx: Context) -> list[Verdict]:
    p, vocab = ctx.proposal, ctx.vocabularies
    checks = [
        ("delivery.mode", p.delivery.mode, vocab.modes, "a form of participation"),
        ("awarding_body.country", p.awarding_body.country, vocab.countries, "an ISO 3166-1 country code"),
        ("level.nqf_country", p.level.nqf_country, vocab.countries, "an ISO 3166-1 country code"),
    ]
    checks += [
        (f"justification.evidence[{i}].kind", e.kind, vocab.evidence_kinds, "a kind of evidence")
        for i, e in enumerate(p.justification.evidence)
    ]
    return [
        fail(f"'{value}' is not {what}; use one of {_choices(known)}.", path)
        for path, value, known, what in checks
        if value and value not in known
    ]


def _choices(known: Mapping[str, object]) -> str:
    names = list(known)
    return (
        ", ".join(names)
        if len(names) <= 12
        else "the codes in the vocabulary (e.g. " + ", ".join(names[:3]) + ")"
    )


def _language_verdicts(ctx: Context) -> list[Verdict]:
    p, languages = ctx.proposal, ctx.vocabularies.languages
    found = [(f"delivery.languages[{i}]", code) for i, code in enumerate(p.delivery.languages)]
    found += [(f"assessments[{i}].language", a.language) for i, a in enumerate(p.assessments) if a.language]
    return [
        fail(f"'{code}' is not an ISO 639-1 language code; use two letters such as 'en', 'fr' or 'es'.", path)
        for path, code in found
        if code not in languages
    ]


def _esco_verdicts(ctx: Context) -> list[Verdict]:
    p = ctx.proposal
    links = [
        (f"classification.esco_occupations[{i}]", uri, ESCO_OCCUPATION, "occupation")
        for i, uri in enumerate(p.classification.esco_occupations)
    ]
    links += [
        (f"classification.esco_skills[{i}]", uri, ESCO_SKILL, "skill")
        for i, uri in enumerate(p.classification.esco_skills)
    ]
    links += [
        (f"learning_outcomes[{i}].esco_skills[{j}]", uri, ESCO_SKILL, "skill")
        for i, lo in enumerate(p.learning_outcomes)
        for j, uri in enumerate(lo.esco_skills)
    ]
    return [
        fail(
            f"'{uri}' is not an ESCO {kind} URI; copy it from the ESCO portal, e.g. "
            f"http://data.europa.eu/esco/{kind}/<uuid>.",
            path,
        )
        for path, uri, pattern, kind in links
        if not pattern.fullmatch(uri)
    ]


def public_information(ctx: Context) -> list[Verdict]:
    """C18: what learners need before publication (ESG 1.8): fee, timetable, languages, mode, contact."""
    p = ctx.proposal
    needed = [
        ("admission.fee", p.admission.fee is not None, "the fee (0 if free)"),
        ("delivery.timetable", p.delivery.timetable.strip(), "the timetable"),
        ("delivery.languages", p.delivery.languages, "the language(s) of instruction"),
        ("delivery.mode", p.delivery.mode, "the form of participation"),
        ("contact.email", p.contact.email.strip(), "a contact e-mail address"),
        (
            "identification.credential_type",
            p.identification.credential_type.strip(),
            "the type of certificate learners receive",
        ),
        (
            "quality_assurance.public_info_url",
            p.quality_assurance.public_info_url.strip(),
            "the public information page",
        ),
    ]
    verdicts = []
    if p.contact.email and not EMAIL.fullmatch(p.contact.email):
        verdicts.append(fail(f"'{p.contact.email}' is not an e-mail address; correct it.", "contact.email"))
    url = p.quality_assurance.public_info_url
    if url and not WEB_URL.fullmatch(url):
        verdicts.append(
            fail(
                f"'{url}' is not a web address; give a URL starting with https://.",
                "quality_assurance.public_info_url",
            )
        )
    missing = [(path, label) for path, present, label in needed if not present]
    if missing:
        verdicts.append(
            warn(
                f"Before the programme is published, learners need {listing([m[1] for m in missing])}; "
                f"add {'it' if len(missing) == 1 else 'them'} now or before publication.",
                *(path for path, _ in missing),
            )
        )
    return verdicts or [
        passed(
            "Fee, timetable, languages, mode, contact, certificate type and the public "
            "information page are given."
        )
    ]


def dates(ctx: Context) -> list[Verdict]:
    """C19: the start follows the decision, the end follows the start, and the duration fits the dates."""
    level, config = ctx.proposal.level, ctx.config
    if level.start_date is None:
        return [warn("Not checked: give the planned start date of the first intake.", "level.start_date")]
    start, decision = level.start_date, ctx.expected_decision_date
    verdicts = []
    if start <= ctx.today:
        verdicts.append(
            fail(
                f"The start date {start.isoformat()} is not in the future; move it after the "
                "expected decision.",
                "level.start_date",
            )
        )
    elif decision is not None and start < decision:
        verdicts.append(
            fail(
                f"The start date {start.isoformat()} is before the expected decision on "
                f"{decision.isoformat()}; move the start after the decision.",
                "level.start_date",
            )
        )
    elif decision is None and start < ctx.today + timedelta(days=config.decision_lead_days):
        verdicts.append(
            warn(
                f"The start date {start.isoformat()} is less than {config.decision_lead_days} days "
                "away, which may not leave time for the review and decision; consider a later start.",
                "level.start_date",
            )
        )
    verdicts += _end_verdicts(ctx)
    return verdicts or [
        passed(
            f"The programme starts on {start.isoformat()}, after the expected decision, and "
            "its dates agree with its duration.",
            "level.start_date",
        )
    ]


def _end_verdicts(ctx: Context) -> list[Verdict]:
    level = ctx.proposal.level
    if level.end_date is None or level.start_date is None:
        return []
    if level.end_date < level.start_date:
        return [
            fail(
                f"The end date {level.end_date.isoformat()} is before the start date "
                f"{level.start_date.isoformat()}; correct one of them.",
                "level.start_date",
                "level.end_date",
            )
        ]
    weeks = ((level.end_date - level.start_date).days + 1) / 7
    if (
        level.duration_weeks is not None
        and abs(weeks - level.duration_weeks) > ctx.config.duration_tolerance_weeks
    ):
        return [
            fail(
                f"The dates span {number(weeks)} weeks but the duration is {number(level.duration_weeks)} "
                "weeks; make the dates and the duration agree.",
                "level.start_date",
                "level.end_date",
                "level.duration_weeks",
            )
        ]
    return []
