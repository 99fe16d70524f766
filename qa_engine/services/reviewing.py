"""The external reviewer's work on a seat: the invitation, the declaration, scoring and submitting, and the
QA officer sending a submitted review back.

Every change of a seat is a compare-and-set on `Assignment.version` and the status it expects, so that two
requests that race (two tabs, a double click, two threads) have exactly one effect and the other gets a
clear message. Submitting locks the programme first: the last two reviewers submitting at once then see
each other's submission, and exactly one of them moves the programme on to consolidation.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session, joinedload

from qa_engine.db import utcnow
from qa_engine.domain import permissions, scoring
from qa_engine.domain.panels import CONFIRMED, MemberStatus
from qa_engine.domain.proposal import Proposal
from qa_engine.domain.review_visibility import Relation, alias_label, can_see_marks, can_see_reviewer_identity
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric_model import Criterion, Rubric
from qa_engine.domain.rubrics import RubricRegistry
from qa_engine.domain.scoring import Mark
from qa_engine.domain.workflow import Action, State
from qa_engine.models import Assignment, Attachment, ConflictDeclaration, ProgrammeVersion, Review, User
from qa_engine.services import audit, outbox, reviews, workflow
from qa_engine.services.proposals import NotAllowed
from qa_engine.services.reviews import ReviewSettings

DECLARATION_VERSION = 1
CLOSED = frozenset({MemberStatus.DECLINED, MemberStatus.REMOVED})
OPEN_SEATS = (MemberStatus.INVITED, MemberStatus.ACCEPTED)  # live seats still waiting for their reviewer
REOPENABLE = frozenset({State.IN_REVIEW, State.CONSOLIDATION})
#: Evidence names of the rubrics that are not top-level keys of the proposal format.
EVIDENCE_KEYS: Mapping[str, tuple[str, ...]] = {
    "identification": ("identification", "awarding_body"),
    "level_and_size": ("level",),
    "admission_and_support": ("admission",),
}
_NOW = {
    MemberStatus.INVITED: "The invitation has not been accepted yet.",
    MemberStatus.ACCEPTED: "You have already accepted this invitation.",
    MemberStatus.DECLINED: "This seat is closed: the invitation was declined.",
    MemberStatus.REMOVED: "This seat is closed: you are no longer on the panel.",
    MemberStatus.SUBMITTED: "This review has already been submitted.",
}
_STALE = "This review was changed in another window or tab since you opened it. Reload the page and try again."


class Step(StrEnum):
    """What a reviewer must do before the documents open to them."""

    ANSWER = "answer"  # accept the invitation
    DECLARE = "declare"  # sign the declaration


class SeatNotFound(Exception):
    """Not the actor's live seat: it does not exist, is someone else's, or was declined or removed."""


class SeatConflict(workflow.Conflict):
    """The seat is not in a state for this, or changed meanwhile. Nothing is audited: roll back, then answer 409."""


class DeclarationIncomplete(ValueError):
    """The declaration is neither a full set of ticked statements nor a described conflict; nothing changed."""


class CommentRequired(ValueError):
    """Sending a review back needs a comment the reviewer can act on; nothing changed."""


class MarksInvalid(ValueError):
    """The marks cannot be submitted: problems by criterion id, and with the hours; nothing changed."""

    def __init__(self, errors: Mapping[str, str], hours: str | None = None) -> None:
        super().__init__(f"{len(errors)} problems with the marks")
        self.errors, self.hours = dict(errors), hours


@dataclass(frozen=True)
class Statement:
    """One statement of the declaration, as shown, and whether the reviewer ticked it."""

    key: str
    text: str
    agreed: bool


@dataclass(frozen=True)
class Declaration:
    """What the reviewer declares: every statement ticked, or a conflict with its description."""

    statements: tuple[Statement, ...]
    conflict: bool
    description: str = ""
    version: int = DECLARATION_VERSION

    def as_json(self) -> str:
        """The signed text and the answers, as stored with the seat for good."""
        return json.dumps({"version": self.version, "conflict": self.conflict,
                           "conflict_description": self.description.strip(),
                           "statements": [{"key": s.key, "text": s.text, "agreed": s.agreed}
                                          for s in self.statements]}, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Scoresheet:
    """Marks as read from the scoring form; `problems`: criteria whose input could not be read as a mark."""

    marks: Mapping[str, Mark]
    problems: Mapping[str, str] = field(default_factory=dict)
    hours: Decimal | None = None
    hours_readable: bool = True


@dataclass(frozen=True)
class SeatRow:
    """A seat on the reviewer's desk: when to answer, and how many criteria are marked of how many."""

    seat: Assignment
    answer_by: date
    marked: int
    total: int | None


@dataclass(frozen=True)
class Desk:
    """The reviewer's live seats, by what they wait for."""

    invited: list[SeatRow]
    accepted: list[SeatRow]
    submitted: list[SeatRow]


@dataclass(frozen=True)
class ShownReview:
    """A review as someone may see it: who wrote it (or a label), and its marks and scores if visible."""

    seat: Assignment
    name: str
    marks: dict[str, Mark] | None
    score: scoring.ReviewScore | None


# Finding seats --------------------------------------------------------------------------------------------


def own_seat(session: Session, assignment_id: int, actor: User) -> Assignment:
    """The actor's live seat `assignment_id`, with its round and programme.

    :raises SeatNotFound: for anyone else's seat, and for declined or removed seats.
    """
    seat = _load(session, assignment_id)
    if seat is None or seat.reviewer_id != actor.id or seat.status in CLOSED:
        raise SeatNotFound(assignment_id)
    return seat


def any_seat(session: Session, assignment_id: int) -> Assignment:
    """Any seat, for overseers. :raises SeatNotFound: when there is none."""
    seat = _load(session, assignment_id)
    if seat is None:
        raise SeatNotFound(assignment_id)
    return seat


def desk(session: Session, actor: User, *, settings: ReviewSettings, registry: RubricRegistry,
         submitted: bool = True) -> Desk:
    """The actor's live seats, soonest due first, with answer-by dates and progress (one query). Without
    `submitted`, only the seats still open (invited or accepted): a busy reviewer's submitted seats are hundreds."""
    live = Assignment.status.not_in(CLOSED) if submitted else Assignment.status.in_(OPEN_SEATS)
    seats = session.scalars(select(Assignment).options(joinedload(Assignment.review))
                            .where(Assignment.reviewer_id == actor.id, live)).all()
    rows = [SeatRow(seat, answer_by(seat, settings), len(json.loads(seat.marks or "{}")),
                    _criteria_count(seat.review, registry))
            for seat in sorted(seats, key=lambda s: (s.review.due_on, s.id))]
    return Desk(*([row for row in rows if row.seat.status is status]
                  for status in (MemberStatus.INVITED, MemberStatus.ACCEPTED, MemberStatus.SUBMITTED)))


def answer_by(seat: Assignment, settings: ReviewSettings) -> date:
    """The day by which an invitation should be answered."""
    return seat.invited_at.date() + timedelta(days=settings.answer_days)


def next_step(seat: Assignment) -> Step | None:
    """What the reviewer of this live seat must do before reading the documents (None: nothing)."""
    if seat.status is MemberStatus.INVITED:
        return Step.ANSWER
    return Step.DECLARE if seat.declared_at is None else None


def may_read(seat: Assignment) -> bool:
    """The reviewer may open the documents: the seat is accepted (or submitted) and the declaration signed."""
    return seat.status in CONFIRMED and seat.declared_at is not None


def may_score(seat: Assignment) -> bool:
    """The scoring form is open: documents readable, not yet submitted, and the programme still in review."""
    return (may_read(seat) and seat.status is MemberStatus.ACCEPTED
            and State(seat.review.programme.state) is State.IN_REVIEW)


def may_reopen(actor: Actor, seat: Assignment) -> bool:
    """A QA officer may send this submitted review back while the programme is in review or consolidation."""
    return (permissions.can_screen_programmes(actor) and seat.status is MemberStatus.SUBMITTED
            and State(seat.review.programme.state) in REOPENABLE)


# The invitation and the declaration ----------------------------------------------------------------------


def accept(session: Session, seat: Assignment, *, actor: User) -> None:
    """Accept the invitation. :raises SeatConflict: when it was answered already or the review moved on."""
    _require_reviewer(seat, actor)
    _require_in_review(seat)
    _swap(session, seat, MemberStatus.INVITED, status=MemberStatus.ACCEPTED, responded_at=utcnow())
    _audit(session, "review.invitation_accepted", seat, actor)


def decline(session: Session, seat: Assignment, *, actor: User, reason: str | None = None) -> None:
    """Decline the invitation, telling the QA officer who opened the review.

    :raises SeatConflict: when the invitation was answered already.
    """
    _require_reviewer(seat, actor)
    text = (reason or "").strip() or None
    _swap(session, seat, MemberStatus.INVITED, status=MemberStatus.DECLINED, responded_at=utcnow(),
          decline_reason=text)
    _audit(session, "review.invitation_declined", seat, actor, reason=text)
    _tell_officer(session, seat, "review_declined", reason=text)


def sign_declaration(session: Session, seat: Assignment, declaration: Declaration, *, actor: User) -> None:
    """Sign the conflict-of-interest and confidentiality declaration, kept with the seat for good.

    Declaring a conflict closes the seat, records a standing conflict with the provider and tells the QA officer.

    :raises DeclarationIncomplete: a statement is not ticked and no conflict is described.
    :raises SeatConflict: the seat is not accepted, or the declaration was signed already.
    """
    _require_reviewer(seat, actor)
    if declaration.conflict and not declaration.description.strip():
        raise DeclarationIncomplete("Describe the conflict of interest: the QA officer reads this.")
    if not declaration.conflict and not all(s.agreed for s in declaration.statements):
        raise DeclarationIncomplete("Tick every statement, or declare a conflict of interest.")
    _require_in_review(seat)
    if seat.declared_at is not None:
        raise SeatConflict("You signed the declaration already.")
    values: dict[str, Any] = {"declared_at": utcnow(), "declaration": declaration.as_json()}
    if declaration.conflict:
        values.update(status=MemberStatus.DECLINED, decline_reason=declaration.description.strip())
    _swap(session, seat, MemberStatus.ACCEPTED, extra=[Assignment.declared_at.is_(None)], **values)
    if not declaration.conflict:
        _audit(session, "review.declaration_signed", seat, actor, declaration_version=declaration.version)
        return
    _record_standing_conflict(session, seat, declaration.description.strip())
    _audit(session, "review.conflict_declared", seat, actor, declaration_version=declaration.version,
           description=declaration.description.strip())
    _tell_officer(session, seat, "review_conflict", description=declaration.description.strip())


def declaration_of(seat: Assignment) -> dict[str, Any] | None:
    """The stored declaration (older records may lack the statements)."""
    return json.loads(seat.declaration) if seat.declaration else None


# The documents --------------------------------------------------------------------------------------------


def pinned_version(session: Session, review: Review) -> ProgrammeVersion | None:
    """The submitted version of the programme the round reviews."""
    return session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.programme_id == review.programme_id,
                                                          ProgrammeVersion.number == review.version_number)).first()


def sections(content: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The proposal's parts as (format key, value), in the format's order; attachments are listed apart."""
    return [(f.name, content[f.name]) for f in dataclasses.fields(Proposal)
            if f.name != "attachments" and f.name in content]


def evidence(content: Mapping[str, Any], criterion: Criterion) -> list[tuple[str, Any]]:
    """The parts of the proposal the criterion names as its evidence, as (format key, value), in order."""
    keys = dict.fromkeys(key for name in criterion.evidence for key in EVIDENCE_KEYS.get(name, (name,)))
    return [(key, content[key]) for key in keys if key in content]


def cited_attachment(session: Session, review: Review, version: ProgrammeVersion,
                     attachment_id: int) -> Attachment | None:
    """The programme's stored file `attachment_id` if the reviewed version cites it (None otherwise)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.programme_id != review.programme_id:
        return None
    cited = {entry.get("sha256") for entry in json.loads(version.content).get("attachments", [])}
    return attachment if attachment.sha256 in cited else None


# Scoring --------------------------------------------------------------------------------------------------


def save_draft(session: Session, seat: Assignment, sheet: Scoresheet, *, actor: User, rubric: Rubric,
               expected_version: int) -> dict[str, str]:
    """Save the valid marks (a criterion with a problem keeps its saved mark); returns the problems by criterion.

    :raises SeatConflict: the seat is not open for scoring or changed since the form was opened.
    """
    _require_scoring(seat, actor, expected_version)
    errors = {**scoring.validate_marks(rubric, sheet.marks, complete=False), **sheet.problems}
    stored = reviews.marks_of(seat)
    kept = {cid: mark for cid, mark in sheet.marks.items() if cid not in errors}
    kept.update({cid: stored[cid] for cid in errors if cid in stored})
    hours = sheet.hours if sheet.hours_readable else seat.hours
    _swap(session, seat, MemberStatus.ACCEPTED, version=expected_version, marks=reviews.marks_json(kept),
          hours=hours)
    _audit(session, "review.draft_saved", seat, actor, marked=len(kept), problems=len(errors))
    return errors


def submit(session: Session, seat: Assignment, sheet: Scoresheet, *, actor: User, rubric: Rubric,
           expected_version: int, settings: ReviewSettings) -> bool:
    """Submit a complete, valid set of marks and lock the review; returns whether every review is now in.

    :raises MarksInvalid: a mark is missing or invalid, or the hours are not given; nothing changed.
    :raises SeatConflict: submitted already (another tab or click), or changed since the form was opened.
    """
    _require_scoring(seat, actor, expected_version)
    errors = {**scoring.validate_marks(rubric, sheet.marks, complete=True), **sheet.problems}
    hours_missing = sheet.hours_readable and sheet.hours is None
    if errors or hours_missing or not sheet.hours_readable:  # unreadable hours already carry their message
        raise MarksInvalid(errors, "Say how many hours you spent on this review." if hours_missing else None)
    reviews.lock_programme(session, seat.review.programme_id)
    _require_in_review(seat)
    stored = reviews.marks_json(sheet.marks)
    _swap(session, seat, MemberStatus.ACCEPTED, version=expected_version, status=MemberStatus.SUBMITTED,
          marks=stored, hours=sheet.hours, submitted_at=utcnow())
    _audit(session, "review.submitted", seat, actor, rubric=rubric.key, hours=str(sheet.hours),
           marks_sha256=hashlib.sha256(stored.encode()).hexdigest())
    moved = reviews.complete_if_in(session, seat.review, actor=actor, role=Role.REVIEWER, settings=settings)
    if moved:
        _tell_officer(session, seat, "reviews_complete")
    return moved


def shown_review(seat: Assignment, viewer: Actor, rubric: Rubric, *, author: bool = False) -> ShownReview:
    """One seat's review as the viewer sees it: its author always; overseers once it is submitted."""
    relation = Relation.AUTHOR if author else reviews.relation(seat.review, viewer)
    submitted = seat.status is MemberStatus.SUBMITTED
    visible = can_see_marks(relation, submitted, viewer_has_submitted=False, released_to_designers=False)
    return _shown(seat, rubric, visible, seat.reviewer.full_name)


def panel_reviews(seat: Assignment, viewer: Actor, rubric: Rubric) -> list[ShownReview] | None:
    """The panel's other submitted reviews; None while the viewer may not see them (before submitting their own)."""
    review = seat.review
    relation = reviews.relation(review, viewer)
    mine = seat.status is MemberStatus.SUBMITTED
    if not can_see_marks(relation, True, viewer_has_submitted=mine, released_to_designers=False):
        return None
    named = can_see_reviewer_identity(relation, review.blind)
    others = [a for a in review.assignments if a.id != seat.id and a.status is MemberStatus.SUBMITTED]
    return [_shown(other, rubric, True, other.reviewer.full_name if named else alias_label(index))
            for index, other in enumerate(others)]


# Sending a review back ------------------------------------------------------------------------------------


def reopen(session: Session, seat: Assignment, *, actor: User, comment: str) -> None:
    """Send a submitted review back to its reviewer as a draft; a programme in consolidation goes back to review.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises CommentRequired: when the comment is empty; nothing changed.
    :raises SeatConflict: the review is not submitted, or the programme is past consolidation.
    :raises workflow.Conflict: when the programme cannot go back to review (audited).
    """
    if not permissions.can_screen_programmes(actor.actor):
        raise NotAllowed("Only QA officers send reviews back.")
    text = (comment or "").strip()
    if not text:
        raise CommentRequired("Say why the review goes back: its reviewer reads this comment.")
    programme = reviews.lock_programme(session, seat.review.programme_id)
    session.refresh(seat)
    if seat.status is not MemberStatus.SUBMITTED:
        raise SeatConflict("Only a submitted review can be sent back; this one is not submitted.")
    if State(programme.state) not in REOPENABLE:
        raise SeatConflict(f"The review can no longer be sent back: the programme is now “{programme.state.label}”.")
    if State(programme.state) is State.CONSOLIDATION:
        workflow.transition(session, programme, Action.REOPEN_REVIEW, actor=actor, role=Role.QA_OFFICER,
                            comment=text, details={"review": seat.review_id, "assignment": seat.id})
    _swap(session, seat, MemberStatus.SUBMITTED, status=MemberStatus.ACCEPTED, submitted_at=None)
    _audit(session, "review.reopened", seat, actor, role=Role.QA_OFFICER, comment=text)
    outbox.notify(session, "review_reopened", seat.reviewer, seat=seat, programme=programme, comment=text)


# Helpers --------------------------------------------------------------------------------------------------


def _load(session: Session, assignment_id: int) -> Assignment | None:
    return session.scalars(select(Assignment).options(joinedload(Assignment.review))
                           .where(Assignment.id == assignment_id)).first()


def _criteria_count(review: Review, registry: RubricRegistry) -> int | None:
    try:
        return len(reviews.pinned_rubric(review, registry).criteria)
    except reviews.RubricChanged:
        return None


def _require_in_review(seat: Assignment) -> None:
    state = State(seat.review.programme.state)
    if state is not State.IN_REVIEW:
        raise SeatConflict(f"The programme is no longer under review (it is now “{state.label}”).")


def _require_reviewer(seat: Assignment, actor: User) -> None:
    if seat.reviewer_id != actor.id:
        raise NotAllowed("Only the seat's own reviewer answers for it.")


def _require_scoring(seat: Assignment, actor: User, expected_version: int) -> None:
    _require_reviewer(seat, actor)
    if seat.status is not MemberStatus.ACCEPTED:
        raise SeatConflict(_NOW[seat.status])
    if seat.declared_at is None:
        raise SeatConflict("Sign the declaration before scoring.")
    if seat.version != expected_version:
        raise SeatConflict(_STALE)
    _require_in_review(seat)


def _swap(session: Session, seat: Assignment, expected: MemberStatus, *, version: int | None = None,
          extra: list[ColumnElement[bool]] | None = None, **values: Any) -> None:
    """Compare-and-set the seat from (`expected` status, version) to `values`, bumping its version."""
    statement = (
        update(Assignment)
        .where(Assignment.id == seat.id, Assignment.status == expected,
               Assignment.version == (seat.version if version is None else version), *(extra or []))
        .values(version=Assignment.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    changed = session.execute(statement).rowcount == 1
    session.refresh(seat)
    if not changed:
        raise SeatConflict(_STALE if seat.status is expected else _NOW[seat.status])


def _audit(session: Session, action: str, seat: Assignment, actor: User, *, role: Role = Role.REVIEWER,
           **details: Any) -> None:
    audit.record(session, action, actor=actor, role=role, obj=("programme", seat.review.programme_id),
                 details={"review": seat.review_id, "assignment": seat.id, **details})


def _tell_officer(session: Session, seat: Assignment, event: str, **context: Any) -> None:
    officer = session.get(User, seat.review.opened_by_id)
    if officer is not None and officer.is_active:
        outbox.notify(session, event, officer, seat=seat, reviewer=seat.reviewer, programme=seat.review.programme,
                      **context)


def _record_standing_conflict(session: Session, seat: Assignment, reason: str) -> None:
    provider_id = seat.review.programme.provider_id
    exists = session.scalar(select(ConflictDeclaration.id).where(ConflictDeclaration.reviewer_id == seat.reviewer_id,
                                                                 ConflictDeclaration.institution_id == provider_id))
    if exists is None:
        session.add(ConflictDeclaration(reviewer_id=seat.reviewer_id, institution_id=provider_id, reason=reason))
        session.flush()


def _shown(seat: Assignment, rubric: Rubric, visible: bool, name: str) -> ShownReview:
    if not visible:
        return ShownReview(seat, name, None, None)
    known = {criterion.id for criterion in rubric.criteria}
    marks = {cid: mark for cid, mark in reviews.marks_of(seat).items() if cid in known}
    return ShownReview(seat, name, marks, scoring.score_review(rubric, marks))
