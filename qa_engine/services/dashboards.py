"""What each person sees first. The QA officer: the pipeline, what is overdue, decisions waiting, approvals
expiring, and the programmes with filters, search and bulk actions (reminders now, CSV). The designer: each
programme of their institution and what is expected of them next. The reviewer: beside the desk at /reviews,
the decisions taken on the programmes they reviewed.

Every list is one query (the programme list two: its count, and the page), bounded by a limit or a page, and the
facts a page of programmes needs are loaded for the whole page at once: a dashboard issues the same number of
statements whatever the size of the data.
"""
from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Date, Integer, Select, String, and_, bindparam, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from qa_engine.domain import decisions as rules
from qa_engine.domain import permissions
from qa_engine.domain.decisions import APPEALABLE
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.roles import Actor, InstitutionKind, Role
from qa_engine.domain.workflow import APPEALABLE as APPEALABLE_STATES
from qa_engine.domain.workflow import State
from qa_engine.models import (
    Addendum,
    Appeal,
    AppealStatus,
    Assignment,
    AttentionItem,
    AuditEntry,
    Condition,
    Decision,
    DecisionStatus,
    Institution,
    Programme,
    Review,
    User,
)
from qa_engine.models.attention import Work
from qa_engine.services import audit, decision_records, decisions, programmes, reminders
from qa_engine.services.conditions import AWAITING_EVIDENCE
from qa_engine.services.programmes import matching, visible_programmes
from qa_engine.services.proposals import NotAllowed
from qa_engine.services.reminders import Planned
from qa_engine.services.reviewing import Desk
from qa_engine.services.reviews import ReviewSettings
from qa_engine.services.validity import WITHDRAWAL

T = TypeVar("T")
MAX_PER_PAGE = 100
MAX_SELECTED = 200
#: Attention lists are counted up to this many and then shown as "1,000+": the office acts on the first, most
#: urgent ones, and counting every one of ten thousand late conditions would cost more than the whole page.
COUNTED_UP_TO = 1000
#: The provider filter lists the providers up to this many. Past it (a national agency works with a thousand) a list
#: that long helps nobody and costs every view of the dashboard: the officer searches by a provider's name, or
#: follows the provider named on a programme's row.
LISTED_PROVIDERS = 200
LEVELS = tuple(range(1, 9))  # EQF levels
EXPORT_HEADER = ("programme_id", "title", "provider", "eqf_level", "ects", "state", "last_change",
                 "decision_in_effect", "valid_until")


@dataclass(frozen=True)
class Listing(Generic[T]):
    """The first rows of a list, and how many there are in all."""

    rows: list[T]
    total: int


@dataclass(frozen=True)
class Item:
    """A programme that needs attention: when (due, waiting since or ending), who is to act, and the subject
    (a seat, review, condition or decision id) that the link goes to."""

    programme_id: int
    title: str
    provider: str
    when: date | None
    who: str | None = None
    subject: int | None = None
    note: str | None = None
    yours: bool = False  # a decision the viewer proposed (someone else must confirm it)

    def days_from(self, today: date) -> int:
        """Days from `when` to `today`: how late, or (negative) how long until."""
        return (today - self.when).days if self.when else 0


@dataclass(frozen=True)
class Attention(Generic[T]):
    """What needs the QA office, by kind: listings, or just their counts."""

    invitations: T  # invitations not answered in time
    reviews: T  # reviews past their round's due date
    responses: T  # draft reports the provider has not answered in time
    conditions: T  # conditions past due and not met
    pending: T  # programmes waiting for a decision
    proposed: T  # decisions waiting for a second officer
    expiring: T  # approvals ending soon


@dataclass(frozen=True)
class Filters:
    """What the QA officer narrows the programme list to."""

    state: State | None = None
    provider_id: int | None = None
    level: int | None = None
    search: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the number of rows on all pages."""

    rows: list[T]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class Table:
    """Rows of plain values under a header, for CSV."""

    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


# The QA officer ---------------------------------------------------------------------------------------------


def attention(session: Session, actor: Actor, *, today: date, settings: ReviewSettings, within: int,
              limit: int = 10) -> Attention[Listing[Item]]:
    """The first `limit` of each kind of work waiting for the QA office, most urgent first, and how many there are
    up to COUNTED_UP_TO + 1 (one query each).

    Each list is sorted and cut as narrow rows (ids and dates, read from indexes) and counted as narrow rows;
    titles, providers, names and notes are joined to the `limit` rows shown only.
    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    _require_overseer(actor)
    found, values = {}, _values(today, settings, within)
    for name, statement in _listed(limit, COUNTED_UP_TO).items():
        rows = session.execute(statement, values).all()
        shift = settings.answer_days if name == "invitations" else 0
        found[name] = Listing([_item(row, actor, shift) for row in rows], rows[0].found if rows else 0)
    return Attention(**found)


@lru_cache(maxsize=4)
def _listed(limit: int, cap: int) -> dict[str, Select]:
    """Each attention list's statement: its first `limit` rows with what is shown of them, and its count up to
    `cap` + 1 on every row. Built once (a few ms of Python each time otherwise); dates are parameters."""
    return {name: _shown(name, query.limit(limit).subquery()).add_columns(_counted(query, cap).label("found"))
            for name, query in _attention_queries().items()}


def _shown(name: str, narrow: Any) -> Select:
    """The narrow rows of an attention list with what is shown of them: title, provider, who, note."""
    who = aliased(User)
    note = Condition.text if name == "conditions" else literal(None, String)
    query = (select(narrow.c.programme_id, Programme.title, Institution.name.label("provider"), narrow.c.when,
                    who.full_name.label("who"), narrow.c.subject, narrow.c.owner, note.label("note"))
             .join(Programme, Programme.id == narrow.c.programme_id)
             .join(Institution, Institution.id == Programme.provider_id)
             .outerjoin(who, who.id == narrow.c.who_id))
    if name == "conditions":
        query = query.join(Condition, Condition.id == narrow.c.subject)
    return query.order_by(narrow.c.when, narrow.c.tie)


def attention_counts(session: Session, actor: Actor, *, today: date, settings: ReviewSettings,
                     within: int) -> Attention[int]:
    """How many of each kind of work wait for the QA office, up to COUNTED_UP_TO + 1 each (one query, counting
    narrow rows).

    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    _require_overseer(actor)
    counts = session.execute(_all_counted(COUNTED_UP_TO), _values(today, settings, within)).one()
    return Attention(*counts)


@lru_cache(maxsize=4)
def _all_counted(cap: int) -> Select:
    """Every attention list's count up to `cap` + 1, in the order of Attention's fields, in one statement."""
    return select(*(_counted(query, cap) for query in _attention_queries().values()))


def _counted(query: Select, cap: int) -> Any:
    """How many rows `query` has, up to `cap` + 1 (more than `cap` reads as "1,000+"), unsorted: the database stops
    at the first `cap` + 1 it finds."""
    return select(func.count()).select_from(query.order_by(None).limit(cap + 1).subquery()).scalar_subquery()


def tally(count: int) -> str:
    """A count as the dashboards show it: "1,234", or "1,000+" once it is past COUNTED_UP_TO."""
    return f"{COUNTED_UP_TO:,}+" if count > COUNTED_UP_TO else f"{count:,}"


#: The parameters of the attention queries (`_values` gives them).
_TODAY = bindparam("today", type_=Date)
_ANSWERED_BY = bindparam("answered_by", type_=Date)
_HORIZON = bindparam("horizon", type_=Date)


def _values(today: date, settings: ReviewSettings, within: int) -> dict[str, Any]:
    """Today, the first day on which an invitation sent is not yet late, and the last day of the expiry window."""
    return {"today": today, "answered_by": today - timedelta(days=settings.answer_days),
            "horizon": today + timedelta(days=within)}


def _attention_queries() -> dict[str, Select]:
    """The query of each kind of work, in the order of Attention's fields, as narrow rows sorted by urgency:
    programme_id, when, tie (the second sort key), subject, who_id (the user named), owner (a decision's
    proposer). The dates are the parameters `_values` gives.

    Late seats, responses and conditions and the approvals ending are ranges of the open work that the database
    keeps in `attention_items` (models.attention): read and counted along its (kind, due) index."""
    none = literal(None, Integer)

    def work(kind: Work, *dated: ColumnElement[bool]) -> Select:
        return (select(AttentionItem.programme_id, AttentionItem.due.label("when"),
                       AttentionItem.subject_id.label("tie"), AttentionItem.subject_id.label("subject"),
                       AttentionItem.who_id, none.label("owner"))
                .where(AttentionItem.kind == kind, *dated).order_by(AttentionItem.due, AttentionItem.subject_id))

    return {
        "invitations": work(Work.INVITATION, AttentionItem.due < _ANSWERED_BY),
        "reviews": work(Work.REVIEW, AttentionItem.due < _TODAY),
        "responses": work(Work.RESPONSE, AttentionItem.due < _TODAY),
        "conditions": work(Work.CONDITION, AttentionItem.due < _TODAY),
        "pending": select(Programme.id.label("programme_id"), Programme.updated_at.label("when"),
                          Programme.id.label("tie"), none.label("subject"), none.label("who_id"), none.label("owner"))
        .where(Programme.state == State.DECISION_PENDING).order_by(Programme.updated_at, Programme.id),
        "proposed": select(Decision.programme_id, Decision.decided_at.label("when"), Decision.id.label("tie"),
                           Decision.id.label("subject"), Decision.decided_by_id.label("who_id"),
                           Decision.decided_by_id.label("owner"))
        .where(Decision.status == DecisionStatus.PROPOSED).order_by(Decision.decided_at, Decision.id),
        "expiring": work(Work.EXPIRY, AttentionItem.due >= _TODAY, AttentionItem.due <= _HORIZON),
    }


def _current_round() -> ColumnElement[bool]:
    return and_(Review.programme_id == Programme.id, Review.version_number == Programme.current_version)


def _item(row: Any, actor: Actor, shift: int = 0) -> Item:
    """A row of an attention query as an item; `shift` days are added to its date (an invitation's answer-by)."""
    values = row._mapping
    when = values["when"]
    when = when.date() if isinstance(when, datetime) else when
    return Item(values["programme_id"], values["title"], values["provider"],
                when + timedelta(days=shift) if when is not None else None, values.get("who"), values.get("subject"),
                values.get("note"), values.get("owner") == actor.user_id)


@dataclass(frozen=True)
class Providers:
    """The providers the filter offers, by name, and whether there are more than it lists."""

    listed: list[tuple[int, str]]
    more: bool


def providers(session: Session, *, chosen: int | None = None) -> Providers:
    """The provider institutions by name for the filter, up to LISTED_PROVIDERS, and the `chosen` one wherever it
    falls (one query, two when a provider past them is chosen)."""
    limit = LISTED_PROVIDERS
    query = (select(Institution.id, Institution.name).where(Institution.kind == InstitutionKind.PROVIDER)
             .order_by(Institution.name, Institution.id))
    listed = [(id_, name) for id_, name in session.execute(query.limit(limit + 1))]
    more = len(listed) > limit
    listed = listed[:limit]
    if chosen is not None and all(id_ != chosen for id_, _ in listed):
        listed += [(id_, name) for id_, name in session.execute(query.where(Institution.id == chosen))]
    return Providers(listed, more)


@dataclass(frozen=True)
class Listed:
    """A programme as the QA dashboard lists it."""

    id: int
    title: str
    provider_id: int
    provider: str  # the provider's name
    eqf_level: int | None
    state: State
    updated_at: datetime


def programme_page(session: Session, actor: Actor, filters: Filters, *, page: int = 1,
                   per_page: int = 25) -> Page[Listed]:
    """The programmes the actor may see that match the filters, most recently changed first (two queries: the
    count, read from the programmes' tallies when only the state is chosen, and the page read along the index on
    the last change rather than sorting every match, as the narrow rows the list shows).

    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    _require_overseer(actor)
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    query = _filtered(visible_programmes(actor), filters, postgresql=session.bind.dialect.name == "postgresql")
    if filters.provider_id is None and filters.level is None and not filters.search.strip() \
            and programmes.sees_all_submitted(actor):  # every programme, or those in a state: the tallies say
        counts = programmes.counts_by_state(session, actor)
        total = counts.get(filters.state, 0) if filters.state is not None else sum(counts.values())
    else:
        total = session.scalar(query.with_only_columns(func.count()).select_from(Programme))
    rows = session.execute(query.with_only_columns(Programme.id, Programme.title, Programme.provider_id,
                                                   Institution.name, Programme.eqf_level, Programme.state,
                                                   Programme.updated_at)
                           .join(Institution, Institution.id == Programme.provider_id)
                           .order_by(Programme.updated_at.desc(), Programme.id.desc())
                           .limit(per_page).offset((page - 1) * per_page))
    return Page([Listed(*row) for row in rows], total or 0, page, per_page)


def _filtered(query: Select, filters: Filters, *, postgresql: bool) -> Select:
    if filters.state is not None:
        query = query.where(Programme.state == filters.state)
    if filters.provider_id is not None:
        query = query.where(Programme.provider_id == filters.provider_id)
    if filters.level is not None:
        query = query.where(Programme.eqf_level == filters.level)
    if filters.search.strip():
        query = query.where(matching(filters.search, postgresql=postgresql, state=filters.state))
    return query


def export(session: Session, actor: Actor, programme_ids: Collection[int]) -> Table:
    """The selected programmes the actor may see, with their decision in effect, as a table (one query).

    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    _require_overseer(actor)
    in_effect = aliased(Decision, decision_records.newest_effective().subquery())
    query = (visible_programmes(actor).add_columns(in_effect.outcome, in_effect.valid_until)
             .outerjoin(in_effect, in_effect.programme_id == Programme.id)
             .where(Programme.id.in_(list(programme_ids))).order_by(Programme.id))
    return Table(EXPORT_HEADER, [
        (p.id, p.title, p.provider.name, p.eqf_level, p.ects, State(p.state).label, p.updated_at.date().isoformat(),
         outcome.label if outcome else None, valid_until.isoformat() if valid_until else None)
        for p, outcome, valid_until in session.execute(query)])


@dataclass(frozen=True)
class Reminded:
    """What "send reminders now" did: the reminders sent, and for how many of the selected programmes."""

    sent: list[Planned]
    programmes: int


def send_reminders(session: Session, actor: User, programme_ids: Collection[int], *, settings: ReviewSettings,
                   today: date) -> Reminded:
    """Send now the reminders due today for the selected programmes (as `qa-engine remind` would), each audited on
    its programme; a reminder already sent is never sent again. Escalations stay with the daily run.

    :raises NotAllowed: unless the actor is a QA officer.
    """
    if not permissions.can_screen_programmes(actor.actor):
        raise NotAllowed("Only QA officers send reminders.")
    wanted = set(programme_ids)
    sent = [planned for planned in reminders.plan(session, settings, today)
            if planned.task.programme_id in wanted and not planned.escalation and reminders.send(session, planned)]
    by_programme: dict[int, list[str]] = {}
    for planned in sent:
        reminder = planned.reminder
        by_programme.setdefault(planned.task.programme_id, []).append(
            f"{reminder.kind.value} #{reminder.assignment_id} {reminder.code}")
    for programme_id, sent_ones in sorted(by_programme.items()):
        audit.record(session, "reminders.sent_now", actor=actor, role=Role.QA_OFFICER, obj=("programme", programme_id),
                     details={"reminders": sent_ones})
    return Reminded(sent, len(by_programme))


def _require_overseer(actor: Actor) -> None:
    if not permissions.can_oversee_programmes(actor):
        raise NotAllowed("Only QA officers and administrators see the QA dashboard.")


# The designer -----------------------------------------------------------------------------------------------


class Expect(StrEnum):
    """What a designer is expected to do next about a programme."""

    COMPLETE_DRAFT = "complete_draft"  # edit the draft and submit it
    REVISE = "revise"  # start a revision after a return or a "revise and resubmit" decision
    ANSWER_REPORT = "answer_report"  # answer the draft panel report by its date
    SUBMIT_EVIDENCE = "submit_evidence"  # for the conditions, by the earliest due date
    APPEAL = "appeal"  # may appeal until a date
    AWAIT_APPEAL = "await_appeal"  # an appeal waits for its outcome
    PERIODIC_REVIEW = "periodic_review"  # the approval ends soon: start the periodic review
    RENEW = "renew"  # the approval ended: start the periodic review to renew it


class Waiting(StrEnum):
    """Whom the programme waits for when nothing is expected of its designer."""

    QA_OFFICE = "qa_office"
    PANEL = "panel"


WAITING = {State.SUBMITTED: Waiting.QA_OFFICE, State.SCREENING: Waiting.QA_OFFICE,
           State.IN_REVIEW: Waiting.PANEL, State.CONSOLIDATION: Waiting.PANEL,
           State.DECISION_PENDING: Waiting.QA_OFFICE, State.CONDITIONS: Waiting.QA_OFFICE}
#: States in which the designer has something to do, listed first on their dashboard.
DESIGNER_FIRST = (State.PROVIDER_RESPONSE, State.RETURNED, State.CONDITIONS, State.REVISE_AND_RESUBMIT, State.DRAFT,
                  State.EXPIRED)


@dataclass(frozen=True)
class Facts:
    """What the designer's next step on a programme depends on."""

    state: State
    response_due_on: date | None = None  # the draft report's answer-by date (current round)
    valid_until: date | None = None  # of the decision in effect
    appeal_deadline: date | None = None  # of the decision in effect or the withdrawal, when they may be appealed
    appeal_lodged: bool = False
    awaiting_evidence: int = 0  # conditions open or judged not met
    evidence_due: date | None = None  # the earliest due date among them


@dataclass(frozen=True)
class Step:
    """Something expected of the designer, by when (if there is a date), and whether that date has passed."""

    expect: Expect
    by: date | None = None
    overdue: bool = False
    count: int = 0


def next_steps(facts: Facts, *, today: date, horizon: int) -> tuple[Step, ...]:
    """What the designer is expected to do next; `horizon`: days before an approval ends to ask for its renewal."""
    state, steps = facts.state, []
    if state is State.DRAFT:
        steps.append(Step(Expect.COMPLETE_DRAFT))
    elif state in (State.RETURNED, State.REVISE_AND_RESUBMIT):
        steps.append(Step(Expect.REVISE))
    elif state is State.PROVIDER_RESPONSE:
        steps.append(_dated(Expect.ANSWER_REPORT, facts.response_due_on, today))
    elif state is State.CONDITIONS and facts.awaiting_evidence:
        steps.append(_dated(Expect.SUBMIT_EVIDENCE, facts.evidence_due, today, facts.awaiting_evidence))
    elif state is State.EXPIRED:
        steps.append(Step(Expect.RENEW))
    elif (state is State.APPROVED and facts.valid_until is not None
          and rules.expiring(facts.valid_until, today, within_days=horizon)):
        steps.append(Step(Expect.PERIODIC_REVIEW, facts.valid_until))
    if facts.appeal_lodged:
        steps.append(Step(Expect.AWAIT_APPEAL))
    elif state in APPEALABLE_STATES and facts.appeal_deadline is not None and today <= facts.appeal_deadline:
        steps.append(Step(Expect.APPEAL, facts.appeal_deadline))
    return tuple(steps)


def _dated(expect: Expect, by: date | None, today: date, count: int = 0) -> Step:
    return Step(expect, by, by is not None and today > by, count)


@dataclass(frozen=True)
class DesignerRow:
    """A programme on its designer's dashboard: what is expected next, or whom it waits for."""

    programme: Programme
    steps: tuple[Step, ...]
    waiting: Waiting | None


def designer_page(session: Session, actor: Actor, *, today: date, horizon: int, appeal_days: int, page: int = 1,
                  per_page: int = 25) -> Page[DesignerRow]:
    """The programmes of the designer's institution, those needing them first, each with its next steps.

    A fixed number of queries: the page, then each kind of fact for all its programmes at once. The page is sorted
    and cut as narrow rows (id, state, last change) before the `per_page` programmes chosen are read whole: a busy
    institution has a thousand programmes, each with its draft.
    :raises NotAllowed: unless the actor is a designer.
    """
    if not permissions.can_design(actor):
        raise NotAllowed("Only designers have a designer's dashboard.")
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    first = case({state: rank for rank, state in enumerate(DESIGNER_FIRST)}, value=Programme.state,
                 else_=len(DESIGNER_FIRST))
    chosen = (visible_programmes(actor).where(Programme.provider_id == actor.institution_id)
              .with_only_columns(Programme.id, first.label("rank"), Programme.updated_at,
                                 func.count().over().label("found"))
              .order_by(first, Programme.updated_at.desc(), Programme.id.desc())
              .limit(per_page).offset((page - 1) * per_page).subquery())
    rows = session.execute(
        select(Programme, chosen.c.found).join(chosen, chosen.c.id == Programme.id)
        .order_by(chosen.c.rank, chosen.c.updated_at.desc(), chosen.c.id.desc())).all()
    programmes = [programme for programme, _ in rows]
    facts = _facts(session, programmes, today=today, appeal_days=appeal_days)
    return Page([DesignerRow(p, next_steps(facts[p.id], today=today, horizon=horizon), WAITING.get(State(p.state)))
                 for p in programmes], rows[0][-1] if rows else 0, page, per_page)


def _facts(session: Session, programmes: list[Programme], *, today: date, appeal_days: int) -> dict[int, Facts]:
    """The facts of each programme, each kind loaded for all of them in one query."""
    ids = [p.id for p in programmes]
    responses = dict(session.execute(select(Programme.id, Review.response_due_on).join(Review, _current_round())
                                     .where(Programme.id.in_(ids), Review.response.is_(None))).all())
    decided = _decisions(session, ids, appeal_days)
    withdrawn = _withdrawal_deadlines(session, ids)
    lodged = set(session.scalars(select(Appeal.programme_id).where(Appeal.programme_id.in_(ids),
                                                                   Appeal.status == AppealStatus.LODGED)))
    setting = decisions.originals_in_effect().subquery()
    evidence = {pid: (n, due) for pid, n, due in session.execute(
        select(setting.c.programme_id, func.count(), func.min(Condition.due_on))
        .join(Condition, Condition.decision_id == setting.c.id)
        .where(setting.c.programme_id.in_(ids), Condition.status.in_(AWAITING_EVIDENCE))
        .group_by(setting.c.programme_id))}
    facts = {}
    for p in programmes:
        valid_until, deadline = decided.get(p.id, (None, None))
        if State(p.state) is State.APPROVAL_WITHDRAWN:
            deadline = withdrawn.get(p.id)
        awaiting, due = evidence.get(p.id, (0, None))
        facts[p.id] = Facts(State(p.state), responses.get(p.id), valid_until, deadline, p.id in lodged, awaiting, due)
    return facts


def _decisions(session: Session, ids: list[int], appeal_days: int) -> dict[int, tuple[date | None, date | None]]:
    """Per programme: its decision in effect's validity end, and its appeal deadline if its outcome (as amended
    by addenda) may be appealed."""
    in_effect = aliased(Decision, decision_records.newest_effective().subquery())
    amended = (select(Addendum.outcome).where(Addendum.decision_id == in_effect.id)
               .order_by(Addendum.id.desc()).limit(1).scalar_subquery())
    found = {}
    for decision, outcome in session.execute(select(in_effect, amended).where(in_effect.programme_id.in_(ids))):
        current = Outcome(outcome) if outcome else decision.outcome
        decided_on = decision.decided_on or decision.decided_at.date()
        deadline = decision.appeal_deadline or rules.appeal_deadline(decided_on, appeal_days)
        found[decision.programme_id] = (decision.valid_until, deadline if current in APPEALABLE else None)
    return found


def _withdrawal_deadlines(session: Session, ids: list[int]) -> dict[int, date]:
    """Per programme: the appeal deadline of its latest withdrawal of approval (from the audit trail)."""
    found: dict[int, date] = {}
    for object_id, details in session.execute(
            select(AuditEntry.object_id, AuditEntry.details)
            .where(AuditEntry.object_type == "programme", AuditEntry.object_id.in_([str(i) for i in ids]),
                   AuditEntry.action == WITHDRAWAL).order_by(AuditEntry.seq.desc())):
        deadline = json.loads(details).get("appeal_deadline")
        if deadline:
            found.setdefault(int(object_id), date.fromisoformat(deadline))
    return found


# The reviewer -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    """A review the reviewer submitted, and the decision taken on that round (None while there is none)."""

    assignment_id: int
    title: str
    provider: str
    submitted_at: datetime | None
    outcome: Outcome | None
    decided_on: date | None


@dataclass(frozen=True)
class ReviewerBoard:
    """The reviewer's desk in numbers, with the nearest dates, and the decisions on what they reviewed."""

    invitations: int
    answer_by: date | None  # the earliest
    in_progress: int
    due: date | None  # the earliest
    overdue: int
    submitted: int
    decisions: Listing[Reviewed]


def reviewer_board(session: Session, actor: Actor, desk: Desk, *, today: date, limit: int = 10) -> ReviewerBoard:
    """The reviewer's dashboard, from their open seats (services.reviewing.desk, whose submitted seats are not
    needed) and one query for the decisions, which also counts the submitted reviews."""
    dues = [row.seat.review.due_on for row in desk.accepted]
    decided = reviewed(session, actor, limit=limit)
    return ReviewerBoard(len(desk.invited), min((row.answer_by for row in desk.invited), default=None),
                         len(desk.accepted), min(dues, default=None), sum(due < today for due in dues),
                         decided.total, decided)


def reviewed(session: Session, actor: Actor, *, limit: int = 10, offset: int = 0) -> Listing[Reviewed]:
    """The reviews the actor submitted, latest first, `limit` of them from `offset`, each with the decision in effect
    on its round, and how many there are (one query)."""
    seats = (select(Assignment.id, Assignment.review_id, Assignment.submitted_at, func.count().over().label("found"))
             .where(Assignment.reviewer_id == actor.user_id, Assignment.status == MemberStatus.SUBMITTED)
             .order_by(Assignment.submitted_at.desc(), Assignment.id.desc()).limit(limit).offset(offset).subquery())
    newest = aliased(Decision)
    on_round = aliased(Decision)
    latest = (select(newest.id).where(newest.programme_id == Review.programme_id, newest.review_id == Review.id,
                                      newest.status == DecisionStatus.EFFECTIVE)
              .order_by(newest.id.desc()).limit(1).scalar_subquery())
    amended = (select(Addendum.outcome).where(Addendum.decision_id == on_round.id)
               .order_by(Addendum.id.desc()).limit(1).scalar_subquery())
    rows = session.execute(
        select(seats.c.id, Programme.title, Institution.name, seats.c.submitted_at, on_round.outcome, amended,
               on_round.decided_on, seats.c.found)
        .select_from(seats).join(Review, Review.id == seats.c.review_id)
        .join(Programme, Programme.id == Review.programme_id).join(Institution, Institution.id == Programme.provider_id)
        .outerjoin(on_round, on_round.id == latest)
        .order_by(seats.c.submitted_at.desc(), seats.c.id.desc())).all()
    return Listing([Reviewed(seat_id, title, provider, submitted_at, Outcome(amended_to) if amended_to else outcome,
                             decided_on)
                    for seat_id, title, provider, submitted_at, outcome, amended_to, decided_on, _ in rows],
                   rows[0][-1] if rows else 0)


@dataclass(frozen=True)
class Summary:
    """The QA office on the home page: the newest submissions, programmes per state, and how much work waits of
    each kind."""

    to_screen: list[Programme]
    pipeline: dict[State, int]
    counts: Attention[int]
    within: int


def summary(session: Session, actor: Actor, *, today: date, settings: ReviewSettings, within: int) -> Summary:
    """The newest submissions, the pipeline and the attention counts (three queries).

    :raises NotAllowed: unless the actor is a QA officer or an administrator.
    """
    counts = attention_counts(session, actor, today=today, settings=settings, within=within)
    return Summary(programmes.recent(session, actor, states=(State.SUBMITTED,)),
                   programmes.counts_by_state(session, actor), counts, within)
