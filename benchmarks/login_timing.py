"""Time failed sign-ins: an unknown account, a wrong password and a deactivated account should cost the same.

Run: .venv/bin/python benchmarks/login_timing.py [--tries 30]
Uses the production Argon2id parameters on a throw-away SQLite database.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from qa_engine import create_app, migrations
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.services import auth, users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=30)
    tries = parser.parse_args().tries
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migrations.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOGIN_MAX_FAILURES": 10**6})
        db = app.extensions["qa_engine.db"]
        with db.transaction() as session:
            agency = users.create_institution(session, name="A", short_name="A", country="ES",
                                              kind=InstitutionKind.AGENCY, by=None)
            users.create_user(session, email="active@example.org", full_name="Active", institution=agency,
                              roles={Role.DESIGNER}, by=None, password="the right passphrase")
            gone = users.create_user(session, email="gone@example.org", full_name="Gone", institution=agency,
                                     roles={Role.DESIGNER}, by=None, password="the right passphrase")
            gone.is_active = False
        hour = timedelta(hours=1)
        policy = auth.LoginPolicy(max_failures=10**6, lockout=hour, idle_timeout=hour, absolute_timeout=hour)
        cases = {
            "wrong password": ("active@example.org", "wrong"),
            "unknown account": ("nobody@example.org", "wrong"),
            "deactivated account": ("gone@example.org", "the right passphrase"),
        }
        print(f"{'case':<22}{'median ms':>10}{'p10 ms':>9}{'p90 ms':>9}   ({tries} tries each, interleaved)")
        timings: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(tries):
            for name, (email, password) in cases.items():
                with db.transaction() as session:
                    start = time.perf_counter()
                    result = auth.authenticate(session, email, password, policy, ip=None, user_agent=None)
                    timings[name].append((time.perf_counter() - start) * 1000)
                assert result.outcome is auth.LoginOutcome.INVALID
        for name, values in timings.items():
            deciles = statistics.quantiles(values, n=10)
            print(f"{name:<22}{statistics.median(values):>10.1f}{deciles[0]:>9.1f}{deciles[-1]:>9.1f}")


if __name__ == "__main__":
    main()
