"""The QA office's open work, the programmes' tallies and their words as the source of truth defines them: to
rebuild `attention_items`, `programme_tallies` and `programme_words` and to check them.

The database keeps the tables in step by triggers (see models.attention); this module states, in SQLAlchemy, what
they must hold, so that an operator can rebuild it (`qa-engine attention rebuild`) or check it (`qa-engine attention
check`), and the tests can compare the triggers' work with the definition after every kind of event.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Integer, Select, and_, case, delete, func, insert, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from qa_engine.domain.decisions import ACCREDITING, ConditionStatus
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.words import words_of
from qa_engine.domain.workflow import ACCREDITED, State
from qa_engine.models import (
    Assignment,
    AttentionItem,
    BulkLoad,
    Condition,
    Decision,
    Institution,
    Programme,
    ProgrammeTally,
    ProgrammeWord,
    Review,
)
from qa_engine.models.attention import Work
from qa_engine.services import decision_records, decisions

COLUMNS = ("kind", "subject_id", "programme_id", "due", "who_id")


class utc_day(FunctionElement[Any]):  # noqa: N801  (an SQL function, named as one)
    """The UTC calendar day of a stored moment: date() of SQLite's UTC text, the UTC date of a timestamptz."""

    type = Date()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC')::date"


def source() -> Select:
    """The rows the table must hold, in COLUMNS order: every piece of open work with its date, whatever the day
    (the dashboard compares the dates with today when it reads)."""
    current_round = and_(Review.programme_id == Programme.id, Review.version_number == Programme.current_version)
    invited = Assignment.status == MemberStatus.INVITED
    seats = (select(case((invited, literal(Work.INVITATION.value)), else_=literal(Work.REVIEW.value)), Assignment.id,
                    Programme.id, case((invited, utc_day(Assignment.invited_at)), else_=Review.due_on),
                    Assignment.reviewer_id)
             .select_from(Programme).join(Review, current_round).join(Assignment, Assignment.review_id == Review.id)
             .where(Programme.state == State.IN_REVIEW,
                    Assignment.status.in_((MemberStatus.INVITED, MemberStatus.ACCEPTED))))
    responses = (select(literal(Work.RESPONSE.value), Review.id, Programme.id, Review.response_due_on,
                        Programme.designer_id)
                 .select_from(Programme).join(Review, current_round)
                 .where(Programme.state == State.PROVIDER_RESPONSE, Review.response.is_(None),
                        Review.response_due_on.is_not(None)))
    setting = decisions.originals_in_effect().subquery()
    conditions = (select(literal(Work.CONDITION.value), Condition.id, Programme.id, Condition.due_on,
                         literal(None, Integer))
                  .select_from(setting).join(Programme, Programme.id == setting.c.programme_id)
                  .join(Condition, Condition.decision_id == setting.c.id)
                  .where(Programme.state == State.CONDITIONS, Condition.status != ConditionStatus.MET))
    in_effect = aliased(Decision, decision_records.newest_effective().subquery())
    approvals = (select(literal(Work.EXPIRY.value), in_effect.id, Programme.id, in_effect.valid_until,
                        literal(None, Integer))
                 .select_from(in_effect).join(Programme, Programme.id == in_effect.programme_id)
                 .where(Programme.state.in_(ACCREDITED), in_effect.outcome.in_(ACCREDITING),
                        in_effect.valid_until.is_not(None)))
    return union_all(seats, responses, conditions, approvals)


def tallies() -> Select:
    """How many programmes are in each state, for the states that have any."""
    return select(Programme.state, func.count()).group_by(Programme.state)


def texts() -> Select:
    """Each programme's id, the text its words are split from (its title, its provider's name and short name,
    lowered by the database, as the triggers lower them) and its state."""
    return (select(Programme.id, Programme.state, func.lower(func.coalesce(Programme.title, "") + " "
                                            + func.coalesce(Institution.name, "") + " "
                                            + func.coalesce(Institution.short_name, "")))
            .join(Institution, Institution.id == Programme.provider_id))


@contextmanager
def bulk_load(session: Session) -> Iterator[None]:
    """Within the session's transaction, keep the triggers of the three tables from working at every row written,
    and rebuild them once at the end (see models.attention.BulkLoad). Nothing is rebuilt if the block raises: the
    caller rolls back."""
    session.execute(insert(BulkLoad).values(id=1))
    yield
    session.execute(delete(BulkLoad))
    rebuild(session)


def rebuild(session: Session) -> int:
    """Empty the tables and fill them from the source of truth (the open work and the tallies each in one INSERT
    ... SELECT, the words split here); how many rows of open work there are."""
    session.execute(delete(AttentionItem))
    session.execute(insert(AttentionItem).from_select(list(COLUMNS), source()))
    session.execute(delete(ProgrammeTally))
    session.execute(insert(ProgrammeTally).from_select(["state", "programmes"], tallies()))
    session.execute(delete(ProgrammeWord))
    words = [{"word": word, "programme_id": programme_id, "state": state.value}
             for programme_id, state, text in session.execute(texts()) for word in words_of(text)]
    if words:
        session.execute(insert(ProgrammeWord), words)
    return session.scalar(select(func.count()).select_from(AttentionItem)) or 0


@dataclass(frozen=True)
class Drift:
    """How the tables differ from the source of truth: rows of open work missing, extra, or with other facts, as
    (kind, subject) pairs; the states whose tally is wrong; the programmes whose words are not those of their
    title and provider."""

    missing: list[tuple[str, int]]
    extra: list[tuple[str, int]]
    changed: list[tuple[str, int]]
    miscounted: list[str]
    misworded: list[int]

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.changed or self.miscounted or self.misworded)


def drift(session: Session) -> Drift:
    """Compare the tables with the source of truth, row by row (a state's tally of 0 equals no row)."""
    table = {(row[0], row[1]): tuple(row) for row in session.execute(
        select(*(getattr(AttentionItem, c) for c in COLUMNS)))}
    truth = {(row[0], row[1]): tuple(row) for row in session.execute(source())}
    kept = {state: n for state, n in session.execute(select(ProgrammeTally.state, ProgrammeTally.programmes))}
    counted = {str(state): n for state, n in session.execute(tallies())}
    indexed: dict[int, set[tuple[str, str | None]]] = {}
    for word, programme_id, state in session.execute(select(ProgrammeWord.word, ProgrammeWord.programme_id,
                                                            ProgrammeWord.state)):
        indexed.setdefault(programme_id, set()).add((word, state))
    spelt = {programme_id: {(word, state.value) for word in words_of(text)}
             for programme_id, state, text in session.execute(texts())}
    return Drift(sorted(truth.keys() - table.keys()), sorted(table.keys() - truth.keys()),
                 sorted(k for k in truth.keys() & table.keys() if truth[k] != table[k]),
                 sorted(s for s in kept.keys() | counted.keys() if kept.get(s, 0) != counted.get(s, 0)),
                 sorted(p for p in spelt.keys() | indexed.keys() if spelt.get(p, set()) != indexed.get(p, set())))
