"""Consolidation of a panel's reviews into the draft panel report, and the provider's response to it.

When every review is in, QA officers and the panel chair compare the marks side by side and record the panel's
consensus where the reviewers disagree; a QA officer then sends the draft report to the provider, whose designers
may answer it within a window of working days. An answer, or a QA officer closing the window once it is over,
hands the programme on to the decision. What a designer reads is built here and follows the blind-review rules:
no reviewer's marks, words or name, and nothing that tells how many reviewers there were.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_engine.db import utcnow
from qa_engine.domain import permissions, review_visibility, scoring
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.response_window import ResponseWindow, closing_date
from qa_engine.domain.review_visibility import OVERSEERS, Relation, ReviewerIdentity
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric_model import Criterion, Dimension, Rubric, ScaleLevel
from qa_engine.domain.rubrics import RubricRegistry
from qa_engine.domain.scoring import Consensus, CriterionAggregate, DimensionScore, Mark, PanelScore
from qa_engine.domain.workflow import Action, Precondition, State
from qa_engine.models import Assignment, ConsensusMark, Programme, Review, User
from qa_engine.services import audit, outbox, reviews, workflow
from qa_engine.services.proposals import NotAllowed
from qa_engine.services.reviews import ReviewSettings

CONSOLIDATORS = frozenset({Relation.QA_OFFICER, Relation.PANEL_CHAIR})
BOARD_READERS = CONSOLIDATORS | {Relation.ADMIN}  # administrators read along
REPORT_READERS = OVERSEERS | {Relation.DESIGNER}


class Refused(workflow.Conflict):
    """A rule of this stage refuses the step before the transition table is asked; the attempt is audited."""


class InvalidConsensus(ValueError):
    """A consensus that cannot be recorded; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


class ResponseRequired(ValueError):
    """The provider's answer is empty; nothing was changed."""


@dataclass(frozen=True)
class Reviewer:
    """The author of a submitted review, as QA officers and the chair know them."""

    assignment_id: int
    name: str
    institution: str
    chair: bool


@dataclass(frozen=True)
class CriterionRow:
    """One criterion side by side: each reviewer's mark, the panel's aggregate and its consensus."""

    criterion: Criterion
    marks: tuple[Mark | None, ...]  # in the order of Board.reviewers; None: not marked
    aggregate: CriterionAggregate  # on the effective value: the consensus where there is one
    flags: CriterionAggregate  # on the reviewers' marks alone: what they disagree on
    consensus: ConsensusMark | None

    @property
    def flagged(self) -> bool:
        """The reviewers disagree: a spread at the threshold, a split gate or a split on N/A."""
        return self.flags.needs_consensus

    @property
    def needs_consensus(self) -> bool:
        """Flagged and still without the panel's consensus: the report cannot go out yet."""
        return self.flagged and self.consensus is None


@dataclass(frozen=True)
class DimensionRows:
    """A dimension of the rubric with its panel score and its criteria."""

    dimension: Dimension
    score: DimensionScore
    rows: tuple[CriterionRow, ...]


@dataclass(frozen=True)
class Board:
    """The consolidation page: a round's submitted reviews compared, for officers, administrators and the chair."""

    programme: Programme
    review: Review | None
    relation: Relation
    rubric: Rubric | None = None
    reviewers: tuple[Reviewer, ...] = ()
    dimensions: tuple[DimensionRows, ...] = ()
    panel: PanelScore | None = None  # None until every review is in

    @property
    def ready(self) -> bool:
        """Every review is in, so the marks can be compared."""
        return self.panel is not None

    @property
    def open(self) -> bool:
        """Consensus may be recorded and the report sent (the programme is in consolidation)."""
        return self.ready and self.programme.state is State.CONSOLIDATION

    @property
    def can_record(self) -> bool:
        """The viewer may record consensus marks now."""
        return self.open and self.relation in CONSOLIDATORS

    @property
    def can_send(self) -> bool:
        """The viewer may send the draft report now: every flagged criterion has its consensus."""
        return self.open and self.relation is Relation.QA_OFFICER and not self.to_discuss

    @property
    def to_discuss(self) -> tuple[str, ...]:
        """Flagged criteria without consensus, in rubric order."""
        return self.panel.to_discuss if self.panel else ()

    @property
    def waiting_for(self) -> str | None:
        """Why there is nothing to compare yet: "round" (no review round), "reviews" (not all in), "state"."""
        if self.ready:
            return None
        if self.review is None:
            return "round"
        return "reviews" if self.programme.state is State.IN_REVIEW else "state"

    @property
    def rows(self) -> tuple[CriterionRow, ...]:
        """Every criterion's row, in rubric order."""
        return tuple(row for dimension in self.dimensions for row in dimension.rows)


@dataclass(frozen=True)
class ReportLine:
    """A criterion in the draft report: the panel's mark as a level of the scale, and its reasoning."""

    criterion: Criterion
    level: ScaleLevel | None  # None: not applicable, or not marked
    agreed: bool  # the panel recorded a consensus here
    reasoning: str  # the consensus reasoning ("" without one), scrubbed for designers in blind review


@dataclass(frozen=True)
class ReportSection:
    """A dimension of the draft report."""

    dimension: Dimension
    score: float | None
    lines: tuple[ReportLine, ...]


@dataclass(frozen=True)
class Report:
    """The draft panel report as its viewer may read it, and where the provider's response stands."""

    programme: Programme
    review: Review | None
    relation: Relation
    today: date
    sections: tuple[ReportSection, ...] = ()
    panel: PanelScore | None = None  # overseers only: the overall score, caps and recommended outcome
    reviewers: tuple[Reviewer, ...] = ()  # empty for designers in blind review
    window: ResponseWindow | None = None
    responded_by: str | None = None

    @property
    def sent(self) -> bool:
        """The report has been sent to the provider."""
        return self.review is not None and self.review.report_sent_at is not None

    @property
    def recommended(self) -> Outcome | None:
        """The outcome the scores recommend (the committee's business: never set for designers)."""
        return self.panel.recommended if self.panel else None

    @property
    def awaiting_response(self) -> bool:
        """The provider may still answer, or the window waits to be closed."""
        return self.sent and self.programme.state is State.PROVIDER_RESPONSE

    @property
    def window_open(self) -> bool:
        """Today is within the response window."""
        return self.window is not None and self.window.is_open(self.today)

    @property
    def days_left(self) -> int:
        """Working days after today until the window closes."""
        return self.window.working_days_left(self.today) if self.window else 0

    @property
    def can_respond(self) -> bool:
        """The viewer is the provider's designer and may answer now."""
        return self.relation is Relation.DESIGNER and self.awaiting_response and self.window_open

    @property
    def can_close(self) -> bool:
        """The viewer is a QA officer and the window is over without an answer."""
        return self.relation is Relation.QA_OFFICER and self.awaiting_response and not self.window_open


@dataclass(frozen=True)
class _Scores:
    rubric: Rubric
    seats: tuple[Assignment, ...]  # the submitted reviews, in seat order
    consensus: Mapping[str, ConsensusMark]
    flags: PanelScore  # the reviewers' marks alone: what they disagree on
    panel: PanelScore  # with the consensus: the panel's result


# Reading ---------------------------------------------------------------------------------------------------


def board(session: Session, programme: Programme, *, actor: Actor, settings: ReviewSettings,
          registry: RubricRegistry) -> Board:
    """The side-by-side comparison of the current round; before consolidation, just where the round stands.

    :raises NotAllowed: unless the actor is a QA officer, an administrator or the round's panel chair.
    """
    review = reviews.current_round(session, programme.id)
    relation = _relation(programme, review, actor)
    if relation not in BOARD_READERS:
        raise NotAllowed("Only QA officers, administrators and the panel chair see the consolidation.")
    if review is None or not _compared(programme, review):
        return Board(programme, review, relation)
    scores = _scores(session, review, settings, registry)
    marks = [reviews.marks_of(seat) for seat in scores.seats]
    dimensions = tuple(
        DimensionRows(dimension, scores.panel.dimension(dimension.id), tuple(
            CriterionRow(c, tuple(m.get(c.id) for m in marks), scores.panel.criteria[c.id],
                         scores.flags.criteria[c.id], scores.consensus.get(c.id))
            for c in dimension.criteria))
        for dimension in scores.rubric.dimensions)
    return Board(programme, review, relation, scores.rubric, _reviewers(scores.seats), dimensions, scores.panel)


def report(session: Session, programme: Programme, *, actor: Actor, settings: ReviewSettings,
           registry: RubricRegistry, today: date) -> Report:
    """The draft panel report as `actor` may read it (empty until it was sent).

    Designers get levels and reasoning only: no individual marks, and in blind review no names and no
    reasoning that has not been scrubbed of every panel member's name, e-mail address and institution.

    :raises NotAllowed: unless the actor is a QA officer, an administrator or a designer of the provider.
    """
    review = reviews.current_round(session, programme.id)
    relation = _relation(programme, review, actor)
    if relation not in REPORT_READERS:
        raise NotAllowed("Only the provider's designers, QA officers and administrators read the draft report.")
    if review is None or review.report_sent_at is None:
        return Report(programme, review, relation, today)
    scores = _scores(session, review, settings, registry)
    clean = _cleaner(review, relation)
    sections = tuple(
        ReportSection(dimension, scores.panel.dimension(dimension.id).score, tuple(
            _line(scores, criterion, clean) for criterion in dimension.criteria))
        for dimension in scores.rubric.dimensions)
    known = review_visibility.can_see_reviewer_identity(relation, review.blind)
    responder = session.get(User, review.responded_by_id) if review.responded_by_id else None
    return Report(programme, review, relation, today, sections,
                  scores.panel if relation in OVERSEERS else None, _reviewers(scores.seats) if known else (),
                  response_window(review, settings), responder.full_name if responder else None)


def response_window(review: Review, settings: ReviewSettings) -> ResponseWindow | None:
    """The provider's window to answer the round's draft report (None before it was sent)."""
    if review.report_sent_at is None:
        return None
    return ResponseWindow(review.report_sent_at.date(), settings.response_days, settings.holidays)


def level_of(rubric: Rubric, value: float | None) -> ScaleLevel | None:
    """The level of the scale nearest a panel value; halfway between two levels, the lower (never rounded up)."""
    if value is None:
        return None
    return min(rubric.scale.levels, key=lambda level: (abs(level.value - value), level.value))


# Acting ----------------------------------------------------------------------------------------------------


def record_consensus(session: Session, programme: Programme, *, actor: User, criterion_id: str, value: int | None,
                     reason: str, registry: RubricRegistry) -> ConsensusMark:
    """Record, or replace, the panel's consensus mark on a criterion with its reasoning (audited).

    :raises NotAllowed: unless the actor is a QA officer or the round's panel chair.
    :raises InvalidConsensus: an unknown criterion, a value off the scale, N/A where the criterion does not
        allow it, or no reasoning; nothing is changed.
    :raises Refused: when the programme is not in consolidation (audited).
    """
    review = reviews.current_round(session, programme.id)
    relation = _relation(programme, review, actor.actor)
    if relation not in CONSOLIDATORS:
        raise NotAllowed("Only QA officers and the panel chair record the panel's consensus.")
    role = Role.QA_OFFICER if relation is Relation.QA_OFFICER else Role.REVIEWER
    if review is None:
        raise _refused(session, "review.consensus_refused", programme, actor, role, {"criterion": criterion_id},
                       "The programme has not been reviewed: there is nothing to consolidate.")
    text = (reason or "").strip()
    _check_consensus(reviews.pinned_rubric(review, registry), criterion_id, value, text)
    programme = reviews.lock_programme(session, programme.id)
    details = {"review": review.id, "criterion": criterion_id, "value": value}
    if programme.state is not State.CONSOLIDATION:
        raise _refused(session, "review.consensus_refused", programme, actor, role, details,
                       f"Consensus is recorded while the programme is in consolidation; it is "
                       f"{State(programme.state).label.lower()} now.")
    mark = session.scalars(select(ConsensusMark).where(ConsensusMark.review_id == review.id,
                                                       ConsensusMark.criterion_id == criterion_id)).one_or_none()
    if mark is None:
        mark = ConsensusMark(review_id=review.id, criterion_id=criterion_id)
        session.add(mark)
    else:
        details["replaced"] = {"value": mark.value, "reason": mark.reason}
    mark.value, mark.reason, mark.recorded_by_id = value, text, actor.id
    session.flush()
    audit.record(session, "review.consensus_recorded", actor=actor, role=role, obj=("programme", programme.id),
                 details={**details, "reason": text})
    return mark


def send_report(session: Session, programme: Programme, *, actor: User, settings: ReviewSettings,
                registry: RubricRegistry, now: datetime) -> Review:
    """Send the draft panel report to the provider: its response window opens and its designer is told.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises workflow.Conflict: when the programme is not in consolidation, a flagged criterion lacks its
        consensus (the table's message), or another change won the race (audited).
    """
    _require_officer(actor)
    programme = reviews.lock_programme(session, programme.id)
    review = reviews.current_round(session, programme.id)
    holds = frozenset()
    if review is not None and programme.state is State.CONSOLIDATION:
        holds = consensus_facts(_scores(session, review, settings, registry).panel)
    closes_on = closing_date(now.date(), settings.response_days, settings.holidays)
    workflow.transition(session, programme, Action.SEND_DRAFT_REPORT, actor=actor, role=Role.QA_OFFICER,
                        holds=holds, details={"review": review.id if review else None,
                                              "response_due_on": closes_on.isoformat()})
    review.report_sent_at, review.response_due_on = now, closes_on
    session.flush()
    outbox.notify(session, "draft_report", programme.designer, programme=programme, closes_on=closes_on,
                  working_days=settings.response_days)
    return review


def consensus_facts(panel: PanelScore) -> frozenset[Precondition]:
    """CONSENSUS_RECORDED when no criterion the reviewers disagree on is left without a consensus."""
    return frozenset() if panel.to_discuss else frozenset({Precondition.CONSENSUS_RECORDED})


def respond(session: Session, programme: Programme, *, actor: User, text: str, settings: ReviewSettings,
            today: date) -> Review:
    """The provider's answer to the draft report, within its window: the programme waits for the decision,
    and the QA officer who opened the review is told.

    :raises NotAllowed: unless the actor is a designer of the provider.
    :raises ResponseRequired: when the answer is empty; nothing is changed.
    :raises workflow.Conflict: when no report waits for an answer, the window has closed, or another change
        won the race (audited).
    """
    if not permissions.can_design_for(actor.actor, provider_id=programme.provider_id):
        raise NotAllowed("Only the provider's designers answer the draft report.")
    answer = (text or "").strip()
    if not answer:
        raise ResponseRequired("Write your response: the decision takes it into account with the report.")
    programme = reviews.lock_programme(session, programme.id)
    review = reviews.current_round(session, programme.id)
    window = response_window(review, settings) if review else None
    if programme.state is State.PROVIDER_RESPONSE and window is not None and not window.is_open(today):
        raise _refused(session, "programme.transition_refused", programme, actor, Role.DESIGNER,
                       {"action": Action.RESPOND_TO_REPORT.value, "from": programme.state.value},
                       f"The response window closed on {window.closes_on.isoformat()}.")
    workflow.transition(session, programme, Action.RESPOND_TO_REPORT, actor=actor, role=Role.DESIGNER,
                        comment=answer, details={"review": review.id if review else None})
    review.response, review.responded_at, review.responded_by_id = answer, utcnow(), actor.id
    session.flush()
    outbox.notify(session, "provider_response", session.get(User, review.opened_by_id), programme=programme,
                  review=review, designer=actor)
    return review


def close_window(session: Session, programme: Programme, *, actor: User, settings: ReviewSettings,
                 today: date) -> None:
    """Close the response window that ran out without an answer: the programme waits for the decision.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises workflow.Conflict: while the window is open (the table's message), when no report waits for an
        answer, or another change won the race (audited).
    """
    _require_officer(actor)
    programme = reviews.lock_programme(session, programme.id)
    review = reviews.current_round(session, programme.id)
    window = response_window(review, settings) if review else None
    over = window is not None and not window.is_open(today)
    workflow.transition(session, programme, Action.CLOSE_RESPONSE_WINDOW, actor=actor, role=Role.QA_OFFICER,
                        holds=frozenset({Precondition.RESPONSE_WINDOW_CLOSED}) if over else frozenset(),
                        details={"review": review.id if review else None,
                                 "closed_on": window.closes_on.isoformat() if window else None})


# Helpers ---------------------------------------------------------------------------------------------------


def _relation(programme: Programme, review: Review | None, actor: Actor) -> Relation:
    """The viewer's relation to the round; without a round, to the programme (overseers and its designers)."""
    if review is not None:
        return reviews.relation(review, actor)
    if not permissions.can_see_programme(actor, provider_id=programme.provider_id, state=State(programme.state)):
        return Relation.NONE
    if actor.has(Role.QA_OFFICER):
        return Relation.QA_OFFICER
    return Relation.ADMIN if actor.has(Role.ADMIN) else Relation.DESIGNER


def _compared(programme: Programme, review: Review) -> bool:
    """Every review is in: the programme is in consolidation, or its draft report went out."""
    return programme.state is State.CONSOLIDATION or review.report_sent_at is not None


def _scores(session: Session, review: Review, settings: ReviewSettings, registry: RubricRegistry) -> _Scores:
    rubric = reviews.pinned_rubric(review, registry)
    seats = tuple(a for a in review.assignments if a.status is MemberStatus.SUBMITTED)
    marks = [reviews.marks_of(seat) for seat in seats]
    stored = {mark.criterion_id: mark for mark in session.scalars(
        select(ConsensusMark).where(ConsensusMark.review_id == review.id))}
    threshold = settings.disagreement_threshold
    agreed = {cid: Consensus(mark.value, mark.reason) for cid, mark in stored.items()}
    return _Scores(rubric, seats, stored, scoring.score_panel(rubric, marks, disagreement_threshold=threshold),
                   scoring.score_panel(rubric, marks, agreed, disagreement_threshold=threshold))


def _reviewers(seats: tuple[Assignment, ...]) -> tuple[Reviewer, ...]:
    return tuple(Reviewer(seat.id, seat.reviewer.full_name, seat.reviewer.institution.name, seat.chair)
                 for seat in seats)


def _line(scores: _Scores, criterion: Criterion, clean: Callable[[str], str]) -> ReportLine:
    agreed = scores.consensus.get(criterion.id)
    effective = scores.panel.criteria[criterion.id].effective
    return ReportLine(criterion, level_of(scores.rubric, effective), agreed is not None,
                      clean(agreed.reason) if agreed else "")


def _cleaner(review: Review, relation: Relation) -> Callable[[str], str]:
    """What free text passes through before `relation` reads it: in blind review, designers get it scrubbed of
    every panel member (even those who left), each named only as "a reviewer" so that no count shows."""
    if review_visibility.can_see_reviewer_identity(relation, review.blind):
        return str
    people = [(ReviewerIdentity(seat.reviewer_id, seat.reviewer.full_name, seat.reviewer.email,
                                seat.reviewer.institution.name), review_visibility.ANONYMOUS)
              for seat in review.assignments]
    return review_visibility.scrubber(people)


def _check_consensus(rubric: Rubric, criterion_id: str, value: int | None, reason: str) -> None:
    try:
        rubric.criterion(criterion_id)
    except KeyError:
        raise InvalidConsensus("criterion", f"{criterion_id!r} is not a criterion of {rubric.key}.") from None
    if not reason:
        raise InvalidConsensus("reason", "Give the panel's reasoning: the provider reads it in the draft report.")
    problem = scoring.validate_marks(rubric, {criterion_id: Mark(value, reason)}, complete=False).get(criterion_id)
    if problem:
        raise InvalidConsensus("value", f"{problem[0].upper()}{problem[1:]}.")


def _refused(session: Session, event: str, programme: Programme, actor: User, role: Role,
             details: dict[str, Any], reason: str) -> Refused:
    audit.record(session, event, actor=actor, role=role, obj=("programme", programme.id),
                 details={**details, "reason": reason})
    return Refused(reason)


def _require_officer(actor: User) -> None:
    if not permissions.can_screen_programmes(actor.actor):
        raise NotAllowed("Only QA officers send the draft report and close its response window.")
