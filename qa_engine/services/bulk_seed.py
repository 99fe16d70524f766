"""Bulk seeding: a realistic data set of any size, written fast, for demonstrations and for measuring pages at scale.

Each programme is played through the process the way the services would take it, every step checked by
`workflow.advance`, so every state is reachable and every history is one the engine could have produced. The
rows are not made through the ORM but collected as plain dicts, with ids allocated up front, and written with
Core bulk inserts in chunks; the audit chain is computed in Python and appended in one go (services.audit_bulk).

A programme's story runs on a relative clock (seconds since the midnight of its first day). It is pinned to
the calendar at its anchor, the final decision or else its last step, placed at a distance from `today` that
suits the state it ends in: an approval still valid, an expired one past its end, an appeal lodged within its
window, a review round under way. Steps after the anchor are kept before today.
"""
from __future__ import annotations

import gc
import hashlib
import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from itertools import accumulate
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from qa_engine import catalogue
from qa_engine.catalogue import Catalogue
from qa_engine.domain import decisions as rules
from qa_engine.domain import workflow
from qa_engine.domain.audit_chain import canonical_json
from qa_engine.domain.decisions import AppealOutcome, CaseParticipants, ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import MemberStatus, PanelPolicy, ProfileType
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.domain.response_window import closing_date
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.rubric_model import Rubric
from qa_engine.domain.scoring import Consensus, Mark, PanelScore, score_panel
from qa_engine.domain.screening import screen
from qa_engine.domain.workflow import Action, Precondition, State
from qa_engine.models import (
    Addendum,
    Appeal,
    AppealStatus,
    Assignment,
    ConditionEvidence,
    ConflictDeclaration,
    ConsensusMark,
    Decision,
    DecisionStatus,
    Institution,
    Programme,
    ProgrammeVersion,
    Review,
    ReviewerProfile,
    User,
    UserRole,
)
from qa_engine.models import Condition as ConditionRow
from qa_engine.services import attention_items, audit_bulk, decisions, passwords, proposals, reviews
from qa_engine.services.audit_bulk import NewEntry
from qa_engine.services.demo import DEMO_PASSWORD, EXAMPLES
from qa_engine.services.reviewing import DECLARATION_VERSION, Declaration, Statement

#: The share of programmes ending in each state: most approved, some at every stage of the process.
DISTRIBUTION: Mapping[State, float] = {
    State.DRAFT: 0.06, State.SUBMITTED: 0.02, State.SCREENING: 0.02, State.RETURNED: 0.02,
    State.IN_REVIEW: 0.05, State.CONSOLIDATION: 0.02, State.PROVIDER_RESPONSE: 0.02,
    State.DECISION_PENDING: 0.02, State.APPROVED: 0.38, State.CONDITIONS: 0.20,
    State.REVISE_AND_RESUBMIT: 0.04, State.REJECTED: 0.03, State.EXPIRED: 0.05,
    State.APPROVAL_WITHDRAWN: 0.02, State.WITHDRAWN: 0.05,
}
#: Models in foreign-key order: the order in which their rows are inserted.
TABLES = (Institution, User, UserRole, ReviewerProfile, ConflictDeclaration, Programme, ProgrammeVersion, Review,
          Assignment, ConsensusMark, Decision, ConditionRow, ConditionEvidence, Addendum, Appeal)
SERIAL = tuple(model for model in TABLES if model not in (UserRole, ReviewerProfile))
BATCH = 1000  # programmes generated and written at a time
CHUNK = 2000  # rows per INSERT
DAY = 86_400
SPAN_DAYS = 3 * 365  # histories start within the last three years
EVERYTHING = frozenset(Precondition)  # a story establishes its preconditions by construction
_PROFILE_VALUES = frozenset(p.value for p in ProfileType)


@dataclass(frozen=True)
class SeedSummary:
    """What was inserted: programmes by final state, rows by table, and audit entries appended."""

    programmes: int
    states: Mapping[State, int]
    rows: Mapping[str, int]
    audit_entries: int


def busiest(session: Session) -> dict[str, User]:
    """Who a benchmark or a test signs in as on seeded data: the first QA officer, the designer with the most
    programmes and the reviewer with the most submitted reviews (active accounts)."""
    officer = session.scalars(select(User).join(UserRole).where(UserRole.role == Role.QA_OFFICER, User.is_active)
                              .order_by(User.id)).first()
    designer = session.scalars(select(User).join(Programme, Programme.designer_id == User.id)
                               .where(User.is_active).group_by(User.id).order_by(func.count().desc(), User.id)).first()
    reviewer = session.scalars(select(User).join(Assignment, Assignment.reviewer_id == User.id)
                               .where(Assignment.status == MemberStatus.SUBMITTED, User.is_active)
                               .group_by(User.id).order_by(func.count().desc(), User.id)).first()
    return {"officer": officer, "designer": designer, "reviewer": reviewer}


def seed(session: Session, n_programmes: int, *, today: date, seed: int = 0, reference: Catalogue | None = None,
         config: Mapping[str, Any] | None = None) -> SeedSummary:
    """Insert `n_programmes` programmes with their whole history, and the people they need; the caller commits.

    Reuses the institutions and accounts already there (e.g. the small demo) and adds providers, designers, QA
    officers and a reviewer pool in proportion. The histories follow the settings of `config` (panel policy,
    rubric, blind review, due dates, response window, four eyes, appeal window, screening thresholds).
    Deterministic for a given `seed`, `today` and starting database. `reference` and `config` default to the
    application's.

    :raises ValueError: when `n_programmes` is negative or the configuration is not valid.
    """
    if n_programmes < 0:
        raise ValueError("n_programmes: must be >= 0")
    reference = reference or catalogue.current()
    config = current_app.config if config is None else config
    settings = _Settings(reviews.settings_from_config(config, reference.rubrics),
                         decisions.settings_from_config(config), config.get("SCREENING") or {})
    with _no_cyclic_gc(), attention_items.bulk_load(session):
        return _seed(session, n_programmes, today, random.Random(seed), reference, settings)


@dataclass(frozen=True)
class _Settings:
    review: reviews.ReviewSettings
    decision: decisions.DecisionSettings
    screening: Mapping[str, Any]  # threshold overrides (SCREENING)


def _seed(session: Session, n_programmes: int, today: date, rng: random.Random, reference: Catalogue,
          settings: _Settings) -> SeedSummary:
    _lock_tables(session)
    world = _World(rng, today, settings, settings.review.rubric(reference.rubrics),
                   _Content(reference, today, settings.screening), _Ids(session))
    world.cast = _cast(session, world, n_programmes)
    counts = _write(session, world.rows, Counter())
    states: Counter[State] = Counter()
    targets = _targets(n_programmes, rng)
    for start in range(0, len(targets), BATCH):
        for target in targets[start:start + BATCH]:
            _Story(world, target).play()
            states[target] += 1
        counts = _write(session, world.rows, counts)
    world.events.sort()  # by time; the running number keeps each story's order within a second
    appended = audit_bulk.append_many(session, (entry for _, _, entry in world.events))
    _advance_sequences(session, counts)
    return SeedSummary(n_programmes, dict(states), dict(counts), appended)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: with millions of live rows and events its full passes would cost a
    fifth of the run, and seeding makes no cycles that outlive a story."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _targets(n: int, rng: random.Random) -> list[State]:
    """Final states in the distribution's proportions (largest remainders), each at least once when there are
    enough programmes; shuffled."""
    if n < len(DISTRIBUTION):
        return rng.choices(list(DISTRIBUTION), weights=list(DISTRIBUTION.values()), k=n)
    exact = {state: n * share for state, share in DISTRIBUTION.items()}
    counts = {state: max(1, int(value)) for state, value in exact.items()}
    for state in sorted(exact, key=lambda state: exact[state] - int(exact[state]), reverse=True):
        if sum(counts.values()) >= n:
            break
        counts[state] += 1
    while sum(counts.values()) > n:  # the floor of one each took more than the small shares held
        counts[max(counts, key=counts.get)] -= 1
    targets = [state for state, count in counts.items() for _ in range(count)]
    rng.shuffle(targets)
    return targets


# Writing --------------------------------------------------------------------------------------------------


class _Ids:
    """The next free id of every table with a serial key, read once: rows are given their ids before insertion."""

    def __init__(self, session: Session) -> None:
        self._next = {model: (session.scalar(select(func.max(model.id))) or 0) + 1 for model in SERIAL}

    def take(self, model: type) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


def _lock_tables(session: Session) -> None:
    """On PostgreSQL, keep other writers out of the tables until commit: ids are allocated here, not by sequences."""
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(model.__tablename__ for model in TABLES)
        session.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))


def _write(session: Session, rows: dict[type, list[dict[str, Any]]], counts: Counter[str]) -> Counter[str]:
    """Insert the collected rows table by table, in chunks, and empty the collection."""
    for model in TABLES:
        batch = rows.pop(model, [])
        for start in range(0, len(batch), CHUNK):
            session.execute(insert(model.__table__), batch[start:start + CHUNK])
        if batch:
            counts[model.__tablename__] += len(batch)
    return counts


def _advance_sequences(session: Session, counts: Mapping[str, int]) -> None:
    """On PostgreSQL, move each sequence past the ids given here, so that the application's inserts follow on."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in SERIAL:
        name = model.__tablename__
        if counts.get(name):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence(:t, 'id'), (SELECT max(id) FROM {name}))"),
                            {"t": name})


# The world: people, proposals, shared state -------------------------------------------------------------


@dataclass
class _Person:
    id: int
    name: str
    email: str
    institution_id: int


@dataclass
class _Provider:
    id: int
    name: str
    country: str
    designers: list[_Person] = field(default_factory=list)


@dataclass
class _Cast:
    """Who acts in the stories: QA officers, providers with their designers, and the reviewer pool by profile."""

    officers: list[_Person]
    providers: list[_Provider]
    weights: list[float]  # cumulative: a few providers submit many programmes, most a handful
    pool: dict[ProfileType, list[_Person]]
    conflicts: set[tuple[int, int]]  # (reviewer, institution)


@dataclass
class _World:
    rng: random.Random
    today: date
    settings: _Settings
    rubric: Rubric
    content: _Content
    ids: _Ids
    cast: _Cast | None = None
    rows: dict[type, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    #: (occurred_at, running number, entry): sorted before the chain is computed.
    events: list[tuple[datetime, int, NewEntry]] = field(default_factory=list)

    def add(self, model: type, row: dict[str, Any]) -> dict[str, Any]:
        self.rows[model].append(row)
        return row

    def event(self, at: datetime, actor: int | None, role: str | None, action: str, obj: tuple[str, Any],
              details: Mapping[str, Any]) -> None:
        entry = NewEntry(at, actor, role, action, obj[0], str(obj[1]), canonical_json(details))
        self.events.append((at, len(self.events), entry))


_CITIES = ("Aldmoor", "Brightwater", "Calderon", "Dunmore", "Elmsford", "Fairhaven", "Glenrock", "Harrowgate",
           "Ivybridge", "Juniper Bay", "Kestrel", "Lindenau", "Marloes", "Northcliff", "Oakhurst", "Penrose",
           "Queensferry", "Ravensholm", "Silverdale", "Thornbury", "Umbria Vale", "Valdoria", "Westerly",
           "Yarrow", "Zennor", "Ashcombe", "Bramley", "Corran", "Delmar", "Eskdale", "Falkirk Vale", "Greystone",
           "Hollins", "Inverlee", "Kilbride", "Larkspur", "Millbrook", "Newhaven", "Ormsby", "Pinewood",
           "Redcliffe", "Stonebridge", "Tarragon", "Upton Cross", "Verdance", "Whitby Moor", "Alcantara",
           "Belvedere", "Castellan", "Doralia", "Estrella", "Florin", "Gavarnie", "Helmsdale", "Isola",
           "Jadewater", "Kaldera", "Lorient", "Montaval", "Norrland")
_KINDS = ("University of {}", "{} Institute of Technology", "{} Polytechnic", "{} Business School",
          "{} College of Health Sciences", "{} School of Engineering", "{} Open University",
          "{} Technical University", "{} Academy of Applied Arts", "{} Centre for Lifelong Learning")
_FIRST = ("Ana", "Bruno", "Carla", "Daniel", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Katya", "Liam",
          "Marta", "Nils", "Olivia", "Pablo", "Quinn", "Rosa", "Sami", "Teresa", "Ugo", "Vera", "Willem", "Ximena",
          "Yusuf", "Zofia", "Aoife", "Mikko", "Siobhan", "Aino", "Jordi", "Lucia", "Niamh", "Eero", "Paula")
_LAST = ("Almeida", "Byrne", "Castro", "Dunne", "Esteban", "Fitzgerald", "Garcia", "Heikkinen", "Iglesias",
         "Jokinen", "Kelly", "Lorenzo", "Murphy", "Nieminen", "Ortega", "Power", "Quintana", "Ramos", "Salo",
         "Torres", "Usher", "Vidal", "Walsh", "Xavier", "Ylonen", "Zamora", "Korhonen", "Navarro", "Brennan")
_COUNTRIES = ("ES", "ES", "ES", "ES", "ES", "IE", "IE", "IE", "FI", "FI")
_LANGUAGES = {"ES": "es", "IE": "ga", "FI": "fi"}
_POOL_CYCLE = (ProfileType.ACADEMIC, ProfileType.PROFESSIONAL, ProfileType.STUDENT, ProfileType.ACADEMIC,
               ProfileType.EMPLOYER, ProfileType.STUDENT, ProfileType.ACADEMIC, ProfileType.QA_EXPERT,
               ProfileType.PROFESSIONAL, ProfileType.EMPLOYER)


def _name(k: int) -> str:
    return f"{_FIRST[k * 7 % len(_FIRST)]} {_LAST[k * 11 % len(_LAST)]}"


def _provider_name(k: int) -> str:
    city, kind = _CITIES[k % len(_CITIES)], _KINDS[k // len(_CITIES) % len(_KINDS)]
    round_ = k // (len(_CITIES) * len(_KINDS))
    return kind.format(city) + (f" {round_ + 1}" if round_ else "")


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split() if word[0].isupper())[:40]


def _domain(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum()) + ".example"


def _cast(session: Session, world: _World, n: int) -> _Cast:
    """The people of the stories: the ones already there, and enough new ones for `n` programmes."""
    people = _People(session, world)
    agency_id, agency_short = people.agency()
    officers = {person.id: person for person in people.existing(Role.QA_OFFICER)}
    for k in range(max(3, min(25, n // 2000))):
        officer = people.user(f"officer{k:02d}@{_domain(agency_short)}", _name(k + 3), agency_id, Role.QA_OFFICER)
        officers[officer.id] = officer
    providers = people.existing_providers()
    for k in range(max(2, n // 50)):
        found = people.provider(_provider_name(k))
        provider = providers.setdefault(found.id, found)
        for j in (1, 2):
            designer = people.user(f"designer{j}@{_domain(provider.name)}", _name(2 * k + j + 40), provider.id,
                                   Role.DESIGNER)
            if all(known.id != designer.id for known in provider.designers):
                provider.designers.append(designer)
    listed = list(providers.values())
    pool: dict[ProfileType, list[_Person]] = defaultdict(list)
    for person, types in people.pool(max(40, min(400, n // 100)), listed):
        for profile in types:
            pool[profile].append(person)
    weights = accumulate(1 / (rank + 1) ** 0.7 for rank in range(len(listed)))
    return _Cast(list(officers.values()), listed, list(weights), dict(pool), people.conflicts)


class _People:
    """Finds the accounts already there (by e-mail and name) and collects rows for the missing ones."""

    def __init__(self, session: Session, world: _World) -> None:
        self.world, self.rng = world, world.rng
        self.at = datetime.combine(world.today - timedelta(days=SPAN_DAYS + 60), time(9), UTC)
        self.password = passwords.hash_password(DEMO_PASSWORD)
        self.users = {row.email: _Person(row.id, row.full_name, row.email, row.institution_id) for row in
                      session.execute(select(User.id, User.email, User.full_name, User.institution_id))}
        self.institutions = {row.name: row for row in session.execute(
            select(Institution.id, Institution.name, Institution.short_name, Institution.country, Institution.kind))}
        self.roles: dict[int, set[Role]] = defaultdict(set)
        for user_id, role in session.execute(select(UserRole.user_id, UserRole.role)):
            self.roles[user_id].add(Role(role))
        self.profiles = {user_id: [ProfileType(t) for t in json.loads(types) if t in _PROFILE_VALUES]
                         for user_id, types in session.execute(select(ReviewerProfile.user_id,
                                                                      ReviewerProfile.profile_types))}
        self.conflicts = {(reviewer, institution) for reviewer, institution in session.execute(
            select(ConflictDeclaration.reviewer_id, ConflictDeclaration.institution_id))}

    def _tick(self) -> datetime:
        self.at += timedelta(minutes=self.rng.randint(1, 30))
        return self.at

    def agency(self) -> tuple[int, str]:
        """The agency running the engine (the first one there, or a new one): its id and short name."""
        found = next((row for row in self.institutions.values() if row.kind == InstitutionKind.AGENCY), None)
        if found is not None:
            return found.id, found.short_name
        return self.institution("Southgate Accreditation Agency", "EU", InstitutionKind.AGENCY).id, "SAA"

    def institution(self, name: str, country: str, kind: InstitutionKind) -> _Provider:
        if name in self.institutions:
            row = self.institutions[name]
            return _Provider(row.id, row.name, row.country)
        row = self.world.add(Institution, {
            "id": self.world.ids.take(Institution), "name": name, "short_name": _initials(name),
            "country": country, "kind": kind, "created_at": self._tick()})
        self.world.event(row["created_at"], None, None, "institution.created", ("institution", row["id"]),
                         {"name": name, "kind": kind.value})
        return _Provider(row["id"], name, country)

    def provider(self, name: str) -> _Provider:
        return self.institution(name, self.rng.choice(_COUNTRIES), InstitutionKind.PROVIDER)

    def user(self, email: str, name: str, institution_id: int, role: Role) -> _Person:
        if email in self.users:
            return self.users[email]
        person = self.users[email] = _Person(self.world.ids.take(User), name, email, institution_id)
        at = self._tick()
        self.world.add(User, {"id": person.id, "email": email, "full_name": name, "institution_id": institution_id,
                              "password_hash": self.password, "is_active": True, "created_at": at,
                              "password_changed_at": None})
        self.world.add(UserRole, {"user_id": person.id, "role": role})
        self.world.event(at, None, None, "user.created", ("user", person.id),
                         {"email": email, "roles": [role.value], "institution": institution_id})
        self.roles[person.id].add(role)
        return person

    def existing(self, role: Role) -> list[_Person]:
        return [person for person in self.users.values() if role in self.roles.get(person.id, ())]

    def existing_providers(self) -> dict[int, _Provider]:
        """Providers already there that have a designer, with their designers."""
        by_id = {row.id: _Provider(row.id, row.name, row.country) for row in self.institutions.values()
                 if row.kind == InstitutionKind.PROVIDER}
        for designer in self.existing(Role.DESIGNER):
            if designer.institution_id in by_id:
                by_id[designer.institution_id].designers.append(designer)
        return {key: provider for key, provider in by_id.items() if provider.designers}

    def pool(self, size: int, providers: Sequence[_Provider]) -> list[tuple[_Person, list[ProfileType]]]:
        """Existing reviewers and `size` seeded ones, each with the profile types of their pool profile
        (added where missing), and a few standing conflicts of interest."""
        members = {person.id: person for person in self.existing(Role.REVIEWER)}
        wanted: dict[int, list[ProfileType]] = {}
        for k in range(size):
            home = providers[(k * 7919 + k // len(_POOL_CYCLE)) % len(providers)]  # each profile at several
            found = self.user(f"reviewer{k:03d}@experts.example", _name(k + 101), home.id, Role.REVIEWER)
            person = members.setdefault(found.id, found)
            wanted[person.id] = [_POOL_CYCLE[k % len(_POOL_CYCLE)]] + ([ProfileType.INTERNATIONAL] if k % 4 == 1
                                                                        else [])
            if k % 12 == 6:
                self._conflict(person, providers[(k * 31 + 1) % len(providers)])
        for person in members.values():
            if person.id not in self.profiles:
                self._profile(person, wanted.get(person.id, [ProfileType.ACADEMIC, ProfileType.INTERNATIONAL]),
                              providers)
        return [(person, self.profiles[person.id]) for person in members.values()]

    def _profile(self, person: _Person, types: list[ProfileType], providers: Sequence[_Provider]) -> None:
        country = next((p.country for p in providers if p.id == person.institution_id), "ES")
        fields = self.rng.sample(_TOPICS, 3)
        self.profiles[person.id] = types
        self.world.add(ReviewerProfile, {
            "user_id": person.id, "profile_types": json.dumps([t.value for t in types]),
            "expertise": json.dumps(sorted({code for code, _ in fields})),
            "keywords": json.dumps([topic.lower() for _, topic in fields], ensure_ascii=False),
            "languages": json.dumps(sorted({"en", _LANGUAGES.get(country, "es")})),
            "available": self.rng.random() > 0.1, "available_from": None, "max_load": None,
            "biography": f"{types[0].label} reviewer with experience in {fields[0][1].lower()} and "
                         f"{fields[1][1].lower()}.", "updated_at": self._tick()})

    def _conflict(self, person: _Person, provider: _Provider) -> None:
        if provider.id == person.institution_id or (person.id, provider.id) in self.conflicts:
            return
        self.conflicts.add((person.id, provider.id))
        at, reason = self._tick(), "Former member of staff of this institution (until three years ago)."
        self.world.add(ConflictDeclaration, {"id": self.world.ids.take(ConflictDeclaration), "reviewer_id": person.id,
                                             "institution_id": provider.id, "reason": reason, "declared_at": at})
        self.world.event(at, person.id, Role.REVIEWER.value, "reviewer.conflict_declared", ("user", person.id),
                         {"institution": provider.id, "reason": reason})


# Proposals ------------------------------------------------------------------------------------------------

_TOPICS = (("0688", "Applied Data Analytics"), ("0612", "Cloud Database Administration"),
           ("0613", "Secure Software Development"), ("0413", "Agile Project Management"),
           ("0411", "Sustainability Reporting"), ("0414", "Digital Marketing Strategy"),
           ("0416", "Retail Operations Management"), ("0417", "Workplace Health and Safety"),
           ("0415", "Business Communication in English"), ("0421", "Data Protection Law in Practice"),
           ("0731", "Sustainable Urban Planning"), ("0732", "Construction Site Management"),
           ("0713", "Renewable Energy Systems"), ("0714", "Industrial Automation and Robotics"),
           ("0715", "Additive Manufacturing"), ("0716", "Electric Vehicle Maintenance"),
           ("0711", "Green Hydrogen Production"), ("0712", "Circular Economy and Waste Management"),
           ("0521", "Climate Adaptation for Coastal Regions"), ("0532", "Geospatial Data Analysis"),
           ("0541", "Applied Statistics for Researchers"), ("0611", "Digital Skills for Public Servants"),
           ("0111", "Inclusive Teaching and Learning"), ("0114", "Teaching Computing in Schools"),
           ("0211", "User Experience Design"), ("0213", "Digital Photography for Heritage"),
           ("0231", "Technical Translation"), ("0312", "Evidence-Based Policy Making"),
           ("0313", "Behavioural Science at Work"), ("0321", "Data Journalism"),
           ("0721", "Food Safety Management"), ("0811", "Precision Agriculture"),
           ("0821", "Sustainable Forest Management"), ("0831", "Aquaculture Operations"),
           ("0542", "Quantitative Risk Analysis"), ("0511", "Laboratory Biosafety"))
_TITLE_ENDINGS = ("", " in Practice", " for Small Businesses", " for the Public Sector", ": Foundations",
                  " for Managers", ": Advanced Methods", " for Healthcare Organisations", " with Python",
                  " for Engineers", " and Leadership", " for Local Government")
_NQF = {"ES": {5: "MECES 1", 6: "MECES 2", 7: "MECES 3"}, "IE": {5: "6", 6: "7", 7: "9"},
        "FI": {5: "5", 6: "6", 7: "7"}}
_CYCLES = {5: "short", 6: "first", 7: "second"}
_ECTS = (3, 4, 5, 6, 6, 6, 8, 10, 12, 15)
_MODES = ("blended", "blended", "online", "onsite")


@dataclass(frozen=True)
class _Variant:
    """What distinguishes one seeded proposal from the example it is made from."""

    title: str
    isced: str
    eqf: int
    ects: int
    country: str
    mode: str
    provider: str
    contact: tuple[str, str]
    code: str


class _Content:
    """Proposals made from the sound example: varied titles, fields, levels, sizes and modes; screened once each."""

    def __init__(self, reference: Catalogue, today: date, overrides: Mapping[str, Any]) -> None:
        self.base = json.loads((EXAMPLES / "sound-data-analytics.json").read_text(encoding="utf-8"))
        self.settings = proposals.ScreeningSettings(overrides, reference, today)
        self._screenings: dict[tuple[Any, ...], str | None] = {}
        self._hours: dict[str, float] = {}

    def variant(self, rng: random.Random, provider: _Provider, designer: _Person, number: int) -> _Variant:
        """A variant that passes screening under the configured thresholds (so it could have been submitted).

        :raises RuntimeError: when the thresholds refuse every variant tried.
        """
        country = provider.country if provider.country in _NQF else "ES"
        for _ in range(50):
            isced, topic = rng.choice(_TOPICS)
            variant = _Variant(topic + rng.choice(_TITLE_ENDINGS), isced, rng.choice((5, 6, 6, 6, 7, 7)),
                               rng.choice(_ECTS), country, rng.choice(_MODES), provider.name,
                               (designer.name, designer.email), f"MC-{number:06d}")
            if self.screening(variant) is not None:
                return variant
        raise RuntimeError("the SCREENING thresholds refuse every seeded proposal: relax them to seed")

    def data(self, v: _Variant, revision: int, start: date) -> dict[str, Any]:
        """The proposal as format JSON: the example with the variant's values, starting on `start`."""
        base, total = self.base, round(v.ects * self.hours_per_ects(v.country))
        scale = total / base["level"]["total_hours"]
        hours = {key: round(value * scale) for key, value in base["level"]["hours"].items()}
        hours["self_study"] += total - sum(hours.values())
        weeks = max(4, math.ceil(total / 14))
        description = base["identification"]["description"] + (
            f" Revised (version {revision}) after the agency's comments." if revision > 1 else "")
        return {
            **base,
            "identification": {**base["identification"], "title": v.title, "internal_code": v.code,
                               "description": description},
            "awarding_body": {**base["awarding_body"], "name": v.provider, "country": v.country},
            "contact": {**base["contact"], "name": v.contact[0], "email": v.contact[1]},
            "level": {**base["level"], "eqf_level": v.eqf, "nqf_country": v.country,
                      "nqf_level": _NQF[v.country][v.eqf], "qf_ehea_cycle": _CYCLES[v.eqf], "ects": v.ects,
                      "total_hours": total, "hours": hours, "duration_weeks": weeks, "start_date": start.isoformat(),
                      "end_date": (start + timedelta(days=weeks * 7 - 1)).isoformat()},
            "classification": {**base["classification"], "isced_f_code": v.isced},
            "delivery": {**base["delivery"], "mode": v.mode},
            "pathways": {**base["pathways"], "credits_recognised": v.ects},
        }

    def hours_per_ects(self, country: str) -> float:
        """The middle of the hours per credit screening accepts in `country`."""
        if country not in self._hours:
            low, high = proposals.screening_config(self.settings, country).hours_per_ects
            self._hours[country] = (low + high) / 2
        return self._hours[country]

    def text(self, v: _Variant, revision: int, start: date) -> tuple[str, str]:
        """The canonical JSON stored for the proposal, and its SHA-256."""
        content = proposals.canonical(self.data(v, revision, start))
        return content, hashlib.sha256(content.encode()).hexdigest()

    def screening(self, v: _Variant) -> str | None:
        """The stored screening result of the variant's proposal (its title and dates aside, all alike), or None
        when a check fails: such a proposal could not have been submitted."""
        key = (v.country, v.eqf, v.ects, v.mode)  # the field of study changes no finding
        if key not in self._screenings:
            today = self.settings.today
            proposal = proposal_from_dict(self.data(v, 1, today + timedelta(days=120)))
            result = screen(proposal, proposals.screening_config(self.settings, v.country),
                            self.settings.reference.vocabularies, today=today)
            self._screenings[key] = None if result.blocking else proposals.canonical(result.to_dict())
        return self._screenings[key]


# Texts ----------------------------------------------------------------------------------------------------

_SECTIONS = (("identification", "awarding_body"), ("level",), ("classification",), ("justification",),
             ("learning_outcomes",), ("assessments",), ("admission",), ("delivery",), ("staff",), ("resources",),
             ("pathways",), ("quality_assurance",))
_RETURNS = ("The hours breakdown does not add up to the total workload: please correct the level section.",
            "Two learning outcomes are not assessed; map every outcome to at least one assessment.",
            "Please attach the letters of support that the justification cites.",
            "The entry requirements do not say how prior learning is recognised; describe the route.",
            "The public information page is missing; give its address before the review can start.")
_RESPONSES = ("We accept the panel's findings and have started revising the assessment strategy accordingly.",
              "We thank the panel. The staff mix will be strengthened with a second practitioner from next term.",
              "We disagree with the finding on workload: the hours were checked against learner diaries in the pilot.",
              "The factual error on the number of places is corrected: the programme admits 40 learners, not 20.")
_WITHDRAWALS = (None, "The partner employer withdrew its support; we will resubmit next year.",
                "Merged into a larger programme that will be submitted separately.")
_APPROVAL_WITHDRAWALS = ("The provider stopped offering the programme.",
                         "The conditions were not met by their due date despite a reminder.",
                         "The programme changed substantially without notification to the agency.")
_GROUNDS = ("The panel did not take into account the evidence of labour-market need we supplied in annex 3.",
            "The decision rests on a factual error about the qualifications of the teaching staff.",
            "The procedure was not followed: our response to the draft report was not considered.")
_DISMISSALS = ("The appeal committee found no procedural error and no factual error material to the decision.",
               "The evidence cited was considered by the panel, as its report shows; the decision stands.")
_UPHOLDINGS = ("The appeal committee found that the provider's response was not before the committee: the case is "
               "decided afresh.",
               "A factual error about the staff's qualifications affected the decision: it is reconsidered.")
_RATIONALES = {
    Outcome.APPROVED: "The panel found every standard met; the programme is well designed, its outcomes are "
                      "assessed and its workload is credible.",
    Outcome.APPROVED_WITH_CONDITIONS: "The standards are met in substance; specific shortcomings must be corrected "
                                      "by the dates set in the conditions.",
    Outcome.REVISE_AND_RESUBMIT: "Several standards are not yet met; the provider may revise the proposal and "
                                 "submit it again.",
    Outcome.REJECTED: "Essential standards are not met and the shortcomings cannot be corrected within this "
                      "proposal.",
}
_RECOMMENDATIONS = ("", "Consider publishing learner outcomes data each year.",
                    "The panel recommends a learner representative on the programme committee.",
                    "Consider an additional formative assessment early in the programme.")
_DEPARTURES = ("The committee judged the shortcoming found by one criterion minor and already addressed in the "
               "provider's response.",
               "The committee weighed the provider's response, which corrects the main finding of the panel.")
_CONDITIONS = (("Publish the complete programme information page, including fees and assessment rules.",
                "The address of the published page."),
               ("Map every learning outcome to at least one summative assessment.",
                "The revised assessment matrix."),
               ("Appoint a second teacher with professional experience in the field.",
                "The appointment letter and CV of the teacher."),
               ("Describe the route for the recognition of prior learning.",
                "The approved RPL procedure."),
               ("Reduce the weekly workload to a level compatible with employment.",
                "The revised timetable and hours breakdown."))
_EVIDENCE = ("The revised document is attached and was approved by the faculty board.",
             "Done: see the updated page and the minutes of the programme committee.")
_JUDGEMENTS = {True: "The evidence shows the condition is met.",
               False: "The evidence does not yet show the condition is met; please complete it."}
_DECLINES = ("I am not available in the review period.", "Too many reviews at the moment, sorry.",
             "Outside my field of expertise.")
_REMOVALS = ("The reviewer did not respond to three reminders.", "The reviewer became unavailable.")
_CONSENSUS = ("The panel agreed after discussion, giving weight to the evidence in the proposal.",
              "Agreed at the panel meeting: the weaker reading was not supported by the annexes.",
              "The panel settled on the middle view after the chair reviewed the evidence.")
_JUSTIFY = {1: ("The proposal gives no evidence for this standard.", "Not met: the required element is missing."),
            2: ("Met in substance, but a specific shortcoming must be corrected.",
                "Partly evidenced; the proposal should be completed on this point.")}
_PRAISE = ("Well evidenced in the proposal.", "Clear and convincing.", "Good practice worth sharing.")
_STATEMENTS = (
    ("independent", "In the last five years I have not worked for, studied at, or advised the provider, and I am "
                    "not applying to work there."),
    ("uninvolved", "I took no part in designing this programme and have no personal or financial interest in its "
                   "outcome."),
    ("unrelated", "I have no close personal, family or professional relationship with the programme's staff."),
    ("confidential", "I will keep the proposal, the panel's discussions and the outcome confidential, use them only "
                     "for this review, and delete my copies when it ends."),
    ("impartial", "I will judge the proposal on the published criteria alone, and tell the QA officer at once if a "
                  "conflict of interest arises later."),
)
_DECLARATION = Declaration(tuple(Statement(key, words, True) for key, words in _STATEMENTS), False).as_json()
_DECIDE = {Outcome.APPROVED: Action.APPROVE, Outcome.APPROVED_WITH_CONDITIONS: Action.APPROVE_WITH_CONDITIONS,
           Outcome.REVISE_AND_RESUBMIT: Action.REQUIRE_REVISION, Outcome.REJECTED: Action.REJECT}
#: Base marks of a panel whose scores lead to each outcome: (values, cumulative weights).
_BASE_MARKS = {Outcome.APPROVED: ((4, 3), (35, 100)), Outcome.APPROVED_WITH_CONDITIONS: ((4, 3, 2), (10, 65, 100)),
               Outcome.REVISE_AND_RESUBMIT: ((3, 2, 1), (40, 85, 100)), Outcome.REJECTED: ((2, 1), (45, 100))}


# Marks ----------------------------------------------------------------------------------------------------


def _seat_profiles(rng: random.Random, policy: PanelPolicy) -> list[ProfileType]:
    """The profiles a panel's seats are offered for: one seat per place an exclusive requirement needs, then the
    shareable ones where no seat covers them yet, academics up to the minimum size, and now and then one more."""
    profiles: list[ProfileType] = []
    for requirement in sorted(policy.requirements, key=lambda requirement: requirement.shareable):
        held = sum(profile in requirement.accepts for profile in profiles) if requirement.shareable else 0
        profiles += [rng.choice(sorted(requirement.accepts)) for _ in range(requirement.minimum - held)]
    profiles += [ProfileType.ACADEMIC] * (policy.size_min - len(profiles))
    if len(profiles) < policy.size_max and rng.random() < 0.3:
        profiles.append(rng.choice((ProfileType.ACADEMIC, ProfileType.INTERNATIONAL, ProfileType.QA_EXPERT)))
    return profiles


def _panel_values(rng: random.Random, rubric: Rubric, seats: int, quality: Outcome,
                  ) -> tuple[list[dict[str, int]], dict[str, int]]:
    """Each seat's mark on every criterion, and the criteria the reviewers disagree on with the value agreed.

    Reviewers differ by one point at most on a criterion, except on a few where one is two points off: those
    need a consensus. Nobody puts a gate criterion at its gate unless all do, so no gate splits the panel.
    """
    values, cumulative = _BASE_MARKS[quality]
    low, high = _scale_bounds(rubric)
    draw = rng.random
    marks: list[dict[str, int]] = [{} for _ in range(seats)]
    bases = {}
    for criterion in rubric.criteria:
        base = bases[criterion.id] = rng.choices(values, cum_weights=cumulative)[0]
        gate = criterion.gate
        step = 1 if draw() < 0.5 else -1
        for seat in marks:
            value = base
            if draw() < 0.25 and not (gate is not None and gate.applies(base)):
                value = min(high, max(low, base + step))
                value = base if gate is not None and gate.applies(value) else value
            seat[criterion.id] = value
    disputed = {}
    for cid in rng.sample(sorted(bases), rng.choices((0, 1, 2, 3), cum_weights=(35, 70, 90, 100))[0]):
        base = disputed[cid] = bases[cid]
        marks[rng.randrange(seats)][cid] = base + 2 if base + 2 <= high else base - 2
    return marks, disputed


def _marks(rng: random.Random, rubric: Rubric, values: Mapping[str, int]) -> tuple[dict[str, Mark], list[str]]:
    """Marks with a justification wherever the rubric asks for one, and now and then where it does not; with
    each mark's member of the stored text, in the order `reviews.marks_json` writes them."""
    below, draw = _justification_thresholds(rubric), rng.random
    marks, members = {}, []
    for cid in sorted(values):
        value = values[cid]
        options = _mark_options(cid, value, value < below[cid])
        marks[cid], member = options[int(draw() * len(options))]
        members.append(member)
    return marks, members


def _stored(members: Sequence[str]) -> str:
    """The stored text of marks, exactly as `reviews.marks_json` writes it (a test compares them), joined from
    cached members: serialising every seat's marks afresh would be one of the slowest steps of seeding."""
    return "{" + ", ".join(members) + "}"


@cache
def _mark_options(cid: str, value: int, justified: bool) -> tuple[tuple[Mark, str], ...]:
    """The marks a reviewer gives `cid` with `value`, each repeated as often as it is likely, and its member of the
    stored text (shared: marks are frozen)."""
    texts = _JUSTIFY.get(value, _PRAISE) if justified else ("",) * 17 + _PRAISE
    return tuple((mark, reviews.marks_json({cid: mark})[1:-1]) for mark in (Mark(value, text_) for text_ in texts))


@cache
def _justification_thresholds(rubric: Rubric) -> dict[str, int]:
    return {criterion.id: criterion.justification_required_below for criterion in rubric.criteria}


@cache
def _scale_bounds(rubric: Rubric) -> tuple[int, int]:
    return min(rubric.scale.values), max(rubric.scale.values)


# Stories --------------------------------------------------------------------------------------------------


class _At(int):
    """A moment on a story's relative clock (seconds since the midnight of its first day); becomes a datetime."""


class _On(int):
    """A day on a story's relative clock (any second of it); becomes a date."""


def _convert(values: dict[str, Any], origin: datetime) -> None:
    for key, value in values.items():
        if type(value) is _At:
            values[key] = origin + timedelta(seconds=value)
        elif type(value) is _On:
            values[key] = (origin + timedelta(seconds=value)).date()


class _Story:
    """One programme's history, from its creation to its `target` state, as rows and audit events."""

    def __init__(self, world: _World, target: State) -> None:
        assert world.cast is not None
        self.w, self.rng, self.target, cast = world, world.rng, target, world.cast
        self.provider = self.rng.choices(cast.providers, cum_weights=cast.weights)[0]
        self.designer = self.rng.choice(self.provider.designers)
        self.officer = self.rng.choice(cast.officers)
        self.id = world.ids.take(Programme)
        self.variant = world.content.variant(self.rng, self.provider, self.designer, self.id)
        self.t, self.base, self.state, self.versions = 0, None, None, 0
        self.rows: list[dict[str, Any]] = []
        self.events: list[tuple[int, _Person | None, Role, str, dict[str, Any]]] = []
        self.hooks: list[Callable[[], None]] = []
        self.reviewers: set[int] = set()
        self.programme: dict[str, Any] | None = None
        self.version: dict[str, Any] | None = None  # the last one submitted
        self.review: dict[str, Any] | None = None  # the current round
        self.decision: dict[str, Any] | None = None  # the one in effect
        self.submitted: list[dict[str, Mark]] = []
        self.disputed: dict[str, int] = {}
        self.agreed: dict[str, Consensus] = {}
        self.conditions: list[dict[str, Any]] = []

    def play(self) -> None:
        self.create()
        _PLAYS[self.target](self)
        self.finish()

    # Rows, events and the clock

    def add(self, model: type, row: dict[str, Any]) -> dict[str, Any]:
        self.rows.append(row)
        return self.w.add(model, row)

    def event(self, actor: _Person | None, role: Role, action: str, details: dict[str, Any],
              at: int | None = None) -> None:
        self.events.append((self.t if at is None else at, actor, role, action, details))

    @property
    def horizon(self) -> int:
        """Today's midnight on the story's clock (once pinned)."""
        assert self.base is not None
        return (self.w.today - self.base).days * DAY

    def moment(self, after: int, lo: int, hi: int) -> _At:
        """A moment `lo`..`hi` days after `after`, in office hours (the same day: minutes to hours later); once
        the story is pinned, before today."""
        days = self.rng.randint(lo, max(lo, hi))
        if days:
            t = (after // DAY + days) * DAY + self.rng.randint(8 * 3600, 18 * 3600)
        else:
            t = after + self.rng.randint(120, 3 * 3600)
            if t % DAY > 19 * 3600:
                t = (t // DAY + 1) * DAY + self.rng.randint(8 * 3600, 9 * 3600)
        if self.base is not None:
            t = min(t, self.horizon - 1)
        return _At(max(t, after))

    def later(self, lo: int, hi: int) -> _At:
        self.t = self.moment(self.t, lo, hi)
        return self.t

    def days_left(self, after: int) -> int:
        """Whole days from `after` to today (once pinned)."""
        return (self.horizon - after) // DAY

    def pin(self, lo: int, hi: int) -> None:
        """Place the story on the calendar: its present moment falls `lo`..`hi` days before today, and its first
        day within the last three years when it can."""
        day = self.t // DAY
        hi = max(1, min(hi, SPAN_DAYS - day))
        self.base = self.w.today - timedelta(days=self.rng.randint(max(1, min(lo, hi)), hi) + day)

    def day(self, t: int) -> date:
        assert self.base is not None
        return self.base + timedelta(days=t // DAY)

    def finish(self) -> None:
        assert self.state is self.target and self.base is not None and self.programme is not None
        origin = datetime.combine(self.base, time(), UTC)
        for row in self.rows:
            _convert(row, origin)
        for hook in self.hooks:
            hook()
        self.programme["state"] = self.state
        if self.state is State.DRAFT:
            self.programme["draft"] = (self.version["content"] if self.version else
                                       self.w.content.text(self.variant, 1, self.w.today + timedelta(days=120))[0])
        for at, actor, role, action, details in self.events:
            _convert(details, origin)
            self.w.event(origin + timedelta(seconds=at), actor.id if actor else None, role.value, action,
                         ("programme", self.id), details)
        self.hooks.clear()  # they close over the story: without them it is freed at once, cyclic GC or not

    # The designer's steps and screening

    def act(self, action: Action, actor: _Person | None, role: Role, *, comment: str | None = None,
            **details: Any) -> dict[str, Any]:
        """Take a transition of the table (its preconditions hold by construction) and audit it as the
        workflow service does."""
        before = self.state
        self.state = workflow.advance(before, action, role, comment=comment, holds=EVERYTHING)
        facts = {"action": action.value, "from": before.value if before else None, **details}
        if comment:
            facts["comment"] = comment
        facts["to"] = self.state.value
        self.event(actor, role, f"programme.{action.value}", facts)
        assert self.programme is not None
        self.programme["version"] += 1
        self.programme["updated_at"] = _At(self.t)
        return facts

    def create(self) -> None:
        self.state = workflow.advance(workflow.NEW, Action.CREATE, Role.DESIGNER)
        self.t = _At(self.rng.randint(8 * 3600, 17 * 3600))
        v = self.variant
        self.programme = self.add(Programme, {
            "id": self.id, "title": v.title, "provider_id": self.provider.id, "designer_id": self.designer.id,
            "ects": Decimal(v.ects), "eqf_level": v.eqf, "state": self.state, "version": 1, "draft": None,
            "current_version": 0, "created_at": _At(self.t), "updated_at": _At(self.t)})
        self.event(self.designer, Role.DESIGNER, "programme.create", {"title": v.title, "source": "demo"})
        self.edit()

    def edit(self) -> None:
        for fields in self.rng.sample(_SECTIONS, self.rng.randint(1, 3)):
            self.later(0, 6)
            self.event(self.designer, Role.DESIGNER, "programme.section_saved", {"fields": list(fields)})
            self.programme["updated_at"] = _At(self.t)

    def submit(self) -> None:
        self.later(2, 40)
        self.versions = number = self.versions + 1
        row = self.version = self.add(ProgrammeVersion, {
            "id": self.w.ids.take(ProgrammeVersion), "programme_id": self.id, "number": number, "content": "",
            "content_sha256": "", "screening": self.w.content.screening(self.variant), "submitted_at": _At(self.t),
            "submitted_by_id": self.designer.id})
        facts = self.act(Action.SUBMIT, self.designer, Role.DESIGNER, version=number, sha256="")
        assert self.programme is not None
        self.programme["current_version"] = number

        def freeze() -> None:  # the content names its start date, known once the story is on the calendar
            start = row["submitted_at"].date() + timedelta(days=120)
            row["content"], row["content_sha256"] = self.w.content.text(self.variant, number, start)
            facts["sha256"] = row["content_sha256"]
        self.hooks.append(freeze)

    def take(self) -> None:
        self.later(1, 8)
        self.act(Action.TAKE_FOR_SCREENING, self.officer, Role.QA_OFFICER, version=self.versions)

    def give_back(self) -> None:
        self.later(1, 10)
        self.act(Action.RETURN_TO_DESIGNER, self.officer, Role.QA_OFFICER, comment=self.rng.choice(_RETURNS),
                 version=self.versions)

    def revise(self, action: Action = Action.START_REVISION, **details: Any) -> None:
        self.later(2, 30)
        self.act(action, self.designer, Role.DESIGNER, from_version=self.versions, **details)
        self.edit()

    def withdraw(self) -> None:
        self.later(1, 30)
        self.act(Action.WITHDRAW, self.designer, Role.DESIGNER, comment=self.rng.choice(_WITHDRAWALS))

    def submission(self, *, earlier_round: bool) -> None:
        """Submit, perhaps after a return at screening, perhaps after an earlier round ending in revision."""
        self.submit()
        if self.rng.random() < 0.15:
            self.take()
            self.give_back()
            self.revise()
            self.submit()
        if earlier_round and self.rng.random() < 0.06:
            self.round_to_decision(Outcome.REVISE_AND_RESUBMIT)
            self.revise()
            self.submit()

    # External review

    def accept(self) -> None:
        """Accept for review and open the round, pinned to the rubric, as screening.accept_for_review does."""
        self.later(1, 12)
        self.act(Action.ACCEPT_FOR_REVIEW, self.officer, Role.QA_OFFICER, version=self.versions)
        settings, rubric = self.w.settings.review, self.w.rubric
        due = _On(self.t + settings.due_days * DAY)
        self.review = self.add(Review, {
            "id": self.w.ids.take(Review), "programme_id": self.id, "version_number": self.versions,
            "review_type": settings.default_type, "rubric_key": rubric.key, "rubric_sha256": rubric.content_hash,
            "blind": settings.blind, "due_on": due, "opened_at": _At(self.t), "opened_by_id": self.officer.id,
            "report_sent_at": None, "response_due_on": None, "response": None, "responded_at": None,
            "responded_by_id": None})
        self.event(self.officer, Role.QA_OFFICER, "review.opened", {
            "review": self.review["id"], "version": self.versions, "rubric": rubric.key,
            "rubric_sha256": rubric.content_hash, "blind": settings.blind, "due_on": due})

    def panel(self, quality: Outcome, *, complete: bool) -> None:
        """Seat a panel meeting the review type's policy and take each seat as far as the stage needs: every
        review submitted and the round completed, or a round still under way."""
        rng, opened, settings = self.rng, self.t, self.w.settings.review
        profiles = _seat_profiles(rng, settings.policy(settings.default_type))
        taken: set[int] = set()
        ends = [self.closed_seat(rng.choice(profiles), taken, removed=complete and rng.random() < 0.2)
                if rng.random() < 0.15 else opened]
        statuses = [MemberStatus.SUBMITTED] * len(profiles)
        if not complete:
            statuses = rng.choices((MemberStatus.INVITED, MemberStatus.ACCEPTED, MemberStatus.SUBMITTED),
                                   (15, 35, 50), k=len(profiles))
            statuses[-1] = MemberStatus.ACCEPTED if all(s is MemberStatus.SUBMITTED for s in statuses) else statuses[-1]
        values, self.disputed = _panel_values(rng, self.w.rubric, len(profiles), quality)
        self.submitted = []
        last = None
        chair = rng.random() < 0.5
        for profile, status, marks in zip(profiles, statuses, values, strict=True):
            seat, person, end = self.seat_work(self.invite(profile, taken, opened), status, marks)
            if chair and seat["declared_at"] is not None:
                chair = False
                seat["chair"] = True
                self.event(self.officer, Role.QA_OFFICER, "review.chair_set", {
                    "review": seat["review_id"], "assignment": seat["id"], "reviewer": person.id, "previous": []},
                           at=self.moment(seat["declared_at"], 0, 2))
            if last is None or end > last[1]:
                last = (person, end)
            ends.append(end)
        self.t = _At(max(ends))
        if complete and last is not None:  # the last review in closes the round, or the officer after a removal
            closer = (last[0], Role.REVIEWER) if last[1] == self.t else (self.officer, Role.QA_OFFICER)
            self.act(Action.COMPLETE_REVIEWS, *closer, review=self.review["id"])

    def invite(self, profile: ProfileType, taken: set[int], after: int) -> tuple[dict[str, Any], _Person]:
        person = self.pick(profile, taken)
        t = self.moment(after, 0, 2)
        seat = self.add(Assignment, {
            "id": self.w.ids.take(Assignment), "review_id": self.review["id"], "reviewer_id": person.id,
            "profile_type": profile, "chair": False, "status": MemberStatus.INVITED, "version": 1, "invited_at": t,
            "invited_by_id": self.officer.id, "responded_at": None, "decline_reason": None, "declared_at": None,
            "declaration": None, "marks": "{}", "hours": None, "submitted_at": None, "removed_at": None})
        self.event(self.officer, Role.QA_OFFICER, "review.invited", {
            "review": self.review["id"], "assignment": seat["id"], "reviewer": person.id, "profile": profile.value},
                   at=t)
        return seat, person

    def pick(self, profile: ProfileType, taken: set[int]) -> _Person:
        """A reviewer of `profile` not on the panel yet, from elsewhere than the provider, with no conflict."""
        cast = self.w.cast
        assert cast is not None
        candidates = cast.pool.get(profile) or cast.pool[ProfileType.ACADEMIC]
        def free(person: _Person) -> bool:
            return (person.id not in taken and person.institution_id != self.provider.id
                    and (person.id, self.provider.id) not in cast.conflicts)

        tries = (self.rng.choice(candidates) for _ in range(20))  # quick when the pool is large, as it is
        person = next((p for p in tries if free(p)), None) or next((p for p in candidates if free(p)), None)
        if person is None:
            raise RuntimeError(f"the reviewer pool has no free {profile.value} reviewer for programme {self.id}")
        taken.add(person.id)
        self.reviewers.add(person.id)
        return person

    def seat_work(self, invited: tuple[dict[str, Any], _Person], status: MemberStatus, values: dict[str, int],
                  ) -> tuple[dict[str, Any], _Person, int]:
        """Take an invited seat to `status`: accepted (declared or not, a draft saved or not) or submitted."""
        seat, person = invited
        t = seat["invited_at"]
        if status is MemberStatus.INVITED:
            return seat, person, t
        t = self.moment(t, 0, 5)
        seat.update(status=MemberStatus.ACCEPTED, responded_at=t, version=2)
        details = {"review": seat["review_id"], "assignment": seat["id"]}
        self.event(person, Role.REVIEWER, "review.invitation_accepted", dict(details), at=t)
        if status is MemberStatus.ACCEPTED and self.rng.random() < 0.3:
            return seat, person, t
        t = self.moment(t, 0, 0)
        seat.update(declared_at=t, declaration=_DECLARATION, version=3)
        self.event(person, Role.REVIEWER, "review.declaration_signed",
                   {**details, "declaration_version": DECLARATION_VERSION}, at=t)
        marks, members = _marks(self.rng, self.w.rubric, values)
        if status is MemberStatus.ACCEPTED:
            draft = members[:self.rng.randint(1, len(members) - 1)]
            t = self.moment(t, 1, 10)
            seat.update(marks=_stored(draft), version=4)
            self.event(person, Role.REVIEWER, "review.draft_saved", {**details, "marked": len(draft), "problems": 0},
                       at=t)
            return seat, person, t
        stored, hours = _stored(members), Decimal(self.rng.randint(30, 160)) / 10
        t = self.moment(t, 4, 26)
        seat.update(status=MemberStatus.SUBMITTED, marks=stored, hours=hours, submitted_at=t, version=4)
        self.event(person, Role.REVIEWER, "review.submitted", {
            **details, "rubric": self.w.rubric.key, "hours": str(hours),
            "marks_sha256": hashlib.sha256(stored.encode()).hexdigest()}, at=t)
        self.submitted.append(marks)
        return seat, person, t

    def closed_seat(self, profile: ProfileType, taken: set[int], *, removed: bool) -> int:
        """A seat that did not last: an invitation declined, or a member removed after accepting."""
        seat, person = self.invite(profile, taken, self.t)
        details = {"review": seat["review_id"], "assignment": seat["id"]}
        t = self.moment(seat["invited_at"], 0, 4)
        if not removed:
            reason = self.rng.choice(_DECLINES)
            seat.update(status=MemberStatus.DECLINED, responded_at=t, decline_reason=reason, version=2)
            self.event(person, Role.REVIEWER, "review.invitation_declined", {**details, "reason": reason}, at=t)
            return t
        seat.update(responded_at=t, declared_at=t, declaration=_DECLARATION)
        self.event(person, Role.REVIEWER, "review.invitation_accepted", dict(details), at=t)
        t, reason = self.moment(t, 3, 12), self.rng.choice(_REMOVALS)
        seat.update(status=MemberStatus.REMOVED, removed_at=t, version=4)
        self.event(self.officer, Role.QA_OFFICER, "review.member_removed",
                   {**details, "reviewer": person.id, "reason": reason}, at=t)
        return t

    def consolidate(self, *, all_agreed: bool = True) -> None:
        """Record the panel's consensus where the reviewers disagree (all of it, or some while under way).

        The marks disagree only where `_panel_values` made them (a spread of two); a lower threshold in the
        configuration asks the scoring engine which other criteria need a consensus.
        """
        agreed = {cid: Consensus(value, self.rng.choice(_CONSENSUS)) for cid, value in self.disputed.items()}
        if not all_agreed:
            agreed = dict(list(agreed.items())[:self.rng.randint(0, len(agreed))])
        elif self.w.settings.review.disagreement_threshold < 2:
            panel = self._score(agreed)
            agreed.update({cid: Consensus(_rounded(panel.criteria[cid].median), self.rng.choice(_CONSENSUS))
                           for cid in panel.to_discuss})
        self.agreed = agreed
        start, end = self.t, self.t
        for cid, consensus in agreed.items():
            t = self.moment(start, 1, 8)
            end = max(end, t)
            mark = self.add(ConsensusMark, {
                "id": self.w.ids.take(ConsensusMark), "review_id": self.review["id"], "criterion_id": cid,
                "value": consensus.value, "reason": consensus.reason, "recorded_by_id": self.officer.id,
                "recorded_at": t})
            self.event(self.officer, Role.QA_OFFICER, "review.consensus_recorded", {
                "review": mark["review_id"], "criterion": cid, "value": consensus.value, "reason": consensus.reason},
                       at=t)
        self.t = _At(end)

    def _score(self, agreed: Mapping[str, Consensus]) -> PanelScore:
        """The scoring engine's view of the round: the recommended outcome, what is left to discuss."""
        return score_panel(self.w.rubric, self.submitted, agreed,
                           disagreement_threshold=self.w.settings.review.disagreement_threshold)

    def send_report(self) -> None:
        self.later(1, 7)
        review = self.review
        facts = self.act(Action.SEND_DRAFT_REPORT, self.officer, Role.QA_OFFICER, review=review["id"],
                         response_due_on=None)
        review["report_sent_at"] = _At(self.t)

        def window() -> None:  # working days: known once the story is on the calendar
            settings = self.w.settings.review
            review["response_due_on"] = closing_date(review["report_sent_at"].date(), settings.response_days,
                                                     settings.holidays)
            facts["response_due_on"] = review["response_due_on"].isoformat()
        self.hooks.append(window)

    def answer(self) -> None:
        """The provider responds within the window, or the officer closes it once it has run out (its working
        days are as many calendar days at least, and 7/5 of them plus holidays at most)."""
        review, days = self.review, self.w.settings.review.response_days
        if self.rng.random() < 0.7:
            self.later(1, max(1, days - 2))
            text = self.rng.choice(_RESPONSES)
            self.act(Action.RESPOND_TO_REPORT, self.designer, Role.DESIGNER, comment=text, review=review["id"])
            review.update(response=text, responded_at=_At(self.t), responded_by_id=self.designer.id)
            return
        closes = math.ceil(days * 7 / 5) + len(self.w.settings.review.holidays) + 2
        self.later(closes, closes + 10)
        facts = self.act(Action.CLOSE_RESPONSE_WINDOW, self.officer, Role.QA_OFFICER, review=review["id"],
                         closed_on=None)
        self.hooks.append(lambda: facts.update(closed_on=review["response_due_on"].isoformat()))

    def round_to_decision(self, outcome: Outcome, pin: tuple[int, int] | None = None, *,
                          expired: bool = False) -> None:
        """Screening, the panel, consolidation, the provider's answer and the decision."""
        self.take()
        self.accept()
        self.panel(outcome, complete=True)
        self.consolidate()
        self.send_report()
        self.answer()
        self.decide(outcome, pin, expired=expired)

    # The decision and what follows it

    def decide(self, outcome: Outcome, pin: tuple[int, int] | None = None, *, expired: bool = False) -> None:
        """Record the decision in effect, with its conditions, and take its transition, as services.decisions
        does (under four eyes, proposed and then confirmed by a second officer). An approval is pinned to the
        calendar first: its validity is chosen so that it stands today, or has ended (`expired`)."""
        settings = self.w.settings.decision
        self.later(5, 30)
        decided_at, decider = self.t, self.officer
        confirmer = self.second_officer() if settings.four_eyes else None
        if confirmer is not None:
            self.later(0, 4)
        if pin is not None:
            self.pin(*pin)
        assert outcome not in rules.ACCREDITING or self.base is not None, "approvals are placed on the calendar"
        decided_on: date | _On = self.day(self.t) if self.base is not None else _On(self.t)
        valid_from = valid_until = deadline = None
        if outcome in rules.ACCREDITING:
            valid_from, valid_until = decided_on, rules.validity_end(decided_on, self.validity(decided_on, expired))
        if outcome in rules.APPEALABLE:
            deadline = (rules.appeal_deadline(decided_on, settings.appeal_days) if isinstance(decided_on, date)
                        else _On(self.t + settings.appeal_days * DAY))
        recommended = self._score(self.agreed).recommended
        departure = None if recommended in (None, outcome) else self.rng.choice(_DEPARTURES)
        accredits = outcome in rules.ACCREDITING
        decision = self.decision = self.add(Decision, {
            "id": self.w.ids.take(Decision), "programme_id": self.id, "review_id": self.review["id"],
            "version_number": self.versions, "status": DecisionStatus.EFFECTIVE, "outcome": outcome,
            "recommended_outcome": recommended, "departure_reason": departure, "rationale": _RATIONALES[outcome],
            "recommendations": self.rng.choice(_RECOMMENDATIONS), "valid_from": valid_from,
            "valid_until": valid_until, "limit_eqf_level": self.variant.eqf if accredits else None,
            "limit_field": self.variant.isced if accredits else None,
            "limit_mode": self.variant.mode if accredits else None, "decision_body": settings.body,
            "members_present": json.dumps(self.committee(), ensure_ascii=False), "decided_by_id": decider.id,
            "decided_at": _At(decided_at), "confirmed_by_id": confirmer.id if confirmer else None,
            "confirmed_at": _At(self.t) if confirmer else None, "decided_on": decided_on,
            "appeal_deadline": deadline, "corrects_id": None, "correction_reason": None, "report_sha256": None,
            "report_file": None})
        count = self.rng.choice((1, 1, 2, 2, 3)) if outcome is Outcome.APPROVED_WITH_CONDITIONS else 0
        self.conditions = [self.condition(number) for number in range(1, count + 1)]
        facts = {"decision": decision["id"], "outcome": outcome.value, "status": DecisionStatus.EFFECTIVE.value,
                 "recommended": recommended.value if recommended else None, "departure_reason": departure,
                 "conditions": count, "valid_from": valid_from, "valid_until": valid_until}
        if confirmer is None:
            self.event(decider, Role.QA_OFFICER, "decision.recorded", facts)
        else:
            self.event(decider, Role.QA_OFFICER, "decision.proposed",
                       {**facts, "status": DecisionStatus.PROPOSED.value}, at=decided_at)
            self.event(confirmer, Role.QA_OFFICER, "decision.confirmed", facts)
        self.act(_DECIDE[outcome], confirmer or decider, Role.QA_OFFICER, decision=decision["id"],
                 outcome=outcome.value)

    def second_officer(self) -> _Person:
        cast = self.w.cast
        assert cast is not None
        return self.rng.choice([person for person in cast.officers if person.id != self.officer.id] or cast.officers)

    def committee(self) -> list[str]:
        cast = self.w.cast
        assert cast is not None
        others = [person.name for person in cast.officers if person.id != self.officer.id]
        return sorted({self.officer.name, *self.rng.sample(others, min(2, len(others)))})

    def validity(self, decided_on: date, expired: bool) -> int:
        """Years of validity: mostly the usual; such that the approval stands today, or has ended."""
        today = self.w.today
        if expired:
            fits = [(years, 1) for years in (1, 2) if rules.validity_end(decided_on, years) < today - timedelta(days=1)]
        else:
            usual = self.w.settings.decision.validity_years
            fits = [(years, weight) for years, weight in ((usual, 7), (usual - 1, 2), (usual - 2, 1))
                    if years >= 1 and rules.validity_end(decided_on, years) >= today]
        if not fits:
            return 1 if expired else self.w.settings.decision.validity_years
        return self.rng.choices([years for years, _ in fits], [weight for _, weight in fits])[0]

    def condition(self, number: int) -> dict[str, Any]:
        """A condition of the approval, due within its validity."""
        end = (self.decision["valid_until"] - self.base).days * DAY
        text_, evidence_required = _CONDITIONS[(self.id + number) % len(_CONDITIONS)]
        return self.add(ConditionRow, {
            "id": self.w.ids.take(ConditionRow), "decision_id": self.decision["id"], "number": number,
            "text": text_, "evidence_required": evidence_required,
            "due_on": _On(min(self.t + self.rng.randint(45, 300) * DAY, end)), "status": ConditionStatus.OPEN,
            "version": 1})

    def follow_up(self, *, all_met: bool) -> None:
        """The provider's evidence and the officer's judgements: every condition met, then the addendum that
        approves the programme without conditions (as services.conditions.judge does); or as today finds them,
        met, open, awaiting judgement or overdue, and at least one not met."""
        decided = self.t
        statuses = [ConditionStatus.MET if all_met else self.condition_status(row["due_on"], decided)
                    for row in self.conditions]
        if not all_met and all(status is ConditionStatus.MET for status in statuses):
            statuses[-1] = ConditionStatus.OPEN
        judged = [self.judge(row, status, decided) for row, status in zip(self.conditions, statuses, strict=True)]
        self.t = _At(max([decided, *(t for t, _ in judged)]))
        if all_met:
            self.lift_conditions([evidence for _, evidence in judged])

    def condition_status(self, due: int, decided: int) -> ConditionStatus:
        if self.days_left(decided) < 20:
            return ConditionStatus.OPEN
        statuses = (ConditionStatus.MET, ConditionStatus.OPEN, ConditionStatus.NOT_MET,
                    ConditionStatus.EVIDENCE_SUBMITTED)
        return self.rng.choices(statuses, (60, 15, 15, 10) if due < self.horizon else (35, 45, 0, 20))[0]

    def judge(self, row: dict[str, Any], status: ConditionStatus, decided: int) -> tuple[int, dict[str, Any] | None]:
        """The evidence and judgement that leave the condition in `status`; when it last changed, and the evidence."""
        row["status"] = status
        if status is ConditionStatus.OPEN:
            return decided, None
        latest = min(row["due_on"], self.horizon - DAY)
        t = self.moment(decided, 5, max(5, (latest - decided) // DAY - 16))
        met = None if status is ConditionStatus.EVIDENCE_SUBMITTED else status is ConditionStatus.MET
        evidence = self.add(ConditionEvidence, {
            "id": self.w.ids.take(ConditionEvidence), "condition_id": row["id"], "text": self.rng.choice(_EVIDENCE),
            "attachment_id": None, "submitted_by_id": self.designer.id, "submitted_at": t, "met": met,
            "judgement": None, "judged_by_id": None, "judged_at": None})
        facts = {"condition": row["id"], "number": row["number"], "evidence": evidence["id"]}
        self.event(self.designer, Role.DESIGNER, "condition.evidence_submitted", dict(facts), at=t)
        row["version"] = 2
        if met is None:
            return t, evidence
        t = self.moment(t, 1, 14)
        evidence.update(judgement=_JUDGEMENTS[met], judged_by_id=self.officer.id, judged_at=t)
        self.event(self.officer, Role.QA_OFFICER, "condition.judged",
                   {**facts, "met": met, "comment": _JUDGEMENTS[met]}, at=t)
        row["version"] = 3
        return t, evidence

    def lift_conditions(self, evidence: list[dict[str, Any] | None]) -> None:
        """The addendum issued with the last judgement, and the transition to approved."""
        decision = self.decision
        addendum = self.add(Addendum, {
            "id": self.w.ids.take(Addendum), "decision_id": decision["id"], "issued_on": _On(self.t),
            "outcome": Outcome.APPROVED, "text": "", "issued_by_id": self.officer.id, "created_at": _At(self.t)})
        self.event(self.officer, Role.QA_OFFICER, "decision.addendum", {
            "decision": decision["id"], "addendum": addendum["id"], "outcome": Outcome.APPROVED.value})
        self.act(Action.CONDITIONS_MET, self.officer, Role.QA_OFFICER, decision=decision["id"],
                 addendum=addendum["id"])
        pairs = list(zip(self.conditions, evidence, strict=True))

        def wording() -> None:  # names the days the conditions were met: known once on the calendar
            addendum["text"] = "Every condition of the decision is met:\n" + "\n".join(
                f"{row['number']}. {row['text']} (met on {proof['judged_at']:%Y-%m-%d})" for row, proof in pairs)
        self.hooks.append(wording)

    def appeal(self, outcome: AppealOutcome | None) -> None:
        """An appeal lodged within the window and its panel appointed: still waiting (None), dismissed, or upheld
        (the case returns to the decision), as services.appeals records it."""
        decision, cast = self.decision, self.w.cast
        assert cast is not None
        case = CaseParticipants(frozenset({decision["decided_by_id"]}), frozenset(self.reviewers))
        eligible = set(rules.eligible_appeal_handlers([person.id for person in cast.officers], case))
        handlers = self.rng.sample([p for p in cast.officers if p.id in eligible], min(2, len(eligible)))
        days = self.w.settings.decision.appeal_days
        self.t = self.moment(self.t, 1, min(days - 2, max(1, self.days_left(self.t) - 1)))
        appeal = self.add(Appeal, {
            "id": self.w.ids.take(Appeal), "decision_id": decision["id"], "programme_id": self.id,
            "grounds": self.rng.choice(_GROUNDS), "documents": "[]", "lodged_by_id": self.designer.id,
            "lodged_at": _At(self.t), "status": AppealStatus.LODGED,
            "handler_ids": json.dumps([person.id for person in handlers]), "outcome": None, "outcome_reason": None,
            "decided_by_id": None, "decided_at": None, "version": 1 + len(handlers)})
        self.event(self.designer, Role.DESIGNER, "appeal.lodged", {
            "appeal": appeal["id"], "decision": decision["id"], "against": "decision",
            "deadline": decision["appeal_deadline"], "documents": []})
        for person in handlers:
            self.later(0, 3)
            self.event(self.officer, Role.QA_OFFICER, "appeal.handler_appointed",
                       {"appeal": appeal["id"], "handler": person.id, "name": person.name})
        if outcome is None or not handlers:
            return
        self.later(10, 40)
        handler, reason = handlers[0], self.rng.choice(_UPHOLDINGS if outcome is AppealOutcome.UPHELD else _DISMISSALS)
        appeal.update(status=AppealStatus.DECIDED, outcome=outcome, outcome_reason=reason, decided_by_id=handler.id,
                      decided_at=_At(self.t), version=appeal["version"] + 1)
        if outcome is AppealOutcome.UPHELD:
            self.act(Action.UPHOLD_APPEAL, handler, Role.QA_OFFICER, comment=reason, appeal=appeal["id"],
                     recorded_by=handler.id)
        self.event(handler, Role.QA_OFFICER, "appeal.decided",
                   {"appeal": appeal["id"], "outcome": outcome.value, "comment": reason})

    def maybe_appeal(self) -> None:
        """Now and then the provider appeals a refusal: still waiting when the decision is recent, else dismissed."""
        waited = self.days_left(self.t)
        if waited <= self.w.settings.decision.appeal_days - 5 and self.rng.random() < 0.3:
            self.appeal(None)
        elif waited >= 90 and self.rng.random() < 0.12:
            self.appeal(AppealOutcome.DISMISSED)

    def end_approval(self, action: Action) -> None:
        """The engine records the approval's expiry after its last day (services.validity.expire), or an
        officer withdraws it within its validity."""
        decision = self.decision
        end = (decision["valid_until"] - self.base).days * DAY
        if action is Action.EXPIRE:
            self.t = self.moment(end, 1, 20)
            self.act(action, None, Role.QA_OFFICER, decision=decision["id"], valid_until=decision["valid_until"])
            return
        self.t = self.moment(self.t, 30, max(30, min(self.days_left(self.t), (end - self.t) // DAY) - 1))
        withdrawn_on = self.day(self.t)
        self.act(action, self.officer, Role.QA_OFFICER, comment=self.rng.choice(_APPROVAL_WITHDRAWALS),
                 decision=decision["id"], withdrawn_on=withdrawn_on,
                 appeal_deadline=rules.appeal_deadline(withdrawn_on, self.w.settings.decision.appeal_days))


def _rounded(value: float | None) -> int | None:
    return None if value is None else math.floor(value + 0.5)


# How each final state is reached --------------------------------------------------------------------------


def _quality(rng: random.Random) -> Outcome:
    return rng.choice((Outcome.APPROVED, Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS,
                       Outcome.APPROVED_WITH_CONDITIONS, Outcome.REVISE_AND_RESUBMIT))


def _draft(s: _Story) -> None:
    """A new draft, a draft revised after a return or a decision, or a periodic review of an approval."""
    chance = s.rng.random()
    if chance < 0.55:
        s.pin(1, 150)
    elif chance < 0.8:
        s.submit()
        s.take()
        s.give_back()
        s.revise()
        s.pin(1, 60)
    elif chance < 0.9:
        s.submission(earlier_round=False)
        s.round_to_decision(Outcome.REVISE_AND_RESUBMIT, (30, 400))
        s.revise()
    else:
        s.submission(earlier_round=False)
        s.round_to_decision(Outcome.APPROVED, (300, 1000))
        s.t = s.moment(max(s.t, s.horizon - 60 * DAY), 0, 59)
        s.revise(Action.START_PERIODIC_REVIEW, decision=s.decision["id"])


def _withdrawn(s: _Story) -> None:
    stage = s.rng.choice((State.DRAFT, State.SUBMITTED, State.SCREENING, State.RETURNED, State.IN_REVIEW))
    if stage is not State.DRAFT:
        s.submit()
    if stage in (State.SCREENING, State.RETURNED, State.IN_REVIEW):
        s.take()
    if stage is State.RETURNED:
        s.give_back()
    if stage is State.IN_REVIEW:
        s.accept()
        s.panel(_quality(s.rng), complete=False)
    s.withdraw()
    s.pin(1, SPAN_DAYS)


def _submitted(s: _Story) -> None:
    s.submit()
    s.pin(1, 10)


def _screening(s: _Story) -> None:
    s.submit()
    s.take()
    s.pin(1, 15)


def _returned(s: _Story) -> None:
    s.submit()
    if s.rng.random() < 0.8:
        s.take()
    s.give_back()
    s.pin(1, 45)


def _under_review(s: _Story, *, complete: bool) -> None:
    s.submission(earlier_round=True)
    s.take()
    s.accept()
    s.panel(_quality(s.rng), complete=complete)


def _in_review(s: _Story) -> None:
    _under_review(s, complete=False)
    s.pin(1, 20)


def _consolidation(s: _Story) -> None:
    _under_review(s, complete=True)
    s.consolidate(all_agreed=False)
    s.pin(1, 20)


def _provider_response(s: _Story) -> None:
    _under_review(s, complete=True)
    s.consolidate()
    s.send_report()
    s.pin(1, s.w.settings.review.response_days - 2)  # the window still open


def _decision_pending(s: _Story) -> None:
    """Waiting for the decision after the provider's answer, or again after an appeal was upheld."""
    if s.rng.random() < 0.85:
        _under_review(s, complete=True)
        s.consolidate()
        s.send_report()
        s.answer()
        s.pin(1, 25)
        return
    s.submission(earlier_round=True)
    s.round_to_decision(s.rng.choice((Outcome.REJECTED, Outcome.REVISE_AND_RESUBMIT)), (50, 150))
    s.appeal(AppealOutcome.UPHELD)


def _approved(s: _Story) -> None:
    s.submission(earlier_round=True)
    if s.rng.random() < 0.75:
        s.round_to_decision(Outcome.APPROVED, (1, SPAN_DAYS))
        return
    s.round_to_decision(Outcome.APPROVED_WITH_CONDITIONS, (200, SPAN_DAYS))
    s.follow_up(all_met=True)


def _with_conditions(s: _Story) -> None:
    s.submission(earlier_round=True)
    s.round_to_decision(Outcome.APPROVED_WITH_CONDITIONS, (5, SPAN_DAYS))
    s.follow_up(all_met=False)


def _refused(outcome: Outcome) -> Callable[[_Story], None]:
    def play(s: _Story) -> None:
        s.submission(earlier_round=True)
        s.round_to_decision(outcome, (1, SPAN_DAYS))
        s.maybe_appeal()
    return play


def _expired(s: _Story) -> None:
    s.submission(earlier_round=True)
    s.round_to_decision(Outcome.APPROVED, (400, SPAN_DAYS), expired=True)
    s.end_approval(Action.EXPIRE)


def _approval_withdrawn(s: _Story) -> None:
    outcome = s.rng.choice((Outcome.APPROVED, Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS))
    s.submission(earlier_round=True)
    s.round_to_decision(outcome, (60, SPAN_DAYS))
    if outcome is Outcome.APPROVED_WITH_CONDITIONS:
        s.follow_up(all_met=False)
    s.end_approval(Action.WITHDRAW_APPROVAL)


_PLAYS: Mapping[State, Callable[[_Story], None]] = {
    State.DRAFT: _draft, State.SUBMITTED: _submitted, State.SCREENING: _screening, State.RETURNED: _returned,
    State.IN_REVIEW: _in_review, State.CONSOLIDATION: _consolidation, State.PROVIDER_RESPONSE: _provider_response,
    State.DECISION_PENDING: _decision_pending, State.APPROVED: _approved, State.CONDITIONS: _with_conditions,
    State.REVISE_AND_RESUBMIT: _refused(Outcome.REVISE_AND_RESUBMIT), State.REJECTED: _refused(Outcome.REJECTED),
    State.EXPIRED: _expired, State.APPROVAL_WITHDRAWN: _approval_withdrawn, State.WITHDRAWN: _withdrawn,
}
