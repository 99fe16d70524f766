"""The stays the database keeps (models.StageStay): the trigger on audit_entries opens and closes them as the
transitions are audited, by every path that appends entries, and the migration's backfill of an existing trail
gives the same stays as the pure definition (domain.stats.stays)."""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import PG_URL, drop_pg_database, ensure_pg_database, reset_pg_schema
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from qa_engine import migrations
from qa_engine.db import make_engine
from qa_engine.domain import stats
from qa_engine.domain.audit_chain import canonical_json
from qa_engine.models import StageStay
from qa_engine.services import audit_bulk
from qa_engine.services.audit_bulk import NewEntry

BEFORE = "5c13a380bce1"  # the revision before the stays
T0 = datetime(2025, 1, 1, 8, tzinfo=UTC)
NOISE = ["programme.section_saved", "programme.transition_refused", "review.invited"]


def entry(at: datetime, action: str, programme_id: int, object_type: str = "programme") -> NewEntry:
    return NewEntry(at, None, "qa_officer", action, object_type, str(programme_id), canonical_json({}))


def kept(session: Session) -> list[tuple[int, str, datetime, datetime | None, float | None]]:
    return [(s.programme_id, s.stage, s.entered_at, s.left_at, s.days)
            for s in session.scalars(select(StageStay).order_by(StageStay.seq))]


def expected(entries: list[NewEntry]) -> list[tuple[int, str, datetime, datetime | None]]:
    """The stays of the pure definition, closed and still open, in the order they were entered."""
    steps: dict[int, list[tuple[int, stats.Step]]] = defaultdict(list)
    for seq, e in enumerate(entries):
        if e.object_type == "programme":
            steps[int(e.object_id)].append((seq, stats.Step(e.occurred_at, e.action)))
    stays = []
    for programme_id, numbered in steps.items():
        entered = [(seq, step.at, state) for seq, step in numbered if (state := stats.entered_state(step.action))]
        closed = stats.stays([step for _, step in numbered])
        for (seq, at, state), left in zip(entered, [stay.left for stay in closed] + [None], strict=True):
            stays.append((seq, programme_id, state.value, at, left))
    return [stay[1:] for stay in sorted(stays)]


def without_days(rows: list[tuple]) -> list[tuple]:
    return [row[:4] for row in rows]


def history(count: int, seed: int) -> list[NewEntry]:
    """`count` programmes' transitions at random paces, interleaved, with noise and other objects between."""
    rng = random.Random(seed)
    timed = []
    for programme_id in range(1, count + 1):
        clock = T0 + timedelta(days=rng.uniform(0, 100))
        for action in rng.sample(sorted(stats.ENTERED), rng.randint(1, 8)):
            timed.append(entry(clock, action, programme_id))
            if rng.random() < 0.4:
                timed.append(entry(clock + timedelta(minutes=5), rng.choice(NOISE), programme_id))
            if rng.random() < 0.2:
                timed.append(entry(clock, action, programme_id, object_type="review"))
            clock += timedelta(days=rng.uniform(0.01, 30))
    return sorted(timed, key=lambda e: e.occurred_at)


def test_each_transition_closes_the_open_stay_and_opens_one_in_the_state_it_enters(session) -> None:  # noqa: ANN001
    actions = sorted(stats.ENTERED)
    entries = [entry(T0 + timedelta(days=1.5 * i), action, 7) for i, action in enumerate(actions)]
    audit_bulk.append_many(session, entries)
    session.commit()
    rows = kept(session)
    assert [(stage, entered) for _, stage, entered, _, _ in rows] == [
        (stats.ENTERED[action].value, T0 + timedelta(days=1.5 * i)) for i, action in enumerate(actions)]
    assert [left for _, _, _, left, _ in rows] == [entered for _, _, entered, _, _ in rows[1:]] + [None]
    assert [days for _, _, _, _, days in rows[:-1]] == pytest.approx([1.5] * (len(actions) - 1), abs=1e-6)
    assert rows[-1][4] is None and {row[0] for row in rows} == {7}


def test_other_entries_neither_open_nor_close_a_stay_and_programmes_keep_their_own(session) -> None:  # noqa: ANN001
    audit_bulk.append_many(session, [
        entry(T0, "programme.create", 1),
        entry(T0 + timedelta(days=1), "programme.create", 2),
        entry(T0 + timedelta(days=2), "programme.section_saved", 1),
        entry(T0 + timedelta(days=3), "programme.transition_refused", 1),
        entry(T0 + timedelta(days=4), "programme.submit", 1, object_type="review"),
        entry(T0 + timedelta(days=5), "programme.submit", 2),
    ])
    session.commit()
    assert without_days(kept(session)) == [(1, "draft", T0, None),
                                           (2, "draft", T0 + timedelta(days=1), T0 + timedelta(days=5)),
                                           (2, "submitted", T0 + timedelta(days=5), None)]


def test_the_trigger_gives_the_stays_of_the_pure_definition(session) -> None:  # noqa: ANN001
    entries = history(30, seed=5)
    audit_bulk.append_many(session, entries, chunk_size=17)
    session.commit()
    assert without_days(kept(session)) == expected(entries)


@pytest.fixture
def old_database_url(tmp_path) -> Iterator[str]:  # noqa: ANN001
    """An empty database migrated to the revision before the stays."""
    if PG_URL:
        url = make_url(PG_URL).set(database=make_url(PG_URL).database + "_stays").render_as_string(
            hide_password=False)
        ensure_pg_database(url)
        reset_pg_schema(url)
        migrations.upgrade(url, BEFORE)
        yield url
        drop_pg_database(url)
        return
    url = f"sqlite:///{tmp_path / 'stays.sqlite3'}"
    migrations.upgrade(url, BEFORE)
    yield url


def test_the_backfill_gives_the_stays_of_the_pure_definition_and_the_trigger_carries_on(old_database_url) -> None:  # noqa: ANN001
    entries = history(40, seed=11)
    half = len(entries) // 2
    engine = make_engine(old_database_url)
    try:
        with Session(engine) as session:
            audit_bulk.append_many(session, entries[:half])
            session.commit()
        migrations.upgrade(old_database_url)
        with Session(engine) as session:
            assert without_days(kept(session)) == expected(entries[:half])
            audit_bulk.append_many(session, entries[half:])
            session.commit()
            rows = kept(session)
    finally:
        engine.dispose()
    assert without_days(rows) == expected(entries)
    assert [days for *_, days in rows if days is not None] == pytest.approx(
        [(left - entered).total_seconds() / 86400 for _, _, entered, left, _ in rows if left is not None], abs=1e-6)
