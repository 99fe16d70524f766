"""The audit trail: append-only in the database, hash-chained, and any tampering found at its entry."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from conftest import backend
from factories import make_user
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from qa_engine.models import AuditEntry
from qa_engine.services import audit

ENTRIES = 12


@pytest.fixture
def chain(session):  # noqa: ANN001, ANN201
    actor = make_user(session)
    for n in range(ENTRIES - 2):  # make_user wrote two entries (institution, user)
        audit.record(session, "test.event", actor=actor, role="designer", obj=("thing", n), details={"n": n})
    session.commit()
    return session


@contextmanager
def triggers_off(session):  # noqa: ANN001
    """Tamper as an attacker with database access would: around the append-only triggers."""
    if backend() == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        yield
    else:
        session.execute(text("DROP TRIGGER audit_entries_no_update"))
        session.execute(text("DROP TRIGGER audit_entries_no_delete"))
        yield
    session.commit()


def test_clean_chain_verifies(chain) -> None:  # noqa: ANN001
    assert audit.count(chain) == ENTRIES
    assert audit.verify(chain) is None


@pytest.mark.parametrize("seq", [1, 5, ENTRIES])
@pytest.mark.parametrize("column,value", [("action", "test.forged"), ("details", '{"n":99}'), ("object_id", "forged")])
def test_edited_entry_is_found_at_that_entry(chain, seq: int, column: str, value) -> None:  # noqa: ANN001
    with triggers_off(chain):
        chain.execute(update(AuditEntry).where(AuditEntry.seq == seq).values({column: value}))
    broken = audit.verify(chain)
    assert (broken.seq, broken.reason) == (seq, "content does not match its hash (altered)")


@pytest.mark.parametrize("seq", [1, 6, ENTRIES - 1])
def test_deleted_entry_is_found_at_that_entry(chain, seq: int) -> None:  # noqa: ANN001
    with triggers_off(chain):
        chain.execute(delete(AuditEntry).where(AuditEntry.seq == seq))
    assert audit.verify(chain).seq == seq


@pytest.mark.parametrize("seq", [1, 7])
def test_reordered_entries_are_found_at_the_first_of_them(chain, seq: int) -> None:  # noqa: ANN001
    with triggers_off(chain):
        chain.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(seq=-1))
        chain.execute(update(AuditEntry).where(AuditEntry.seq == seq + 1).values(seq=seq))
        chain.execute(update(AuditEntry).where(AuditEntry.seq == -1).values(seq=seq + 1))
    assert audit.verify(chain).seq == seq


def test_cut_off_tail_is_found_against_the_head(chain) -> None:  # noqa: ANN001
    with triggers_off(chain):
        chain.execute(delete(AuditEntry).where(AuditEntry.seq >= ENTRIES - 1))
    broken = audit.verify(chain)
    assert broken.seq == ENTRIES - 1


def test_forged_entry_with_recomputed_hash_breaks_the_next_link(chain) -> None:  # noqa: ANN001
    from qa_engine.domain import audit_chain

    entry = chain.get(AuditEntry, 4)
    forged = audit._chain_entry(entry)
    forged = audit_chain.ChainEntry(**{**forged.__dict__, "action": "test.forged", "hash": ""})
    new_hash = audit_chain.entry_hash(forged)
    with triggers_off(chain):
        chain.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(action="test.forged", hash=new_hash))
    assert audit.verify(chain) == audit_chain.ChainBreak(5, "does not link to the entry before it")


def test_database_refuses_update_of_audit_entries(chain) -> None:  # noqa: ANN001
    with pytest.raises(DBAPIError, match="append-only"):
        chain.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(action="x"))
    chain.rollback()
    assert chain.scalar(select(AuditEntry.action).where(AuditEntry.seq == 2)) != "x"


def test_database_refuses_delete_of_audit_entries(chain) -> None:  # noqa: ANN001
    with pytest.raises(DBAPIError, match="append-only"):
        chain.execute(delete(AuditEntry).where(AuditEntry.seq == 3))
    chain.rollback()
    assert audit.verify(chain) is None


def test_concurrent_writers_keep_one_unbroken_chain(app) -> None:  # noqa: ANN001
    db = app.extensions["qa_engine.db"]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(25):
                with db.transaction() as session:
                    audit.record(session, "test.concurrent", actor=None, details={"writer": n, "i": i})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.new_session() as session:
        assert (errors, audit.count(session), audit.verify(session)) == ([], 100, None)


def test_cli_audit_verify_reports_ok_and_the_first_broken_entry(app, chain) -> None:  # noqa: ANN001
    runner = FlaskCliRunner(app)
    from qa_engine.cli import audit_verify

    result = runner.invoke(audit_verify)
    assert (result.exit_code, result.output.strip()) == (0, f"OK: {ENTRIES} entries, chain unbroken.")
    with triggers_off(chain):
        chain.execute(update(AuditEntry).where(AuditEntry.seq == 8).values(object_id="forged"))
    result = runner.invoke(audit_verify)
    assert result.exit_code == 1
    assert "BROKEN at entry 8: content does not match its hash (altered)" in result.output
