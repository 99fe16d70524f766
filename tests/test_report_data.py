"""Report data from the database: a blind panel round with canary names, its decision, and what the records hold.

The builders here (`Case`, `reviewed_case`, `decide`, `pdf_text`) are shared by the other report tests.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, timedelta

import pypdf
import pytest
from factories import full_marks, make_in_review, make_institution, make_programme, make_submitted, make_user, seat
from factories import sound_proposal as _sound_proposal
from flask import Flask

from qa_engine.db import utcnow
from qa_engine.domain import screening
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Addendum, Condition, ConsensusMark, Decision, DecisionStatus, Programme, Review, User
from qa_engine.reports import elements
from qa_engine.services import report_data

TODAY = date.today()
#: Reviewers' names, e-mail addresses and institutions that must never reach the applicant in blind review.
CANARIES = ("Ada Canary-Reviewer", "Bruno Canary-Two", "Chen Canary-Three", "Dora Canary-Removed")
INSTITUTIONS = ("Canary Institute of Technology", "Bruno Canary Consulting", "Chen Canary University",
                "Dora Canary College")
CONSENSUS = "After discussion Ada Canary-Reviewer accepted that the need is evidenced; the panel agreed on Meets."
RATIONALE = "The panel, with Chen Canary-Three as student member, found the programme sound."
DEPARTURE = "The committee weighed the employer letters more than Bruno Canary-Two did."
RESPONSE = "We thank the panel and will publish the RPL procedure in English."
MEMBERS = ["Olga Officer", "Carmen Chair"]


@dataclass
class People:
    officer: User
    designer: User
    reviewers: list[User]


@dataclass
class Case:
    officer: User
    designer: User
    reviewers: list[User]
    programme: Programme
    review: Review
    people: People


def make_cast(session) -> People:  # noqa: ANN001
    """The agency's QA officer, the provider's designer and four reviewers with canary names."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency")
    provider = make_institution(session, name="Universidad de Almagro")
    officer = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    designer = make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer")
    reviewers = [make_user(session, Role.REVIEWER, full_name=name, email=f"reviewer{n}@canary.example",
                           institution=make_institution(session, name=institution))
                 for n, (name, institution) in enumerate(zip(CANARIES, INSTITUTIONS, strict=True))]
    return People(officer, designer, reviewers)


def reviewed_case(session, *, blind: bool = True, sent: bool = True, title: str | None = None,  # noqa: ANN001
                  people: People | None = None) -> Case:
    """A programme (the sound proposal) whose blind panel of three has submitted, with a consensus on D1.1, a
    fourth reviewer removed from the panel, the draft report sent and answered; waiting for its decision.
    A second case in the same test passes the first one's `people`."""
    people = people or make_cast(session)
    officer, designer, reviewers = people.officer, people.designer, people.reviewers
    data = _sound_proposal()
    if title:
        data["identification"]["title"] = title
    programme = make_programme(session, designer, data=data)
    make_submitted(session, programme, designer, screening=_screening(data))
    review = make_in_review(session, programme, officer, blind=blind)
    for index, (reviewer, profile) in enumerate(zip(reviewers[:3], ("academic", "professional", "student"),
                                                    strict=True)):
        seat(session, review, reviewer, officer, status="submitted", profile=profile, marks=_marks(index))
    seat(session, review, reviewers[3], officer, status="removed", profile="academic")
    session.add(ConsensusMark(review_id=review.id, criterion_id="D1.1", value=3, reason=CONSENSUS,
                              recorded_by_id=officer.id))
    if sent:
        now = utcnow()
        review.report_sent_at, review.response_due_on = now - timedelta(days=10), TODAY + timedelta(days=10)
        review.response, review.responded_at, review.responded_by_id = RESPONSE, now, designer.id
    programme.state = State.DECISION_PENDING
    session.flush()
    return Case(officer, designer, reviewers, programme, review, people)


def decide(session, case: Case, *, outcome: Outcome = Outcome.APPROVED_WITH_CONDITIONS,  # noqa: ANN001
           status: DecisionStatus = DecisionStatus.EFFECTIVE, add: bool = True) -> Decision:
    """The decision on the case's round as the decision service records it (conditions, departure, members);
    added and flushed unless `add` is false (then it is transient, as just before the service inserts it)."""
    accredits = outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS)
    decision = Decision(
        programme_id=case.programme.id, review_id=case.review.id, version_number=case.review.version_number,
        status=status, outcome=outcome, recommended_outcome=Outcome.APPROVED, departure_reason=DEPARTURE,
        rationale=RATIONALE, recommendations="Publish the RPL procedure in English.\nInvite alumni to the board.",
        valid_from=TODAY if accredits else None, valid_until=TODAY + timedelta(days=1095) if accredits else None,
        decision_body="Accreditation committee", members_present=json.dumps(MEMBERS),
        decided_by_id=case.officer.id, decided_at=utcnow(),
        decided_on=TODAY if status is DecisionStatus.EFFECTIVE else None,
        appeal_deadline=TODAY + timedelta(days=30) if status is DecisionStatus.EFFECTIVE
        and outcome is not Outcome.APPROVED else None)
    if outcome is Outcome.APPROVED_WITH_CONDITIONS:
        decision.conditions = [
            Condition(number=1, text="Make learning outcome LO4 observable.", evidence_required="Revised outcomes",
                      due_on=TODAY + timedelta(days=90), status=ConditionStatus.OPEN),
            Condition(number=2, text="Detail the employers' role, as Ada Canary-Reviewer asked.",
                      evidence_required="Signed letters", due_on=TODAY + timedelta(days=180),
                      status=ConditionStatus.OPEN)]
    if accredits:
        case.programme.state = State.CONDITIONS if outcome is Outcome.APPROVED_WITH_CONDITIONS else State.APPROVED
    if add:
        session.add(decision)
        session.flush()
    return decision


def pdf_text(pdf: bytes) -> str:
    """The text of every page, on one line."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).replace("-\n", "-").split())


def pdf_metadata(pdf: bytes) -> dict[str, str]:
    return {key: str(value) for key, value in (pypdf.PdfReader(io.BytesIO(pdf)).metadata or {}).items()}


def _screening(data: dict) -> dict:
    vocabularies = elements.vocabularies()
    result = screening.screen(proposal_from_dict(data), screening.ScreeningConfig(), vocabularies, today=TODAY)
    return result.to_dict()


def _marks(index: int) -> dict:
    marks = full_marks(3 + (index == 1), justification=f"Reviewer {index} found this well evidenced.")
    marks["D1.1"] = {"value": 2 if index == 0 else 4,
                     "justification": ("Bruno Canary-Two and I disagree: the need is thinly evidenced." if index == 0
                                       else "Unlike Ada Canary-Reviewer, I find the need well evidenced.")}
    return marks


@pytest.fixture
def given(app: Flask) -> report_data.Sources:
    with app.app_context():
        return report_data.sources()


def test_assessment_data_of_a_decided_round_holds_marks_decision_and_notes(app, session, given) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decision = decide(session, case)
    session.commit()

    data = report_data.assessment(session, report_data.of_decision(session, decision), given)

    assert [r.name for r in data.reviewers] == list(CANARIES[:3])
    assert [r.name for r in data.other_members] == [CANARIES[3]]
    assert data.reviewers[0].marks["D1.1"].justification.startswith("Bruno Canary-Two and I disagree")
    assert data.panel.criteria["D1.1"].consensus.reason == CONSENSUS
    assert data.screening.findings == tuple(screening.screen(data.proposal, screening.ScreeningConfig(),
                                                             elements.vocabularies(), today=TODAY).findings)
    assert (data.decision.outcome, data.decision.decided_by, data.decision.appeal_deadline) == (
        Outcome.APPROVED_WITH_CONDITIONS, "Accreditation committee", TODAY + timedelta(days=30))
    assert [c.text for c in data.decision.conditions][0] == "Make learning outcome LO4 observable."
    assert data.decision.recommendations == ("Publish the RPL procedure in English.", "Invite alumni to the board.")
    assert data.decision.departure_reason == DEPARTURE
    assert [note.heading for note in data.internal_notes] == [
        "The decision on record", "Members present",
        f"The provider's response to the draft report (Dana Designer, {TODAY.isoformat()})"]
    assert data.blind_mode is True
    assert data.url == f"http://127.0.0.1:5000/register/{case.programme.id}"
    assert data.reference == f"QA-{case.programme.id}-v1"


def test_subject_is_the_draft_before_a_decision_and_the_decision_after(session) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    session.commit()
    draft = report_data.subject(session, case.programme)
    decision = decide(session, case)
    session.commit()

    decided = report_data.subject(session, case.programme)

    assert (draft.review.id, draft.decision) == (case.review.id, None)
    assert (decided.review.id, decided.decision.id) == (case.review.id, decision.id)


def test_subject_of_a_new_round_after_a_decision_is_its_draft(session) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decide(session, case, outcome=Outcome.REVISE_AND_RESUBMIT)
    make_submitted(session, case.programme, case.designer)
    again = make_in_review(session, case.programme, case.officer)
    session.commit()

    found = report_data.subject(session, case.programme)

    assert (found.review.id, found.decision) == (again.id, None)


def test_decision_entry_shows_addenda_and_carries_a_corrected_decisions_conditions(app, session, given) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    original = decide(session, case)
    session.add(Addendum(decision_id=original.id, issued_on=TODAY, outcome=Outcome.APPROVED,
                         text="Every condition was met.", issued_by_id=case.officer.id))
    correction = Decision(programme_id=original.programme_id, review_id=original.review_id, version_number=1,
                          status=DecisionStatus.EFFECTIVE, outcome=original.outcome, rationale="Corrected dates.",
                          valid_from=TODAY, valid_until=TODAY + timedelta(days=700), decision_body="Committee",
                          decided_by_id=case.officer.id, decided_on=TODAY, corrects_id=original.id,
                          correction_reason="The end date was mistyped.")
    session.add(correction)
    session.commit()

    first = report_data.decision_entry(session, original, given.report)
    second = report_data.decision_entry(session, correction, given.report)

    assert [(a.outcome, a.text) for a in first.addenda] == [(Outcome.APPROVED, "Every condition was met.")]
    assert [c.text for c in second.conditions] == [c.text for c in first.conditions]
    assert second.correction_reason == "The end date was mistyped."


def test_assessment_data_without_a_round_has_no_panel(app, session, given) -> None:  # noqa: ANN001
    designer = make_user(session, Role.DESIGNER)
    officer = make_user(session, Role.QA_OFFICER)
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)
    decision = Decision(programme_id=programme.id, version_number=1, status=DecisionStatus.EFFECTIVE,
                        outcome=Outcome.REJECTED, rationale="No outcomes.", decision_body="Committee",
                        decided_by_id=officer.id, decided_on=TODAY)
    session.add(decision)
    session.commit()

    data = report_data.assessment(session, report_data.of_decision(session, decision), given)

    assert (data.rubric, data.panel, data.reviewers, data.url) == (None, None, (), "")
    assert data.screening.findings == ()
    assert data.decision.appealable is True


def test_assessment_data_of_a_version_never_submitted_is_a_lookup_error(app, session, given) -> None:  # noqa: ANN001
    programme = make_programme(session, make_user(session, Role.DESIGNER))
    session.commit()

    with pytest.raises(report_data.NotSubmitted):
        report_data.assessment(session, report_data.Subject(programme, None, None), given)


def test_report_settings_read_the_configuration(tmp_path) -> None:  # noqa: ANN001
    config = {"AGENCY_NAME": "Agencia", "REPORT_CONTACT": "appeals@agencia.example", "BASE_URL": "https://qa.example/",
              "APPEAL_WINDOW_DAYS": 45}

    found = report_data.report_settings(config, str(tmp_path))

    assert (found.branding.agency_name, found.branding.contact, found.base_url, found.appeal_days) == (
        "Agencia", "appeals@agencia.example", "https://qa.example", 45)
    assert found.reports_dir == tmp_path / "reports"


def test_assessment_data_of_a_round_whose_rubric_changed_says_so(app, session, given) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    case.review.rubric_sha256 = "0" * 64
    session.commit()

    data = report_data.assessment(session, report_data.subject(session, case.programme), given)

    assert (data.rubric, data.panel) == (None, None)
    assert "changed since this review started" in data.panel_note
