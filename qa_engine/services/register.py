"""The public register: what is accredited today, searched and filtered page by page, and one entry in full.

"Accredited today" is `decision_records.accredited`; this module only adds what the public sees of it: the
approved version's facts, whether conditions are still open, and the public part of the panel's report. The list,
its search, filters and facets read `register_entries`, which the database keeps equal to `listing` without its
date test (see models.register_entry), so that a page does not recompute the decision in effect of every
programme; one entry's page reads the source of truth itself.
What is public, and why, is set out in docs/exports.md ("The public register"): the decision with its
rationale, recommendations and conditions, the approved proposal's Annex I elements, and the panel's marks
per criterion with the consensus reasoning. Individual reviews, the provider's response, the officers'
notes and the reason given for departing from the scores stay internal; in blind review no reviewer is
named, and every published free text goes through the blind-review scrubber.
"""
from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, lazyload, selectinload

from qa_engine.domain import review_visibility as visibility
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.proposal import Proposal, proposal_from_dict
from qa_engine.domain.rubric_model import Criterion, Rubric
from qa_engine.domain.rubrics import RubricRegistry
from qa_engine.domain.scoring import CriterionAggregate
from qa_engine.domain.vocabularies import Vocabularies
from qa_engine.domain.words import words_of
from qa_engine.models import (
    Addendum,
    Assignment,
    Condition,
    Decision,
    Institution,
    Programme,
    ProgrammeVersion,
    RegisterEntry,
    Review,
    User,
)
from qa_engine.models.register_entry import RegisterStamp, RegisterWord
from qa_engine.services import decision_records, reviews, word_search

MAX_PER_PAGE = 100


class RegisterStatus(StrEnum):
    """Where an accreditation stands: unconditional, or approved with conditions still open or all met."""

    APPROVED = "approved"
    CONDITIONS_OPEN = "conditions_open"
    CONDITIONS_MET = "conditions_met"


def status_of(outcome: Outcome, conditions_open: bool) -> RegisterStatus:
    """The register status of an accrediting decision from its outcome as amended by addenda."""
    if outcome is Outcome.APPROVED:
        return RegisterStatus.APPROVED
    return RegisterStatus.CONDITIONS_OPEN if conditions_open else RegisterStatus.CONDITIONS_MET


@dataclass(frozen=True)
class Filters:
    """What a visitor asked for: words (of the title or provider, by their beginning), field, EQF level, provider,
    status, page."""

    search: str = ""
    field: str = ""
    level: int | None = None
    provider_id: int | None = None
    status: RegisterStatus | None = None
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Row:
    """One accredited micro-credential as the register lists it (facts from the approved version)."""

    programme_id: int
    title: str
    provider: str
    eqf_level: int | None
    ects: float | None
    field_code: str
    field: str
    mode: str
    languages: tuple[str, ...]
    status: RegisterStatus
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class Page:
    """One page of the register and the number of entries on all pages."""

    rows: list[Row]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class Facets:
    """The values the filters offer: only those some accredited micro-credential has."""

    providers: list[tuple[int, str]]
    fields: list[tuple[str, str]]
    levels: list[int]
    entries: int = 0  # how many micro-credentials are accredited today


@dataclass(frozen=True)
class Listing:
    """The accredited programmes joined to their approved version and provider, with computed columns."""

    query: Select
    decision: Any  # the aliased Decision that decision_records.accredited selects
    status: ColumnElement[str]
    title: ColumnElement[str]
    field: ColumnElement[str]
    level: ColumnElement[int]


def proposal_value(session: Session, column: Any, *path: str) -> Any:
    """An element of a stored proposal (JSON text), extracted in SQL: JSON_EXTRACT, or #>> on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(column, postgresql.JSONB)[path]
    return type_coerce(column, JSON)[path]


def listing(session: Session, today: date) -> Listing:
    """Every programme accredited today with its approved version and provider, and its register status.

    The status is `status_of` in SQL: the outcome amended by the newest addendum (as
    `decision_records.current_outcome` reads it) and whether any condition is not met yet. Title, field and
    level are the version's copies of its content's, so no proposal is parsed to sort, filter or count.
    """
    query = decision_records.accredited(today)
    decision = query.column_descriptions[0]["entity"]
    query = (query.join(ProgrammeVersion, and_(ProgrammeVersion.programme_id == Programme.id,
                                               ProgrammeVersion.number == decision.version_number))
             .join(Institution, Institution.id == Programme.provider_id))
    return Listing(query, decision, status_sql(decision.id, decision.outcome), ProgrammeVersion.title,
                   ProgrammeVersion.field_code, ProgrammeVersion.eqf_level)


def status_sql(decision_id: ColumnElement[int], outcome: ColumnElement[str]) -> ColumnElement[str]:
    """`status_of` in SQL, for the decision `decision_id` of `outcome`."""
    amended = func.coalesce(select(Addendum.outcome).where(Addendum.decision_id == decision_id)
                            .order_by(Addendum.id.desc()).limit(1).scalar_subquery(), outcome)
    still_open = exists().where(Condition.decision_id == decision_id, Condition.status != ConditionStatus.MET)
    return case((amended == Outcome.APPROVED, RegisterStatus.APPROVED.value),
                (still_open, RegisterStatus.CONDITIONS_OPEN.value), else_=RegisterStatus.CONDITIONS_MET.value)


def search(session: Session, filters: Filters, *, today: date, vocabularies: Vocabularies,
           facets: Facets | None = None) -> Page:
    """One page of the register, by title, in one query whatever its size.

    The page is chosen from `register_entries` alone, as narrow rows (ids and titles) along its indexes; only its
    own entries then read the approved version and the provider's name. Unfiltered, the page is walked along the
    title index, stopping once full, and how many there are comes from the `facets` of the same day (else from a
    count); filtered, the matches are counted and sorted as they are chosen. A search by words first finds all its
    matches (a materialized CTE, from the words' index): else PostgreSQL, misled by the LIMIT, walks the title
    index and tests every entry's words.
    """
    page, per_page = max(filters.page, 1), min(max(filters.per_page, 1), MAX_PER_PAGE)
    conditions = _conditions(filters, session.get_bind().dialect.name == "postgresql")
    matching = [*_valid(today), *conditions]
    total = func.count().over() if conditions or facets is None else literal(facets.entries)
    narrow = select(RegisterEntry.programme_id, RegisterEntry.sort_title).where(*matching)
    found = narrow.cte("matches").prefix_with("MATERIALIZED") if words_of(filters.search) else narrow.subquery()
    chosen = (select(found.c.programme_id, total.label("total")).order_by(found.c.sort_title, found.c.programme_id)
              .limit(per_page).offset((page - 1) * per_page).subquery())
    result = session.execute(
        select(RegisterEntry.programme_id, Institution.name, ProgrammeVersion.content, RegisterEntry.status,
               RegisterEntry.valid_from, RegisterEntry.valid_until, chosen.c.total)
        .join(RegisterEntry, RegisterEntry.programme_id == chosen.c.programme_id)
        .join(ProgrammeVersion, ProgrammeVersion.id == RegisterEntry.version_id)
        .join(Institution, Institution.id == RegisterEntry.provider_id)
        .order_by(RegisterEntry.sort_title, RegisterEntry.programme_id)).all()
    if not result and page > 1:  # past the last page: still say how many there are
        return Page([], session.scalar(select(func.count()).select_from(RegisterEntry).where(*matching)) or 0,
                    page, per_page)
    rows = [_row(programme_id, provider, proposal_from_dict(json.loads(content)), RegisterStatus(status),
                 valid_from, valid_until, vocabularies)
            for programme_id, provider, content, status, valid_from, valid_until, _ in result]
    return Page(rows, result[0][-1] if result else 0, page, per_page)


#: Per engine, the last facets' rows and their key (day, register version): exact, as the facets change only with
#: the entries (whose every change bumps the version) or the day. Per engine rather than per process, so that two
#: databases (or a test database emptied and filled again) never share one.
_facet_rows: weakref.WeakKeyDictionary[Any, tuple[tuple[date, int | None], list[Any]]] = weakref.WeakKeyDictionary()


def facets(session: Session, *, today: date, vocabularies: Vocabularies) -> Facets:
    """The providers, fields and EQF levels of the micro-credentials accredited today, and how many there are:
    computed once a day and change of the register (one read of its version), else kept from the last request."""
    key = (today, session.scalar(select(RegisterStamp.version).where(RegisterStamp.id == 1)))
    bind = session.get_bind()
    cached = _facet_rows.get(bind)
    rows = cached[1] if cached is not None and cached[0] == key else _facet_query(session, today)
    _facet_rows[bind] = (key, rows)
    providers = sorted(((i, name) for kind, i, name, _ in rows if kind == "provider"), key=lambda p: p[1].lower())
    pairs = [(n, code, level) for kind, n, code, level in rows if kind == "pair"]
    codes = sorted({code for _, code, _ in pairs if code is not None})
    return Facets(providers, [(code, f"{code} {vocabularies.isced_fields.get(code, '')}".strip()) for code in codes],
                  sorted({level for _, _, level in pairs if level is not None}), sum(n for n, _, _ in pairs))


def _facet_query(session: Session, today: date) -> list[Any]:
    """The facets' rows in one query over `register_entries`: a provider is kept when one of its entries is valid
    today (a seek in the provider index), and the entries valid today are counted by field and level in one pass
    along the field index (a few hundred pairs), from which the fields, the levels and the total follow."""
    valid = _valid(today)
    has_entry = (select(literal(1)).select_from(RegisterEntry)
                 .where(RegisterEntry.provider_id == Institution.id, *valid).exists())
    return [tuple(row) for row in session.execute(union_all(
        select(literal("provider"), Institution.id, Institution.name, literal(None, Integer)).where(has_entry),
        select(literal("pair"), func.count(), RegisterEntry.field_code, RegisterEntry.eqf_level).where(*valid)
        .group_by(RegisterEntry.field_code, RegisterEntry.eqf_level))).all()]


@dataclass(frozen=True)
class PublicCondition:
    """A condition of the approval as published: what, by when, and whether it was judged met."""

    number: int
    text: str
    due_on: date
    met: bool


@dataclass(frozen=True)
class PublicAddendum:
    """A dated amendment of the decision, e.g. approved without conditions once every one was met."""

    issued_on: date
    outcome: Outcome
    text: str


@dataclass(frozen=True)
class PublicDecision:
    """The decision in effect as published; free texts already passed through the blind-review scrubber."""

    outcome: Outcome
    status: RegisterStatus
    decided_on: date | None
    decision_body: str
    rationale: str
    recommendations: tuple[str, ...]
    conditions: tuple[PublicCondition, ...]
    addenda: tuple[PublicAddendum, ...]
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class PublicCriterion:
    """The panel's mark on one criterion: the consensus where the panel agreed one, else the mean of the reviews."""

    id: str
    title: str
    value: float | None
    consensus: bool
    label: str  # the scale's name of an agreed mark
    reviews: int
    reasoning: str


@dataclass(frozen=True)
class PublicDimension:
    """A rubric dimension with its panel score and criteria."""

    id: str
    title: str
    score: float | None
    criteria: tuple[PublicCriterion, ...]


@dataclass(frozen=True)
class PublicReport:
    """The public part of the panel's report on the version decided on."""

    rubric_title: str
    rubric_key: str
    scale: tuple[tuple[int, str], ...]
    dimensions: tuple[PublicDimension, ...]
    overall: float | None
    recommended: Outcome | None
    reviews: int
    blind: bool
    panel: tuple[tuple[str, str], ...]  # (name, profile) of each member who reviewed; empty in blind review


@dataclass(frozen=True)
class Entry:
    """A micro-credential's public register entry."""

    programme_id: int
    provider: str
    version_number: int
    proposal: Proposal
    decision: PublicDecision
    report: PublicReport | None


def entry(session: Session, programme_id: int, *, today: date, registry: RubricRegistry,
          settings: reviews.ReviewSettings) -> Entry | None:
    """The public entry of a programme accredited today; None for any other programme."""
    found = session.execute(listing(session, today).query.add_columns(ProgrammeVersion.content, Institution.name)
                            .where(Programme.id == programme_id).options(lazyload("*"))).first()
    if found is None:
        return None
    decision, _, content, provider = found
    review = rounds(session, [decision.review_id]).get(decision.review_id) if decision.review_id else None
    clean = cleaner(review)
    return Entry(programme_id, provider, decision.version_number, proposal_from_dict(json.loads(content)),
                 _public_decision(session, decision, clean), _report(session, review, registry, settings, clean))


def rounds(session: Session, review_ids: list[int]) -> dict[int, Review]:
    """Review rounds by id, with their seats and reviewers (names, e-mails, institutions) in two queries."""
    seats = selectinload(Review.assignments).joinedload(Assignment.reviewer)
    return {review.id: review for review in session.scalars(
        select(Review).where(Review.id.in_(review_ids))
        .options(lazyload(Review.programme), seats.lazyload(User.role_rows)))}


def cleaner(review: Review | None) -> Callable[[str], str]:
    """In blind review, a scrubber of every panel member's name, e-mail and institution; else no change."""
    if review is None or not review.blind:
        return lambda text: text
    return visibility.scrubber([(visibility.ReviewerIdentity(a.reviewer_id, a.reviewer.full_name, a.reviewer.email,
                                                             a.reviewer.institution.name), visibility.ANONYMOUS)
                                for a in review.assignments])


def _public_decision(session: Session, decision: Decision, clean: Callable[[str], str]) -> PublicDecision:
    addenda = session.scalars(select(Addendum).where(Addendum.decision_id == decision.id).order_by(Addendum.id)).all()
    conditions = tuple(PublicCondition(c.number, clean(c.text), c.due_on, c.status is ConditionStatus.MET)
                       for c in decision.conditions)
    outcome = decision_records.current_outcome(session, decision)
    return PublicDecision(
        decision.outcome, status_of(outcome, any(not c.met for c in conditions)), decision.decided_on,
        decision.decision_body, clean(decision.rationale),
        tuple(clean(line.strip()) for line in decision.recommendations.splitlines() if line.strip()), conditions,
        tuple(PublicAddendum(a.issued_on, a.outcome, clean(a.text)) for a in addenda),
        decision.valid_from, decision.valid_until)


def _report(session: Session, review: Review | None, registry: RubricRegistry, settings: reviews.ReviewSettings,
            clean: Callable[[str], str]) -> PublicReport | None:
    if review is None:
        return None
    try:
        rubric = reviews.pinned_rubric(review, registry)
    except reviews.RubricChanged:
        return None
    score = reviews.panel_score(session, review, rubric, settings)
    submitted = [a for a in review.assignments if a.status is MemberStatus.SUBMITTED]
    dimensions = tuple(
        PublicDimension(d.id, d.title, score.dimension(d.id).score,
                        tuple(_criterion(rubric, c, score.criteria[c.id], clean) for c in d.criteria))
        for d in rubric.dimensions)
    panel = () if review.blind else tuple((a.reviewer.full_name, a.profile_type.label) for a in submitted)
    return PublicReport(rubric.title, rubric.key, tuple((level.value, level.label) for level in rubric.scale.levels),
                        dimensions, score.overall, score.recommended, len(submitted), review.blind, panel)


def _criterion(rubric: Rubric, criterion: Criterion, aggregate: CriterionAggregate,
               clean: Callable[[str], str]) -> PublicCriterion:
    agreed = aggregate.consensus
    return PublicCriterion(criterion.id, criterion.title, aggregate.effective, agreed is not None,
                           rubric.scale.label(agreed.value) if agreed and agreed.value is not None else "",
                           aggregate.n + aggregate.n_na, clean(agreed.reason) if agreed else "")


def _valid(today: date) -> list[ColumnElement[bool]]:
    """An entry is on the register while its approval is valid: the date test the table leaves to its readers."""
    return [RegisterEntry.valid_from <= today, RegisterEntry.valid_until >= today]


def _conditions(filters: Filters, postgresql: bool = False) -> list[ColumnElement[bool]]:
    """The visitor's filters on `register_entries`. Each word of the search must begin a word of the entry (its
    title, provider name or short name; services.word_search)."""
    conditions = []
    words = word_search.each_word_begins(filters.search, RegisterWord, RegisterEntry.programme_id,
                                         postgresql=postgresql)
    if words is not None:
        conditions.append(words)
    if filters.field:
        conditions.append(RegisterEntry.field_code == filters.field)
    if filters.level is not None:
        conditions.append(RegisterEntry.eqf_level == filters.level)
    if filters.provider_id is not None:
        conditions.append(RegisterEntry.provider_id == filters.provider_id)
    if filters.status is not None:
        conditions.append(RegisterEntry.status == filters.status.value)
    return conditions


def _row(programme_id: int, provider: str, proposal: Proposal, status: RegisterStatus, valid_from: date,
         valid_until: date, vocab: Vocabularies) -> Row:
    code, mode = proposal.classification.isced_f_code, proposal.delivery.mode
    return Row(programme_id, proposal.identification.title, provider, proposal.level.eqf_level, proposal.level.ects,
               code, vocab.isced_fields.get(code, code), vocab.modes[mode].label if mode in vocab.modes else mode,
               tuple(vocab.languages.get(c, c) for c in proposal.delivery.languages if c), status, valid_from,
               valid_until)
