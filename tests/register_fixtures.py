"""Test data for the register and the exports: accredited programmes with a decision in effect, a panel round
with submitted marks and consensus, conditions and addenda. Helpers only; the tests import them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from factories import full_marks, make_in_review, make_institution, make_programme, make_submitted, make_user, seat
from factories import sound_proposal as _sound_proposal
from sql_counts import count_statements

from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Addendum, Condition, ConsensusMark, Decision, DecisionStatus, Programme, Review, User

TODAY = date.today()
RATIONALE = "The panel found the programme well designed; the decision follows its scores."


@dataclass
class People:
    officer: User
    designer: User
    reviewers: list[User]


def make_people(session) -> People:  # noqa: ANN001
    """An agency's QA officer, a provider's designer and two external reviewers; committed."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency", country="ES")
    provider = make_institution(session, name="Universidad de Almagro", short_name="UPA")
    officer = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    designer = make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer")
    reviewers = [make_user(session, Role.REVIEWER, full_name=name, email=email,
                           institution=make_institution(session, name=institution))
                 for name, email, institution in (("María García López", "maria@uni.example", "Universidad de Sevilla"),
                                                  ("Piet van Dijk", "piet@work.example", "Dijk Consulting"))]
    session.commit()
    return People(officer, designer, reviewers)


def proposal_data(title: str | None = None, *, isced: str | None = None, eqf: int | None = None,
                  mode: str | None = None) -> dict:
    """The sound example proposal, with a few facts changed."""
    data = _sound_proposal()
    if title is not None:
        data["identification"]["title"] = title
    if isced is not None:
        data["classification"]["isced_f_code"] = isced
    if eqf is not None:
        data["level"]["eqf_level"] = eqf
    if mode is not None:
        data["delivery"]["mode"] = mode
    return data


def accredit(session, people: People, *, data: dict | None = None, designer: User | None = None,  # noqa: ANN001
             outcome: Outcome = Outcome.APPROVED, state: State | None = None, review: Review | None = None,
             valid_from: date = TODAY - timedelta(days=30), valid_until: date = TODAY + timedelta(days=1000),
             programme: Programme | None = None, **decision_fields: object) -> Decision:
    """A programme (submitted version 1 of `data`) with an effective decision; flushed, not committed."""
    designer = designer or people.designer
    if programme is None:
        programme = make_programme(session, designer, data=data or proposal_data())
        make_submitted(session, programme, designer)
    default_state = State.CONDITIONS if outcome is Outcome.APPROVED_WITH_CONDITIONS else State.APPROVED
    programme.state = state or default_state
    fields = {"status": DecisionStatus.EFFECTIVE, "rationale": RATIONALE, "decision_body": "Accreditation committee",
              "decided_on": TODAY - timedelta(days=30), **decision_fields}
    decision = Decision(programme_id=programme.id, review_id=review.id if review else None,
                        version_number=programme.current_version, outcome=outcome, valid_from=valid_from,
                        valid_until=valid_until, decided_by_id=people.officer.id, **fields)
    session.add(decision)
    session.flush()
    return decision


def reviewed(session, people: People, *, blind: bool = True, data: dict | None = None,  # noqa: ANN001
             consensus: dict[str, tuple[int | None, str]] | None = None) -> Review:
    """A programme whose panel round is complete: two submitted reviews (marks 3 and 4, a disagreement on
    D1.1 between 2 and 4) and, optionally, consensus marks with their reasons."""
    programme = make_programme(session, people.designer, data=data or proposal_data())
    make_submitted(session, programme, people.designer)
    review = make_in_review(session, programme, people.officer, blind=blind)
    first, second = people.reviewers
    marks_a, marks_b = full_marks(3), full_marks(4)
    marks_a["D1.1"] = {"value": 2, "justification": "Piet van Dijk and I disagree: the need is thinly evidenced."}
    seat(session, review, first, people.officer, status="submitted", marks=marks_a)
    seat(session, review, second, people.officer, status="submitted", marks=marks_b, profile="professional")
    for criterion, (value, reason) in (consensus or {}).items():
        session.add(ConsensusMark(review_id=review.id, criterion_id=criterion, value=value, reason=reason,
                                  recorded_by_id=people.officer.id))
    session.flush()
    return review


def with_conditions(session, decision: Decision, *statuses: ConditionStatus) -> list[Condition]:  # noqa: ANN001
    """Conditions numbered 1.. on the decision, in the given statuses."""
    conditions = [Condition(decision_id=decision.id, number=number, text=f"Condition {number}: publish the rubrics.",
                            evidence_required="The published page.", due_on=TODAY + timedelta(days=60 * number),
                            status=status) for number, status in enumerate(statuses, start=1)]
    session.add_all(conditions)
    session.flush()
    return conditions


def lift(session, decision: Decision, people: People) -> Addendum:  # noqa: ANN001
    """An addendum that makes the approval unconditional."""
    addendum = Addendum(decision_id=decision.id, issued_on=TODAY, outcome=Outcome.APPROVED,
                        text="Every condition was met.", issued_by_id=people.officer.id)
    session.add(addendum)
    session.flush()
    return addendum


def statement_counter(app) -> Callable:  # noqa: ANN001
    """count(client, url): how many SQL statements the GET of `url` issues (it must answer 200)."""
    return partial(count_statements, app)
