"""Reviewer suggestions for a programme: conflicts and availability first, then a transparent points score.

Every point a reviewer earns or loses comes with a line a QA officer can read ("Same detailed field 0613 +30"),
so the ranking can be checked by hand. No learning, no hidden weights: ISCED-F field match, keyword overlap
(normalised, stop-words removed, light stemming), language match, a bonus for a profile the panel still needs,
and a penalty per open assignment. Ties break on load, then name, then id, so the order never depends on input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from qa_engine.domain.panels import ProfileType

FIELD_POINTS = {4: 30, 3: 20, 2: 10}
FIELD_NAMES = {4: "detailed", 3: "narrow", 2: "broad"}
KEYWORD_POINTS = 8
KEYWORD_CAP = 40
LANGUAGE_ALL_POINTS = 10
LANGUAGE_SOME_POINTS = 5
NEEDED_PROFILE_POINTS = 15
LOAD_PENALTY = 5


@dataclass(frozen=True)
class ReviewerProfile:
    """A reviewer in the pool; `available` is True, False, or the date from which they are available again."""

    id: int
    name: str
    institution_id: int | None
    profile_types: frozenset[ProfileType] = frozenset()
    expertise: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()
    available: bool | date = True
    conflict_institution_ids: frozenset[int] = frozenset()
    former_institution_ids: frozenset[int] = frozenset()
    current_load: int = 0
    max_load: int | None = None


@dataclass(frozen=True)
class ProgrammeFacts:
    """What matching needs to know about a programme; `texts` are title words, keywords and outcome texts."""

    provider_id: int
    isced_codes: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()
    partner_ids: frozenset[int] = frozenset()
    conflicted_reviewer_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ScoreLine:
    """One reason in a suggestion's score, with the points it adds (or takes away; 0 for information)."""

    text: str
    points: int

    def __str__(self) -> str:
        return f"{self.text} ({self.points:+d})" if self.points else self.text


@dataclass(frozen=True)
class Suggestion:
    """A reviewer worth inviting, with the score and the lines that make it up."""

    reviewer: ReviewerProfile
    score: int
    lines: tuple[ScoreLine, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The human-readable reasons, in scoring order."""
        return tuple(line.text for line in self.lines)


@dataclass(frozen=True)
class Exclusion:
    """A reviewer left out of the suggestions, and every reason why."""

    reviewer: ReviewerProfile
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Suggestions:
    """The ranked suggestions (at most `limit`) and, for transparency, everyone excluded."""

    ranked: tuple[Suggestion, ...]
    excluded: tuple[Exclusion, ...]


def conflicts(reviewer: ReviewerProfile, programme: ProgrammeFacts) -> list[str]:
    """Why `reviewer` may not review `programme` (empty when there is no conflict)."""
    reasons = []
    if reviewer.id in programme.conflicted_reviewer_ids:
        reasons.append("Named as conflicted for this programme")
    if reviewer.institution_id == programme.provider_id:
        reasons.append("Same institution as the provider")
    if programme.provider_id in reviewer.conflict_institution_ids:
        reasons.append("Declared a conflict with the provider")
    if programme.provider_id in reviewer.former_institution_ids:
        reasons.append("Formerly at the provider institution")
    for partner in sorted(programme.partner_ids):
        if reviewer.institution_id == partner:
            reasons.append(f"Same institution as partner {partner}")
        if partner in reviewer.conflict_institution_ids:
            reasons.append(f"Declared a conflict with partner {partner}")
        if partner in reviewer.former_institution_ids:
            reasons.append(f"Formerly at partner {partner}")
    return reasons


def exclusions(
    reviewer: ReviewerProfile, programme: ProgrammeFacts, *, today: date, exclude_ids: Collection[int] = ()
) -> list[str]:
    """Every reason `reviewer` cannot be suggested today: conflicts, unavailability, full load, already on panel."""
    reasons = conflicts(reviewer, programme)
    if reviewer.id in exclude_ids:
        reasons.append("Already on the panel")
    if reviewer.available is False:
        reasons.append("Unavailable")
    elif isinstance(reviewer.available, date) and reviewer.available > today:
        reasons.append(f"Unavailable until {reviewer.available.isoformat()}")
    if reviewer.max_load is not None and reviewer.current_load >= reviewer.max_load:
        reasons.append(f"At maximum load ({reviewer.current_load} of {reviewer.max_load})")
    return reasons


def suggest(
    programme: ProgrammeFacts,
    reviewers: Iterable[ReviewerProfile],
    *,
    today: date,
    limit: int | None = 10,
    needed_profiles: Iterable[ProfileType] = (),
    exclude_ids: Collection[int] = (),
) -> Suggestions:
    """Rank the eligible reviewers for `programme`, best first, and list the excluded ones with reasons."""
    needed = frozenset(needed_profiles)
    stems = _stems(" ".join(programme.texts))
    ranked, excluded = [], []
    for reviewer in reviewers:
        reasons = exclusions(reviewer, programme, today=today, exclude_ids=exclude_ids)
        if reasons:
            excluded.append(Exclusion(reviewer, tuple(reasons)))
        else:
            lines = score_lines(reviewer, programme, needed, stems)
            ranked.append(Suggestion(reviewer, sum(line.points for line in lines), lines))
    ranked.sort(key=lambda s: (-s.score, s.reviewer.current_load, s.reviewer.name.casefold(), s.reviewer.id))
    excluded.sort(key=lambda e: (e.reviewer.name.casefold(), e.reviewer.id))
    return Suggestions(tuple(ranked if limit is None else ranked[:limit]), tuple(excluded))


def score_lines(
    reviewer: ReviewerProfile,
    programme: ProgrammeFacts,
    needed: frozenset[ProfileType] = frozenset(),
    stems: frozenset[str] | None = None,
) -> tuple[ScoreLine, ...]:
    """The scored reasons for `reviewer` on `programme`, in a fixed order."""
    lines = [
        *_field_lines(reviewer.expertise, programme.isced_codes),
        *_keyword_lines(reviewer.keywords, _stems(" ".join(programme.texts)) if stems is None else stems),
        *_language_lines(reviewer.languages, programme.languages),
    ]
    covered = sorted(p.value for p in reviewer.profile_types & needed)
    if covered:
        lines.append(ScoreLine(f"Covers needed profile: {', '.join(covered)}", NEEDED_PROFILE_POINTS))
    of = f" of {reviewer.max_load}" if reviewer.max_load is not None else ""
    lines.append(ScoreLine(f"Load {reviewer.current_load}{of}", -LOAD_PENALTY * reviewer.current_load))
    return tuple(lines)


def field_level(expertise: str, programme_code: str) -> int:
    """4, 3 or 2 for the deepest ISCED-F level the two codes share, 0 for none."""
    for level in (4, 3, 2):
        if len(expertise) >= level and len(programme_code) >= level and expertise[:level] == programme_code[:level]:
            return level
    return 0


def _field_lines(expertise: Sequence[str], codes: Sequence[str]) -> list[ScoreLine]:
    best = max(((field_level(e, c), c[: field_level(e, c)]) for e in expertise for c in codes), default=(0, ""))
    level, shared = best
    if not level:
        return []
    return [ScoreLine(f"Same {FIELD_NAMES[level]} field {shared}", FIELD_POINTS[level])]


def _keyword_lines(keywords: Sequence[str], stems: frozenset[str]) -> list[ScoreLine]:
    matched = sorted({k.strip() for k in keywords if _phrase_matches(k, stems)}, key=str.casefold)
    if not matched:
        return []
    return [ScoreLine(f"Keywords: {', '.join(matched)}", min(KEYWORD_CAP, KEYWORD_POINTS * len(matched)))]


def _language_lines(spoken: frozenset[str], taught: frozenset[str]) -> list[ScoreLine]:
    spoken_codes = {code.casefold() for code in spoken}
    taught_codes = sorted(code.casefold() for code in taught)
    shared = [code for code in taught_codes if code in spoken_codes]
    missing = [code for code in taught_codes if code not in spoken_codes]
    if not taught_codes:
        return []
    if not missing:
        return [ScoreLine(f"Speaks {', '.join(shared)}", LANGUAGE_ALL_POINTS)]
    if shared:
        return [ScoreLine(f"Speaks {', '.join(shared)}, not {', '.join(missing)}", LANGUAGE_SOME_POINTS)]
    return [ScoreLine(f"Does not speak {', '.join(missing)}", 0)]


STOP_WORDS = frozenset(
    """a an and are as at be by can for from in into is it its of on or the their this to with within will
    able ability apply basic course graduate knowledge learner learners learning module programme program
    skill skills student students understand understanding use using""".split()
)
_SUFFIXES = ("ational", "ations", "ation", "ities", "ity", "ings", "ing", "ies", "ied", "ers", "er", "ed",
             "es", "ly", "al", "s")
_WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """A light suffix-stripping stem: "analytics" and "analytical" both give "analytic"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return [word for word in _WORD.findall(folded) if word not in STOP_WORDS and len(word) > 1]


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in _tokens(text))


def _phrase_matches(keyword: str, stems: frozenset[str]) -> bool:
    wanted = [stem(word) for word in _tokens(keyword)]
    return bool(wanted) and all(any(_stem_matches(w, s) for s in stems) for w in wanted)


def _stem_matches(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 5 and long.startswith(short)
