"""What a programme's designer hands in: immutable submitted versions, and attached files."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Computed, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_engine.db import Base, utcnow
from qa_engine.models.user import User


def _from_content(*path: str, kind: type = str) -> Callable[[Any], Any]:
    """A column default: the element at `path` of the row's content (JSON), when it is a `kind`, else None."""

    def default(context: Any) -> Any:
        value: Any = json.loads(context.get_current_parameters().get("content") or "{}")
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, kind) and not isinstance(value, bool) else None

    return default


class ProgrammeVersion(Base):
    """A submitted proposal, frozen: the database refuses to update or delete it.

    The title, ISCED-F field and EQF level are copied out of the content when the row is inserted, so that the
    public register sorts, filters and counts without parsing every accredited proposal.
    """

    __tablename__ = "programme_versions"
    __table_args__ = (UniqueConstraint("programme_id", "number"),
                      Index("ix_programme_versions_facts", "programme_id", "number", "title", "field_code",
                            "eqf_level"),
                      # The register, by title: a page is read along it and stops once full (services.register).
                      Index("ix_programme_versions_sort_title", "sort_title", "programme_id"),
                      # The register's filter values: each is looked for among the versions that have it.
                      Index("ix_programme_versions_field_code", "field_code"),
                      Index("ix_programme_versions_eqf_level", "eqf_level"))

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    number: Mapped[int]
    content: Mapped[str] = mapped_column(Text)  # canonical JSON of proposal_to_dict
    content_sha256: Mapped[str] = mapped_column(String(64))
    screening: Mapped[str] = mapped_column(Text)  # JSON of ScreeningResult.to_dict at submission
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(Text, default=_from_content("identification", "title"))
    field_code: Mapped[str | None] = mapped_column(String(20), default=_from_content("classification",
                                                                                     "isced_f_code"))
    eqf_level: Mapped[int | None] = mapped_column(default=_from_content("level", "eqf_level", kind=int))
    # The register's order, computed by the database (stored on PostgreSQL, virtual but indexed on SQLite).
    sort_title: Mapped[str | None] = mapped_column(Text, Computed("lower(title)"))

    submitted_by: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ProgrammeVersion {self.programme_id}.{self.number} {self.content_sha256[:12]}>"


class Attachment(Base):
    """A file attached to a programme, stored under a server-generated name; proposals cite its SHA-256."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("programme_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(200))  # as the uploader named it, checked
    stored_name: Mapped[str] = mapped_column(String(36), unique=True)  # a UUID
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.filename!r} {self.sha256[:12]}>"
