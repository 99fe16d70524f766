"""Who may see what of a review: marks before one's own submission, reviewer identities in blind mode.

Services decide each viewer's `Relation` to a review (a reviewer removed from the panel is `NONE`) and pass
plain facts; these predicates are the single place the rules live. Everything shown to designers goes
through `redact_for_designer`, which in blind mode replaces identities by stable aliases and scrubs reviewer
names, e-mail addresses and institutions out of free text, the side channel where blind review usually leaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType


class Relation(StrEnum):
    AUTHOR = "author"  # the reviewer who wrote the review
    PANEL_MEMBER = "panel_member"  # another reviewer on the same panel
    PANEL_CHAIR = "panel_chair"  # a panel member who also consolidates
    QA_OFFICER = "qa_officer"
    ADMIN = "admin"
    DESIGNER = "designer"  # of the provider whose programme is reviewed
    NONE = "none"


OVERSEERS = frozenset({Relation.QA_OFFICER, Relation.ADMIN})
PANEL = frozenset({Relation.PANEL_MEMBER, Relation.PANEL_CHAIR})


def can_see_marks(
    viewer: Relation, review_submitted: bool, *, viewer_has_submitted: bool, released_to_designers: bool
) -> bool:
    """May `viewer` see a review's marks and comments (panel members only after submitting their own)."""
    if viewer is Relation.AUTHOR:
        return True
    if not review_submitted:
        return False
    if viewer in OVERSEERS:
        return True
    if viewer in PANEL:
        return viewer_has_submitted
    return viewer is Relation.DESIGNER and released_to_designers


def can_see_reviewer_identity(viewer: Relation, blind_mode: bool) -> bool:
    """Know who wrote a review: everyone involved except designers in blind mode, and never outsiders."""
    if viewer is Relation.NONE:
        return False
    return not (viewer is Relation.DESIGNER and blind_mode)


def alias_label(index: int) -> str:
    """"Reviewer A" for 0, ..., "Reviewer Z", then "Reviewer AA", "Reviewer AB", like spreadsheet columns."""
    if index < 0:
        raise ValueError("index: must be >= 0")
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"Reviewer {letters}"


@dataclass(frozen=True)
class ReviewerAlias:
    """Anonymous labels for designer-facing output, by assignment order: the first assigned is "Reviewer A"."""

    assignment_ids: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(set(self.assignment_ids)) != len(self.assignment_ids):
            raise ValueError("assignment_ids: must be unique")

    @classmethod
    def by_assignment_time(cls, assigned: Iterable[tuple[int, date | datetime]]) -> ReviewerAlias:
        """Aliases from (assignment id, assigned at) pairs, ordered by time then id, whatever the input order."""
        return cls(tuple(assignment_id for assignment_id, _ in sorted(assigned, key=lambda pair: (pair[1], pair[0]))))

    def label(self, assignment_id: int) -> str:
        """The alias of `assignment_id`; KeyError for an assignment it does not know."""
        try:
            return alias_label(self.assignment_ids.index(assignment_id))
        except ValueError:
            raise KeyError(assignment_id) from None


@dataclass(frozen=True)
class ReviewerIdentity:
    """What would identify a reviewer."""

    reviewer_id: int
    name: str
    email: str = ""
    institution: str = ""


@dataclass(frozen=True)
class ReviewRecord:
    """A review as it will be shown or exported: who wrote it (None when withheld), label, marks and texts."""

    assignment_id: int
    reviewer: ReviewerIdentity | None
    label: str
    marks: Mapping[str, int | None]
    texts: Mapping[str, str]


INSTITUTION_WITHHELD = "[institution withheld]"
ANONYMOUS = "a reviewer"
NAME_PARTICLES = frozenset({"dr", "prof", "professor", "mr", "mrs", "ms", "mx", "van", "von", "der", "den", "del",
                            "della", "de", "la", "le", "di", "da", "du"})
_NAME_PART = re.compile(r"[^\W\d_][\w'-]*")


def redact_for_designer(
    records: Sequence[ReviewRecord],
    *,
    blind_mode: bool,
    alias: ReviewerAlias,
    also_hide: Iterable[ReviewerIdentity] = (),
) -> tuple[ReviewRecord, ...]:
    """Reviews as a designer may see them, in alias order; in blind mode with identities and their traces removed.

    `also_hide` names people who are not authors of these records but must not be named either (removed
    reviewers, the chair). :raises ValueError: for a record whose assignment the alias does not know.
    """
    ordered = sorted(records, key=lambda record: alias.assignment_ids.index(record.assignment_id))
    if not blind_mode:
        return tuple(ordered)
    people = [(r.reviewer, alias.label(r.assignment_id)) for r in ordered if r.reviewer is not None]
    people += [(person, ANONYMOUS) for person in also_hide]
    clean = scrubber(people)
    return tuple(
        replace(
            record,
            reviewer=None,
            label=alias.label(record.assignment_id),
            marks=MappingProxyType(dict(record.marks)),
            texts=MappingProxyType({key: clean(text) for key, text in record.texts.items()}),
        )
        for record in ordered
    )


def scrubber(people: Sequence[tuple[ReviewerIdentity, str]]) -> Callable[[str], str]:
    """A function that takes e-mail addresses, institutions and names of `people` out of a text.

    A run of name parts ("García", "María García", "García López") becomes the label of the one person all
    its parts belong to, or `ANONYMOUS` when that is not one person; name parts shorter than three letters and
    particles ("de", "van") only go when the full name is written out.
    """
    literals: dict[str, str] = {}
    parts: dict[str, set[str]] = {}
    for person, label in people:
        for term in (person.email.strip(), person.name.strip()):
            if term:
                literals.setdefault(term.casefold(), label)
        if person.institution.strip():
            literals.setdefault(person.institution.strip().casefold(), INSTITUTION_WITHHELD)
        for part in _NAME_PART.findall(person.name):
            if len(part) >= 3 and part.casefold() not in NAME_PARTICLES:
                parts.setdefault(part.casefold(), set()).add(label)
    patterns = [(_word(re.escape(term)), label) for term, label in sorted(literals.items(), key=_longest_first)]
    if parts:
        any_part = "|".join(re.escape(part) for part, _ in sorted(parts.items(), key=_longest_first))
        particle = "|".join(sorted(NAME_PARTICLES))
        run = rf"(?:{any_part})(?:[\s.]+(?:(?:{particle})[\s.]+)*(?:{any_part}))*"
        patterns.append((_word(run), ""))

    def clean(text: str) -> str:
        for pattern, label in patterns:
            text = pattern.sub(lambda match, label=label: label or _run_label(match.group(0), parts), text)
        return text

    return clean


def _run_label(run: str, parts: Mapping[str, set[str]]) -> str:
    found = [parts[part.casefold()] for part in _NAME_PART.findall(run) if part.casefold() in parts]
    common = set.intersection(*found) if found else set()
    return common.pop() if len(common) == 1 else ANONYMOUS


def _word(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){pattern}(?!\w)", re.IGNORECASE)


def _longest_first(item: tuple[str, object]) -> tuple[int, str]:
    return -len(item[0]), item[0]
