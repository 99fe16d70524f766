"""`qa-engine expire [--today YYYY-MM-DD] [--dry-run]`: end approvals whose validity ended and remind designers
before an approval ends (run it daily from cron).

Each line names what was done, e.g. `expired: programme #12 “Data Literacy” (valid until 2026-05-20)` or
`reminded: programme #12 before-90 (valid until 2026-05-20) -> ana@example.org`. Running it again the same
day does nothing new. Exit code 0; 1 when the database is not ready, 2 for a malformed option.
"""
from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import with_appcontext

from qa_engine.db import db
from qa_engine.services import validity
from qa_engine.services.validity import Expiry, ExpiryReminder, Run


@click.command("expire")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Act as if it were this day (default: today).")
@click.option("--dry-run", is_flag=True, help="Print what would be done; change and send nothing.")
@with_appcontext
def expire(today: datetime | None, dry_run: bool) -> None:
    """Move approved programmes whose approval ended to expired, and send the expiry reminders due."""
    day = today.date() if today else date.today()
    days = validity.reminder_days()
    if dry_run:
        with db.new_session() as session:
            planned = validity.plan(session, day, days)
            _report(planned, "would expire", "would remind")
        click.echo(f"{_count(planned, 'would expire', 'would be sent')} on {day.isoformat()} "
                   f"(dry run: nothing changed or sent).")
        return
    with db.transaction() as session:
        done = validity.run(session, day, days)
        _report(done, "expired", "reminded")
    click.echo(f"{_count(done, 'expired', 'sent')} on {day.isoformat()}; the mail worker delivers the e-mails.")


def describe_expiry(expiry: Expiry) -> str:
    """One line about an approval that ended."""
    return (f"programme #{expiry.programme.id} “{expiry.programme.title}” "
            f"(valid until {expiry.decision.valid_until.isoformat()})")


def describe_reminder(reminder: ExpiryReminder) -> str:
    """One line about an expiry reminder: programme, code, end date and where it goes."""
    return (f"programme #{reminder.programme.id} {reminder.code} "
            f"(valid until {reminder.decision.valid_until.isoformat()}) -> "
            f"{', '.join(person.email for person in reminder.recipients)}")


def _report(run: Run, expired: str, reminded: str) -> None:
    for expiry in run.expired:
        click.echo(f"{expired}: {describe_expiry(expiry)}")
    for reminder in run.reminded:
        click.echo(f"{reminded}: {describe_reminder(reminder)}")


def _count(run: Run, expired_verb: str, reminded_verb: str) -> str:
    expired, reminded = len(run.expired), len(run.reminded)
    return (f"{expired} approval{'s' * (expired != 1)} {expired_verb}, "
            f"{reminded} reminder{'s' * (reminded != 1)} {reminded_verb}")
