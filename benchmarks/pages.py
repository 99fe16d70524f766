"""Time the main pages at two data sizes (issue #7): median and p90 ms, SQL statements per request, 50k/1k ratio.

Run (SQLite, throw-away files; about 4 min of seeding at 50k):
    .venv/bin/python benchmarks/pages.py
Keep the seeded SQLite files in a folder and time them again later without seeding (the schema is upgraded to
head and ANALYZE run again, so new indexes are picked up):
    .venv/bin/python benchmarks/pages.py --keep /tmp/qa_pages
    .venv/bin/python benchmarks/pages.py --keep /tmp/qa_pages --reuse
PostgreSQL: the URL names a database with "bench" in it; one database per size is made from it by suffixing the
size (qa_engine_bench_pages_1000, qa_engine_bench_pages_50000), dropped and created afresh unless --reuse finds
it seeded, and kept (drop them with DROP DATABASE when done):
    .venv/bin/python benchmarks/pages.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/qa_engine_bench_pages [--reuse]
Other options: --sizes 1000,50000 --repeat 30 --warmup 3 --seed 0; --pages register,analytics times only the
pages whose names contain one of these, --skip analytics leaves those out (the analytics take seconds at 50k).
The analytics page is timed twice: as officers see it (a period's figures are kept up to ANALYTICS_MAX_AGE, five
minutes, by each process) and computed at every request (&fresh=1, "Compute them again now").

Each database is seeded by services.bulk_seed (as benchmarks/seed.py does) and ANALYZEd (VACUUM ANALYZE on
PostgreSQL). The pages are asked for in-process through the Flask test client (no HTTP server, no network) by an
officer, the designer with the most programmes, the reviewer with the most submitted reviews and an anonymous
visitor, signed in as the tests do (a login session opened by services.auth, no sign-in request). The login rate
limiter is switched off (RATELIMIT_ENABLED = False): no page timed here is limited, but the benchmark should not
depend on it. Each page is asked for --warmup times at each size, then --repeat times at each, the sizes taking
turns request by request (one app per size in this process), so that a burst of other work on the machine slows
both sides of a ratio alike. The table flags (!) a median over 100 ms and a 50k/1k ratio over 1.5.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
from seed import fresh, size  # noqa: E402  (benchmarks/seed.py: a fresh database)

from qa_engine import catalogue, create_app, migrations  # noqa: E402
from qa_engine import config as configuration  # noqa: E402
from qa_engine.db import Database, utcnow  # noqa: E402
from qa_engine.domain.workflow import State  # noqa: E402
from qa_engine.models import Programme, User  # noqa: E402
from qa_engine.paths import resource_dir  # noqa: E402
from qa_engine.services import auth, bulk_seed  # noqa: E402

LIMIT_MS = 100.0
LIMIT_RATIO = 1.5
SEARCH = "forest"  # a word of one seeded topic (Sustainable Forest Management)


@dataclass(frozen=True)
class Timing:
    median: float
    p90: float
    statements: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL: a database name with 'bench' in it (suffixed per size)")
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="SQLite: keep the seeded files in this folder")
    parser.add_argument("--reuse", action="store_true", help="time a kept database already seeded at that size")
    parser.add_argument("--pages", default="", help="only the pages whose names contain one of these (comma list)")
    parser.add_argument("--skip", default="", help="leave out the pages whose names contain one of these")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    wanted = [w for w in args.pages.split(",") if w]
    skipped = [w for w in args.skip.split(",") if w]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        urls = {n: _url(args.database_url, folder, n) for n in sizes}
        for n, url in urls.items():
            prepare(url, n, args.seed, reuse=args.reuse)
        results = measure(urls, tmp, repeat=args.repeat, warmup=args.warmup, wanted=wanted, skipped=skipped)
        print_table(make_url(_url(args.database_url, folder, sizes[0])).get_backend_name(), sizes, results,
                    args.repeat)


def _url(database_url: str | None, folder: Path, n: int) -> str:
    if database_url:
        parsed = make_url(database_url)
        return parsed.set(database=f"{parsed.database}_{n}").render_as_string(hide_password=False)
    return f"sqlite:///{folder / f'pages_{n}.sqlite3'}"


# Seeding --------------------------------------------------------------------------------------------------------


def prepare(url: str, n: int, seed: int, *, reuse: bool) -> None:
    """A database at `url` seeded with `n` programmes, at the schema's head and ANALYZEd."""
    if reuse and _seeded(url) == n:
        print(f"reusing {_name(url)} ({n:,} programmes)", flush=True)
        migrations.upgrade(url)
    else:
        if url.startswith("sqlite"):
            Path(make_url(url).database or "").unlink(missing_ok=True)
        fresh(url)
        migrations.upgrade(url)
        start = time.perf_counter()
        db = Database()
        db.configure(url)
        with db.transaction() as session:
            bulk_seed.seed(session, n, today=utcnow().date(), seed=seed, reference=catalogue.load(
                resource_dir("rubrics")), config=configuration.load(tempfile.gettempdir()))
        print(f"seeded {_name(url)}: {n:,} programmes in {time.perf_counter() - start:.0f} s, "
              f"{size(db, url):,.0f} MB", flush=True)
        db.engine.dispose()
    analyze(url)


def _seeded(url: str) -> int | None:
    """How many programmes the database holds, or None when it is not there or not migrated."""
    if url.startswith("sqlite") and not Path(make_url(url).database or "").exists():
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Programme))
    except Exception:  # noqa: BLE001  (no such database or table)
        return None
    finally:
        engine.dispose()


def analyze(url: str) -> None:
    """Fresh planner statistics: ANALYZE; on PostgreSQL VACUUM ANALYZE (what autovacuum would soon have done after
    the bulk load: the visibility map that index-only scans need)."""
    start = time.perf_counter()
    command = "VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(command))
    engine.dispose()
    print(f"{command} {_name(url)}: {time.perf_counter() - start:.1f} s", flush=True)


def _name(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.get_backend_name()} {Path(parsed.database or '').name}"


# Timing ---------------------------------------------------------------------------------------------------------


@dataclass
class Site:
    """One size's database as the pages see it: the app, a signed-in client per person, the pages."""

    app: Flask
    clients: dict[str, FlaskClient]
    pages: dict[str, tuple[str, str]]


def measure(urls: dict[int, str], instance: str, *, repeat: int, warmup: int, wanted: list[str],
            skipped: list[str]) -> dict[int, dict[str, Timing]]:
    """Every page's timing at every size. The sizes take turns, request by request (in turn order reversed every
    round), so that what else the machine does in a page's few seconds slows each size alike and the ratio holds."""
    sites = {n: _site(url, instance) for n, url in urls.items()}
    names = [name for name in next(iter(sites.values())).pages
             if (not wanted or any(w in name for w in wanted)) and not any(w in name for w in skipped)]
    timings: dict[int, dict[str, Timing]] = {n: {} for n in sites}
    for name in names:
        for site in sites.values():
            for _ in range(warmup):
                _get(site.clients[site.pages[name][0]], site.pages[name][1])
        seconds: dict[int, list[float]] = {n: [] for n in sites}
        statements: dict[int, list[str]] = {}
        with ExitStack() as stack:
            for n, site in sites.items():
                statements[n] = stack.enter_context(_counting(site.app))
            for turn in range(repeat):
                for n in (list(sites) if turn % 2 == 0 else list(reversed(sites))):
                    who, path = sites[n].pages[name]
                    start = time.perf_counter()
                    _get(sites[n].clients[who], path)
                    seconds[n].append((time.perf_counter() - start) * 1000)
        for n in sites:
            deciles = statistics.quantiles(seconds[n], n=10, method="inclusive")
            timings[n][name] = Timing(statistics.median(seconds[n]), deciles[-1], len(statements[n]) / repeat)
        print(f"  {name:<34} " + "  ".join(f"{n:,}: {timings[n][name].median:6.1f} ms" for n in sites), flush=True)
    for site in sites.values():
        site.app.extensions["qa_engine.db"].engine.dispose()
    return timings


def _site(url: str, instance: str) -> Site:
    app = create_app({"SECRET_KEY": "benchmark", "DATABASE_URL": url, "SERVER_NAME": "localhost",
                      "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})
    app.instance_path = instance
    with app.extensions["qa_engine.db"].new_session() as session:
        people = bulk_seed.busiest(session)
        pages = _pages(session, people)
    clients = {who: _client(app, user) for who, user in people.items()}
    clients["public"] = app.test_client()
    return Site(app, clients, pages)


def _pages(session: Any, people: dict[str, User]) -> dict[str, tuple[str, str]]:
    """Page name -> (who asks, path). The programme page is the designer's approved programme with the longest
    history; the register entry is that programme's."""
    today = utcnow().date()
    approved = session.scalars(select(Programme.id).where(Programme.designer_id == people["designer"].id,
                                                          Programme.state == State.APPROVED)
                               .order_by(Programme.id)).first()
    period = f"from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"
    return {
        "officer /qa/dashboard": ("officer", "/qa/dashboard"),
        "officer /qa/dashboard?state&q": ("officer", f"/qa/dashboard?state=in_review&q={SEARCH}"),
        # a full page deep in the list at both sizes (1,000 programmes fill 37 pages: page 40 was an empty one)
        "officer /qa/dashboard?page=30": ("officer", "/qa/dashboard?page=30"),
        "officer /qa/analytics (a year)": ("officer", f"/qa/analytics?{period}"),
        "officer /qa/analytics, computed": ("officer", f"/qa/analytics?{period}&fresh=1"),
        "officer / (home)": ("officer", "/"),
        "designer / (home)": ("designer", "/"),
        "reviewer / (home)": ("reviewer", "/"),
        "public /register": ("public", "/register"),
        f"public /register?q={SEARCH}": ("public", f"/register?q={SEARCH}"),
        "public /register/<id>": ("public", f"/register/{approved}"),
        "officer /programmes/<id>": ("officer", f"/programmes/{approved}"),
        "designer /programmes/<id>": ("designer", f"/programmes/{approved}"),
    }


def _client(app: Flask, user: User) -> FlaskClient:
    """A test client with a live login session for `user` (as tests/factories.sign_in does)."""
    with app.extensions["qa_engine.db"].transaction() as session:
        token = auth.open_session(session, session.get(User, user.id), ip="127.0.0.1", user_agent="benchmark")
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = token
        cookie["_fresh"] = True
    return client


def _get(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")


@contextmanager
def _counting(app: Flask) -> Iterator[list[str]]:
    engine = app.extensions["qa_engine.db"].engine
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def print_table(backend: str, sizes: list[int], results: dict[int, dict[str, Timing]], repeat: int) -> None:
    small, large = sizes[0], sizes[-1]
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\n{backend}: {repeat} requests per page after warm-up; rate limiter off; load average now {load} "
          f"on {os.cpu_count()} CPUs; (!) = median over {LIMIT_MS:.0f} ms or {large:,}/{small:,} ratio over "
          f"{LIMIT_RATIO}")
    header = "".join(f" | {f'{n:,}: median':>13} {'p90':>7} {'SQL':>5}" for n in sizes)
    print(f"{'page':<34}{header} | ratio")
    for name in results[small]:
        cells = "".join(f" | {results[n][name].median:11.1f}ms {results[n][name].p90:5.1f}ms "
                        f"{results[n][name].statements:5.1f}" for n in sizes)
        ratio = results[large][name].median / results[small][name].median
        slow = any(results[n][name].median > LIMIT_MS for n in sizes) or ratio > LIMIT_RATIO
        print(f"{name:<34}{cells} | {ratio:5.2f}{' (!)' if slow else ''}")


if __name__ == "__main__":
    main()
