"""Panel composition: which profiles a review panel must contain, and what a given panel still lacks.

A member counts for at most one exclusive requirement (a student who is also a professional fills one seat,
not two); a shareable requirement (e.g. "international") counts every eligible member regardless. Seats are
filled by bipartite matching, requirements in declared order, so the earlier requirement wins a contested
member and the shortfall reported is the smallest possible. Accepted and submitted members are "confirmed";
invited members are "pending": both coverages are reported, and the `count_invited` flag picks which one
`unmet` and `satisfied` speak for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ProfileType(StrEnum):
    ACADEMIC = "academic"
    PROFESSIONAL = "professional"
    EMPLOYER = "employer"
    STUDENT = "student"
    INTERNATIONAL = "international"
    QA_EXPERT = "qa_expert"

    @property
    def label(self) -> str:
        """The profile's name as people say it."""
        return "QA expert" if self is ProfileType.QA_EXPERT else self.value.capitalize()


class MemberStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REMOVED = "removed"
    SUBMITTED = "submitted"


CONFIRMED = frozenset({MemberStatus.ACCEPTED, MemberStatus.SUBMITTED})
PENDING = frozenset({MemberStatus.INVITED})


@dataclass(frozen=True)
class PanelRequirement:
    """At least `minimum` members holding one of `accepts`; `shareable` lets a member also count elsewhere."""

    label: str
    accepts: frozenset[ProfileType]
    minimum: int = 1
    shareable: bool = False

    def __post_init__(self) -> None:
        if not self.accepts:
            raise ValueError(f"{self.label}: accepts no profile type")
        if self.minimum < 1:
            raise ValueError(f"{self.label}: minimum must be >= 1")

    def admits(self, profiles: Iterable[ProfileType]) -> bool:
        """True when someone with `profiles` may count for this requirement."""
        return not self.accepts.isdisjoint(profiles)


@dataclass(frozen=True)
class PanelPolicy:
    """How big a panel may be and which profiles it must contain."""

    size_min: int
    size_max: int
    requirements: tuple[PanelRequirement, ...] = ()

    def __post_init__(self) -> None:
        if self.size_min < 1:
            raise ValueError("size_min: must be >= 1")
        if self.size_max < self.size_min:
            raise ValueError("size_max: must be >= size_min")
        seats = sum(r.minimum for r in self.requirements if not r.shareable)
        if seats > self.size_max:
            raise ValueError(f"requirements: need {seats} distinct members but size_max is {self.size_max}")

    @classmethod
    def esg_default(cls) -> PanelPolicy:
        """ESG 2.4: 3 to 5 reviewers, at least one academic, one professional or employer, one student."""
        return cls(3, 5, ESG_REQUIREMENTS)


ESG_REQUIREMENTS = (
    PanelRequirement("Academic", frozenset({ProfileType.ACADEMIC})),
    PanelRequirement("Professional or employer", frozenset({ProfileType.PROFESSIONAL, ProfileType.EMPLOYER})),
    PanelRequirement("Student", frozenset({ProfileType.STUDENT})),
)


@dataclass(frozen=True)
class PanelMember:
    """A reviewer on (or once on) the panel, with every profile they may count for."""

    reviewer_id: int
    profiles: frozenset[ProfileType]
    status: MemberStatus


class Problem(StrEnum):
    REQUIREMENT = "requirement"
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class Unmet:
    """One thing wrong with the panel: a requirement short by `count`, or the size off by `count`."""

    problem: Problem
    label: str
    count: int
    requirement: PanelRequirement | None = None

    @property
    def message(self) -> str:
        """A sentence for the composition page."""
        if self.problem is Problem.REQUIREMENT:
            return f"{self.label}: {self.count} more needed"
        if self.problem is Problem.TOO_FEW:
            return f"{self.count} more reviewer{'s' if self.count > 1 else ''} needed ({self.label})"
        return f"{self.count} reviewer{'s' if self.count > 1 else ''} too many ({self.label})"


@dataclass(frozen=True)
class Fill:
    """The members counted for one requirement."""

    requirement: PanelRequirement
    reviewer_ids: tuple[int, ...]

    @property
    def missing(self) -> int:
        """How many more members the requirement needs."""
        return max(0, self.requirement.minimum - len(self.reviewer_ids))


@dataclass(frozen=True)
class Coverage:
    """What a set of members achieves: seats filled per requirement, size, and what is unmet."""

    fills: tuple[Fill, ...]
    size: int
    unmet: tuple[Unmet, ...]

    @property
    def satisfied(self) -> bool:
        """True when nothing is unmet."""
        return not self.unmet


@dataclass(frozen=True)
class PanelCheck:
    """Coverage by confirmed members, and by confirmed plus pending ones; `unmet` follows `count_invited`."""

    confirmed: Coverage
    projected: Coverage
    count_invited: bool

    @property
    def unmet(self) -> tuple[Unmet, ...]:
        """The problems on the coverage this check was asked about."""
        return (self.projected if self.count_invited else self.confirmed).unmet

    @property
    def satisfied(self) -> bool:
        """True when nothing is unmet."""
        return not self.unmet

    @property
    def needed_profiles(self) -> frozenset[ProfileType]:
        """Profiles that would help an unmet requirement: the matching bonus for reviewer suggestions."""
        return frozenset(p for u in self.unmet if u.requirement is not None for p in u.requirement.accepts)


def check_panel(policy: PanelPolicy, members: Iterable[PanelMember], *, count_invited: bool = False) -> PanelCheck:
    """What the panel still lacks, counting confirmed members and (projected) confirmed plus invited ones.

    :raises ValueError: when one reviewer appears twice among the members who count.
    """
    counted = [m for m in members if m.status in CONFIRMED | PENDING]
    ids = [m.reviewer_id for m in counted]
    if len(ids) != len(set(ids)):
        raise ValueError("a reviewer appears more than once among active panel members")
    confirmed = [m for m in counted if m.status in CONFIRMED]
    counted = confirmed + [m for m in counted if m.status in PENDING]  # same positions for confirmed in both phases
    exclusive = [r for r in policy.requirements if not r.shareable]
    slots = [index for index, r in enumerate(exclusive) for _ in range(r.minimum)]
    phase_one = _match(exclusive, slots, confirmed, {})
    phase_two = _match(exclusive, slots, counted, dict(phase_one))
    return PanelCheck(
        _coverage(policy, exclusive, slots, phase_one, confirmed),
        _coverage(policy, exclusive, slots, phase_two, counted),
        count_invited,
    )


def _match(
    exclusive: Sequence[PanelRequirement],
    slots: Sequence[int],
    members: Sequence[PanelMember],
    start: dict[int, int],
) -> dict[int, int]:
    """Kuhn's augmenting paths, slot by slot in order, from `start` (slot -> member position)."""
    owner = dict(start)
    holder = {member: slot for slot, member in owner.items()}

    def augment(slot: int, seen: set[int]) -> bool:
        for position, member in enumerate(members):
            if position in seen or not exclusive[slots[slot]].admits(member.profiles):
                continue
            seen.add(position)
            if position not in holder or augment(holder[position], seen):
                owner[slot], holder[position] = position, slot
                return True
        return False

    for slot in range(len(slots)):
        if slot not in owner:
            augment(slot, set())
    return owner


def _coverage(
    policy: PanelPolicy,
    exclusive: Sequence[PanelRequirement],
    slots: Sequence[int],
    owner: Mapping[int, int],
    members: Sequence[PanelMember],
) -> Coverage:
    seated: dict[int, list[int]] = {index: [] for index in range(len(exclusive))}
    for slot, position in sorted(owner.items()):
        seated[slots[slot]].append(members[position].reviewer_id)
    seats = iter(tuple(seated[index]) for index in range(len(exclusive)))
    fills = tuple(
        Fill(r, tuple(m.reviewer_id for m in members if r.admits(m.profiles)) if r.shareable else next(seats))
        for r in policy.requirements
    )
    unmet = [Unmet(Problem.REQUIREMENT, f.requirement.label, f.missing, f.requirement) for f in fills if f.missing]
    size = len(members)
    if size < policy.size_min:
        unmet.append(Unmet(Problem.TOO_FEW, f"minimum {policy.size_min}", policy.size_min - size))
    if size > policy.size_max:
        unmet.append(Unmet(Problem.TOO_MANY, f"maximum {policy.size_max}", size - policy.size_max))
    return Coverage(fills, size, tuple(unmet))


_POLICY_KEYS = {"size_min", "size_max", "requirements"}
_REQUIREMENT_KEYS = {"label", "profiles", "minimum", "shareable"}


def policy_from_mapping(data: Mapping[str, Any]) -> PanelPolicy:
    """A policy from configuration (a TOML table); missing keys take the ESG defaults.

    :raises ValueError: naming the bad field, e.g. ``requirements[1].profiles[0]: unknown profile 'studnet'``.
    """
    default = PanelPolicy.esg_default()
    _no_unknown_keys(data, _POLICY_KEYS, "")
    size_min = _integer(data, "size_min", default.size_min, "size_min")
    size_max = _integer(data, "size_max", default.size_max, "size_max")
    raw = data.get("requirements", None)
    if raw is None:
        requirements = default.requirements
    elif isinstance(raw, list | tuple):
        requirements = tuple(_requirement(item, f"requirements[{i}]") for i, item in enumerate(raw))
    else:
        raise ValueError("requirements: must be a list of tables")
    return PanelPolicy(size_min, size_max, requirements)


def _requirement(item: Any, where: str) -> PanelRequirement:
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: must be a table")
    _no_unknown_keys(item, _REQUIREMENT_KEYS, f"{where}.")
    names = item.get("profiles")
    if not isinstance(names, list | tuple) or not names:
        raise ValueError(f"{where}.profiles: must be a non-empty list of profile types")
    profiles = tuple(_profile(name, f"{where}.profiles[{i}]") for i, name in enumerate(names))
    label = item.get("label", " or ".join(p.label.lower() for p in profiles).capitalize())
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"{where}.label: must be a non-empty string")
    minimum = _integer(item, "minimum", 1, f"{where}.minimum")
    if minimum < 1:
        raise ValueError(f"{where}.minimum: must be >= 1")
    shareable = item.get("shareable", False)
    if not isinstance(shareable, bool):
        raise ValueError(f"{where}.shareable: must be true or false")
    return PanelRequirement(label, frozenset(profiles), minimum, shareable)


def _profile(name: Any, where: str) -> ProfileType:
    try:
        return ProfileType(name)
    except ValueError:
        known = ", ".join(p.value for p in ProfileType)
        raise ValueError(f"{where}: unknown profile {name!r} (one of {known})") from None


def _integer(data: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: must be an integer")
    return value


def _no_unknown_keys(data: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"{prefix}{unknown[0]}: unknown field (expected one of {', '.join(sorted(allowed))})")
