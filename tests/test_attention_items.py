"""The QA office's open work (attention_items) and the programmes' tallies (programme_tallies) stay equal to the
source of truth after every kind of event, driven through the services and forms or written as fixtures write; the
dashboard's lists read them; `qa-engine attention rebuild|check`; a bulk-seeded database is consistent; the
migration's frozen values match the domain."""
from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import make_programme, seat
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, select, text
from test_conditions import conditional, judge, submit
from test_dashboards import decided, in_review, late_invitation, late_response, late_review, make_people, programme
from test_decisions_case import decisions_of, fresh, today
from test_decisions_case import make_people as make_deciding_people
from test_register_entries import decide

from qa_engine.commands.attention import attention
from qa_engine.domain.decisions import ACCREDITING
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.workflow import ACCREDITED, State
from qa_engine.models import AttentionItem, BulkLoad, Programme
from qa_engine.models.attention import ProgrammeTally, ProgrammeWord, Work
from qa_engine.services import attention_items, bulk_seed, reviewing, validity

MIGRATION = Path(__file__).parents[1] / "migrations/versions/20261124_1400_c9e2f4a6b8d0_attention_items.py"


@pytest.fixture
def people(session):  # noqa: ANN001, ANN201
    return make_people(session)


def work(session) -> set[tuple[str, int]]:  # noqa: ANN001
    """The table's (kind, subject) rows, after checking that both tables equal the source of truth (what the test
    wrote is committed, and what requests committed is read)."""
    session.commit()
    found = attention_items.drift(session)
    assert not found, found
    return {(kind, subject) for kind, subject in session.execute(select(AttentionItem.kind,
                                                                        AttentionItem.subject_id))}


def tallies(session) -> dict[str, int]:  # noqa: ANN001
    """The states' tallies that are not 0."""
    return {state: n for state, n in session.execute(select(ProgrammeTally.state, ProgrammeTally.programmes)) if n}


def test_seats_enter_while_open_on_the_current_round_and_leave_when_answered_or_the_round_moves_on(
        app, session, people) -> None:
    invited = late_invitation(session, people, "Invited")
    accepted = late_review(session, people, "Accepted")
    assert work(session) == {(Work.INVITATION, invited.id), (Work.REVIEW, accepted.id)}
    row = session.get(AttentionItem, (Work.INVITATION.value, invited.id))
    assert (row.due, row.who_id) == (invited.invited_at.date(), people.reviewer.id)
    assert session.get(AttentionItem, (Work.REVIEW.value, accepted.id)).due == accepted.review.due_on

    reviewing.accept(session, invited, actor=people.reviewer)
    assert work(session) == {(Work.REVIEW, invited.id), (Work.REVIEW, accepted.id)}
    accepted.review.due_on = today() + timedelta(days=9)  # the officer moves the due date
    assert session.get(AttentionItem, (Work.REVIEW.value, accepted.id)).due == today() + timedelta(days=9)
    accepted.review.programme.state = State.CONSOLIDATION  # the round closes
    invited.review.programme.current_version = 2  # a new version makes the round an old one
    assert work(session) == set()


def test_a_declined_invitation_leaves_and_a_new_one_enters(app, session, people) -> None:
    invited = late_invitation(session, people, "Declined")
    with app.app_context():  # the service queues e-mails
        reviewing.decline(session, invited, actor=people.reviewer, reason="Travelling.")
    assert work(session) == set()
    review = in_review(session, people, "Fresh round")
    fresh_seat = seat(session, review, people.second_reviewer, people.officer, status="invited", declared=False)
    assert work(session) == {(Work.INVITATION, fresh_seat.id)}


def test_a_response_waits_until_it_is_given(app, session, people) -> None:
    review = late_response(session, people, "Answer me")
    assert work(session) == {(Work.RESPONSE, review.id)}
    assert session.get(AttentionItem, (Work.RESPONSE.value, review.id)).who_id == people.designer.id
    review.response = "We accept the findings."
    assert work(session) == set()


def test_approvals_in_effect_enter_with_their_end_and_leave_when_withdrawn(app, session, people) -> None:
    approved = decided(session, people, "Approved", Outcome.APPROVED, State.APPROVED, valid_days=30)
    rejected = decided(session, people, "Rejected", Outcome.REJECTED, State.REJECTED)
    assert work(session) == {(Work.EXPIRY, approved.id)}
    assert session.get(AttentionItem, (Work.EXPIRY.value, approved.id)).due == approved.valid_until
    assert rejected.id not in {subject for _, subject in work(session)}
    with app.app_context():  # the service queues e-mails
        validity.withdraw_approval(session, session.get(Programme, approved.programme_id),
                                   actor=people.officer, reason="The modules were dropped.", today=today(),
                                   appeal_days=30)
    assert work(session) == set()


@pytest.fixture
def deciding(session):  # noqa: ANN001, ANN201
    return make_deciding_people(session)


def test_conditions_wait_until_met_through_the_forms(app, session, deciding, client_for) -> None:
    programme_, (first, second) = conditional(session, deciding, client_for)
    [decision] = decisions_of(session, programme_.id)
    assert work(session) == {(Work.CONDITION, first.id), (Work.CONDITION, second.id), (Work.EXPIRY, decision.id)}
    officer, designer = client_for(deciding.officer), client_for(deciding.designer)
    assert submit(designer, first).status_code == 302
    fresh(session)
    assert judge(officer, session.get(type(first), first.id)).status_code == 302
    assert work(session) == {(Work.CONDITION, second.id), (Work.EXPIRY, decision.id)}
    assert submit(designer, second).status_code == 302
    fresh(session)
    assert judge(officer, session.get(type(second), second.id)).status_code == 302
    assert work(session) == {(Work.EXPIRY, decision.id)}  # approved now: its end date stays
    assert session.get(Programme, programme_.id).state is State.APPROVED


def test_a_decision_through_the_form_and_its_correction_move_the_end_date(app, session, deciding,
                                                                          client_for) -> None:
    from test_decisions_corrections import correction
    decision = decide(session, deciding, client_for)
    assert work(session) == {(Work.EXPIRY, decision.id)}
    later = (decision.valid_until - timedelta(days=40)).isoformat()
    assert client_for(deciding.officer).post_form(f"/qa/decisions/{decision.id}/correct",
                                                  correction(valid_until=later), token_from="/").status_code == 302
    corrected = decisions_of(session, decision.programme_id)[-1]
    assert work(session) == {(Work.EXPIRY, corrected.id)}
    assert session.get(AttentionItem, (Work.EXPIRY.value, corrected.id)).due.isoformat() == later


def test_the_tallies_follow_every_programme_in_and_out_of_each_state(app, session, people) -> None:
    assert tallies(session) == {}
    made = programme(session, people, "Counted")
    other = programme(session, people, "Also counted", state=State.SCREENING)
    work(session)
    assert tallies(session) == {"submitted": 1, "screening": 1}
    made.state, other.state = State.IN_REVIEW, State.SUBMITTED
    work(session)
    assert tallies(session) == {"in_review": 1, "submitted": 1}
    draft = make_programme(session, people.designer)  # a draft, never submitted: nothing else refers to it
    work(session)
    assert tallies(session) == {"in_review": 1, "submitted": 1, "draft": 1}
    session.execute(delete(Programme).where(Programme.id == draft.id))
    work(session)
    assert tallies(session) == {"in_review": 1, "submitted": 1}


def test_a_programme_s_words_follow_its_title_and_its_provider_s_names(app, session, people) -> None:
    from qa_engine.services import dashboards

    def words(programme_id: int) -> set[str]:
        work(session)  # the words are checked too
        return set(session.scalars(select(ProgrammeWord.word).where(ProgrammeWord.programme_id == programme_id)))

    def found(search: str) -> list[int]:
        listed = dashboards.programme_page(session, people.officer.actor, dashboards.Filters(search=search))
        return [row.id for row in listed.rows]

    made = programme(session, people, "Sustainable Forest Management (EQF 6)")
    assert words(made.id) == {"sustainable", "forest", "management", "eqf", "6", "eastvale", "university", "evu"}
    made.title = "Urban Forestry"
    assert words(made.id) == {"urban", "forestry", "eastvale", "university", "evu"}
    people.provider.name, people.provider.short_name = "Eastvale Institute of Technology", "EIT"
    assert words(made.id) == {"urban", "forestry", "eastvale", "institute", "of", "technology", "eit"}
    made.provider_id = people.other.id
    assert words(made.id) == {"urban", "forestry", "westmoor", "college", "wmc"}
    assert found("FOREST wmc") == [made.id] and found("forest eastvale") == [] and found("orestry") == []


def test_a_programme_s_words_carry_its_state_and_move_with_it(app, session, people) -> None:
    from qa_engine.services import dashboards

    def states(programme_id: int) -> set[str | None]:
        work(session)  # the words' states are checked too
        return set(session.scalars(select(ProgrammeWord.state).where(ProgrammeWord.programme_id == programme_id)))

    def found(search: str, state: State) -> list[int]:
        listed = dashboards.programme_page(session, people.officer.actor, dashboards.Filters(state=state,
                                                                                             search=search))
        return [row.id for row in listed.rows]

    made = programme(session, people, "Sustainable Forest Management")
    assert states(made.id) == {"submitted"}
    assert found("forest", State.SUBMITTED) == [made.id] and found("forest", State.IN_REVIEW) == []
    made.state = State.IN_REVIEW
    assert states(made.id) == {"in_review"}
    assert found("forest", State.IN_REVIEW) == [made.id] and found("forest", State.SUBMITTED) == []
    made.title = "Urban Forestry"  # words written again take the state the programme is in
    assert states(made.id) == {"in_review"} and found("forestry", State.IN_REVIEW) == [made.id]
    session.execute(text("UPDATE programme_words SET state = 'rejected' WHERE word = 'urban'"))
    assert attention_items.drift(session).misworded == [made.id]


def test_the_dashboard_reads_the_table(app, session, people) -> None:
    from test_dashboards import reviews_settings

    from qa_engine.services import dashboards
    invited = late_invitation(session, people, "Listed")
    session.commit()
    listed = dashboards.attention(session, people.officer.actor, today=today(), settings=reviews_settings(app),
                                  within=90)
    assert [item.subject for item in listed.invitations.rows] == [invited.id]
    session.execute(delete(AttentionItem))  # what the dashboard shows is what the table holds
    listed = dashboards.attention(session, people.officer.actor, today=today(), settings=reviews_settings(app),
                                  within=90)
    assert listed.invitations.rows == [] and listed.invitations.total == 0


def test_rebuild_and_check_commands(app, session, people) -> None:
    invited = late_invitation(session, people, "Checked")
    session.commit()
    runner = FlaskCliRunner(app)
    assert runner.invoke(attention, ["check"]).exit_code == 0
    session.execute(delete(AttentionItem))
    session.execute(text("UPDATE programme_tallies SET programmes = programmes + 2 WHERE state = 'in_review'"))
    session.execute(delete(ProgrammeWord).where(ProgrammeWord.word == "checked"))
    session.commit()
    checked = runner.invoke(attention, ["check"])
    assert checked.exit_code == 1
    assert f"missing: 1 (invitation #{invited.id})" in checked.output
    assert "miscounted: 1 (in_review)" in checked.output
    assert f"words wrong: 1 (programme #{invited.review.programme_id})" in checked.output
    rebuilt = runner.invoke(attention, ["rebuild"])
    assert rebuilt.exit_code == 0 and "rebuilt: 1 piece of open work" in rebuilt.output
    assert work(session) == {(Work.INVITATION, invited.id)}
    assert "checked" in set(session.scalars(select(ProgrammeWord.word)))


def test_a_bulk_seeded_database_equals_a_rebuild(app, session) -> None:
    with app.app_context():
        bulk_seed.seed(session, 300, today=date.today(), seed=3)
    session.commit()
    seeded = work(session)
    assert {kind for kind, _ in seeded} == set(Work)
    counted = tallies(session)
    assert sum(counted.values()) == 300
    assert session.scalars(select(BulkLoad)).all() == []  # the seeder's flag is gone with its transaction's end
    assert attention_items.rebuild(session) == len(seeded)
    session.commit()
    assert work(session) == seeded and tallies(session) == counted


def test_during_a_bulk_load_the_triggers_stand_aside_and_the_load_fills_the_tables_at_its_end(app, session,
                                                                                             people) -> None:
    with attention_items.bulk_load(session):
        invited = late_invitation(session, people, "Loaded")
        assert session.scalars(select(AttentionItem)).all() == []  # nothing recomputed row by row
        assert tallies(session) == {} and session.scalars(select(ProgrammeWord)).all() == []
    assert work(session) == {(Work.INVITATION, invited.id)}  # the open work, tallies and words rebuilt and checked
    assert tallies(session) == {"in_review": 1}
    assert session.scalars(select(BulkLoad)).all() == []
    reviewing.accept(session, invited, actor=people.reviewer)  # and the triggers work again
    assert work(session) == {(Work.REVIEW, invited.id)}


def test_the_migration_froze_the_domain_values_it_was_written_with() -> None:
    spec = importlib.util.spec_from_file_location("attention_items_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.ACCREDITING) == {outcome.value for outcome in ACCREDITING}
    assert set(migration.ACCREDITED) == {state.value for state in ACCREDITED}
    sql = migration.items("", postgresql=False)
    for value in (State.IN_REVIEW, State.PROVIDER_RESPONSE, State.CONDITIONS, *Work):
        assert f"'{value.value}'" in sql
