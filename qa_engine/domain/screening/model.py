"""The values screening works with: its configuration, findings, results and the context a check sees."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple

from qa_engine.domain.proposal import Proposal
from qa_engine.domain.vocabularies import Vocabularies


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


_SEVERITY = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2}


@dataclass(frozen=True)
class ScreeningConfig:
    """Every threshold of the ex-ante checks, with the engine model's defaults (section 5)."""

    ects_range: tuple[float, float] = (1, 59)
    hours_per_ects: tuple[float, float] = (25, 30)
    hours_per_ects_fail_tolerance: float = 0.20
    hours_breakdown_tolerance: float = 1.0
    max_weekly_hours: float = 40
    working_adult_weekly_hours: float = 20
    working_adult_keywords: tuple[str, ...] = (
        "working",
        "employed",
        "employee",
        "employees",
        "professional",
        "professionals",
        "part-time",
        "adult",
        "adults",
        "practitioner",
        "practitioners",
        "workforce",
        "staff",
    )
    outcome_count_range: tuple[int, int] = (3, 8)
    outcome_max_words: int = 40
    # C7: from this EQF level up, at least one outcome should be at Bloom level 4 (analyse) or above.
    higher_order_min_eqf: int = 6
    higher_order_bloom_level: int = 4
    # C7: up to this EQF level, outcomes that are all at Bloom 5-6 look too ambitious.
    research_max_eqf: int = 4
    research_bloom_level: int = 5
    weights_total: float = 100.0
    weights_tolerance: float = 0.01
    prior_qualification_min_eqf: int = 6
    prior_qualification_keywords: tuple[str, ...] = (
        "eqf",
        "nfq",
        "nqf",
        "level",
        "degree",
        "bachelor",
        "master",
        "diploma",
        "qualification",
        "certificate",
        "graduate",
        "cycle",
    )
    min_academic_share: float = 0.5
    labour_market_evidence_kinds: tuple[str, ...] = (
        "employer_letter",
        "labour_market_catalogue",
        "esco_reference",
    )
    staff_hours_per_learner_ects: tuple[float, float] = (0.1, 5.0)
    max_online_learners_per_staff: int = 40
    cost_per_learner_ects: tuple[float, float] = (10.0, 500.0)
    near_duplicate_threshold: float = 0.6
    max_review_cycle_years: float = 3
    extra_protected_title_words: tuple[str, ...] = ()
    decision_lead_days: int = 60
    duration_tolerance_weeks: float = 1.0


_STOPWORDS = frozenset(
    "a an and are as at be by for from in into of on or the their this to with will using use able learner "
    "learners students participants".split()
)


def tokens(texts: Iterable[str]) -> frozenset[str]:
    """Content words of `texts`, lower-cased, without stopwords: the unit of the similarity measure."""
    words = (w for text in texts for w in re.findall(r"[a-z0-9]+", text.lower()))
    return frozenset(sys.intern(w) for w in words if w not in _STOPWORDS and len(w) > 1)


@dataclass(frozen=True)
class ApprovedProgramme:
    """An already-approved programme, compared with the proposal to find near-duplicates (C13).

    Its words are worked out once, on first use: a service may keep the same object for many screenings.
    """

    id: str
    title: str
    outcome_texts: tuple[str, ...] = ()

    @cached_property
    def title_words(self) -> frozenset[str]:
        return tokens([self.title])

    @cached_property
    def outcome_words(self) -> frozenset[str]:
        return tokens(self.outcome_texts)


@dataclass(frozen=True)
class Finding:
    """One result of one check: what is wrong (or right), what to change, and which fields."""

    check: str
    title: str
    status: Status
    message: str
    fields: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain JSON values."""
        return {
            "check": self.check,
            "title": self.title,
            "status": self.status.value,
            "message": self.message,
            "fields": list(self.fields),
        }


@dataclass(frozen=True)
class ScreeningResult:
    """Findings in check order; any fail blocks submission."""

    findings: tuple[Finding, ...]

    @property
    def blocking(self) -> bool:
        """True when any check failed."""
        return any(f.status is Status.FAIL for f in self.findings)

    @property
    def counts(self) -> dict[str, int]:
        """How many findings have each status: {"pass": n, "warn": n, "fail": n}."""
        tally = Counter(f.status for f in self.findings)
        return {status.value: tally[status] for status in Status}

    def status_of(self, check: str) -> Status:
        """The worst status among the findings of `check` ("C3")."""
        statuses = [f.status for f in self.findings if f.check == check]
        if not statuses:
            raise KeyError(f"no findings for {check}")
        return max(statuses, key=_SEVERITY.__getitem__)

    def for_check(self, check: str) -> tuple[Finding, ...]:
        """The findings of one check, in order."""
        return tuple(f for f in self.findings if f.check == check)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON values."""
        return {
            "blocking": self.blocking,
            "counts": self.counts,
            "findings": [f.to_dict() for f in self.findings],
        }


class Verdict(NamedTuple):
    """What a check function returns; `screen` adds the check id and title."""

    status: Status
    message: str
    fields: tuple[str, ...] = ()


def passed(message: str, *fields: str) -> Verdict:
    return Verdict(Status.PASS, message, fields)


def warn(message: str, *fields: str) -> Verdict:
    return Verdict(Status.WARN, message, fields)


def fail(message: str, *fields: str) -> Verdict:
    return Verdict(Status.FAIL, message, fields)


@dataclass(frozen=True)
class Context:
    """Everything a check may look at."""

    proposal: Proposal
    config: ScreeningConfig
    vocabularies: Vocabularies
    approved: Sequence[ApprovedProgramme]
    today: date
    expected_decision_date: date | None


def number(value: float) -> str:
    """A number for a message: 6 rather than 6.0, otherwise one decimal."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def listing(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
