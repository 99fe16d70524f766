"""Panel composition: the QA officer's view of a review round's panel, and inviting, removing and replacing
members, choosing the chair, setting the due date and closing the review.

Changes lock the programme row (as reviews.lock_programme does) and re-read the seats, so two officers working on one
panel see each other's work: the size limit and the single chair hold. A seat changes by compare-and-set on
its version. Inviting inserts the seat before taking the lock, so that two officers inviting the same reviewer
meet at the partial unique index of live seats: the second gets a message, never a 500.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qa_engine.db import utcnow
from qa_engine.domain import matching
from qa_engine.domain.panels import MemberStatus, PanelCheck, PanelPolicy, ProfileType
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Assignment, Institution, Programme, ProgrammeVersion, Review, User
from qa_engine.services import audit, outbox, reviewer_pool, reviews, workflow
from qa_engine.services.proposals import NotAllowed
from qa_engine.services.reviewer_pool import LIVE
from qa_engine.services.reviews import ReviewSettings

REASON_LENGTH = 2000
SHOWN_SUGGESTIONS = 10  # the table's length; the invitation form lists every eligible reviewer


class Refused(ValueError):
    """The panel change is refused for a reason the QA officer can act on.

    The caller rolls the session back: an invitation may be refused after its seat was written (the panel
    turned out full once the lock was held), and a replacement after its removal.
    """


@dataclass(frozen=True)
class RequirementRow:
    """One requirement of the panel policy and how many members fill it, confirmed and counting invited ones."""

    label: str
    minimum: int
    shareable: bool
    confirmed: int
    projected: int

    @property
    def met(self) -> bool:
        """Filled by members who accepted."""
        return self.confirmed >= self.minimum

    @property
    def met_with_invited(self) -> bool:
        """Filled once the invited members accept."""
        return self.projected >= self.minimum


@dataclass(frozen=True)
class PanelOverview:
    """Everything the panel page shows: the round, the policy and what it lacks, the seats, the suggestions.

    `check` counts invited members too (`check.projected`); `check.confirmed` counts those who accepted.
    """

    programme: Programme
    review: Review
    policy: PanelPolicy
    check: PanelCheck
    requirements: tuple[RequirementRow, ...]
    seats: tuple[Assignment, ...]
    suggestions: matching.Suggestions
    pool: Mapping[int, reviewer_pool.PoolEntry]
    editable: bool
    can_close: bool

    @property
    def size(self) -> RequirementRow:
        """The panel size as a row like the requirements: at least size_min members."""
        return RequirementRow("Panel size", self.policy.size_min, False, self.check.confirmed.size,
                              self.check.projected.size)

    def actionable(self, seat: Assignment) -> bool:
        """The officer may remove, replace or make chair this seat now."""
        return self.editable and seat.status in LIVE

    @property
    def top_suggestions(self) -> tuple[matching.Suggestion, ...]:
        """The best matches, for the suggestions table."""
        return self.suggestions.ranked[:SHOWN_SUGGESTIONS]

    @property
    def needed_profiles(self) -> tuple[ProfileType, ...]:
        """The profiles that earn the suggestion bonus: what the panel lacks, counting invited members."""
        return tuple(p for p in ProfileType if p in self.check.needed_profiles)


def can_compose(actor: Actor, state: State) -> bool:
    """Invite, remove and replace panel members, set the due date, close the review: QA officers, in review."""
    return actor.has(Role.QA_OFFICER) and state is State.IN_REVIEW


def overview(session: Session, programme: Programme, *, actor: Actor, settings: ReviewSettings,
             today: date) -> PanelOverview | None:
    """The panel page of the programme's current round (None before it has one); a bounded number of queries."""
    review = reviews.current_round(session, programme.id)
    if review is None:
        return None
    check = reviews.panel_check(review, settings, count_invited=True)
    rows = tuple(RequirementRow(now.requirement.label, now.requirement.minimum, now.requirement.shareable,
                                len(now.reviewer_ids), len(then.reviewer_ids))
                 for now, then in zip(check.confirmed.fills, check.projected.fills, strict=True))
    editable = can_compose(actor, State(programme.state))
    entries = reviewer_pool.pool_entries(session)
    return PanelOverview(
        programme=programme, review=review, policy=settings.policy(review.review_type), check=check,
        requirements=rows, seats=tuple(review.assignments),
        suggestions=suggestions(session, review, entries, needed=check.needed_profiles, today=today),
        pool={entry.id: entry for entry in entries}, editable=editable,
        can_close=editable and reviews.reviews_in(review, settings))


def suggestions(session: Session, review: Review, entries: Sequence[reviewer_pool.PoolEntry], *,
                needed: frozenset[ProfileType], today: date) -> matching.Suggestions:
    """The pool `entries` ranked for the round's programme, or excluded with the reasons."""
    facts = programme_facts(session, review)
    conflicts = reviewer_pool.conflict_institutions(session)
    profiles = [reviewer_pool.matching_profile(e, conflicts.get(e.id, frozenset())) for e in entries]
    seated = {a.reviewer_id for a in review.assignments if a.status in LIVE}
    return matching.suggest(facts, profiles, today=today, limit=None, needed_profiles=needed, exclude_ids=seated)


def programme_facts(session: Session, review: Review) -> matching.ProgrammeFacts:
    """What matching needs from the version under review: provider, field, texts, languages, partners."""
    content = session.scalars(select(ProgrammeVersion.content).where(
        ProgrammeVersion.programme_id == review.programme_id,
        ProgrammeVersion.number == review.version_number)).one()
    proposal = proposal_from_dict(json.loads(content))
    texts = (proposal.identification.title, proposal.identification.description,
             *(outcome.text for outcome in proposal.learning_outcomes))
    code = proposal.classification.isced_f_code
    return matching.ProgrammeFacts(
        provider_id=review.programme.provider_id, isced_codes=(code,) if code else (),
        texts=tuple(text for text in texts if text), languages=frozenset(proposal.delivery.languages),
        partner_ids=_partner_ids(session, proposal.identification.partners, review.programme.provider_id),
        conflicted_reviewer_ids=_declined_for_conflict(session, review.programme_id))


def seat_of(session: Session, programme: Programme, assignment_id: int) -> Assignment | None:
    """The seat, when it belongs to the programme's current round."""
    review = reviews.current_round(session, programme.id)
    seat = session.get(Assignment, assignment_id)
    return seat if review is not None and seat is not None and seat.review_id == review.id else None


# Changes -----------------------------------------------------------------------------------------------


def invite(session: Session, programme: Programme, *, actor: User, reviewer_id: int, profile_type: ProfileType,
           settings: ReviewSettings, today: date, details: dict[str, Any] | None = None) -> Assignment:
    """Invite a reviewer to sit on the panel for a profile: a new INVITED seat, audited, and an e-mail.

    :raises Refused: when the reviewer is not a reviewer, conflicted, unavailable, at full load, already on the
        panel, lacks the profile, or the panel is full counting invited members.
    :raises workflow.Conflict: when the programme is not in review.
    """
    review = _round_in_review(session, programme, actor)
    entry = _invitable(session, review, reviewer_id, profile_type, settings, today)
    seat = Assignment(review_id=review.id, reviewer_id=entry.id, profile_type=profile_type,
                      status=MemberStatus.INVITED, invited_by_id=actor.id, marks="{}")
    try:
        with session.begin_nested():
            session.add(seat)
    except IntegrityError:
        raise Refused(_already_seated(entry.name)) from None
    seats = _locked_seats(session, programme, review)  # after the insert: concurrent invitations all count
    if len([s for s in seats if s.status in LIVE]) > settings.policy(review.review_type).size_max:
        raise Refused(_panel_full(settings.policy(review.review_type)))
    audit.record(session, "review.invited", actor=actor, role=Role.QA_OFFICER, obj=("programme", programme.id),
                 details={"review": review.id, "assignment": seat.id, "reviewer": entry.id,
                          "profile": profile_type.value, **(details or {})})
    outbox.notify(session, "review_invitation", seat.reviewer, programme=programme, review=review, seat=seat,
                  profile=profile_type.label, answer_by=today + timedelta(days=settings.answer_days))
    return seat


def remove(session: Session, programme: Programme, seat: Assignment, *, actor: User, expected_version: int,
           reason: str, details: dict[str, Any] | None = None) -> None:
    """Take a member off the panel (REMOVED): they lose access at once and get a short e-mail without reasons.

    :raises Refused: when the reason is empty or too long.
    :raises workflow.Conflict: when the programme is not in review, or the seat changed meanwhile.
    """
    text = (reason or "").strip()
    if not text or len(text) > REASON_LENGTH:
        raise Refused(f"Say in up to {REASON_LENGTH} characters why the member leaves the panel (kept internal).")
    review = _round_in_review(session, programme, actor)
    _locked_seats(session, programme, review)
    _compare_and_set(session, seat, expected_version, status=MemberStatus.REMOVED, removed_at=utcnow(), chair=False)
    audit.record(session, "review.member_removed", actor=actor, role=Role.QA_OFFICER,
                 obj=("programme", programme.id),
                 details={"review": review.id, "assignment": seat.id, "reviewer": seat.reviewer_id, "reason": text,
                          **(details or {})})
    outbox.notify(session, "review_removed", seat.reviewer, programme=programme)


def replace(session: Session, programme: Programme, seat: Assignment, *, actor: User, expected_version: int,
            reason: str, reviewer_id: int, profile_type: ProfileType, settings: ReviewSettings,
            today: date) -> Assignment:
    """Remove one member and invite another in one change (the caller rolls back both when either is refused).

    :raises Refused: as `remove` and `invite` do, or when the replacement is the same person.
    :raises workflow.Conflict: as `remove` does.
    """
    if reviewer_id == seat.reviewer_id:
        raise Refused(f"Choose someone other than {seat.reviewer.full_name} to replace them.")
    remove(session, programme, seat, actor=actor, expected_version=expected_version, reason=reason,
           details={"replaced_by": reviewer_id})
    return invite(session, programme, actor=actor, reviewer_id=reviewer_id, profile_type=profile_type,
                  settings=settings, today=today, details={"replaces": seat.id})


def make_chair(session: Session, programme: Programme, seat: Assignment, *, actor: User,
               expected_version: int) -> None:
    """Make the member the panel chair; whoever chaired before no longer does (one chair at most).

    :raises workflow.Conflict: when the programme is not in review, or a seat changed meanwhile.
    """
    review = _round_in_review(session, programme, actor)
    seats = _locked_seats(session, programme, review)
    _compare_and_set(session, seat, expected_version, chair=True)
    previous = [other for other in seats if other.chair and other.id != seat.id]
    for other in previous:
        _compare_and_set(session, other, other.version, chair=False)
    audit.record(session, "review.chair_set", actor=actor, role=Role.QA_OFFICER, obj=("programme", programme.id),
                 details={"review": review.id, "assignment": seat.id, "reviewer": seat.reviewer_id,
                          "previous": [other.id for other in previous]})


def set_due_date(session: Session, programme: Programme, *, actor: User, due_on: date, today: date) -> None:
    """Move the date the reviews are due (a day after today).

    :raises Refused: when the date is today or earlier.
    :raises workflow.Conflict: when the programme is not in review.
    """
    if due_on <= today:
        raise Refused("Choose a due date after today.")
    review = _round_in_review(session, programme, actor)
    _locked_seats(session, programme, review)
    before, review.due_on = review.due_on, due_on
    session.flush()
    audit.record(session, "review.due_date_set", actor=actor, role=Role.QA_OFFICER, obj=("programme", programme.id),
                 details={"review": review.id, "from": before.isoformat(), "to": due_on.isoformat()})


def close_review(session: Session, programme: Programme, *, actor: User, settings: ReviewSettings) -> None:
    """Move the programme on to consolidation now that every review is in (e.g. after removing a late member).

    :raises workflow.Conflict: when the programme is not in review or a review is still missing (the workflow
        audits a refusal by its table).
    """
    review = _round_in_review(session, programme, actor)
    _locked_seats(session, programme, review)
    if not reviews.complete_if_in(session, review, actor=actor, role=Role.QA_OFFICER, settings=settings):
        raise workflow.Conflict(_why_not_in(review, settings))


# Helpers -----------------------------------------------------------------------------------------------


def _round_in_review(session: Session, programme: Programme, actor: User) -> Review:
    if not actor.actor.has(Role.QA_OFFICER):
        raise NotAllowed("Only QA officers compose review panels.")
    review = reviews.current_round(session, programme.id)
    if review is None or State(programme.state) is not State.IN_REVIEW:
        raise workflow.Conflict(_not_in_review(State(programme.state)))
    return review


def _locked_seats(session: Session, programme: Programme, review: Review) -> list[Assignment]:
    """Lock the programme, check it is still in review, and re-read the round's seats as committed now."""
    locked = reviews.lock_programme(session, programme.id)
    if State(locked.state) is not State.IN_REVIEW:
        raise workflow.Conflict(_not_in_review(State(locked.state)))
    seats = list(session.scalars(select(Assignment).where(Assignment.review_id == review.id)
                                 .order_by(Assignment.id).execution_options(populate_existing=True)))
    session.expire(review, ["assignments"])
    return seats


def _invitable(session: Session, review: Review, reviewer_id: int, profile_type: ProfileType,
               settings: ReviewSettings, today: date) -> reviewer_pool.PoolEntry:
    """The reviewer's pool entry if they may be invited for `profile_type` now; otherwise why not."""
    found = reviewer_pool.pool_entries(session, [reviewer_id])
    if not found:
        raise Refused("Only active external reviewers can be invited to a panel.")
    entry = found[0]
    if reviews.live_assignment(review, entry.id) is not None:
        raise Refused(_already_seated(entry.name))
    conflicts = reviewer_pool.conflict_institutions(session, [entry.id]).get(entry.id, frozenset())
    reasons = matching.exclusions(reviewer_pool.matching_profile(entry, conflicts), programme_facts(session, review),
                                  today=today)
    if reasons:
        raise Refused(f"{entry.name} cannot be invited: {'; '.join(reasons)}.")
    policy = settings.policy(review.review_type)
    if len([a for a in review.assignments if a.status in LIVE]) >= policy.size_max:
        raise Refused(_panel_full(policy))
    if profile_type not in entry.profile_types:
        held = ", ".join(p.label for p in entry.profile_types) or "none"
        raise Refused(f"{entry.name}'s profile does not list the {profile_type.label} profile (it lists: {held}). "
                      "Invite them for a profile they hold, or update their profile first.")
    return entry


def _compare_and_set(session: Session, seat: Assignment, expected_version: int, **values: Any) -> None:
    """Change a live seat if it is still at `expected_version`; bump its version.

    :raises workflow.Conflict: when the seat is no longer live or was changed meanwhile.
    """
    name = seat.reviewer.full_name
    if seat.status not in LIVE:
        raise workflow.Conflict(f"{name} is no longer on the panel ({seat.status.value}).")
    statement = (update(Assignment)
                 .where(Assignment.id == seat.id, Assignment.version == expected_version,
                        Assignment.status == seat.status)
                 .values(version=Assignment.version + 1, **values)
                 .execution_options(synchronize_session=False))
    if session.execute(statement).rowcount != 1:
        raise workflow.Conflict(f"{name}'s seat was changed in the meantime. Reload the panel page and try again.")
    session.refresh(seat)


def _partner_ids(session: Session, partners: tuple[str, ...], provider_id: int) -> frozenset[int]:
    """Institutions named as partners in the proposal (by name or short name, ignoring case)."""
    names = {" ".join(name.split()).lower() for name in partners if name.strip()}
    if not names:
        return frozenset()
    rows = session.scalars(select(Institution.id).where(
        or_(func.lower(Institution.name).in_(names), func.lower(Institution.short_name).in_(names))))
    return frozenset(rows) - {provider_id}


def _declined_for_conflict(session: Session, programme_id: int) -> frozenset[int]:
    """Reviewers who declined a seat on this programme declaring a conflict of interest."""
    rows = session.execute(select(Assignment.reviewer_id, Assignment.declaration)
                           .join(Review, Review.id == Assignment.review_id)
                           .where(Review.programme_id == programme_id, Assignment.status == MemberStatus.DECLINED,
                                  Assignment.declaration.is_not(None)))
    return frozenset(reviewer_id for reviewer_id, declaration in rows if _declares_conflict(declaration))


def _declares_conflict(declaration: str) -> bool:
    try:
        answers = json.loads(declaration)
    except ValueError:
        return False
    return isinstance(answers, dict) and bool(answers.get("conflict"))


def _why_not_in(review: Review, settings: ReviewSettings) -> str:
    unmet = reviews.panel_check(review, settings).unmet
    if unmet:
        return "The review cannot be closed yet: " + "; ".join(u.message for u in unmet) + "."
    waiting = [a.reviewer.full_name for a in review.assignments if a.status is MemberStatus.ACCEPTED]
    return f"The review cannot be closed yet: still waiting for the review of {', '.join(waiting)}."


def _not_in_review(state: State) -> str:
    return f"The panel can be changed only while the programme is in review (it is now: {state.label})."


def _already_seated(name: str) -> str:
    return f"{name} is already on this panel."


def _panel_full(policy: PanelPolicy) -> str:
    return (f"The panel is full: it has {policy.size_max} members, the most allowed, counting invited ones. "
            "Remove or replace a member first.")
