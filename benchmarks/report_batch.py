"""Measure `qa-engine reports build` on a batch of reports: wall time, CPU time and how the worker processes share it.

Run: .venv/bin/python benchmarks/report_batch.py [--documents 200] [--jobs 1,2] [--programmes 160] [--seed 0]

A throw-away SQLite database in a temporary folder is migrated and seeded with full-size decided programmes: the
sound example proposal and its screening, a blind panel of three reviewers who justify every mark, a consensus, a
decision with two conditions. The batch is the applicant assessment report and the decision letter of each, the
first `--documents` of them, built with the command's own `run` (the process pool, one fresh application per
worker) once per `--jobs` value. For each it prints the wall
time, the CPU time of the worker processes (getrusage of the reaped children, and each worker's own report) and
CPU / wall: above 1.5 on two workers means both cores were busy.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from qa_engine import catalogue, create_app, migrations
from qa_engine.commands import reports as command
from qa_engine.db import db, utcnow
from qa_engine.domain import screening
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import MemberStatus, ProfileType
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import (
    Assignment,
    Condition,
    ConsensusMark,
    Decision,
    DecisionStatus,
    Programme,
    ProgrammeVersion,
    Review,
)
from qa_engine.reports import elements
from qa_engine.reports.data import Audience
from qa_engine.services import users

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "proposals" / "sound-data-analytics.json"
PROFILES = (ProfileType.ACADEMIC, ProfileType.PROFESSIONAL, ProfileType.STUDENT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--jobs", default="1,2", help="worker counts to compare, e.g. 1,2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        migrations.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "REPORTS_DIR": str(folder / "archive")})
        jobs = seeded_jobs(app, args.documents)
        print(f"batch: {len(jobs)} documents ({sum(j.kind == 'assessment' for j in jobs)} assessment reports, "
              f"{sum(j.kind == 'letter' for j in jobs)} decision letters) of {len({j.programme_id for j in jobs})} "
              f"decided programmes; {command.cpu_count()} cores available")
        baseline = None
        for workers in (int(n) for n in args.jobs.split(",")):
            wall = measure(app, jobs, folder / f"out-{workers}", workers)
            baseline = baseline or wall
            print(f"  speed-up over {args.jobs.split(',')[0]} worker(s): {baseline / wall:.2f}")
        app.extensions["qa_engine.db"].engine.dispose()


def seeded_jobs(app, documents: int) -> list[command.Job]:  # noqa: ANN001
    """Seed enough decided programmes and plan the batch: the assessment report and letter of each."""
    started = time.perf_counter()
    programmes = (documents + 1) // 2
    with app.app_context():
        with db.transaction() as session:
            seed(session, programmes)
        with db.new_session() as session:
            jobs = command.plan(session, None, ("assessment", "letter"), Audience.APPLICANT)
    print(f"seeded {programmes} decided programmes in {time.perf_counter() - started:.1f} s")
    return jobs[:documents]


def seed(session, programmes: int) -> None:  # noqa: ANN001
    """Decided programmes with full reports: proposal, screening, three reviews with justifications, consensus,
    a decision with conditions."""
    today = utcnow().date()
    proposal = json.loads(EXAMPLE.read_text())
    content = json.dumps(proposal, sort_keys=True)
    found = screening.screen(proposal_from_dict(proposal), screening.ScreeningConfig(), elements.vocabularies(),
                             today=today)
    rubric = catalogue.current().rubrics.get("slp-ex-ante")
    agency = users.create_institution(session, name="Benchmark Agency", short_name="BA", country="ES",
                                      kind=InstitutionKind.AGENCY, by=None)
    provider = users.create_institution(session, name="Benchmark University", short_name="BU", country="ES",
                                        kind=InstitutionKind.PROVIDER, by=None)
    officer = users.create_user(session, email="officer@bench.example", full_name="Olga Officer", institution=agency,
                                roles={Role.QA_OFFICER}, by=None)
    designer = users.create_user(session, email="designer@bench.example", full_name="Dana Designer",
                                 institution=provider, roles={Role.DESIGNER}, by=None)
    reviewers = [users.create_user(session, email=f"reviewer{n}@bench.example", full_name=name, institution=agency,
                                   roles={Role.REVIEWER}, by=None)
                 for n, name in enumerate(("Maria Rossi", "Jan de Vries", "Aino Virtanen"))]
    chance = random.Random(7)
    for number in range(programmes):
        _decided(session, number, content, found, rubric, officer, designer, reviewers, chance, today)


def _decided(session, number: int, content: str, found, rubric, officer, designer, reviewers,  # noqa: ANN001
             chance: random.Random, today: date) -> None:
    programme = Programme(title=f"Programme {number}", provider_id=designer.institution_id, designer_id=designer.id,
                          state=State.CONDITIONS, current_version=1)
    session.add(programme)
    session.flush()
    session.add(ProgrammeVersion(programme_id=programme.id, number=1, content=content,
                                 content_sha256=hashlib.sha256(content.encode()).hexdigest(),
                                 screening=json.dumps(found.to_dict()), submitted_by_id=designer.id))
    review = Review(programme_id=programme.id, version_number=1, review_type="standard", rubric_key=rubric.key,
                    rubric_sha256=rubric.content_hash, blind=True, due_on=today, opened_by_id=officer.id)
    session.add(review)
    session.flush()
    for index, reviewer in enumerate(reviewers):
        marks = {c.id: {"value": chance.choice((2, 3, 3, 3, 4)),
                        "justification": f"{c.title}: the proposal gives evidence in its sections on "
                                         f"{c.dimension_id}, which reviewer {index + 1} checked."}
                 for c in rubric.criteria}
        session.add(Assignment(review_id=review.id, reviewer_id=reviewer.id, profile_type=PROFILES[index],
                               status=MemberStatus.SUBMITTED, invited_by_id=officer.id, marks=json.dumps(marks),
                               submitted_at=utcnow(), declared_at=utcnow(), hours=Decimal("6")))
    session.add(ConsensusMark(review_id=review.id, criterion_id=rubric.criteria[0].id, value=3,
                              reason="The panel agreed that the elements are complete after discussion.",
                              recorded_by_id=officer.id))
    decision = Decision(programme_id=programme.id, review_id=review.id, version_number=1,
                        status=DecisionStatus.EFFECTIVE, outcome=Outcome.APPROVED_WITH_CONDITIONS,
                        rationale="The programme meets the standards, with two fixable shortcomings.",
                        recommendations="Publish the RPL procedure in English.", valid_from=today,
                        valid_until=today + timedelta(days=1095), decision_body="Accreditation committee",
                        decided_by_id=officer.id, decided_on=today, appeal_deadline=today + timedelta(days=30))
    decision.conditions = [
        Condition(number=1, text="Verify identity in the portfolio assessment.", evidence_required="Revised brief",
                  due_on=today + timedelta(days=90)),
        Condition(number=2, text="Set a target for the employment indicator.", evidence_required="QA plan",
                  due_on=today + timedelta(days=180))]
    session.add(decision)


def measure(app, jobs: list[command.Job], out: Path, workers: int) -> float:  # noqa: ANN001
    """Build the batch with `workers` processes and print the figures; returns the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = command.run(jobs, command.worker_config(app), out, workers=workers)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    per_process = sorted(done.cpu_by_process.values(), reverse=True)
    jobs_per = sorted((sum(1 for b in done.built if b.pid == pid) for pid in done.cpu_by_process), reverse=True)
    size = sum(b.size for b in done.built) / 2**20
    print(f"jobs={workers}: {len(done.built) - len(done.failed)} files, {len(done.failed)} failed, {size:.1f} MiB, "
          f"wall {done.seconds:.1f} s, worker CPU {children:.1f} s (getrusage of the children), "
          f"CPU / wall {children / done.seconds:.2f}")
    print(f"  per worker process: CPU {', '.join(f'{cpu:.1f} s' for cpu in per_process)}; "
          f"documents {', '.join(map(str, jobs_per))}; median {statistics.median(per_process):.1f} s")
    for failure in done.failed[:3]:
        print(f"  failed: {failure.job.file_name}: {failure.error}")
    return done.seconds


if __name__ == "__main__":
    main()
