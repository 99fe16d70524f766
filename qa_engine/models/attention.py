"""What the QA office's dashboards read from tables the database keeps: the open work with a date, which the
attention lists read, how many programmes are in each state, which the pipeline shows, and the programmes' words,
which their searches seek.

`attention_items`:

One row per piece of work that can fall late or end: a reviewer's unanswered invitation or accepted seat on the
current round of a programme in review, a draft report waiting for the provider's response, a condition not yet met
of the decision that set it while the programme is under conditions, and an approval in effect (its end date).
Triggers (migration 20261124_1400) recompute a programme's rows after every write that can change them, as they
keep the register's entries (models.register_entry): seats, rounds, programmes, conditions and decisions are
written by several paths, and a list that missed one would hide late work. `services.attention_items` states the
definition in SQLAlchemy, to rebuild and to check the table.

Whether a piece of work is late (or its approval ends soon) is left to the reader, which compares `due` with today:
the lists are one range of the (kind, due) index, counted without reading a programme, a round or a seat.

`programme_tallies`: one row per state with how many programmes are in it, kept by triggers on programmes (insert,
change of state, delete), so that the pipeline and the length of the unfiltered programme list are read, not
counted. A state change updates its two rows in the order of their names, so that two transactions never wait for
each other's rows in opposite orders.
"""
from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_engine.db import Base
from qa_engine.models.register_entry import WORD


class Work(StrEnum):
    """What a row of `attention_items` is, its subject and its date."""

    INVITATION = "invitation"  # a seat invited and not answered: the seat; the day of the invitation (UTC)
    REVIEW = "review"  # a seat accepted and not submitted: the seat; the round's due date
    RESPONSE = "response"  # a draft report not answered: the round; its answer-by date
    CONDITION = "condition"  # a condition not met: the condition; its due date
    EXPIRY = "expiry"  # an approval in effect: the decision; the last day it is valid


class AttentionItem(Base):
    __tablename__ = "attention_items"
    __table_args__ = (
        Index("ix_attention_items_due", "kind", "due", "subject_id", "programme_id", "who_id"),
        Index("ix_attention_items_programme", "programme_id"),
    )

    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # a Work value
    subject_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    programme_id: Mapped[int]
    due: Mapped[date]
    who_id: Mapped[int | None]  # the reviewer of a seat, the designer of a programme waiting for a response

    def __repr__(self) -> str:
        return f"<AttentionItem {self.kind} #{self.subject_id} programme {self.programme_id} {self.due}>"


class BulkLoad(Base):
    """A row while a bulk load (services.bulk_seed) runs, inside its own transaction, so that no other one ever
    sees it: the triggers of `attention_items`, `programme_tallies` and `programme_words` stand aside, and the load
    rebuilds the three once at its end. A programme's open work is recomputed at every row written about it, some
    twenty per programme in a seeded history, and on PostgreSQL a state's tally updated 50,000 times in one
    transaction is a chain of 50,000 row versions: at 50,000 programmes seeding was three to five times slower."""

    __tablename__ = "bulk_loads"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)

    def __repr__(self) -> str:
        return f"<BulkLoad {self.id}>"


class ProgrammeTally(Base):
    __tablename__ = "programme_tallies"

    state: Mapped[str] = mapped_column(String(30), primary_key=True)  # a State value
    programmes: Mapped[int]

    def __repr__(self) -> str:
        return f"<ProgrammeTally {self.state} {self.programmes}>"


class ProgrammeWord(Base):
    """A word of a programme's title or its provider's name or short name (lowered, split at domain.words.
    SEPARATORS), with the programme's state, kept by triggers on programmes and institutions (migrations
    20261124_1430 and 20261124_1930): the QA office's lists find a programme by the beginnings of its words with a
    seek in this key, as the register finds its entries, or in (state, word) when they show one state. A row
    written without a state takes its programme's."""

    __tablename__ = "programme_words"
    __table_args__ = (Index("ix_programme_words_programme", "programme_id"),
                      Index("ix_programme_words_state", "state", "word", "programme_id"), {"sqlite_with_rowid": False})

    word: Mapped[str] = mapped_column(WORD, primary_key=True)
    programme_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[str | None] = mapped_column(String(30))

    def __repr__(self) -> str:
        return f"<ProgrammeWord {self.word!r} programme {self.programme_id}>"
