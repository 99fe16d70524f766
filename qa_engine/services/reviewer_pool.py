"""The reviewer pool: external reviewers' profiles, their standing conflicts of interest, and the pool list.

QA officers list the pool and edit any profile; a reviewer edits their own profile and conflicts. A profile
is what matching (domain.matching) reads to suggest reviewers for a programme, so its codes are checked
against the catalogue's vocabularies before anything is saved.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qa_engine.domain import matching
from qa_engine.domain.panels import MemberStatus, ProfileType
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.vocabularies import Vocabularies
from qa_engine.domain.workflow import State
from qa_engine.models import (
    Assignment,
    ConflictDeclaration,
    Institution,
    Programme,
    Review,
    ReviewerProfile,
    User,
    UserRole,
)
from qa_engine.services import audit
from qa_engine.services.proposals import NotAllowed

LIVE = (MemberStatus.INVITED, MemberStatus.ACCEPTED, MemberStatus.SUBMITTED)  # seats that count as load
BUSY_STATES = (State.IN_REVIEW, State.CONSOLIDATION)  # programmes whose panel still works
MAX_PER_PAGE = 100
MAX_KEYWORDS, KEYWORD_LENGTH, MAX_CODES, BIOGRAPHY_LENGTH = 30, 80, 20, 4000
REASON_LENGTH = 2000
PROFILE_VALUES = frozenset(p.value for p in ProfileType)


class InvalidProfile(ValueError):
    """Some values cannot be saved; `errors` maps each field name to its messages. Nothing was changed."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = dict(errors)


@dataclass(frozen=True)
class ProfileValues:
    """A reviewer profile as plain values, for the form and for saving."""

    profile_types: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    available: bool = True
    available_from: date | None = None
    max_load: int | None = None
    biography: str = ""


@dataclass(frozen=True)
class PoolEntry:
    """One reviewer of the pool with their profile (defaults when they have none yet) and current load."""

    id: int
    name: str
    email: str
    institution_id: int
    institution_name: str
    profile_types: tuple[ProfileType, ...]
    expertise: tuple[str, ...]
    keywords: tuple[str, ...]
    languages: tuple[str, ...]
    available: bool
    available_from: date | None
    max_load: int | None
    load: int

    def availability(self) -> bool | date:
        """As matching reads it: False (unavailable), the day they are available again, or True."""
        if not self.available:
            return False
        return self.available_from or True

    def is_available(self, today: date) -> bool:
        """Available for new invitations today."""
        availability = self.availability()
        return availability is True or (isinstance(availability, date) and availability <= today)


@dataclass(frozen=True)
class PoolFilters:
    """What the pool list is narrowed to: a search term, a profile type, a language, only available people."""

    search: str = ""
    profile_type: ProfileType | None = None
    language: str | None = None
    available_only: bool = False


@dataclass(frozen=True)
class PoolPage:
    """One page of the pool and the number of reviewers on all pages."""

    rows: list[PoolEntry]
    total: int
    page: int
    per_page: int


def can_list_pool(actor: Actor) -> bool:
    """See the reviewer pool (QA officers; administrators read it)."""
    return actor.has(Role.QA_OFFICER, Role.ADMIN)


def can_edit_profile(actor: Actor, reviewer_id: int) -> bool:
    """Change a reviewer's profile: any QA officer, or the reviewer themselves."""
    return actor.has(Role.QA_OFFICER) or (actor.user_id == reviewer_id and actor.has(Role.REVIEWER))


def reviewer(session: Session, reviewer_id: int) -> User | None:
    """The user, when they hold the reviewer role (active or not)."""
    user = session.get(User, reviewer_id)
    return user if user is not None and Role.REVIEWER in user.roles else None


def pool_page(session: Session, actor: Actor, filters: PoolFilters, *, today: date, page: int = 1,
              per_page: int = 25) -> PoolPage:
    """Active reviewers by name with their profiles and load, filtered; one query.

    :raises NotAllowed: unless the actor may list the pool.
    """
    if not can_list_pool(actor):
        raise NotAllowed("Only QA officers and administrators see the reviewer pool.")
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    query = _pool_query().add_columns(func.count().over())
    for condition in _filter_conditions(filters, today):
        query = query.where(condition)
    result = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return PoolPage([_entry(row) for row in result], result[0][-1] if result else 0, page, per_page)


def pool_entries(session: Session, reviewer_ids: Iterable[int] | None = None) -> list[PoolEntry]:
    """Every active reviewer (or those of `reviewer_ids`) with profile and load, by name; one query."""
    query = _pool_query()
    if reviewer_ids is not None:
        query = query.where(User.id.in_(list(reviewer_ids)))
    return [_entry(row) for row in session.execute(query).all()]


def conflict_institutions(session: Session, reviewer_ids: Iterable[int] | None = None) -> dict[int, frozenset[int]]:
    """Each reviewer's declared conflicts as institution ids; one query."""
    query = select(ConflictDeclaration.reviewer_id, ConflictDeclaration.institution_id)
    if reviewer_ids is not None:
        query = query.where(ConflictDeclaration.reviewer_id.in_(list(reviewer_ids)))
    found: dict[int, set[int]] = {}
    for reviewer_id, institution_id in session.execute(query):
        found.setdefault(reviewer_id, set()).add(institution_id)
    return {reviewer_id: frozenset(ids) for reviewer_id, ids in found.items()}


def matching_profile(entry: PoolEntry, conflicts: frozenset[int] = frozenset()) -> matching.ReviewerProfile:
    """The pool entry as the matching rules see it."""
    return matching.ReviewerProfile(
        id=entry.id, name=entry.name, institution_id=entry.institution_id,
        profile_types=frozenset(entry.profile_types), expertise=entry.expertise, keywords=entry.keywords,
        languages=frozenset(entry.languages), available=entry.availability(), conflict_institution_ids=conflicts,
        current_load=entry.load, max_load=entry.max_load)


def profile_values(session: Session, reviewer_id: int) -> ProfileValues:
    """The reviewer's stored profile, or the defaults before they have one."""
    profile = session.get(ReviewerProfile, reviewer_id)
    if profile is None:
        return ProfileValues()
    return ProfileValues(
        profile_types=tuple(_json_list(profile.profile_types)), expertise=tuple(_json_list(profile.expertise)),
        keywords=tuple(_json_list(profile.keywords)), languages=tuple(_json_list(profile.languages)),
        available=profile.available, available_from=profile.available_from, max_load=profile.max_load,
        biography=profile.biography or "")


def save_profile(session: Session, reviewer_user: User, values: ProfileValues, *, actor: User,
                 vocabularies: Vocabularies) -> ProfileValues:
    """Check and store the reviewer's profile, auditing what changed; returns the values stored.

    :raises NotAllowed: unless the actor may edit this reviewer's profile.
    :raises InvalidProfile: naming each field whose value is not acceptable; nothing is changed.
    """
    if not can_edit_profile(actor.actor, reviewer_user.id) or Role.REVIEWER not in reviewer_user.roles:
        raise NotAllowed("Only QA officers and the reviewer themselves change a reviewer profile.")
    clean = validate_profile(values, vocabularies)
    before = profile_values(session, reviewer_user.id)
    profile = session.get(ReviewerProfile, reviewer_user.id) or ReviewerProfile(user_id=reviewer_user.id)
    profile.profile_types, profile.expertise = json.dumps(clean.profile_types), json.dumps(clean.expertise)
    profile.keywords = json.dumps(clean.keywords, ensure_ascii=False)
    profile.languages = json.dumps(clean.languages)
    profile.available, profile.available_from = clean.available, clean.available_from
    profile.max_load, profile.biography = clean.max_load, clean.biography
    session.add(profile)
    session.flush()
    changed = _changes(before, clean)
    if changed:
        audit.record(session, "reviewer.profile_updated", actor=actor, role=_role(actor, reviewer_user),
                     obj=("user", reviewer_user.id), details=changed)
    return clean


def validate_profile(values: ProfileValues, vocabularies: Vocabularies) -> ProfileValues:
    """The values normalised (codes lower-case, duplicates dropped), or every problem found.

    :raises InvalidProfile: naming each field whose value is not acceptable.
    """
    errors: dict[str, list[str]] = {}
    types = _unique(values.profile_types)
    unknown_types = [t for t in types if t not in PROFILE_VALUES]
    if unknown_types:
        errors["profile_types"] = [f"Unknown profile type: {', '.join(unknown_types)}."]
    elif not types:
        errors["profile_types"] = ["Choose at least one profile type the reviewer can sit for."]
    expertise = _unique(code.strip() for code in values.expertise)
    bad_codes = [code for code in expertise if code not in vocabularies.isced_fields]
    if bad_codes:
        errors["expertise"] = [f"Not an ISCED-F 2013 field code: {', '.join(bad_codes)}. "
                               "Use 2-, 3- or 4-digit codes such as 061 or 0613."]
    elif len(expertise) > MAX_CODES:
        errors["expertise"] = [f"List at most {MAX_CODES} fields."]
    languages = _unique(code.strip().lower() for code in values.languages)
    bad_languages = [code for code in languages if code not in vocabularies.languages]
    if bad_languages:
        errors["languages"] = [f"Not an ISO 639-1 language code: {', '.join(bad_languages)}. "
                               "Use two-letter codes such as en, es, de."]
    keywords = _unique(" ".join(k.split()) for k in values.keywords)
    if len(keywords) > MAX_KEYWORDS or any(len(k) > KEYWORD_LENGTH for k in keywords):
        errors["keywords"] = [f"List at most {MAX_KEYWORDS} keywords of at most {KEYWORD_LENGTH} characters each."]
    if values.max_load is not None and values.max_load < 1:
        errors["max_load"] = ["The maximum load is at least 1 open review; leave it empty for no limit."]
    biography = (values.biography or "").strip()
    if len(biography) > BIOGRAPHY_LENGTH:
        errors["biography"] = [f"Keep the biography under {BIOGRAPHY_LENGTH} characters."]
    if errors:
        raise InvalidProfile(errors)
    return ProfileValues(tuple(types), tuple(expertise), tuple(keywords), tuple(languages), bool(values.available),
                         values.available_from, values.max_load, biography)


# Standing conflicts of interest --------------------------------------------------------------------------


def conflicts_of(session: Session, reviewer_id: int) -> list[ConflictDeclaration]:
    """The reviewer's declared conflicts, by institution name."""
    return list(session.scalars(select(ConflictDeclaration).join(Institution)
                                .where(ConflictDeclaration.reviewer_id == reviewer_id)
                                .order_by(Institution.name)))


def conflict_choices(session: Session, reviewer_user: User) -> list[tuple[int, str]]:
    """Institutions the reviewer may still declare a conflict with (not their own, not already declared)."""
    declared = select(ConflictDeclaration.institution_id).where(ConflictDeclaration.reviewer_id == reviewer_user.id)
    rows = session.execute(select(Institution.id, Institution.name)
                           .where(Institution.id != reviewer_user.institution_id, Institution.id.not_in(declared))
                           .order_by(Institution.name))
    return [(institution_id, name) for institution_id, name in rows]


def declare_conflict(session: Session, reviewer_user: User, institution_id: int, reason: str, *,
                     actor: User) -> ConflictDeclaration:
    """Record a standing conflict of interest with an institution: its programmes never get this reviewer.

    :raises NotAllowed: unless the actor may edit this reviewer's profile.
    :raises InvalidProfile: when the institution is unknown, already declared or the reason is missing.
    """
    if not can_edit_profile(actor.actor, reviewer_user.id):
        raise NotAllowed("Only the reviewer and QA officers declare a reviewer's conflicts.")
    text = (reason or "").strip()
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise InvalidProfile({"institution": ["Choose an institution from the list."]})
    if institution.id == reviewer_user.institution_id:
        raise InvalidProfile({"institution": [f"{institution.name} is the reviewer's own institution: its "
                                              "programmes are never given to them anyway."]})
    if not text or len(text) > REASON_LENGTH:
        raise InvalidProfile({"reason": [f"Say in up to {REASON_LENGTH} characters why you have a conflict."]})
    declaration = ConflictDeclaration(reviewer_id=reviewer_user.id, institution_id=institution.id, reason=text)
    try:
        with session.begin_nested():
            session.add(declaration)
    except IntegrityError:
        raise InvalidProfile({"institution": [f"A conflict with {institution.name} is already declared."]}) from None
    audit.record(session, "reviewer.conflict_declared", actor=actor, role=_role(actor, reviewer_user),
                 obj=("user", reviewer_user.id), details={"institution": institution.id, "reason": text})
    return declaration


def withdraw_conflict(session: Session, reviewer_user: User, conflict_id: int, *, actor: User) -> Institution:
    """Remove one of the reviewer's declared conflicts; returns its institution.

    :raises NotAllowed: unless the actor may edit this reviewer's profile.
    :raises LookupError: when the reviewer has no such declaration.
    """
    if not can_edit_profile(actor.actor, reviewer_user.id):
        raise NotAllowed("Only the reviewer and QA officers withdraw a reviewer's conflicts.")
    declaration = session.get(ConflictDeclaration, conflict_id)
    if declaration is None or declaration.reviewer_id != reviewer_user.id:
        raise LookupError(conflict_id)
    institution = declaration.institution
    session.delete(declaration)
    session.flush()
    audit.record(session, "reviewer.conflict_withdrawn", actor=actor, role=_role(actor, reviewer_user),
                 obj=("user", reviewer_user.id), details={"institution": institution.id})
    return institution


# Queries -------------------------------------------------------------------------------------------------


def _load() -> Any:
    """The reviewer's live seats in reviews still running (correlated to the outer User)."""
    return (select(func.count(Assignment.id))
            .join(Review, Review.id == Assignment.review_id)
            .join(Programme, Programme.id == Review.programme_id)
            .where(Assignment.reviewer_id == User.id, Assignment.status.in_(LIVE), Programme.state.in_(BUSY_STATES))
            .correlate(User)
            .scalar_subquery())


def _pool_query() -> Select[Any]:
    """Active reviewers with institution, profile columns and load, by name."""
    return (
        select(User.id, User.full_name, User.email, Institution.id, Institution.name,
               ReviewerProfile.profile_types, ReviewerProfile.expertise, ReviewerProfile.keywords,
               ReviewerProfile.languages, ReviewerProfile.available, ReviewerProfile.available_from,
               ReviewerProfile.max_load, _load())
        .join(Institution, Institution.id == User.institution_id)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.REVIEWER))
        .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .where(User.is_active.is_(True))
        .order_by(func.lower(User.full_name), User.id)
    )


def _filter_conditions(filters: PoolFilters, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.search.strip():
        pattern = _like(filters.search.strip().lower())
        conditions.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in (
            User.full_name, User.email, Institution.name, Institution.short_name, ReviewerProfile.keywords))))
    if filters.profile_type is not None:
        conditions.append(ReviewerProfile.profile_types.like(_like(json.dumps(filters.profile_type.value)),
                                                              escape="\\"))
    if filters.language:
        conditions.append(ReviewerProfile.languages.like(_like(json.dumps(filters.language.lower())), escape="\\"))
    if filters.available_only:
        conditions.append(func.coalesce(ReviewerProfile.available, True).is_(True))
        conditions.append(or_(ReviewerProfile.available_from.is_(None), ReviewerProfile.available_from <= today))
    return conditions


def _like(term: str) -> str:
    """A LIKE pattern for `term` anywhere, its wildcards taken literally (escape character: backslash)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _entry(row: Any) -> PoolEntry:
    (user_id, name, email, institution_id, institution_name, types, expertise, keywords, languages, available,
     available_from, max_load, load) = row[:13]
    return PoolEntry(
        id=user_id, name=name, email=email, institution_id=institution_id, institution_name=institution_name,
        profile_types=tuple(ProfileType(t) for t in _json_list(types) if t in PROFILE_VALUES),
        expertise=tuple(_json_list(expertise)), keywords=tuple(_json_list(keywords)),
        languages=tuple(_json_list(languages)), available=True if available is None else bool(available),
        available_from=available_from, max_load=max_load, load=int(load or 0))


def _json_list(text: str | None) -> list[str]:
    value = json.loads(text) if text else []
    return [str(item) for item in value] if isinstance(value, list) else []


def _unique(items: Iterable[str]) -> list[str]:
    kept: list[str] = []
    seen: set[str] = set()
    for item in items:
        if item and item.casefold() not in seen:
            kept.append(item)
            seen.add(item.casefold())
    return kept


def _changes(before: ProfileValues, after: ProfileValues) -> dict[str, Any]:
    """The fields that changed, with their new values (dates as ISO text)."""
    changed = {}
    for spec in fields(ProfileValues):
        old, new = getattr(before, spec.name), getattr(after, spec.name)
        if old != new:
            changed[spec.name] = list(new) if isinstance(new, tuple) else (
                new.isoformat() if isinstance(new, date) else new)
    return changed


def _role(actor: User, reviewer_user: User) -> Role:
    return Role.REVIEWER if actor.id == reviewer_user.id else Role.QA_OFFICER
