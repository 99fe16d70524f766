"""The public register's entries: each programme whose decision in effect accredits it, kept by the database.

Triggers (migration 20261124_1200) recompute a programme's row whenever one of its facts can change: a decision
recorded or settled, a condition set or judged, an addendum issued, the programme's state changed. Triggers rather
than the services, as for the stage stays: decisions, conditions and addenda are written by several paths (the
services, the bulk seeder, test fixtures), and a register that missed one would publish a wrong accreditation.
Nothing in Python writes here but `services.register_entries.rebuild`; the register only reads it.

Each entry also holds its `words` (title, provider name and short name, lowered), and `register_words` its distinct
words, kept by triggers on the entries (migration 20261124_1330), so that the register finds a word by its
beginning with a seek in that table's key; `register_stamps` holds one version that every change of the entries
bumps, so that what the register computes from all its entries can be kept until they change.

Whether an entry is valid today (valid_from <= today <= valid_until) is left to the reader, so that nothing
depends on a job run at midnight.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qa_engine.db import Base


class RegisterEntry(Base):
    __tablename__ = "register_entries"
    # The unfiltered register walks the first index in title order and stops at the page's end. The second holds
    # what a free-text search tests (dates, provider, lowered title) and the count, so neither reads a row; each
    # filter reads its own index, dates and title included, and sorts only its matches. The facets count the
    # entries by field and level along the field index, in its order.
    __table_args__ = (
        Index("ix_register_entries_title", "sort_title", "programme_id", "valid_from", "valid_until"),
        Index("ix_register_entries_valid", "valid_until", "valid_from", "provider_id", "sort_title"),
        Index("ix_register_entries_provider", "provider_id", "valid_until", "valid_from", "sort_title", "programme_id"),
        Index("ix_register_entries_field", "field_code", "eqf_level", "valid_until", "valid_from", "sort_title",
              "programme_id"),
        Index("ix_register_entries_level", "eqf_level", "valid_until", "valid_from", "sort_title", "programme_id"),
        Index("ix_register_entries_status", "status", "valid_until", "valid_from", "sort_title", "programme_id"),
    )

    programme_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    decision_id: Mapped[int]  # the decision in effect, which accredits the programme
    version_id: Mapped[int]  # the programme version it approved
    provider_id: Mapped[int]
    field_code: Mapped[str | None] = mapped_column(String(20))
    eqf_level: Mapped[int | None]
    title: Mapped[str | None] = mapped_column(Text)
    sort_title: Mapped[str | None] = mapped_column(Text)  # lower(title), as ProgrammeVersion.sort_title
    status: Mapped[str] = mapped_column(String(20))  # a services.register.RegisterStatus value
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    words: Mapped[str | None] = mapped_column(Text)  # lower(title || ' ' || provider name || ' ' || short name)

    def __repr__(self) -> str:
        return f"<RegisterEntry programme {self.programme_id} decision {self.decision_id} {self.status}>"


#: Byte order on PostgreSQL as on SQLite, so that the words beginning with a prefix are one range of the key.
WORD = Text().with_variant(Text(collation="C"), "postgresql")


class RegisterWord(Base):
    """A word of an entry's `words`, split at domain.words.SEPARATORS; the key (word, programme) is the
    search's index and the second one serves the triggers that rewrite a programme's words."""

    __tablename__ = "register_words"
    __table_args__ = (Index("ix_register_words_programme", "programme_id"), {"sqlite_with_rowid": False})

    word: Mapped[str] = mapped_column(WORD, primary_key=True)
    programme_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)

    def __repr__(self) -> str:
        return f"<RegisterWord {self.word!r} programme {self.programme_id}>"


class RegisterStamp(Base):
    """One row (id 1) whose version the triggers bump at every change of `register_entries`; missing (a truncated
    test database) until the next change writes it."""

    __tablename__ = "register_stamps"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)

    def __repr__(self) -> str:
        return f"<RegisterStamp {self.version}>"
