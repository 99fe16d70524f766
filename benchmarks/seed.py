"""Seed a fresh database with N programmes (services.bulk_seed); prints programmes/s, rows per table and the times.

Run: .venv/bin/python benchmarks/seed.py --programmes 50000 [--database-url URL] [--seed 0] [--keep]
The configuration is the defaults with any QA_ENGINE_* environment variables (e.g. QA_ENGINE_FOUR_EYES=true).
Without --database-url a throw-away SQLite file in a temporary directory is used. A PostgreSQL URL must name a
dedicated database with "bench" in its name (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/qa_engine_bench_seed):
it is dropped and created afresh, migrated, seeded, and dropped at the end unless --keep is given.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qa_engine import catalogue, migrations
from qa_engine import config as configuration
from qa_engine.db import Database, utcnow
from qa_engine.domain.audit_chain import ChainBreak
from qa_engine.paths import resource_dir
from qa_engine.services import audit, bulk_seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programmes", type=int, default=1000)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (SQLite files never are)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        fresh(url)
        try:
            run(url, args.programmes, args.seed, configuration.load(tmp))
        finally:
            if url.startswith("postgresql") and not args.keep:
                drop(url)


def run(url: str, programmes: int, seed: int, config: dict[str, Any]) -> None:
    start = time.perf_counter()
    migrations.upgrade(url)
    migrated = time.perf_counter()
    reference = catalogue.load(resource_dir("rubrics"))
    db = Database()
    db.configure(url)
    today = utcnow().date()
    with db.transaction() as session:
        summary = bulk_seed.seed(session, programmes, today=today, seed=seed, reference=reference, config=config)
        seeded = time.perf_counter()
    committed = time.perf_counter()
    with db.new_session() as session:
        broken = audit.verify(session)
    verified = time.perf_counter()
    report(url, summary, today, {
        "migrate": migrated - start, "seed": seeded - migrated, "commit": committed - seeded,
        "verify the audit chain": verified - committed}, size(db, url), broken)
    db.engine.dispose()


def report(url: str, summary: bulk_seed.SeedSummary, today: date, seconds: dict[str, float], megabytes: float,
           broken: ChainBreak | None) -> None:
    backend = make_url(url).get_backend_name()
    writing = seconds["seed"] + seconds["commit"]
    print(f"backend {backend}: {summary.programmes:,} programmes seeded as of {today} in {writing:.1f} s "
          f"({summary.programmes / writing:,.0f} programmes/s, seed {seconds['seed']:.1f} s + "
          f"commit {seconds['commit']:.1f} s)")
    print(f"audit chain: {summary.audit_entries:,} entries appended, verified in "
          f"{seconds['verify the audit chain']:.1f} s: {'unbroken' if broken is None else broken}")
    print("rows inserted per table:")
    for table, count in summary.rows.items():
        print(f"  {table:<24} {count:>10,}")
    print(f"  {'audit_entries':<24} {summary.audit_entries:>10,}")
    print("programmes by state: " + ", ".join(f"{state.value} {count:,}" for state, count in
                                             sorted(summary.states.items(), key=lambda item: -item[1])))
    total = sum(seconds.values())
    print(f"database size {megabytes:,.0f} MB; total time {total:.1f} s (migrate {seconds['migrate']:.1f} s)")


def fresh(url: str) -> None:
    """An empty database at `url`: a new SQLite file, or the PostgreSQL database dropped and created again."""
    if not url.startswith("postgresql"):
        return
    name = make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to drop and recreate {name!r}: name a dedicated database with 'bench' in it")
    drop(url)
    with _admin(url) as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))


def drop(url: str) -> None:
    with _admin(url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _admin(url: str):  # noqa: ANN202
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT").connect()


def size(db: Database, url: str) -> float:
    if url.startswith("postgresql"):
        with db.engine.connect() as conn:
            return conn.scalar(text("SELECT pg_database_size(current_database())")) / 1e6
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything into the database file
    return os.path.getsize(make_url(url).database or "") / 1e6


if __name__ == "__main__":
    main()
