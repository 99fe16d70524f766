"""A short learning programme going through ex-ante accreditation."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_engine.db import Base, StrEnumType, utcnow
from qa_engine.domain.workflow import State
from qa_engine.models.user import Institution, User


class Programme(Base):
    __tablename__ = "programmes"
    # The QA dashboard's list, most recently changed first: all programmes, or those in one state.
    __table_args__ = (Index("ix_programmes_updated", "updated_at", "id"),
                      Index("ix_programmes_state_updated", "state", "updated_at", "id"),
                      # The QA office's attention lists: the programmes in one state with their current round.
                      Index("ix_programmes_state_round", "state", "current_version", "id", "designer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    provider_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    designer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    ects: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    eqf_level: Mapped[int | None]
    state: Mapped[State] = mapped_column(StrEnumType(State, 30), default=State.DRAFT, index=True)
    # Bumped by every transition: the compare-and-set token that makes concurrent changes safe.
    version: Mapped[int] = mapped_column(default=1)
    # The working proposal (proposal_to_dict JSON) while the designer edits it; None once submitted.
    draft: Mapped[str | None] = mapped_column(Text)
    # The number of the last submitted version (0: never submitted).
    current_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    provider: Mapped[Institution] = relationship(lazy="joined")
    designer: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.state} {self.title[:30]!r}>"
