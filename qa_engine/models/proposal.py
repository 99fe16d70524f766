"""What a programme's designer hands in: immutable submitted versions, and attached files."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_engine.db import Base, utcnow
from qa_engine.models.user import User


class ProgrammeVersion(Base):
    """A submitted proposal, frozen: the database refuses to update or delete it."""

    __tablename__ = "programme_versions"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    number: Mapped[int]
    content: Mapped[str] = mapped_column(Text)  # canonical JSON of proposal_to_dict
    content_sha256: Mapped[str] = mapped_column(String(64))
    screening: Mapped[str] = mapped_column(Text)  # JSON of ScreeningResult.to_dict at submission
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

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
