"""`qa-engine remind [--today YYYY-MM-DD] [--dry-run]`: the daily reminders and escalations (run it from cron).

Each line names the mail, the kind of work, its subject id, the reminder code, the due date and the address,
e.g. `reminder review #12 before-2 due 2026-05-20 -> ana@example.org`. Running it again the same day sends
nothing new. Exit code 0; 1 when the database is not ready, 2 for a malformed option.
"""
from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import with_appcontext

from qa_engine.db import db
from qa_engine.services import reminders, reviews
from qa_engine.services.reminders import Planned


@click.command("remind")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Act as if it were this day (default: today).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; record and send nothing.")
@with_appcontext
def remind(today: datetime | None, dry_run: bool) -> None:
    """Send the reminders due today and escalate overdue work to the QA officer; never the same one twice."""
    day = today.date() if today else date.today()
    settings = reviews.current_settings()
    if dry_run:
        with db.new_session() as session:
            planned = reminders.plan(session, settings, day)
        _report("would send", planned)
        click.echo(f"{_count(planned)} would be sent on {day.isoformat()} (dry run: nothing recorded or sent).")
        return
    with db.transaction() as session:
        sent = reminders.run(session, settings, day)
    _report("sent", sent)
    click.echo(f"{_count(sent)} sent on {day.isoformat()}; the mail worker delivers them.")


def describe(planned: Planned) -> str:
    """One line about a reminder: mail, kind, subject, code, due date and address."""
    reminder, to = planned.reminder, planned.to
    return (f"{planned.event} {reminder.kind.value} #{reminder.assignment_id} {reminder.code} "
            f"due {reminder.due.isoformat()} -> {to.email if to else '?'}")


def _report(verb: str, planned: list[Planned]) -> None:
    for item in planned:
        click.echo(f"{verb}: {describe(item)}")


def _count(planned: list[Planned]) -> str:
    return f"{len(planned)} reminder{'s' * (len(planned) != 1)}"
