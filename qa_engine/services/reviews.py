"""Review rounds: their settings, opening one when a programme is accepted for review, and who stands where.

The panel (services.panel), the reviewer's own work (services.reviewing) and consolidation
(services.consolidation) build on what is here: the round of a programme, a reviewer's live seat,
the viewer's relation to a round, and whether every review is in.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_engine.domain import panels
from qa_engine.domain.panels import CONFIRMED, MemberStatus, PanelCheck, PanelMember, PanelPolicy
from qa_engine.domain.reminders import AssignmentKind, ReminderPolicy
from qa_engine.domain.review_visibility import Relation
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.rubric_model import Rubric
from qa_engine.domain.rubrics import RubricRegistry
from qa_engine.domain.scoring import Consensus, Mark, PanelScore, score_panel
from qa_engine.domain.workflow import Action, Precondition, State
from qa_engine.models import Assignment, ConsensusMark, Programme, Review, User
from qa_engine.services import audit, workflow

SETTINGS_KEY = "qa_engine.review_settings"


@dataclass(frozen=True)
class ReviewSettings:
    """The review configuration, checked once at start-up."""

    panel_policies: Mapping[str, PanelPolicy]
    default_type: str
    rubric_id: str
    rubric_version: int | None
    blind: bool
    due_days: int
    answer_days: int
    disagreement_threshold: int
    response_days: int
    holidays: frozenset[date]
    reminders: Mapping[AssignmentKind, ReminderPolicy]

    def rubric(self, registry: RubricRegistry) -> Rubric:
        """The rubric a new round pins: the configured version, or the latest released one."""
        return registry.get(self.rubric_id, self.rubric_version)

    def policy(self, review_type: str) -> PanelPolicy:
        """The panel policy of `review_type` (the default type's for a type no longer configured)."""
        return self.panel_policies.get(review_type) or self.panel_policies[self.default_type]


def settings_from_config(config: Mapping[str, Any], registry: RubricRegistry) -> ReviewSettings:
    """Parse and check the review configuration.

    :raises ValueError: one line per problem, naming the configuration key.
    """
    problems: list[str] = []
    policies: dict[str, PanelPolicy] = {}
    types = config["REVIEW_TYPES"]
    if not isinstance(types, Mapping) or not types:
        problems.append("REVIEW_TYPES: must map each review type to its panel policy")
        types = {}
    for name, raw in types.items():
        try:
            policies[str(name)] = panels.policy_from_mapping(raw if isinstance(raw, Mapping) else {"?": raw})
        except ValueError as error:
            problems.append(f"REVIEW_TYPES.{name}: {error}")
    if types and config["DEFAULT_REVIEW_TYPE"] not in types:
        problems.append(f"DEFAULT_REVIEW_TYPE: {config['DEFAULT_REVIEW_TYPE']!r} is not one of REVIEW_TYPES")
    rubric_id, _, version = str(config["REVIEW_RUBRIC"]).partition("@")
    try:
        registry.get(rubric_id, version or None)
    except (KeyError, ValueError) as error:
        problems.append(f"REVIEW_RUBRIC: {error.args[0] if error.args else error}")
    numbers = {}
    for key, minimum in (("REVIEW_DUE_DAYS", 1), ("INVITATION_ANSWER_DAYS", 1), ("DISAGREEMENT_THRESHOLD", 1),
                         ("RESPONSE_WINDOW_DAYS", 1)):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            problems.append(f"{key}: must be a whole number >= {minimum}")
        numbers[key] = value
    holidays = set()
    for text in config["HOLIDAYS"]:
        try:
            holidays.add(date.fromisoformat(str(text)))
        except ValueError:
            problems.append(f"HOLIDAYS: {text!r} is not an ISO date (YYYY-MM-DD)")
    reminders = {}
    for kind, raw in (config["REMINDERS"] or {}).items():
        try:
            reminders[AssignmentKind(kind)] = ReminderPolicy(**{k: tuple(v) if isinstance(v, list) else v
                                                               for k, v in raw.items()})
        except (ValueError, TypeError, AttributeError) as error:
            problems.append(f"REMINDERS.{kind}: {error}")
    if problems:
        raise ValueError("\n".join(problems))
    return ReviewSettings(
        panel_policies=policies, default_type=config["DEFAULT_REVIEW_TYPE"], rubric_id=rubric_id,
        rubric_version=int(version) if version.isdigit() else None, blind=bool(config["BLIND_REVIEW"]),
        due_days=numbers["REVIEW_DUE_DAYS"], answer_days=numbers["INVITATION_ANSWER_DAYS"],
        disagreement_threshold=numbers["DISAGREEMENT_THRESHOLD"], response_days=numbers["RESPONSE_WINDOW_DAYS"],
        holidays=frozenset(holidays),
        reminders={kind: reminders.get(kind, ReminderPolicy()) for kind in AssignmentKind},
    )


def current_settings() -> ReviewSettings:
    """The running application's review settings."""
    return current_app.extensions[SETTINGS_KEY]


def open_round(session: Session, programme: Programme, *, actor: User, settings: ReviewSettings,
               registry: RubricRegistry, today: date) -> Review:
    """Start the external review of the programme's current version, pinning the rubric version and its hash."""
    rubric = settings.rubric(registry)
    review = Review(programme_id=programme.id, version_number=programme.current_version,
                    review_type=settings.default_type, rubric_key=rubric.key, rubric_sha256=rubric.content_hash,
                    blind=settings.blind, due_on=today + timedelta(days=settings.due_days), opened_by_id=actor.id)
    session.add(review)
    session.flush()
    audit.record(session, "review.opened", actor=actor, role=Role.QA_OFFICER, obj=("programme", programme.id),
                 details={"review": review.id, "version": review.version_number, "rubric": rubric.key,
                          "rubric_sha256": rubric.content_hash, "blind": review.blind,
                          "due_on": review.due_on.isoformat()})
    return review


def current_round(session: Session, programme_id: int) -> Review | None:
    """The programme's latest review round (None before its first)."""
    return session.scalars(select(Review).where(Review.programme_id == programme_id)
                           .order_by(Review.version_number.desc()).limit(1)).first()


def live_assignment(review: Review, user_id: int) -> Assignment | None:
    """The person's seat on the panel, unless they declined or were removed."""
    return next((a for a in review.assignments
                 if a.reviewer_id == user_id and a.status not in (MemberStatus.DECLINED, MemberStatus.REMOVED)), None)


def relation(review: Review, actor: Actor) -> Relation:
    """What the viewer is to this round: officer, admin, a confirmed panel member or chair, designer, or none."""
    if actor.has(Role.QA_OFFICER):
        return Relation.QA_OFFICER
    if actor.has(Role.ADMIN):
        return Relation.ADMIN
    seat = live_assignment(review, actor.user_id)
    if seat is not None and seat.status in CONFIRMED and seat.declared_at is not None:
        return Relation.PANEL_CHAIR if seat.chair else Relation.PANEL_MEMBER
    if actor.has(Role.DESIGNER) and actor.institution_id == review.programme.provider_id:
        return Relation.DESIGNER
    return Relation.NONE


def panel_members(review: Review, profiles: Mapping[int, frozenset[panels.ProfileType]] | None = None,
                  ) -> list[PanelMember]:
    """The round's seats as the panel rules see them; a seat counts for the profile it was offered for."""
    return [PanelMember(a.reviewer_id, (profiles or {}).get(a.reviewer_id, frozenset({a.profile_type})), a.status)
            for a in review.assignments]


def panel_check(review: Review, settings: ReviewSettings, *, count_invited: bool = False) -> PanelCheck:
    """What the panel of this round still lacks under its review type's policy."""
    return panels.check_panel(settings.policy(review.review_type), panel_members(review), count_invited=count_invited)


def reviews_in(review: Review, settings: ReviewSettings) -> bool:
    """The panel meets its policy with confirmed members, and every one of them has submitted."""
    confirmed = [a for a in review.assignments if a.status in CONFIRMED]
    return (bool(confirmed) and all(a.status is MemberStatus.SUBMITTED for a in confirmed)
            and panel_check(review, settings).satisfied)


def review_facts(review: Review, settings: ReviewSettings) -> frozenset[Precondition]:
    """The preconditions that hold for the review stage of this round (consolidation adds its own)."""
    return frozenset({Precondition.REVIEWS_IN}) if reviews_in(review, settings) else frozenset()


def lock_programme(session: Session, programme_id: int) -> Programme:
    """Load the programme holding its row lock (PostgreSQL; SQLite writers are serialised already) and fresh.

    Take it before reading what a decision about the programme rests on, e.g. whether every review is in:
    two reviewers submitting at once then see each other's submission, and exactly one closes the review.
    """
    return session.scalars(select(Programme).where(Programme.id == programme_id).with_for_update(of=Programme)
                           .execution_options(populate_existing=True)).one()


def complete_if_in(session: Session, review: Review, *, actor: User, role: Role, settings: ReviewSettings) -> bool:
    """Move the programme on to consolidation when every review is in (call with the programme locked).

    :returns: whether it moved. :raises workflow.Conflict: when the table refuses (audited).
    """
    session.refresh(review, ["assignments"])
    if review.programme.state is not State.IN_REVIEW or not reviews_in(review, settings):
        return False
    workflow.transition(session, review.programme, Action.COMPLETE_REVIEWS, actor=actor, role=role,
                        holds=review_facts(review, settings), details={"review": review.id})
    return True


def panel_score(session: Session, review: Review, rubric: Rubric, settings: ReviewSettings) -> PanelScore:
    """The panel's scores: the submitted reviews aggregated per criterion, with the consensus marks recorded."""
    submitted = [marks_of(a) for a in review.assignments if a.status is MemberStatus.SUBMITTED]
    agreed = {row.criterion_id: Consensus(row.value, row.reason) for row in
              session.scalars(select(ConsensusMark).where(ConsensusMark.review_id == review.id))}
    return score_panel(rubric, submitted, agreed, disagreement_threshold=settings.disagreement_threshold)


def pinned_rubric(review: Review, registry: RubricRegistry) -> Rubric:
    """The rubric version the round is pinned to.

    :raises RubricChanged: when that version is no longer loaded, or its content differs from the pinned hash.
    """
    rubric_id, _, version = review.rubric_key.partition("@")
    try:
        rubric = registry.get(rubric_id, version)
    except KeyError:
        raise RubricChanged(f"The rubric {review.rubric_key} this review is pinned to is no longer loaded.") from None
    if rubric.content_hash != review.rubric_sha256:
        raise RubricChanged(f"The rubric {review.rubric_key} changed since this review started; "
                            f"restore the released version before scoring.")
    return rubric


class RubricChanged(Exception):
    """The pinned rubric version is missing or was altered after release."""


def marks_of(assignment: Assignment) -> dict[str, Mark]:
    """The assignment's stored marks (draft or submitted) as scoring marks."""
    stored = json.loads(assignment.marks or "{}")
    return {cid: Mark(item.get("value"), item.get("justification", "")) for cid, item in stored.items()}


def marks_json(marks: Mapping[str, Mark]) -> str:
    """Marks as stored: sorted keys, so equal marks are equal text."""
    return json.dumps({cid: {"value": mark.value, "justification": mark.justification}
                       for cid, mark in marks.items()}, sort_keys=True, ensure_ascii=False)
