"""Accreditation decisions and what follows them: conditions and their evidence, addenda, appeals.

A decision in effect is final: the database refuses to change or delete it (triggers in the migration).
Under the four-eyes rule it is recorded as proposed and takes effect when a second officer confirms it. A
correction is a new decision that names the one it corrects (`corrects_id`); the corrected one stays as it
was, and the newest decision nobody corrected is the one that counts.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_engine.db import Base, StrEnumType, utcnow
from qa_engine.domain.decisions import AppealOutcome, ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.models.programme import Programme
from qa_engine.models.user import User


class DecisionStatus(StrEnum):
    PROPOSED = "proposed"  # four eyes: waiting for a second officer
    EFFECTIVE = "effective"
    DECLINED = "declined"  # the second officer did not confirm it; the case is decided afresh


class AppealStatus(StrEnum):
    LODGED = "lodged"
    DECIDED = "decided"


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        # Each programme's newest effective decision, and the newest original one (decision_records.newest_effective,
        # decisions.originals_in_effect), from the index alone.
        Index("ix_decisions_effective", "programme_id", "status", "corrects_id", "id"),
        # What is accredited today (decision_records.accredited), from the index alone.
        Index("ix_decisions_in_force", "status", "valid_until", "valid_from", "outcome", "programme_id",
              "version_number"),
        # Decisions waiting for a second officer (four eyes), oldest first: a handful among all decisions, which the
        # planners would otherwise count by reading the whole table.
        Index("ix_decisions_proposed", "decided_at", "id", "programme_id", "decided_by_id",
              sqlite_where=text("status = 'proposed'"), postgresql_where=text("status = 'proposed'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    version_number: Mapped[int]  # the submitted version decided on
    status: Mapped[DecisionStatus] = mapped_column(StrEnumType(DecisionStatus, 20), index=True)
    outcome: Mapped[Outcome] = mapped_column(StrEnumType(Outcome, 30))
    recommended_outcome: Mapped[Outcome | None] = mapped_column(StrEnumType(Outcome, 30))
    departure_reason: Mapped[str | None] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    recommendations: Mapped[str] = mapped_column(Text, default="")  # non-binding advice
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None] = mapped_column(index=True)
    # Scope limits, as ELM's Accreditation limit* properties.
    limit_eqf_level: Mapped[int | None]
    limit_field: Mapped[str | None] = mapped_column(String(10))  # ISCED-F code
    limit_mode: Mapped[str | None] = mapped_column(String(20))  # online, onsite, blended
    decision_body: Mapped[str] = mapped_column(String(200))
    members_present: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    decided_on: Mapped[date | None]  # the legal date: when it took effect
    appeal_deadline: Mapped[date | None]
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    # The assessment report issued with the decision, archived as issued.
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    report_file: Mapped[str | None] = mapped_column(String(80))

    programme: Mapped[Programme] = relationship(lazy="joined")
    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id], lazy="joined")
    conditions: Mapped[list[Condition]] = relationship(back_populates="decision", order_by="Condition.number")

    def __repr__(self) -> str:
        return f"<Decision {self.id} programme={self.programme_id} {self.outcome} {self.status}>"


class Condition(Base):
    """A binding condition of an approval, with its due date and the evidence that will show it is met."""

    __tablename__ = "conditions"
    # The QA dashboard's overdue conditions of each decision, from the index alone.
    __table_args__ = (Index("ix_conditions_open", "decision_id", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    evidence_required: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[ConditionStatus] = mapped_column(StrEnumType(ConditionStatus, 20), default=ConditionStatus.OPEN)
    version: Mapped[int] = mapped_column(default=1)  # compare-and-set token

    decision: Mapped[Decision] = relationship(back_populates="conditions")
    evidence: Mapped[list[ConditionEvidence]] = relationship(order_by="ConditionEvidence.id")


class ConditionEvidence(Base):
    """What the provider submitted for a condition, and the officer's judgement of it."""

    __tablename__ = "condition_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    met: Mapped[bool | None]
    judgement: Mapped[str | None] = mapped_column(Text)
    judged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    judged_at: Mapped[datetime | None]


class Addendum(Base):
    """A dated addition to a decision that keeps the original: e.g. every condition met, now approved."""

    __tablename__ = "decision_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    issued_on: Mapped[date]
    outcome: Mapped[Outcome] = mapped_column(StrEnumType(Outcome, 30))
    text: Mapped[str] = mapped_column(Text)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appeal(Base):
    """The provider's appeal against a decision, and how it was resolved."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    grounds: Mapped[str] = mapped_column(Text)
    documents: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of attachment ids
    lodged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lodged_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[AppealStatus] = mapped_column(StrEnumType(AppealStatus, 20), default=AppealStatus.LODGED,
                                                 index=True)
    handler_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list: the appeal panel
    outcome: Mapped[AppealOutcome | None] = mapped_column(StrEnumType(AppealOutcome, 20))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)  # compare-and-set token

    decision: Mapped[Decision] = relationship(lazy="joined")
