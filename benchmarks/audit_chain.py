"""Append N audit entries, then verify the whole chain; prints both rates.

Run: .venv/bin/python benchmarks/audit_chain.py [--entries 10000] [--database-url URL]
Without --database-url a throw-away SQLite file is used. On PostgreSQL the database must be empty and migrated.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from qa_engine import migrations
from qa_engine.db import Database
from qa_engine.services import audit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrations.upgrade(url)
        db = Database()
        db.configure(url)
        start = time.perf_counter()
        with db.transaction() as session:
            for n in range(args.entries):
                audit.record(session, "bench.event", actor=None, obj=("thing", n), details={"n": n})
        appended = time.perf_counter() - start
        with db.new_session() as session:
            start = time.perf_counter()
            broken = audit.verify(session)
            verified = time.perf_counter() - start
            total = audit.count(session)
        backend = url.split(":", 1)[0]
        print(f"backend {backend}: appended {args.entries} entries in {appended:.2f} s "
              f"({args.entries / appended:,.0f}/s, one transaction)")
        print(f"verified {total} entries in {verified:.2f} s ({total / verified:,.0f}/s): "
              f"{'unbroken' if broken is None else broken}")
        db.engine.dispose()


if __name__ == "__main__":
    main()
