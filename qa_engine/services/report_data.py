"""Report data from the database: what the assessment report, the decision letter and the description sheet of a
programme show, as the plain records of `qa_engine.reports.data`.

A report is about one review round and, once decided, the decision taken on it (`subject`). What each audience
may read is decided when rendering (`reports.context`); everything here is what the agency knows, with the
internal notes (who recorded and confirmed the decision, who was present, the provider's response to the draft
report) kept apart so that only the internal rendering shows them.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_engine import catalogue
from qa_engine.db import utcnow
from qa_engine.domain import decisions as rules
from qa_engine.domain.decisions import ACCREDITING, APPEALABLE
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.proposal import Proposal, proposal_from_dict
from qa_engine.domain.rubric_model import Rubric
from qa_engine.domain.rubrics import RubricRegistry
from qa_engine.domain.scoring import PanelScore
from qa_engine.domain.screening import Finding, ScreeningResult, Status
from qa_engine.domain.vocabularies import Vocabularies
from qa_engine.models import Addendum, Assignment, Decision, Programme, ProgrammeVersion, Review, User
from qa_engine.reports import data as records
from qa_engine.services import decision_records, register, reviews
from qa_engine.services.reviews import ReviewSettings


class NotSubmitted(LookupError):
    """The version a report is about was never submitted: there is nothing to report on."""


@dataclass(frozen=True)
class ReportSettings:
    """The agency as the reports present it, where the register lives, the appeal window, the archive folder."""

    branding: records.Branding
    base_url: str
    appeal_days: int
    reports_dir: Path


def report_settings(config: Mapping[str, Any] | None = None, instance_path: str | None = None) -> ReportSettings:
    """The report settings of a configuration (the running application's by default).

    AGENCY_NAME names the agency; REPORT_LOGO (a PNG or SVG inside the static folder) and REPORT_CONTACT (the
    address for appeals and questions) brand the PDFs; REPORTS_DIR (default instance/reports) holds the archive.
    """
    config = current_app.config if config is None else config
    instance = instance_path or current_app.instance_path
    branding = records.Branding(str(config.get("AGENCY_NAME") or "QA Engine"), config.get("REPORT_LOGO") or None,
                                str(config.get("REPORT_CONTACT") or ""))
    return ReportSettings(branding, str(config.get("BASE_URL", "http://127.0.0.1:5000")).rstrip("/"),
                          int(config.get("APPEAL_WINDOW_DAYS", rules.DEFAULT_APPEAL_DAYS)),
                          Path(config.get("REPORTS_DIR") or Path(instance) / "reports"))


@dataclass(frozen=True)
class Sources:
    """What building a report reads besides the database: the rubrics, the review and report settings, today."""

    registry: RubricRegistry
    vocabularies: Vocabularies
    review: ReviewSettings
    report: ReportSettings
    today: date


def sources(today: date | None = None) -> Sources:
    """The running application's sources (today by default)."""
    reference = catalogue.current()
    return Sources(reference.rubrics, reference.vocabularies, reviews.current_settings(), report_settings(),
                   today or utcnow().date())


@dataclass(frozen=True)
class Subject:
    """What a programme's report is about: a review round (None when none was held) and the decision taken on
    it (None: the report is a draft)."""

    programme: Programme
    review: Review | None
    decision: Decision | None


def subject(session: Session, programme: Programme) -> Subject:
    """The programme's current report: the decision in effect with its round, unless a newer round (a periodic
    review, a resubmission) is under way, whose draft it then is."""
    decision = decision_records.in_effect(session, programme.id)
    current = reviews.current_round(session, programme.id)
    if decision is not None and (current is None or current.version_number <= decision.version_number):
        return of_decision(session, decision)
    return Subject(programme, current, None)


def of_decision(session: Session, decision: Decision) -> Subject:
    """The report issued with `decision`: its round (if any) and the decision."""
    return Subject(session.get(Programme, decision.programme_id),
                   session.get(Review, decision.review_id) if decision.review_id else None, decision)


def assessment(session: Session, found: Subject, given: Sources, *, decided_on: date | None = None,
               appeal_deadline: date | None = None) -> records.AssessmentReportData:
    """The assessment report of `found`, as the agency knows it today.

    `decided_on` and `appeal_deadline` stand in for the decision's own while it is being put into effect (they
    are set in the same transaction). :raises NotSubmitted: when the version reported on was never submitted.
    """
    programme, review, decision = found.programme, found.review, found.decision
    number = decision.version_number if decision else review.version_number if review else programme.current_version
    version = session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id,
                                                             ProgrammeVersion.number == number)).one_or_none()
    if version is None:
        raise NotSubmitted(f"programme {programme.id} has no submitted version {number}")
    seats = _seats(session, review)
    rubric, panel, note = _scores(session, review, given.registry, given.review)
    entry = (decision_entry(session, decision, given.report, decided_on=decided_on, appeal_deadline=appeal_deadline)
             if decision else None)
    url = f"{given.report.base_url}/register/{programme.id}" if decision and decision.outcome in ACCREDITING else ""
    return records.AssessmentReportData(
        proposal=proposal_from_dict(json.loads(version.content)), screening=screening_result(version.screening),
        rubric=rubric, panel=panel, reviewers=tuple(_entry(a) for a in seats if a.status is MemberStatus.SUBMITTED),
        generated_on=entry.decided_on if entry else given.today, decision=entry,
        internal_notes=internal_notes(session, decision, review),
        blind_mode=review.blind if review else given.review.blind,
        reference=reference(programme.id, number), url=url,
        other_members=tuple(_entry(a) for a in seats if a.status is not MemberStatus.SUBMITTED), panel_note=note,
    )


def description(session: Session, programme: Programme, decision: Decision | None) -> tuple[Proposal, int] | None:
    """The proposal a description sheet describes: the version decided on, else the last submitted one."""
    number = decision.version_number if decision else programme.current_version
    content = session.scalar(select(ProgrammeVersion.content).where(ProgrammeVersion.programme_id == programme.id,
                                                                     ProgrammeVersion.number == number))
    return (proposal_from_dict(json.loads(content)), number) if content else None


def decision_entry(session: Session, decision: Decision, report: ReportSettings, *, decided_on: date | None = None,
                   appeal_deadline: date | None = None) -> records.DecisionEntry:
    """The decision as the report states it; the outcome amended by addenda shows as "now".

    A correction being put into effect (not saved yet) states the addenda of the decision it corrects, which it
    carries."""
    carrier = decision.id if decision.id is not None else decision.corrects_id
    addenda = session.scalars(select(Addendum).where(Addendum.decision_id == carrier).order_by(Addendum.id)) \
        if carrier is not None else ()
    day = decided_on or decision.decided_on or (decision.decided_at or utcnow()).date()
    return records.DecisionEntry(
        outcome=decision.outcome, rationale=decision.rationale, decided_on=day, decided_by=decision.decision_body,
        recommendations=tuple(line.strip() for line in (decision.recommendations or "").splitlines() if line.strip()),
        conditions=tuple(records.Condition(c.text, c.due_on, c.evidence_required)
                         for c in decision_records.conditions_of(session, decision)),
        valid_from=decision.valid_from, valid_to=decision.valid_until, appeal_window_days=report.appeal_days,
        departure_reason=decision.departure_reason or "",
        appeal_deadline=appeal_deadline or decision.appeal_deadline, appealable=decision.outcome in APPEALABLE,
        addenda=tuple(records.Addendum(a.issued_on, a.outcome, a.text) for a in addenda),
        correction_reason=decision.correction_reason or "",
    )


def internal_notes(session: Session, decision: Decision | None,
                   review: Review | None) -> tuple[records.InternalNote, ...]:
    """What only the agency reads: who recorded and confirmed the decision, who was present, the provider's
    response to the draft report."""
    notes = []
    if decision is not None:
        recorded = f"Recorded by {_name(session, decision.decided_by_id)}"
        if decision.decided_at is not None:
            recorded += f" on {decision.decided_at.date().isoformat()}"
        if decision.confirmed_by_id is not None and decision.confirmed_at is not None:
            recorded += (f"; confirmed by {_name(session, decision.confirmed_by_id)} "
                         f"on {decision.confirmed_at.date().isoformat()} (four eyes)")
        notes.append(records.InternalNote("The decision on record", recorded + "."))
        present = json.loads(decision.members_present or "[]")
        if present:
            notes.append(records.InternalNote("Members present", ", ".join(present) + "."))
    if review is not None and review.response:
        when = review.responded_at.date().isoformat() if review.responded_at else ""
        by = _name(session, review.responded_by_id) if review.responded_by_id else ""
        heading = f"The provider's response to the draft report ({', '.join(filter(None, (by, when)))})"
        notes.append(records.InternalNote(heading, review.response))
    return tuple(notes)


def screening_result(stored: str) -> ScreeningResult:
    """A version's stored screening (ScreeningResult.to_dict JSON) as the result it was."""
    findings = json.loads(stored or "{}").get("findings", [])
    return ScreeningResult(tuple(Finding(f["check"], f["title"], Status(f["status"]), f["message"],
                                         tuple(f.get("fields", ()))) for f in findings))


def reference(programme_id: int, version_number: int) -> str:
    """The report's reference: the programme and the version reported on."""
    return f"QA-{programme_id}-v{version_number}"


def _seats(session: Session, review: Review | None) -> list[Assignment]:
    """Everyone ever seated on the round's panel, in the order they were seated, with their people loaded."""
    if review is None:
        return []
    loaded = register.rounds(session, [review.id])[review.id]
    return sorted(loaded.assignments, key=lambda seat: seat.id)


def _scores(session: Session, review: Review | None, registry: RubricRegistry,
            settings: ReviewSettings) -> tuple[Rubric | None, PanelScore | None, str]:
    if review is None:
        return None, None, ""
    try:
        rubric = reviews.pinned_rubric(review, registry)
    except reviews.RubricChanged as error:
        return None, None, f"{error} The panel's marks cannot be shown."
    return rubric, reviews.panel_score(session, review, rubric, settings), ""


def _name(session: Session, user_id: int | None) -> str:
    person = session.get(User, user_id) if user_id else None
    return person.full_name if person else "unknown"


def _entry(seat: Assignment) -> records.ReviewerEntry:
    person = seat.reviewer
    return records.ReviewerEntry(seat.id, person.full_name, person.institution.name, seat.profile_type.label,
                                 reviews.marks_of(seat), person.email)
