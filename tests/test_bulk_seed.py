"""Bulk seeding: programmes in every state with histories the transition table allows, rows that hold together,
an audit chain that verifies, and the services and pages working on the result."""
from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta

import pytest
from factories import make_programme
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from qa_engine import catalogue
from qa_engine.cli import cli
from qa_engine.db import utcnow
from qa_engine.domain import workflow
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import CONFIRMED, MemberStatus
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import Action, State
from qa_engine.models import (
    Addendum,
    Appeal,
    AuditEntry,
    Condition,
    ConflictDeclaration,
    Decision,
    Institution,
    Programme,
    ProgrammeVersion,
    Review,
    User,
    UserRole,
)
from qa_engine.services import audit, bulk_seed, decision_records, demo, proposals, reviews, screening

TODAY = utcnow().date()
N = 300
#: The outcome of the decision in effect (as amended by addenda) in each decided state.
OUTCOMES = {State.APPROVED: Outcome.APPROVED, State.CONDITIONS: Outcome.APPROVED_WITH_CONDITIONS,
            State.REVISE_AND_RESUBMIT: Outcome.REVISE_AND_RESUBMIT, State.REJECTED: Outcome.REJECTED,
            State.EXPIRED: Outcome.APPROVED}
PAST_CONSOLIDATION = (State.PROVIDER_RESPONSE, State.DECISION_PENDING, *OUTCOMES, State.APPROVAL_WITHDRAWN)


def seed(app, session, n: int = N, **kwargs) -> bulk_seed.SeedSummary:  # noqa: ANN001
    """Seed in the application's context (its catalogue and configuration), then commit."""
    with app.app_context():
        summary = bulk_seed.seed(session, n, today=TODAY, **kwargs)
    session.commit()
    return summary


@pytest.fixture
def seeded(app, session) -> bulk_seed.SeedSummary:  # noqa: ANN001
    return seed(app, session)


def programmes_by_state(session) -> dict[State, list[Programme]]:  # noqa: ANN001
    found: dict[State, list[Programme]] = defaultdict(list)
    for programme in session.scalars(select(Programme).order_by(Programme.id)):
        found[State(programme.state)].append(programme)
    return found


def audit_by_programme(session) -> dict[int, list[AuditEntry]]:  # noqa: ANN001
    found: dict[int, list[AuditEntry]] = defaultdict(list)
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.object_type == "programme")
                                 .order_by(AuditEntry.seq)):
        found[int(entry.object_id)].append(entry)
    return found


# Shape ---------------------------------------------------------------------------------------------------


def test_seed_puts_programmes_in_every_state_mostly_approved(session, seeded) -> None:  # noqa: ANN001
    in_database = {state: len(rows) for state, rows in programmes_by_state(session).items()}
    assert in_database == dict(seeded.states)
    assert set(in_database) == set(State) and sum(in_database.values()) == N
    assert max(in_database, key=in_database.get) is State.APPROVED
    assert in_database[State.APPROVED] + in_database[State.CONDITIONS] > N / 2
    assert seeded.rows["programmes"] == N and seeded.rows["decisions"] > N / 2


def test_targets_follow_the_distribution_with_each_state_at_least_once() -> None:
    assert Counter(bulk_seed._targets(len(State), random.Random(1))) == Counter(set(State))
    counts = Counter(bulk_seed._targets(1000, random.Random(1)))
    assert sum(counts.values()) == 1000
    assert all(abs(counts[state] - 1000 * share) <= 2 for state, share in bulk_seed.DISTRIBUTION.items())


def test_seed_refuses_a_negative_size(app, session) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="n_programmes"):
        seed(app, session, -1)


def test_seed_adds_providers_designers_officers_and_a_reviewer_pool(session, seeded) -> None:  # noqa: ANN001
    roles = Counter(role for role, in session.execute(select(UserRole.role)))
    assert roles[Role.DESIGNER] >= 2 * 6 and roles[Role.QA_OFFICER] >= 3 and roles[Role.REVIEWER] >= 40
    assert session.scalar(select(func.count()).select_from(Institution)) >= 7
    assert seeded.rows["reviewer_profiles"] == roles[Role.REVIEWER]
    assert session.scalar(select(func.count()).select_from(ConflictDeclaration)) >= 1


# Histories -----------------------------------------------------------------------------------------------


def test_every_history_replays_through_the_transition_table(session, seeded) -> None:  # noqa: ANN001
    histories = audit_by_programme(session)
    start = datetime.combine(TODAY - timedelta(days=bulk_seed.SPAN_DAYS + 400), time(), UTC)
    end = datetime.combine(TODAY, time(), UTC)
    for programme in session.scalars(select(Programme)):
        entries = histories[programme.id]
        assert entries[0].action == "programme.create"
        state, steps = workflow.advance(workflow.NEW, Action.CREATE, Role.DESIGNER), 0
        for entry in entries[1:]:
            if not entry.action.startswith("programme.") or entry.action == "programme.section_saved":
                continue
            details = json.loads(entry.details)
            assert entry.action == f"programme.{details['action']}" and details["from"] == state.value
            state = workflow.advance(state, Action(details["action"]), Role(entry.actor_role),
                                     comment=details.get("comment"), holds=frozenset(workflow.Precondition))
            assert details["to"] == state.value
            steps += 1
        assert state is programme.state and programme.version == 1 + steps
        times = [entry.occurred_at for entry in entries]
        assert times == sorted(times) and start <= times[0] and times[-1] <= end
        assert programme.created_at == times[0] and programme.updated_at <= end


def test_the_audit_chain_verifies_and_the_next_entry_follows_on(session, seeded) -> None:  # noqa: ANN001
    assert audit.verify(session) is None
    total = session.scalar(select(func.count()).select_from(AuditEntry))
    assert audit.count(session) == total == seeded.audit_entries
    times = list(session.scalars(select(AuditEntry.occurred_at).order_by(AuditEntry.seq)))
    assert times == sorted(times)  # the trail reads in time order
    designer = session.scalars(select(User).join(UserRole).where(UserRole.role == Role.DESIGNER)).first()
    programme = make_programme(session, designer)  # an id after the seeded ones (PostgreSQL sequences moved on)
    session.commit()
    assert programme.id == N + 1 and audit.count(session) == total + 1 and audit.verify(session) is None


def test_seed_is_deterministic_for_a_seed(app, session) -> None:  # noqa: ANN001
    def fingerprint(seed_value: int) -> list[tuple]:
        with app.app_context():
            bulk_seed.seed(session, 40, today=TODAY, seed=seed_value)
        rows = [tuple(row) for row in session.execute(select(Programme.title, Programme.state, Programme.created_at)
                                                      .order_by(Programme.id))]
        head = audit.count(session), session.scalar(select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1))
        session.rollback()
        return [*rows, head]

    first = fingerprint(3)
    assert fingerprint(3) == first
    assert fingerprint(4) != first


# Rows ----------------------------------------------------------------------------------------------------


def test_versions_are_screened_proposals_with_their_hash(session, seeded) -> None:  # noqa: ANN001
    for programme in session.scalars(select(Programme).where(Programme.state != State.DRAFT)):
        versions = list(session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id)
                                        .order_by(ProgrammeVersion.number)))
        assert [v.number for v in versions] == list(range(1, programme.current_version + 1))
        for version in versions:
            assert hashlib.sha256(version.content.encode()).hexdigest() == version.content_sha256
            assert json.loads(version.screening)["blocking"] is False
        assert programme.draft is None
    last = session.scalars(select(ProgrammeVersion).order_by(ProgrammeVersion.id.desc())).first()
    proposal = proposal_from_dict(json.loads(last.content))
    programme = session.get(Programme, last.programme_id)
    assert proposal.identification.title == programme.title and proposal.level.eqf_level == programme.eqf_level
    drafts = session.scalars(select(Programme).where(Programme.state == State.DRAFT)).all()
    assert all(proposal_from_dict(json.loads(p.draft)).identification.title == p.title for p in drafts)


def test_panels_past_consolidation_are_complete_and_agreed(app, session, seeded) -> None:  # noqa: ANN001
    with app.app_context():
        settings = reviews.current_settings()
        rubric = catalogue.current().rubrics.get("slp-ex-ante")
        conflicts = {tuple(row) for row in session.execute(select(ConflictDeclaration.reviewer_id,
                                                                  ConflictDeclaration.institution_id))}
        checked = 0
        for programme in session.scalars(select(Programme).where(Programme.state.in_(PAST_CONSOLIDATION))):
            review = reviews.current_round(session, programme.id)
            assert review.rubric_key == rubric.key and review.rubric_sha256 == rubric.content_hash
            assert reviews.reviews_in(review, settings)
            assert reviews.panel_score(session, review, rubric, settings).to_discuss == ()
            for seat in review.assignments:
                assert seat.reviewer.institution_id != programme.provider_id
                assert (seat.reviewer_id, programme.provider_id) not in conflicts
                if seat.status in CONFIRMED:
                    assert seat.declared_at is not None and seat.hours is not None
            checked += 1
    assert checked > N / 2


def test_reviews_under_way_wait_for_someone(app, session, seeded) -> None:  # noqa: ANN001
    with app.app_context():
        settings = reviews.current_settings()
        for programme in programmes_by_state(session)[State.IN_REVIEW]:
            review = reviews.current_round(session, programme.id)
            assert not reviews.reviews_in(review, settings)
            assert any(seat.status in (MemberStatus.INVITED, MemberStatus.ACCEPTED) for seat in review.assignments)


def test_decisions_in_effect_match_the_state_and_the_scores(app, session, seeded) -> None:  # noqa: ANN001
    by_state = programmes_by_state(session)
    with app.app_context():
        settings, rubric = reviews.current_settings(), catalogue.current().rubrics.get("slp-ex-ante")
        for state, outcome in OUTCOMES.items():
            for programme in by_state[state]:
                decision = decision_records.in_effect(session, programme.id)
                assert decision_records.current_outcome(session, decision) is outcome
                review = session.get(Review, decision.review_id)
                recommended = reviews.panel_score(session, review, rubric, settings).recommended
                assert decision.recommended_outcome is recommended
                assert (decision.departure_reason is None) == (recommended is decision.outcome)
    accredited = {programme.id for _, programme in session.execute(decision_records.accredited(TODAY))}
    assert {p.id for p in by_state[State.APPROVED] + by_state[State.CONDITIONS]} <= accredited
    refused = (State.EXPIRED, State.APPROVAL_WITHDRAWN, State.REJECTED, State.REVISE_AND_RESUBMIT, State.WITHDRAWN)
    assert not accredited & {p.id for state in refused for p in by_state[state]}
    for programme in by_state[State.EXPIRED]:
        assert decision_records.in_effect(session, programme.id).valid_until < TODAY


def test_conditions_and_appeals_hold_together(session, seeded) -> None:  # noqa: ANN001
    by_state = programmes_by_state(session)
    statuses: Counter[ConditionStatus] = Counter()
    for programme in by_state[State.CONDITIONS]:
        decision = decision_records.in_effect(session, programme.id)
        conditions = decision.conditions
        assert conditions and not all(c.status is ConditionStatus.MET for c in conditions)
        assert all(decision.decided_on < c.due_on <= decision.valid_until for c in conditions)
        statuses.update(c.status for c in conditions)
    assert statuses[ConditionStatus.MET] and statuses[ConditionStatus.OPEN]
    assert any(c.status is not ConditionStatus.MET and c.due_on < TODAY for c in session.scalars(select(Condition)))
    for addendum in session.scalars(select(Addendum)):
        decision = session.get(Decision, addendum.decision_id)
        assert all(c.status is ConditionStatus.MET for c in decision.conditions)
        assert session.get(Programme, decision.programme_id).state in (State.APPROVED, State.EXPIRED,
                                                                        State.APPROVAL_WITHDRAWN, State.DRAFT)
    for appeal in session.scalars(select(Appeal)):
        assert appeal.lodged_at.date() <= appeal.decision.appeal_deadline
        assert appeal.decision.decided_by_id not in json.loads(appeal.handler_ids)


def test_marks_are_stored_as_the_reviewing_service_stores_them() -> None:
    rng = random.Random(5)
    rubric = catalogue.load(bulk_seed.EXAMPLES.parents[1] / "rubrics").rubrics.get("slp-ex-ante")
    for _ in range(20):
        marks, members = bulk_seed._marks(rng, rubric, {c.id: rng.choice((1, 2, 3, 4)) for c in rubric.criteria})
        assert bulk_seed._stored(members) == reviews.marks_json(marks)
        assert all(mark.justification for mark in marks.values() if mark.value < 3)
    draft = dict(list(sorted(marks.items()))[:7])
    assert bulk_seed._stored(members[:7]) == reviews.marks_json(draft)


# On top of the demo, and through the services and pages ---------------------------------------------------


def test_seed_reuses_the_demo_people_and_keeps_its_chain(app, session) -> None:  # noqa: ANN001
    with app.app_context():
        demo.load(session, proposals.ScreeningSettings({}, catalogue.current(), TODAY))
    session.commit()
    demo_entries = audit.count(session)
    seed(app, session, 60)
    assert audit.verify(session) is None and audit.count(session) > demo_entries
    assert session.scalar(select(func.count()).select_from(Institution).where(Institution.kind == "agency")) == 1
    emails = {email for email, *_ in demo._USERS}
    seeded_by = set(session.scalars(select(User.email).join(Programme, Programme.designer_id == User.id)))
    opened_by = set(session.scalars(select(User.email).join(Review, Review.opened_by_id == User.id)))
    assert emails & seeded_by and "officer@nqa.example" in opened_by
    result = FlaskCliRunner(app).invoke(cli, ["audit", "verify"], catch_exceptions=False)
    assert result.exit_code == 0 and f"OK: {audit.count(session)} entries, chain unbroken." in result.output


def test_services_and_pages_work_on_the_seeded_data(app, session, seeded, client_for) -> None:  # noqa: ANN001
    by_state = programmes_by_state(session)
    officer = session.scalars(select(User).join(UserRole).where(UserRole.role == Role.QA_OFFICER)).first()
    queue = screening.queue(session, officer.actor, per_page=100)
    assert queue.total == len(by_state[State.SUBMITTED]) + len(by_state[State.SCREENING])
    client = client_for(officer)
    listing = client.get("/programmes/")
    assert listing.status_code == 200
    newest = session.scalars(select(Programme).where(Programme.state != State.DRAFT)
                             .order_by(Programme.updated_at.desc())).first()
    assert newest.title in listing.get_data(as_text=True)
    page = client.get("/qa/queue")
    assert page.status_code == 200 and by_state[State.SUBMITTED][0].title in page.get_data(as_text=True)
    for state in (State.APPROVED, State.CONDITIONS, State.IN_REVIEW, State.DECISION_PENDING, State.EXPIRED):
        programme = by_state[state][0]
        response = client.get(f"/programmes/{programme.id}")
        assert response.status_code == 200 and programme.title in response.get_data(as_text=True)
    draft = by_state[State.DRAFT][0]
    own = client_for(session.get(User, draft.designer_id)).get(f"/programmes/{draft.id}")
    assert own.status_code == 200 and draft.title in own.get_data(as_text=True)


def test_seed_follows_the_configured_panel_policy_thresholds_and_four_eyes(make_app) -> None:  # noqa: ANN001
    policy = {"size_min": 4, "size_max": 5, "requirements": [
        {"profiles": ["academic"], "minimum": 2}, {"profiles": ["student"]},
        {"profiles": ["international"], "shareable": True}]}
    app = make_app(FOUR_EYES=True, DISAGREEMENT_THRESHOLD=1, REVIEW_TYPES={"standard": policy},
                   SCREENING={"hours_per_ects": [27.5, 27.5], "hours_per_ects_fail_tolerance": 0})
    with app.extensions["qa_engine.db"].new_session() as session:
        seed(app, session, 60)
        with app.app_context():
            settings = reviews.current_settings()
            rubric = catalogue.current().rubrics.get("slp-ex-ante")
            for programme in session.scalars(select(Programme).where(Programme.state.in_(PAST_CONSOLIDATION))):
                review = reviews.current_round(session, programme.id)
                assert reviews.reviews_in(review, settings)
                assert reviews.panel_score(session, review, rubric, settings).to_discuss == ()
        decisions = session.scalars(select(Decision)).all()
        assert decisions and all(d.confirmed_by_id not in (None, d.decided_by_id) for d in decisions)
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"decision.proposed", "decision.confirmed"} <= actions and "decision.recorded" not in actions
        # 27.5 hours a credit exactly: an odd number of credits would fail screening, so none was seeded
        assert {int(ects) % 2 for ects in session.scalars(select(Programme.ects))} == {0}
