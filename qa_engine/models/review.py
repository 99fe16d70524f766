"""External review: the reviewer pool, review rounds with their panels, consensus, and what was sent to whom."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_engine.db import Base, StrEnumType, utcnow
from qa_engine.domain.panels import MemberStatus, ProfileType
from qa_engine.models.programme import Programme
from qa_engine.models.user import Institution, User


class ReviewerProfile(Base):
    """What the pool knows about an external reviewer; lists are stored as JSON arrays."""

    __tablename__ = "reviewer_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    profile_types: Mapped[str] = mapped_column(Text, default="[]")  # ProfileType values
    expertise: Mapped[str] = mapped_column(Text, default="[]")  # ISCED-F 2013 codes
    keywords: Mapped[str] = mapped_column(Text, default="[]")
    languages: Mapped[str] = mapped_column(Text, default="[]")  # ISO 639-1 codes
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    available_from: Mapped[date | None]  # unavailable until this day, when set
    max_load: Mapped[int | None]  # open reviews at once; None: no limit
    biography: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class ConflictDeclaration(Base):
    """A reviewer's standing conflict of interest with an institution: never suggested for its programmes."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("reviewer_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    institution: Mapped[Institution] = relationship(lazy="joined")


class Review(Base):
    """One round of external review of one submitted version, scored on the rubric version pinned at its start."""

    __tablename__ = "reviews"
    # The QA office's attention lists: a round's dates read from the index (late reviews, late responses).
    __table_args__ = (UniqueConstraint("programme_id", "version_number"),
                      Index("ix_reviews_round_dates", "programme_id", "version_number", "due_on", "response_due_on",
                            "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    version_number: Mapped[int]
    review_type: Mapped[str] = mapped_column(String(40))  # a key of the REVIEW_TYPES configuration
    rubric_key: Mapped[str] = mapped_column(String(80))  # id@version
    rubric_sha256: Mapped[str] = mapped_column(String(64))
    blind: Mapped[bool] = mapped_column(Boolean)
    due_on: Mapped[date]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The draft panel report, once sent to the provider, and the provider's answer.
    report_sent_at: Mapped[datetime | None]
    response_due_on: Mapped[date | None]
    response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    programme: Mapped[Programme] = relationship(lazy="joined")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="review", order_by="Assignment.id")


class Assignment(Base):
    """A reviewer invited to a review: their answer, declaration, marks, and whether they are still on the panel."""

    __tablename__ = "review_assignments"
    __table_args__ = (
        # One live seat per reviewer and review; declined and removed seats stay as history.
        Index("uq_review_assignments_live", "review_id", "reviewer_id", unique=True,
              sqlite_where=text("status NOT IN ('declined', 'removed')"),
              postgresql_where=text("status NOT IN ('declined', 'removed')")),
        # The QA dashboard's late invitations per round; a reviewer's submitted reviews, latest first.
        Index("ix_review_assignments_round", "review_id", "status", "invited_at"),
        # The invitations still unanswered, oldest first (a few in a hundred seats): late ones are found from here.
        Index("ix_review_assignments_invited", "invited_at", "id", "review_id", "reviewer_id",
              sqlite_where=text("status = 'invited'"), postgresql_where=text("status = 'invited'")),
        Index("ix_review_assignments_reviewer", "reviewer_id", "status", "submitted_at"),
        # The analytics: the reviews submitted in a period, with all the turnaround and cost read of them.
        Index("ix_review_assignments_seats", "status", "submitted_at", "review_id", "reviewer_id", "invited_at",
              "responded_at", "hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    profile_type: Mapped[ProfileType] = mapped_column(StrEnumType(ProfileType, 20))
    chair: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[MemberStatus] = mapped_column(StrEnumType(MemberStatus, 20), default=MemberStatus.INVITED,
                                                 index=True)
    # Bumped by every change of status or marks: the compare-and-set token, like Programme.version.
    version: Mapped[int] = mapped_column(default=1)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # The conflict-of-interest and confidentiality declaration, signed before any document is shown.
    declared_at: Mapped[datetime | None]
    declaration: Mapped[str | None] = mapped_column(Text)  # JSON: the text signed and the answers
    marks: Mapped[str] = mapped_column(Text, default="{}")  # JSON {criterion id: {"value", "justification"}}
    hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # time the reviewer declares having spent
    submitted_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]

    review: Mapped[Review] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship(lazy="joined", foreign_keys=[reviewer_id])

    def __repr__(self) -> str:
        return f"<Assignment {self.id} review={self.review_id} reviewer={self.reviewer_id} {self.status}>"


class ConsensusMark(Base):
    """The mark a panel agreed on for a criterion where reviewers disagreed, and its reasoning."""

    __tablename__ = "consensus_marks"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[int | None]  # None: not applicable
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReminderSent(Base):
    """A reminder that went out: its key (kind, subject, code) is unique, so it can never go out twice."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # domain.reminders.AssignmentKind
    subject_id: Mapped[int]  # the assignment, review or condition it is about
    code: Mapped[str] = mapped_column(String(30))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """An e-mail to send, written in the same transaction as the change it reports; the worker delivers it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(50), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_until: Mapped[datetime | None]  # a worker is sending it; others leave it alone until then
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    failed_at: Mapped[datetime | None]  # gave up after the last retry
    last_error: Mapped[str | None] = mapped_column(Text)
