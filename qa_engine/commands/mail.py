"""`qa-engine worker`: deliver the outbox over SMTP, once (cron, tests) or as a long-running process.

Exit codes: 0 the due messages were handled (sent, or scheduled for a retry, or given up), 1 the mail server
or the configuration is unusable (a message on stderr; the rows wait for the next run).
"""
from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from qa_engine.db import db
from qa_engine.services import outbox
from qa_engine.services.outbox import Delivery, MailServerDown, MailSettings, Outcome


class Tally:
    """Prints one line per message and counts the outcomes for the summary."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.counts: Counter[Outcome] = Counter()

    def __call__(self, delivery: Delivery) -> None:
        self.counts[delivery.outcome] += 1
        click.echo(f"#{delivery.id} {delivery.event} {delivery.to_address}: {self._describe(delivery)}")

    def _describe(self, delivery: Delivery) -> str:
        if delivery.outcome is Outcome.SENT:
            return "sent"
        if delivery.outcome is Outcome.RETRY:
            when = f"{delivery.next_attempt_at:%Y-%m-%d %H:%M} UTC" if delivery.next_attempt_at else "later"
            return (f"failed (attempt {delivery.attempts} of {self.settings.max_attempts}), "
                    f"retrying at {when}: {delivery.error}")
        return f"failed, gave up after {delivery.attempts} attempt{'s' * (delivery.attempts != 1)}: {delivery.error}"

    @property
    def handled(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return (f"{self.counts[Outcome.SENT]} sent, {self.counts[Outcome.RETRY]} to retry, "
                f"{self.counts[Outcome.FAILED]} failed.")


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron and tests).")
@click.option("--batch", default=50, show_default=True, type=click.IntRange(min=1),
              help="Messages taken per round.")
@click.option("--interval", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait between rounds (without --once).")
@with_appcontext
def worker(once: bool, batch: int, interval: float) -> None:
    """Send the queued e-mails over SMTP, retrying failures with backoff; stop with Ctrl-C or SIGTERM."""
    settings = _settings()
    if once:
        tally = Tally(settings)
        try:
            _drain(settings, batch, tally)
        except MailServerDown as error:
            click.echo(tally.summary())
            raise click.ClickException(f"{error}. The messages wait for the next run.") from None
        click.echo(tally.summary())
        return
    click.echo(f"Worker started: mail goes through {settings.host}:{settings.port}, checking every {interval:g} s. "
               "Stop it with Ctrl-C or SIGTERM.")
    _loop(settings, batch, interval)
    click.echo("Worker stopped.")


def _settings() -> MailSettings:
    try:
        return MailSettings.from_config(current_app.config)
    except ValueError as error:
        raise click.ClickException(f"invalid mail configuration: {error}") from None


def _drain(settings: MailSettings, batch: int, tally: Tally, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Rounds of `batch` until a round finds fewer: everything due now is handled, nothing twice."""
    while not should_stop():
        if len(outbox.deliver_due(db, settings, limit=batch, report=tally, should_stop=should_stop)) < batch:
            return


def _loop(settings: MailSettings, batch: int, interval: float) -> None:
    """Round after round until a signal; an unreachable server or database is reported and tried again."""
    stop = threading.Event()
    with _stopping_on_signals(stop):
        while not stop.is_set():
            tally = Tally(settings)
            try:
                _drain(settings, batch, tally, stop.is_set)
            except MailServerDown as error:
                click.echo(f"{error}; trying again in {interval:g} s.", err=True)
            except OperationalError as error:
                reason = str(error.orig).splitlines()[0] if error.orig else str(error)
                click.echo(f"the database is not reachable ({reason}); trying again in {interval:g} s.", err=True)
            if tally.handled:
                click.echo(tally.summary())
            stop.wait(interval)


@contextmanager
def _stopping_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and Ctrl-C set `stop`: the message being sent is finished and marked, then the loop ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: Any) -> None:
        stop.set()

    previous = {number: signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
