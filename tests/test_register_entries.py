"""The register's entries (register_entries) stay equal to the source of truth after every kind of event, driven
through the services and forms; `qa-engine register rebuild|check`; a bulk-seeded database is consistent; the
migration's frozen values match the domain."""
from __future__ import annotations

import importlib.util
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import sign_in
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, select, text
from test_conditions import conditional, judge, submit
from test_decisions_case import People, decisions_of, form, fresh, make_people, pending, today
from test_decisions_corrections import correction

from qa_engine.commands.register import register
from qa_engine.domain.decisions import ACCREDITING, AppealOutcome
from qa_engine.domain.words import SEPARATORS, words_of
from qa_engine.domain.workflow import State
from qa_engine.models import Appeal, Decision, Programme, RegisterEntry
from qa_engine.models.register_entry import RegisterWord
from qa_engine.services import appeals, bulk_seed, decision_records, register_entries, validity
from qa_engine.services.register import RegisterStatus

MIGRATION = Path(__file__).parents[1] / "migrations/versions/20261124_1200_e5a7c9d1f3b2_register_entries.py"
SEARCH_MIGRATION = Path(__file__).parents[1] / "migrations/versions/20261124_1330_b8d0f2a4c6e8_register_search.py"


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


def entries(session) -> dict[int, str]:  # noqa: ANN001
    """The table's entries (programme -> status), after checking that they equal the source of truth."""
    fresh(session)
    assert not register_entries.drift(session), register_entries.drift(session)
    return dict(session.execute(select(RegisterEntry.programme_id, RegisterEntry.status)).all())


def decide(session, people: People, client_for, data: dict | None = None) -> Decision:  # noqa: ANN001
    programme = pending(session, people)
    assert client_for(people.officer).post_form(f"/qa/programmes/{programme.id}/decision", data or form(),
                                                token_from="/").status_code == 302
    return decisions_of(session, programme.id)[-1]


def test_an_approval_enters_and_a_rejection_or_revision_does_not(app, session, people, client_for) -> None:
    assert entries(session) == {}
    approved = decide(session, people, client_for)
    rejected = decide(session, people, client_for, form("rejected", departure_reason="The outcomes are vague."))
    assert entries(session) == {approved.programme_id: RegisterStatus.APPROVED}
    entry = session.get(RegisterEntry, approved.programme_id)
    assert (entry.decision_id, entry.valid_from, entry.valid_until) == (
        approved.id, approved.valid_from, approved.valid_until)
    assert rejected.programme_id not in entries(session)


def test_under_four_eyes_an_approval_enters_once_confirmed(make_app, session, people) -> None:
    four_eyes = make_app(FOUR_EYES=True)

    def client_for(user):  # noqa: ANN001, ANN202
        client = four_eyes.test_client()
        sign_in(client, four_eyes, user)
        return client

    proposed = decide(session, people, client_for)
    assert entries(session) == {}
    assert client_for(people.colleague).post_form(f"/qa/decisions/{proposed.id}/confirm", {},
                                                  token_from="/").status_code == 302
    assert entries(session) == {proposed.programme_id: RegisterStatus.APPROVED}


def test_conditions_open_then_met_by_judgement_and_addendum(app, session, people, client_for) -> None:
    programme, (first, second) = conditional(session, people, client_for)
    assert entries(session) == {programme.id: RegisterStatus.CONDITIONS_OPEN}
    officer, designer = client_for(people.officer), client_for(people.designer)
    for condition in (first, second):
        assert submit(designer, condition).status_code == 302
        fresh(session)
        assert judge(officer, session.get(type(condition), condition.id)).status_code == 302
        assert programme.id in entries(session)
    assert entries(session) == {programme.id: RegisterStatus.APPROVED}  # the addendum lifted the conditions
    assert session.get(Programme, programme.id).state is State.APPROVED


def test_a_correction_moves_the_entry_to_the_corrected_decision(app, session, people, client_for) -> None:
    decision = decide(session, people, client_for)
    later = (decision.valid_until - timedelta(days=40)).isoformat()
    assert client_for(people.officer).post_form(f"/qa/decisions/{decision.id}/correct",
                                                correction(valid_until=later), token_from="/").status_code == 302
    entries(session)
    corrected = decisions_of(session, decision.programme_id)[-1]
    entry = session.get(RegisterEntry, decision.programme_id)
    assert (entry.decision_id, entry.valid_until.isoformat()) == (corrected.id, later)


def test_withdrawal_expiry_and_an_upheld_appeal_take_the_entry_out(app, session, people, client_for) -> None:
    withdrawn, expiring = decide(session, people, client_for), decide(session, people, client_for)
    appealed = decide(session, people, client_for, form("approved_with_conditions", departure_reason="Calendar.",
                                                        conditions=[("Publish it.", "The page.",
                                                                     today() + timedelta(days=90))]))
    assert len(entries(session)) == 3
    with app.app_context():  # the services queue e-mails
        validity.withdraw_approval(session, session.get(Programme, withdrawn.programme_id), actor=people.officer,
                                   reason="The practical modules were dropped.", today=today(), appeal_days=30)
        session.commit()
        assert set(entries(session)) == {expiring.programme_id, appealed.programme_id}
        after = expiring.valid_until + timedelta(days=1)
        [expiry] = [e for e in validity.due_to_expire(session, after) if e.programme.id == expiring.programme_id]
        assert validity.expire(session, expiry)
        session.commit()
        assert set(entries(session)) == {appealed.programme_id}
        appeal = Appeal(decision_id=appealed.id, programme_id=appealed.programme_id, grounds="The panel misread LO3.",
                        lodged_by_id=people.designer.id, handler_ids=json.dumps([people.colleague.id]))
        session.add(appeal)
        session.commit()
        appeals.record_outcome(session, appeal, actor=people.colleague, outcome=AppealOutcome.UPHELD,
                               reason="The brief covers LO3.")
        session.commit()
    assert entries(session) == {}


def test_a_periodic_review_keeps_the_entry_while_the_new_version_is_reviewed(app, session, people,
                                                                              client_for) -> None:
    decision = decide(session, people, client_for)
    client = client_for(people.designer)
    assert client.post_form(f"/programmes/{decision.programme_id}/periodic-review", token_from="/").status_code == 302
    assert entries(session) == {decision.programme_id: RegisterStatus.APPROVED}
    assert client.post_form(f"/programmes/{decision.programme_id}/submit", token_from="/").status_code == 302
    assert entries(session) == {decision.programme_id: RegisterStatus.APPROVED}
    entry = session.get(RegisterEntry, decision.programme_id)
    assert entry.version_id == session.scalar(text("SELECT id FROM programme_versions WHERE programme_id = :p "
                                                   "AND number = 1"), {"p": decision.programme_id})


def test_rebuild_and_check_commands(app, session, people, client_for) -> None:
    decision = decide(session, people, client_for)
    runner = FlaskCliRunner(app)
    assert runner.invoke(register, ["check"]).exit_code == 0
    session.execute(delete(RegisterEntry))
    session.commit()
    checked = runner.invoke(register, ["check"])
    assert checked.exit_code == 1 and f"missing: 1 (programme #{decision.programme_id})" in checked.output
    rebuilt = runner.invoke(register, ["rebuild"])
    assert rebuilt.exit_code == 0 and "register rebuilt: 1 entry" in rebuilt.output
    assert entries(session) == {decision.programme_id: RegisterStatus.APPROVED}


def test_a_bulk_seeded_register_equals_a_rebuild(app, session) -> None:
    with app.app_context():
        bulk_seed.seed(session, 300, today=date.today(), seed=3)
    session.commit()
    seeded = dict(session.execute(select(RegisterEntry.programme_id, RegisterEntry.status)).all())
    assert len(seeded) > 100 and {RegisterStatus.APPROVED, RegisterStatus.CONDITIONS_OPEN} <= set(seeded.values())
    assert not register_entries.drift(session)
    assert register_entries.rebuild(session) == len(seeded)
    session.commit()
    assert entries(session) == seeded


def test_drift_sees_the_words_table_and_rebuild_mends_it(app, session, people, client_for) -> None:
    decision = decide(session, people, client_for)
    entry = session.get(RegisterEntry, decision.programme_id)
    assert {w for w in session.scalars(select(RegisterWord.word))} == set(words_of(entry.words))
    assert "almagro" in words_of(entry.words)  # the provider's name, lowered
    session.execute(delete(RegisterWord).where(RegisterWord.word == "almagro"))
    session.add(RegisterWord(word="stray", programme_id=decision.programme_id + 1000))
    session.commit()
    found = register_entries.drift(session)
    assert (found.missing, found.extra, found.changed) == ([], [decision.programme_id + 1000], [decision.programme_id])
    register_entries.rebuild(session)
    session.commit()
    assert entries(session) == {decision.programme_id: RegisterStatus.APPROVED}


def test_the_search_migration_froze_the_separators() -> None:
    spec = importlib.util.spec_from_file_location("register_search_migration", SEARCH_MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.SEPARATORS == SEPARATORS


def test_the_migration_froze_the_domain_values_it_was_written_with() -> None:
    spec = importlib.util.spec_from_file_location("register_entries_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.ACCREDITING) == {outcome.value for outcome in ACCREDITING}
    assert set(migration.APPROVAL_STANDS) == {state.value for state in decision_records.APPROVAL_STANDS}
    assert {"approved", "conditions_open", "conditions_met"} == set(RegisterStatus)
