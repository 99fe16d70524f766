"""`qa-engine reports build`: render a batch of PDF reports in parallel worker processes.

    qa-engine reports build --out DIR [--period FROM..TO] [--kind assessment|letter|sheet|all]
                            [--audience applicant|internal] [--jobs N]

The batch is every programme whose decision in effect dated in the period (every decided programme without
--period): its assessment report, decision letter and micro-credential description sheet. The applicant report
and the letter are the ones issued with the decision, from its archive (checked); the internal report and the
sheet are rendered. Rendering is CPU-bound, so the work goes to a pool of processes, one per core by default,
each of which builds its own application and database sessions (started fresh, never forked: a forked database
connection would be shared with the parent). A progress bar runs on stderr; the summary line says how many files,
how many seconds and how much CPU the workers used. Exit code 0; 1 when some report failed (each is named on
stderr), 2 for a malformed option.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from qa_engine.db import db
from qa_engine.models import Decision
from qa_engine.reports.data import Audience
from qa_engine.services import decision_records, report_archive, report_data
from qa_engine.services.report_archive import Document

KINDS = ("assessment", "letter", "sheet")


@dataclass(frozen=True)
class Job:
    """One file to build: a kind of report of a decided programme."""

    decision_id: int
    programme_id: int
    kind: str
    audience: Audience

    @property
    def file_name(self) -> str:
        """e.g. 000042-assessment.pdf, 000042-assessment-internal.pdf, 000042-letter.pdf."""
        internal = "-internal" if self.kind == "assessment" and self.audience is Audience.INTERNAL else ""
        return f"{self.programme_id:06d}-{self.kind}{internal}.pdf"


@dataclass(frozen=True)
class Built:
    """What a worker did with a job: the file it wrote (or the error), and its process's CPU time so far."""

    job: Job
    size: int
    error: str
    pid: int
    cpu: float


@dataclass(frozen=True)
class Batch:
    """A finished batch."""

    built: tuple[Built, ...]
    seconds: float
    workers: int

    @property
    def failed(self) -> tuple[Built, ...]:
        """The jobs that raised."""
        return tuple(item for item in self.built if item.error)

    @property
    def cpu_by_process(self) -> dict[int, float]:
        """Each worker process's CPU seconds (its last report)."""
        found: dict[int, float] = {}
        for item in self.built:
            found[item.pid] = max(found.get(item.pid, 0.0), item.cpu)
        return found


@click.group("reports")
def reports() -> None:
    """PDF reports: assessment reports, decision letters and description sheets, built in batches."""


@reports.command("build")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the PDFs into (created when missing).")
@click.option("--period", metavar="FROM..TO", help="Only programmes decided from FROM to TO (YYYY-MM-DD, inclusive).")
@click.option("--kind", type=click.Choice([*KINDS, "all"]), default="all", show_default=True)
@click.option("--audience", type=click.Choice([a.value for a in Audience]), default=Audience.APPLICANT.value,
              show_default=True, help="The rendering of the assessment report.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@with_appcontext
def build(out: Path, period: str | None, kind: str, audience: str, jobs: int | None) -> None:
    """Render the reports of every programme decided in the period, in parallel worker processes."""
    span = parse_period(period) if period else None
    kinds = KINDS if kind == "all" else (kind,)
    with db.new_session() as session:
        planned = plan(session, span, kinds, Audience(audience))
    if not planned:
        click.echo("No decided programme in the period: nothing to build.")
        return
    with click.progressbar(length=len(planned), label="Rendering", file=sys.stderr) as bar:
        done = run(planned, worker_config(current_app), out, workers=jobs or cpu_count(), progress=bar.update)
    for item in done.failed:
        click.echo(f"error: {item.job.file_name}: {item.error}", err=True)
    click.echo(summary_line(done, out))
    if done.failed:
        sys.exit(1)


def parse_period(text: str) -> tuple[date, date]:
    """FROM..TO as two dates. :raises click.BadParameter: when malformed or backwards."""
    start, separator, end = text.partition("..")
    try:
        first, last = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
    except ValueError:
        raise click.BadParameter("give the period as FROM..TO, e.g. 2026-01-01..2026-12-31",
                                 param_hint="--period") from None
    if not separator or last < first:
        raise click.BadParameter("the period ends before it starts", param_hint="--period")
    return first, last


def plan(session: Session, span: tuple[date, date] | None, kinds: tuple[str, ...], audience: Audience) -> list[Job]:
    """The jobs of the batch: each kind of report of each programme whose decision in effect dated in `span`."""
    query = decision_records.newest_effective().with_only_columns(Decision.id, Decision.programme_id)
    if span is not None:
        query = query.where(Decision.decided_on.between(*span))
    rows = session.execute(query.order_by(Decision.programme_id)).all()
    return [Job(decision_id, programme_id, kind, audience) for decision_id, programme_id in rows for kind in kinds]


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def worker_config(app: Flask) -> dict[str, Any]:
    """What a worker needs to build the same application: its configuration (what pickles), with the archive
    folder made absolute since a worker's instance folder is its own."""
    config = {key: value for key, value in app.config.items() if _picklable(value)}
    config["REPORTS_DIR"] = str(report_data.report_settings(app.config, app.instance_path).reports_dir)
    return config


def run(jobs: list[Job], config: Mapping[str, Any], out: Path, *, workers: int,
        progress: Any = None) -> Batch:
    """Build the jobs into `out` (created when missing) in `workers` fresh processes; `progress(n)` is called as
    they finish."""
    out.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(workers, len(jobs)))
    started = time.perf_counter()
    built = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=start_worker, initargs=(dict(config),)) as pool:
        for future in _finished(pool, jobs, out):
            built.append(future.result())
            if progress is not None:
                progress(1)
    return Batch(tuple(built), time.perf_counter() - started, workers)


def summary_line(done: Batch, out: Path) -> str:
    """e.g. "Built 200 files (31.2 MiB) in 61.3 s with 2 worker processes (119.8 s CPU) into reports/"."""
    written = [item for item in done.built if not item.error]
    size = sum(item.size for item in written) / 2**20
    cpu = sum(done.cpu_by_process.values())
    failed = f"; {len(done.failed)} failed" if done.failed else ""
    files = f"{len(written)} file{'s' * (len(written) != 1)}"
    processes = f"{done.workers} worker process{'es' * (done.workers != 1)}"
    return (f"Built {files} ({size:.1f} MiB) in {done.seconds:.1f} s with {processes} ({cpu:.1f} s CPU) "
            f"into {out}{failed}")


# In the worker processes ----------------------------------------------------------------------------------

_app: Flask | None = None


def start_worker(config: dict[str, Any]) -> None:
    """Build this worker's own application (engine, catalogue, settings) once."""
    global _app
    from qa_engine import create_app

    _app = create_app(config)


def build_one(job: Job, out: str) -> Built:
    """Render one job into `out` (written to a temporary name, then renamed); errors are reported, not raised."""
    assert _app is not None, "start_worker was not called"
    try:
        with _app.app_context(), db.new_session() as session:
            content = render(session, job, report_data.sources())
        target = Path(out) / job.file_name
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        temporary.write_bytes(content)
        temporary.replace(target)
        return Built(job, len(content), "", os.getpid(), time.process_time())
    except Exception as error:  # noqa: BLE001 - one bad report must not stop the batch; the parent names it
        return Built(job, 0, f"{type(error).__name__}: {error}", os.getpid(), time.process_time())


def render(session: Session, job: Job, given: report_data.Sources) -> bytes:
    """The PDF of one job."""
    decision = session.get(Decision, job.decision_id)
    if decision is None:
        raise LookupError(f"decision {job.decision_id} is gone")
    if job.kind == "letter":
        return report_archive.issued_or_rendered(session, decision, Document.LETTER, given)
    if job.kind == "sheet":
        return report_archive.sheet(session, decision.programme, decision, given) or b""
    if job.audience is Audience.APPLICANT:
        return report_archive.issued_or_rendered(session, decision, Document.ASSESSMENT, given)
    return report_archive.assessment(session, report_data.of_decision(session, decision), job.audience, given)


def _finished(pool: ProcessPoolExecutor, jobs: list[Job], out: Path) -> Iterator[Future[Built]]:
    futures = [pool.submit(build_one, job, str(out)) for job in jobs]
    yield from as_completed(futures)


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001 - anything that does not pickle stays behind
        return False
    return True

