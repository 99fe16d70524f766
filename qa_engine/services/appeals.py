"""Appeals (ESG 2.7): the provider appeals against a decision or the withdrawal of an approval within the appeal
window; a panel of people who took no part in the case decides whether the decision stands or is reconsidered.

The appeal window is the decision's `appeal_deadline`, or for a withdrawal the deadline recorded with it. A
programme has at most one open appeal: lodging takes the programme's row lock before it looks. The panel is
appointed from QA officers, administrators and reviewers, never from those who decided on or reviewed the
programme (domain.decisions.appeal_conflicts). Every change of an appeal is a compare-and-set on its
`version`; an upheld appeal sends the programme back for a new decision through the transition table.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from qa_engine.db import utcnow
from qa_engine.domain import decisions, permissions, uploads
from qa_engine.domain import workflow as workflow_rules
from qa_engine.domain.decisions import APPEALABLE, AppealOutcome, CaseParticipants
from qa_engine.domain.proposal import AttachmentKind
from qa_engine.domain.roles import Actor, Role
from qa_engine.domain.uploads import FileRejected, UploadLimits
from qa_engine.domain.workflow import Action, Precondition, State
from qa_engine.models import (
    Appeal,
    AppealStatus,
    Assignment,
    Attachment,
    ConflictDeclaration,
    Decision,
    Programme,
    Review,
    User,
    UserRole,
)
from qa_engine.services import attachments, audit, decision_records, outbox, reviews, validity, workflow
from qa_engine.services.proposals import NotAllowed
from qa_engine.services.validity import Withdrawal

#: Who may sit on an appeal panel.
HANDLER_ROLES = (Role.QA_OFFICER, Role.ADMIN, Role.REVIEWER)
MAX_DOCUMENTS = 10
MAX_PER_PAGE = 100
NOT_ON_PANEL = "Only the members of the appeal panel record its outcome."


class GroundsRequired(ValueError):
    """An appeal must state its grounds; nothing was changed."""


class NotAppealable(Exception):
    """No appeal may be lodged now: the message says why. The attempt is audited in the caller's session."""


class HandlerRefused(ValueError):
    """The person may not sit on the appeal panel; `reasons` says why."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


class NotAHandler(Exception):
    """Only the members of the appeal panel record its outcome."""


class ReasonRequired(ValueError):
    """An outcome needs its reasons, which the provider reads; nothing was changed."""


@dataclass(frozen=True)
class Document:
    """A file handed in with an appeal, as uploaded."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class Window:
    """Whether the provider may appeal now: against which decision or withdrawal, until when, or why not."""

    decision: Decision | None
    withdrawal: Withdrawal | None
    deadline: date | None
    refusal: str | None

    @property
    def open(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True)
class Candidate:
    """Someone who might sit on the appeal panel, and why they may not (no reasons: eligible)."""

    user: User
    reasons: tuple[str, ...]
    on_panel: bool

    @property
    def eligible(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Case:
    """Everything the appeal page shows, as the viewer may see it."""

    appeal: Appeal
    programme: Programme
    decision: Decision
    withdrawal: Withdrawal | None  # set when the appeal is against the withdrawal of the approval
    lodged_by: User
    decided_by: User | None
    documents: list[Attachment]
    handlers: list[User]
    candidates: list[Candidate]  # only for those who appoint the panel
    may_appoint: bool
    may_record: bool


@dataclass(frozen=True)
class Row:
    """An appeal in the list."""

    appeal: Appeal
    programme: Programme
    handlers: int


@dataclass(frozen=True)
class Listing:
    """One page of appeals, open ones first, and how many there are in all."""

    rows: list[Row]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class Summary:
    """What the programme page says about appeals and the approval, and which of their actions the viewer has."""

    window: Window
    open_appeal: Appeal | None
    last_decided: Appeal | None
    approval_ends: date | None
    may_lodge: bool
    may_see_appeals: bool
    may_withdraw_approval: bool
    may_start_periodic_review: bool


def window_days() -> int:
    """Days the provider has to appeal against a withdrawal (APPEAL_WINDOW_DAYS; decisions carry their own)."""
    return int(current_app.config.get("APPEAL_WINDOW_DAYS", decisions.DEFAULT_APPEAL_DAYS))


# The window and lodging ---------------------------------------------------------------------------------------


def window(session: Session, programme: Programme, *, today: date, days: int) -> Window:
    """Whether an appeal may be lodged on `today`, against what and until when."""
    decision = decision_records.in_effect(session, programme.id)
    if decision is None:
        return Window(None, None, None, "There is no decision to appeal against.")
    against = _against(session, programme, decision, days)
    if isinstance(against, str):
        return Window(decision, None, None, against)
    withdrawal, deadline = against
    if open_appeal(session, programme.id) is not None:
        return Window(decision, withdrawal, deadline, "An appeal is already open: wait for its outcome.")
    if today > deadline:
        return Window(decision, withdrawal, deadline,
                      f"The time to appeal ended on {deadline.isoformat()}: an appeal can no longer be lodged.")
    return Window(decision, withdrawal, deadline, None)


def _against(session: Session, programme: Programme, decision: Decision,
             days: int) -> tuple[Withdrawal | None, date] | str:
    """The withdrawal (if that is what may be appealed) and the deadline, or why nothing may be appealed."""
    state = State(programme.state)
    if state is State.APPROVAL_WITHDRAWN:
        withdrawal = validity.withdrawal(session, programme.id)
        if withdrawal is None:
            return "The withdrawal of the approval is not on record."
        return withdrawal, withdrawal.appeal_deadline
    if decision_records.current_outcome(session, decision) not in APPEALABLE:
        return "An unconditional approval leaves nothing to appeal against."
    if state not in workflow_rules.APPEALABLE:
        return "The programme has moved on since the decision: it can no longer be appealed against."
    decided_on = decision.decided_on or decision.decided_at.date()
    return None, decision.appeal_deadline or decisions.appeal_deadline(decided_on, days)


def open_appeal(session: Session, programme_id: int) -> Appeal | None:
    """The programme's appeal waiting for its outcome, if any."""
    return session.scalars(select(Appeal).where(Appeal.programme_id == programme_id,
                                                Appeal.status == AppealStatus.LODGED).limit(1)).first()


def lodge(session: Session, programme: Programme, *, actor: User, grounds: str, documents: Sequence[Document],
          today: date, days: int, limits: UploadLimits, directory: Path) -> Appeal:
    """Lodge the provider's appeal with its grounds and documents; the QA officers are told.

    :raises NotAllowed: unless the actor designs for the provider.
    :raises GroundsRequired: when the grounds are empty.
    :raises FileRejected: naming the file refused (nothing is stored).
    :raises NotAppealable: when no appeal may be lodged now (audited).
    """
    if not permissions.can_design_for(actor.actor, provider_id=programme.provider_id):
        raise NotAllowed("Only the provider's designers appeal.")
    text = (grounds or "").strip()
    if not text:
        raise GroundsRequired("State the grounds of the appeal.")
    checked = _checked(documents, limits)
    reviews.lock_programme(session, programme.id)  # one open appeal at a time, even when two lodge at once
    found = window(session, programme, today=today, days=days)
    if not found.open or found.decision is None or found.deadline is None:
        audit.record(session, "appeal.refused", actor=actor, role=Role.DESIGNER, obj=("programme", programme.id),
                     details={"reason": found.refusal})
        raise NotAppealable(found.refusal)
    appeal = Appeal(decision_id=found.decision.id, programme_id=programme.id, grounds=text,
                    documents=json.dumps(_store(session, programme, actor, checked, directory)),
                    lodged_by_id=actor.id, lodged_at=utcnow(), status=AppealStatus.LODGED, handler_ids="[]",
                    version=1)
    session.add(appeal)
    session.flush()
    audit.record(session, "appeal.lodged", actor=actor, role=Role.DESIGNER, obj=("programme", programme.id),
                 details={"appeal": appeal.id, "decision": found.decision.id,
                          "against": "withdrawal" if found.withdrawal else "decision",
                          "deadline": found.deadline.isoformat(), "documents": document_ids(appeal)})
    for officer in _officers(session):
        outbox.notify(session, "appeal_lodged", officer, appeal=appeal, programme=programme,
                      decision=found.decision, withdrawal=found.withdrawal)
    return appeal


def _checked(documents: Sequence[Document], limits: UploadLimits) -> list[tuple[str, bytes, str]]:
    """Every file's name, content and media type, all checked before any is stored."""
    if len(documents) > MAX_DOCUMENTS:
        raise FileRejected(f"Attach at most {MAX_DOCUMENTS} documents to an appeal.")
    checked = []
    for document in documents:
        try:
            name = uploads.check_name(document.filename)
            checked.append((name, document.content, uploads.media_type(name, document.content, limits)))
        except FileRejected as error:
            raise FileRejected(f"{document.filename or '?'}: {error}") from None
    return checked


def _store(session: Session, programme: Programme, actor: User, checked: list[tuple[str, bytes, str]],
           directory: Path) -> list[int]:
    """Store the files as the programme's attachments (a file it already has is reused); their ids, in order."""
    known = attachments.by_sha256(session, programme)
    ids: list[int] = []
    for name, content, media_type in checked:
        sha256 = hashlib.sha256(content).hexdigest()
        if sha256 not in known:
            # attachments.upload lists files in a draft; an appeal needs only its storing step.
            known[sha256] = attachments.store(session, programme, actor, name, content, media_type, sha256,
                                               AttachmentKind.OTHER, directory)
        if known[sha256].id not in ids:
            ids.append(known[sha256].id)
    return ids


def document_ids(appeal: Appeal) -> list[int]:
    """The attachment ids of the appeal's documents, in the order they were handed in."""
    return [int(value) for value in json.loads(appeal.documents or "[]")]


def document(session: Session, appeal: Appeal, number: int) -> Attachment | None:
    """The appeal's `number`-th document (from 1), or None."""
    ids = document_ids(appeal)
    if not 1 <= number <= len(ids):
        return None
    found = session.get(Attachment, ids[number - 1])
    return found if found is not None and found.programme_id == appeal.programme_id else None


# Who sees an appeal, and its panel ----------------------------------------------------------------------------


def handler_ids(appeal: Appeal) -> list[int]:
    """The members of the appeal panel, in the order they were appointed."""
    return [int(value) for value in json.loads(appeal.handler_ids or "[]")]


def can_see(actor: Actor, appeal: Appeal) -> bool:
    """QA officers and administrators see every appeal; a reviewer sees the appeals whose panel they sit on."""
    return permissions.can_oversee_programmes(actor) or actor.user_id in handler_ids(appeal)


def can_appoint(actor: Actor, appeal: Appeal) -> bool:
    """QA officers appoint the panel of an open appeal."""
    return permissions.can_screen_programmes(actor) and appeal.status is AppealStatus.LODGED


def on_panel(actor: Actor, appeal: Appeal) -> bool:
    """Whether the actor sits on the appeal's panel."""
    return actor.user_id in handler_ids(appeal)


def can_record(actor: Actor, appeal: Appeal) -> bool:
    """Only a member of the panel records the outcome of an open appeal."""
    return on_panel(actor, appeal) and appeal.status is AppealStatus.LODGED


def participants(session: Session, programme_id: int) -> CaseParticipants:
    """Who took part in the case: anyone who decided on or confirmed a decision of it, anyone with a panel seat."""
    rows = session.execute(select(Decision.decided_by_id, Decision.confirmed_by_id)
                           .where(Decision.programme_id == programme_id)).all()
    seats = session.scalars(select(Assignment.reviewer_id).join(Review, Review.id == Assignment.review_id)
                            .where(Review.programme_id == programme_id))
    return CaseParticipants(frozenset(person for row in rows for person in row if person is not None),
                            frozenset(seats))


def candidates(session: Session, appeal: Appeal) -> list[Candidate]:
    """Every active QA officer, administrator and reviewer, with why they may not sit on this appeal's panel."""
    programme = session.get(Programme, appeal.programme_id)
    case_ = participants(session, appeal.programme_id)
    declared = _declared_conflicts(session, programme.provider_id)
    panel = set(handler_ids(appeal))
    people = session.scalars(select(User).where(User.is_active, User.id.in_(
        select(UserRole.user_id).where(UserRole.role.in_(HANDLER_ROLES)))).order_by(User.full_name, User.id))
    return [Candidate(person, tuple(_conflicts(person, case_, programme.provider_id, declared)), person.id in panel)
            for person in people]


def _conflicts(person: User, case_: CaseParticipants, provider_id: int, declared: set[int]) -> list[str]:
    reasons = decisions.appeal_conflicts(person.id, case_)
    if person.institution_id == provider_id:
        reasons.append("Works at the provider")
    if person.id in declared:
        reasons.append("Declared a conflict of interest with the provider")
    return reasons


def _declared_conflicts(session: Session, provider_id: int) -> set[int]:
    return set(session.scalars(select(ConflictDeclaration.reviewer_id)
                               .where(ConflictDeclaration.institution_id == provider_id)))


def appoint(session: Session, appeal: Appeal, *, actor: User, person_id: int) -> User:
    """Put a person on the appeal panel, unless they took part in the case; they are told by e-mail.

    :raises NotAllowed: unless the actor is a QA officer.
    :raises HandlerRefused: with the reasons the person may not sit on the panel (audited).
    :raises workflow.Conflict: when the appeal is decided or changed meanwhile.
    """
    if not permissions.can_screen_programmes(actor.actor):
        raise NotAllowed("Only QA officers appoint appeal panels.")
    if appeal.status is not AppealStatus.LODGED:
        raise workflow.Conflict("The appeal has been decided: its panel can no longer change.")
    person = session.get(User, person_id)
    reasons = _refusals(session, appeal, person)
    if reasons:
        audit.record(session, "appeal.handler_refused", actor=actor, role=Role.QA_OFFICER,
                     obj=("programme", appeal.programme_id),
                     details={"appeal": appeal.id, "handler": person_id, "reason": "; ".join(reasons)})
        raise HandlerRefused(reasons)
    assert person is not None
    _compare_and_set(session, appeal, handler_ids=json.dumps([*handler_ids(appeal), person.id]))
    audit.record(session, "appeal.handler_appointed", actor=actor, role=Role.QA_OFFICER,
                 obj=("programme", appeal.programme_id),
                 details={"appeal": appeal.id, "handler": person.id, "name": person.full_name})
    outbox.notify(session, "appeal_handler", person, appeal=appeal, programme=session.get(Programme,
                                                                                          appeal.programme_id))
    return person


def _refusals(session: Session, appeal: Appeal, person: User | None) -> list[str]:
    if person is None or not person.is_active or person.roles.isdisjoint(HANDLER_ROLES):
        return ["Only active QA officers, administrators and reviewers sit on appeal panels"]
    if person.id in handler_ids(appeal):
        return ["Already on the panel"]
    provider_id = session.get(Programme, appeal.programme_id).provider_id
    return _conflicts(person, participants(session, appeal.programme_id), provider_id,
                      _declared_conflicts(session, provider_id))


# The outcome --------------------------------------------------------------------------------------------------


def record_outcome(session: Session, appeal: Appeal, *, actor: User, outcome: AppealOutcome, reason: str) -> None:
    """Record the panel's outcome: dismissed (the decision stands) or upheld (the programme goes back for a new
    decision). The provider's designers are told.

    :raises NotAHandler: unless the actor sits on the panel (audited).
    :raises ReasonRequired: when the reasons are empty.
    :raises workflow.Conflict: when the outcome is already recorded, or the programme cannot go back (audited).
    """
    if actor.id not in handler_ids(appeal):
        refuse_non_member(session, appeal, actor=actor)
        raise NotAHandler(NOT_ON_PANEL)
    text = (reason or "").strip()
    if not text:
        raise ReasonRequired("Give the reasons for the outcome: the provider reads them.")
    programme = session.get(Programme, appeal.programme_id)
    role = _acting_role(actor)
    try:
        with session.begin_nested():
            if appeal.status is not AppealStatus.LODGED:
                raise workflow.Conflict("The outcome of this appeal has already been recorded.")
            _compare_and_set(session, appeal, status=AppealStatus.DECIDED, outcome=outcome, outcome_reason=text,
                             decided_by_id=actor.id, decided_at=utcnow())
            if outcome is AppealOutcome.UPHELD:
                _reconsider(session, programme, appeal, actor, text)
    except workflow.Conflict as conflict:
        audit.record(session, "appeal.outcome_refused", actor=actor, role=role, obj=("programme", programme.id),
                     details={"appeal": appeal.id, "outcome": outcome.value, "reason": conflict.message})
        raise
    audit.record(session, "appeal.decided", actor=actor, role=role, obj=("programme", programme.id),
                 details={"appeal": appeal.id, "outcome": outcome.value, "comment": text})
    for person in _appellants(session, appeal, programme):
        outbox.notify(session, "appeal_decided", person, appeal=appeal, programme=programme)


def _appellants(session: Session, appeal: Appeal, programme: Programme) -> list[User]:
    """Who hears the outcome: the programme's designers and whoever lodged the appeal."""
    people = {person.id: person for person in validity.designers(session, programme)}
    lodger = session.get(User, appeal.lodged_by_id)
    if lodger is not None and lodger.is_active:
        people.setdefault(lodger.id, lodger)
    return list(people.values())


def refuse_non_member(session: Session, appeal: Appeal, *, actor: User) -> None:
    """Audit an attempt to record the outcome by someone not on the panel (the caller commits it)."""
    audit.record(session, "appeal.outcome_refused", actor=actor, role=_acting_role(actor),
                 obj=("programme", appeal.programme_id), details={"appeal": appeal.id, "reason": NOT_ON_PANEL})


def _reconsider(session: Session, programme: Programme, appeal: Appeal, actor: User, reason: str) -> None:
    """Send the programme back for a new decision, as the panel member who recorded the outcome."""
    workflow.transition(session, programme, Action.UPHOLD_APPEAL, actor=actor, role=_acting_role(actor),
                        comment=reason, holds={Precondition.APPEAL_LODGED}, details={"appeal": appeal.id})


def _acting_role(actor: User) -> Role | None:
    return next((role for role in HANDLER_ROLES if actor.actor.has(role)), None)


def _compare_and_set(session: Session, appeal: Appeal, **values: Any) -> None:
    """Change the open appeal only if nobody changed it since it was read; refresh it afterwards."""
    statement = (update(Appeal)
                 .where(Appeal.id == appeal.id, Appeal.version == appeal.version,
                        Appeal.status == AppealStatus.LODGED)
                 .values(version=Appeal.version + 1, **values)
                 .execution_options(synchronize_session=False))
    if session.execute(statement).rowcount != 1:
        raise workflow.Conflict("The appeal was changed in the meantime.")
    session.refresh(appeal)


def _officers(session: Session) -> list[User]:
    return list(session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                .where(User.is_active, UserRole.role == Role.QA_OFFICER).order_by(User.id)))


# Pages --------------------------------------------------------------------------------------------------------


def visible(session: Session, appeal_id: int, actor: Actor) -> Appeal | None:
    """The appeal, if `actor` may see it."""
    appeal = session.get(Appeal, appeal_id)
    return appeal if appeal is not None and can_see(actor, appeal) else None


def listing(session: Session, actor: Actor, *, page: int = 1, per_page: int = 50) -> Listing:
    """Appeals for QA officers and administrators: open ones first, then the newest; one query.

    :raises NotAllowed: unless the actor oversees programmes.
    """
    if not permissions.can_oversee_programmes(actor):
        raise NotAllowed("Only QA officers and administrators see the appeals.")
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PER_PAGE)
    is_open = case((Appeal.status == AppealStatus.LODGED, 0), else_=1)
    result = session.execute(select(Appeal, Programme, func.count().over())
                             .join(Programme, Programme.id == Appeal.programme_id)
                             .order_by(is_open, Appeal.lodged_at.desc(), Appeal.id.desc())
                             .limit(per_page).offset((page - 1) * per_page)).all()
    rows = [Row(appeal, programme, len(handler_ids(appeal))) for appeal, programme, _ in result]
    return Listing(rows, result[0][-1] if result else 0, page, per_page)


def case_of(session: Session, appeal: Appeal, actor: Actor) -> Case:
    """The appeal with its decision, documents and panel; candidates for those who appoint the panel."""
    programme = session.get(Programme, appeal.programme_id)
    people = _users(session, {appeal.lodged_by_id, appeal.decided_by_id, *handler_ids(appeal)})
    ids = document_ids(appeal)
    files = {row.id: row for row in session.scalars(select(Attachment).where(
        Attachment.id.in_(ids), Attachment.programme_id == appeal.programme_id))}
    appointing = can_appoint(actor, appeal)
    withdrawn = validity.withdrawal(session, programme.id, decision_id=appeal.decision_id)
    return Case(appeal, programme, appeal.decision,
                withdrawn if withdrawn is not None and withdrawn.at <= appeal.lodged_at else None,
                people[appeal.lodged_by_id], people.get(appeal.decided_by_id) if appeal.decided_by_id else None,
                [files[i] for i in ids if i in files], [people[i] for i in handler_ids(appeal) if i in people],
                candidates(session, appeal) if appointing else [], appointing, can_record(actor, appeal))


def _users(session: Session, ids: set[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(wanted)))}


def summary(session: Session, programme: Programme, actor: Actor, *, today: date, days: int) -> Summary:
    """Appeal status and the approval's actions for the programme page."""
    state = State(programme.state)
    found = window(session, programme, today=today, days=days)
    appeals = list(session.scalars(select(Appeal).where(Appeal.programme_id == programme.id)
                                   .order_by(Appeal.id.desc())))
    decision = found.decision
    return Summary(
        window=found,
        open_appeal=next((a for a in appeals if a.status is AppealStatus.LODGED), None),
        last_decided=next((a for a in appeals if a.status is AppealStatus.DECIDED), None),
        approval_ends=decision.valid_until if decision and decision.outcome in decisions.ACCREDITING
        and state in decision_records.APPROVAL_STANDS else None,
        may_lodge=found.open and permissions.can_design_for(actor, provider_id=programme.provider_id),
        may_see_appeals=permissions.can_oversee_programmes(actor),
        may_withdraw_approval=permissions.can_screen_programmes(actor) and workflow_rules.allowed(
            state, Action.WITHDRAW_APPROVAL, Role.QA_OFFICER),
        may_start_periodic_review=permissions.can_design_for(actor, provider_id=programme.provider_id)
        and workflow_rules.allowed(state, Action.START_PERIODIC_REVIEW, Role.DESIGNER),
    )
