"""The register's entries as the source of truth defines them: to rebuild the table and to check it.

The database keeps `register_entries` in step by triggers (see models.register_entry); this module states, in
SQLAlchemy, what the table must hold (`register.listing` without its date test), so that an operator can rebuild it
(`qa-engine register rebuild`) or check it (`qa-engine register check`), and the tests can compare the triggers'
work with the definition after every kind of event.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from qa_engine.domain.decisions import ACCREDITING
from qa_engine.domain.words import words_of
from qa_engine.models import Decision, Institution, Programme, ProgrammeVersion, RegisterEntry
from qa_engine.models.register_entry import RegisterWord
from qa_engine.services import decision_records, register

COLUMNS = ("programme_id", "decision_id", "version_id", "provider_id", "field_code", "eqf_level", "title",
           "sort_title", "status", "valid_from", "valid_until", "words")


def source() -> Select:
    """The rows the table must hold, in COLUMNS order: each programme whose decision in effect accredits it while
    its state lets the approval stand, whatever the day (the register tests the dates when it reads); its words
    are the title, the provider's name and short name, lowered."""
    decision = aliased(Decision, decision_records.newest_effective().subquery())
    words = func.lower(func.coalesce(ProgrammeVersion.title, "") + " " + func.coalesce(Institution.name, "") + " "
                       + func.coalesce(Institution.short_name, ""))
    return (select(decision.programme_id, decision.id, ProgrammeVersion.id, Programme.provider_id,
                   ProgrammeVersion.field_code, ProgrammeVersion.eqf_level, ProgrammeVersion.title,
                   func.lower(ProgrammeVersion.title), register.status_sql(decision.id, decision.outcome),
                   decision.valid_from, decision.valid_until, words)
            .join(Programme, Programme.id == decision.programme_id)
            .join(Institution, Institution.id == Programme.provider_id)
            .join(ProgrammeVersion, (ProgrammeVersion.programme_id == decision.programme_id)
                  & (ProgrammeVersion.number == decision.version_number))
            .where(decision.outcome.in_(ACCREDITING), Programme.state.in_(decision_records.APPROVAL_STANDS)))


def rebuild(session: Session) -> int:
    """Empty the table and fill it from the source of truth in one INSERT ... SELECT; how many entries it holds.
    The triggers on the entries write their words again (and drop any a broken database kept)."""
    session.execute(delete(RegisterEntry))
    session.execute(delete(RegisterWord))
    session.execute(insert(RegisterEntry).from_select(list(COLUMNS), source()))
    return session.scalar(select(func.count()).select_from(RegisterEntry)) or 0


@dataclass(frozen=True)
class Drift:
    """How the table differs from the source of truth: programmes missing, extra, or with other facts (words in
    `register_words` other than those of its `words` included)."""

    missing: list[int]
    extra: list[int]
    changed: list[int]

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.changed)


def drift(session: Session) -> Drift:
    """Compare the table with the source of truth, programme by programme, and each entry's words with the words
    table."""
    table = {row[0]: tuple(row) for row in session.execute(select(*(getattr(RegisterEntry, c) for c in COLUMNS)))}
    truth = {row[0]: tuple(row) for row in session.execute(source())}
    indexed: dict[int, set[str]] = {}
    for word, programme_id in session.execute(select(RegisterWord.word, RegisterWord.programme_id)):
        indexed.setdefault(programme_id, set()).add(word)
    words = COLUMNS.index("words")
    unindexed = {k for k, row in table.items() if set(words_of(row[words] or "")) != indexed.get(k, set())}
    extra = (table.keys() - truth.keys()) | (indexed.keys() - table.keys())
    return Drift(sorted(truth.keys() - table.keys()), sorted(extra),
                 sorted(k for k in truth.keys() & table.keys() if truth[k] != table[k] or k in unindexed))
