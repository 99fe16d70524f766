"""A programme's stays in each stage of the process, kept by the database from the audit trail.

A trigger on audit_entries (migration 20261124_0930) maintains the table: each audited transition that enters a
state (domain.stats.ENTERED) closes the programme's open stay, setting when it was left and how many days it
lasted, and opens a stay in the state entered. Nothing in Python writes here; the analytics only read it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from qa_engine.db import Base


class StageStay(Base):
    __tablename__ = "stage_stays"
    # The analytics read the stays left within a period, per stage, from the first index alone; the trigger finds
    # a programme's open stay by the second.
    __table_args__ = (Index("ix_stage_stays_left", "stage", "left_at", "days"),
                      Index("ix_stage_stays_open", "programme_id", "left_at"))

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the audit entry that opened it
    programme_id: Mapped[int]
    stage: Mapped[str] = mapped_column(String(40))
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    days: Mapped[float | None]  # from entered_at to left_at, as the database reckons it

    def __repr__(self) -> str:
        return f"<StageStay {self.seq} programme {self.programme_id} {self.stage}>"
