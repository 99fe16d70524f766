"""Notifications: an e-mail is an outbox row written in the same transaction as the change it reports.

`notify` renders the event's templates (templates/mail/<event>.txt and .html; the text template sets
`subject`) and adds the row to the caller's session, so a change that rolls back sends nothing.

`deliver_due` is the worker (`qa-engine worker`): it sends committed rows over SMTP. Each row is claimed by a
compare-and-set on its lease before it is sent and marked sent afterwards, each step in its own short
transaction (no lock is held while talking to the mail server), so two workers never both send a row. A
failure is retried with exponential backoff until MAIL_MAX_ATTEMPTS; a 5xx answer to the recipient or the
content is final at once. The
Message-ID is derived from the row, so if a worker dies between sending and marking, the repeat that follows
the lease carries the same Message-ID and the receiving side can drop it.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from qa_engine.db import Database, utcnow
from qa_engine.models import OutboxMessage, User

LEASE = timedelta(minutes=5)  # how long a claim keeps other workers away; far longer than SMTP_TIMEOUT
SMTP_TIMEOUT = 30  # seconds per SMTP operation
RETRY_FIRST = timedelta(minutes=5)  # greylisting servers typically ask for a retry after a few minutes
RETRY_MAX = timedelta(hours=12)


def link(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails, on BASE_URL, built without a request."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def notify(session: Session, event: str, recipient: User, **context: Any) -> OutboxMessage:
    """Queue the `event` e-mail to `recipient`; it goes out only if the caller's transaction commits."""
    env = current_app.jinja_env
    values = {"recipient": recipient, "agency": current_app.config["AGENCY_NAME"], "link": link, **context}
    text = env.get_template(f"mail/{event}.txt").make_module(values)
    subject = " ".join(str(getattr(text, "subject", "")).split()) or event.replace("_", " ").capitalize()
    message = OutboxMessage(event=event, recipient_id=recipient.id, to_address=recipient.email,
                            subject=f"[{values['agency']}] {subject}"[:300], body_text=str(text).strip() + "\n",
                            body_html=env.get_template(f"mail/{event}.html").render(values, subject=subject))
    session.add(message)
    return message


# Delivery -------------------------------------------------------------------------------------------------


class MailServerDown(Exception):
    """The mail server cannot be reached or refuses the session; the rows are left as they were."""


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # failed this time, tried again at next_attempt_at
    FAILED = "failed"  # gave up: the last attempt failed, or the server refused it for good (5xx)


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send, from the SMTP_* and MAIL_* configuration."""

    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    sender: str
    max_attempts: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        """Read and check the configuration.

        :raises ValueError: naming the configuration key that is wrong.
        """
        for key in ("SMTP_PORT", "MAIL_MAX_ATTEMPTS"):
            value = config[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key}: must be a whole number >= 1, not {value!r}")
        if "@" not in parseaddr(str(config["MAIL_FROM"]))[1]:
            raise ValueError(f"MAIL_FROM: {config['MAIL_FROM']!r} is not an e-mail address")
        return cls(host=str(config["SMTP_HOST"]), port=config["SMTP_PORT"], username=config["SMTP_USERNAME"] or None,
                   password=config["SMTP_PASSWORD"] or None, starttls=bool(config["SMTP_STARTTLS"]),
                   sender=str(config["MAIL_FROM"]), max_attempts=config["MAIL_MAX_ATTEMPTS"])


@dataclass(frozen=True)
class Delivery:
    """What became of one row in this run."""

    id: int
    event: str
    to_address: str
    outcome: Outcome
    attempts: int
    error: str | None = None
    next_attempt_at: datetime | None = None


def message_id(row: OutboxMessage, sender: str) -> str:
    """The row's Message-ID: the same on every attempt, different for every row (and every database)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<qa-engine.{row.id}.{row.created_at:%Y%m%d%H%M%S%f}@{domain}>"


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    """The row as a multipart/alternative e-mail: the text part first, then the HTML part."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = message_id(row, sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    return message


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: doubling from RETRY_FIRST, capped at RETRY_MAX."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_MAX)


def due_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of committed rows waiting to be sent now and not held by another worker, oldest first."""
    return list(session.scalars(select(OutboxMessage.id).where(*_claimable(now))
                                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))


def claim(session: Session, row_id: int, now: datetime) -> OutboxMessage | None:
    """Take the row for LEASE and count the attempt (a compare-and-set); None when another worker has it."""
    claimed = session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id, *_claimable(now))
                              .values(claimed_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
                              .execution_options(synchronize_session=False)).rowcount
    return session.get(OutboxMessage, row_id, populate_existing=True) if claimed == 1 else None


def mark_sent(session: Session, row_id: int, now: datetime) -> None:
    """Record that the row went out and release its claim."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.sent_at.is_(None))
                    .values(sent_at=now, claimed_until=None, last_error=None)
                    .execution_options(synchronize_session=False))


def mark_failed(session: Session, row: OutboxMessage, error: str, *, permanent: bool, now: datetime,
                max_attempts: int) -> Delivery:
    """Record a failed attempt: retry later with backoff, or give up after the last attempt or a 5xx."""
    give_up = permanent or row.attempts >= max_attempts
    retry_at = None if give_up else now + backoff(row.attempts)
    values: dict[str, Any] = {"claimed_until": None, "last_error": error[:2000]}
    values.update({"failed_at": now} if give_up else {"next_attempt_at": retry_at})
    session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.sent_at.is_(None))
                    .values(**values).execution_options(synchronize_session=False))
    return Delivery(row.id, row.event, row.to_address, Outcome.FAILED if give_up else Outcome.RETRY, row.attempts,
                    error, retry_at)


def _claimable(now: datetime) -> tuple[Any, ...]:
    return (OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None), OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))


class SmtpMailer:
    """One SMTP session, opened on first use and again after the server hung up."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def connect(self) -> None:
        """Open the session unless it is open.

        :raises MailServerDown: the server cannot be reached, or refuses TLS or the login.
        """
        if self._smtp is not None:
            return
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            smtp = smtplib.SMTP(self.settings.host, self.settings.port, timeout=SMTP_TIMEOUT)
        except (OSError, smtplib.SMTPException) as error:
            raise MailServerDown(f"cannot reach the mail server {where} ({_reason(error)})") from None
        try:
            if self.settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.settings.username:
                smtp.login(self.settings.username, self.settings.password or "")
        except (OSError, smtplib.SMTPException) as error:
            smtp.close()
            raise MailServerDown(f"the mail server {where} refused the session ({_reason(error)})") from None
        self._smtp = smtp

    def send(self, message: EmailMessage) -> None:
        """Send one message on the open session; a broken connection is dropped, to be reopened next time."""
        assert self._smtp is not None, "connect() first"
        try:
            self._smtp.send_message(message)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.close()
            raise
        except smtplib.SMTPResponseException:
            if self._smtp.sock is None:  # a 421 answer: smtplib has hung up already
                self._smtp = None
            raise

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the session politely if it is still there."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def deliver_due(database: Database, settings: MailSettings, *, limit: int,
                report: Callable[[Delivery], None] = lambda _delivery: None,
                should_stop: Callable[[], bool] = lambda: False) -> list[Delivery]:
    """Send up to `limit` due rows, reporting each as it is done; stops early when `should_stop()`.

    :raises MailServerDown: when the server cannot be reached; rows not yet claimed are untouched.
    """
    with database.new_session() as session:
        ids = due_ids(session, utcnow(), limit)
    results: list[Delivery] = []
    with SmtpMailer(settings) as mailer:
        for row_id in ids:
            if should_stop():
                break
            mailer.connect()  # before the claim: a server that is down costs no attempt
            with database.transaction() as session:
                row = claim(session, row_id, utcnow())
            if row is None:
                continue  # another worker took it
            results.append(_deliver_one(database, mailer, row, settings))
            report(results[-1])
    return results


def _deliver_one(database: Database, mailer: SmtpMailer, row: OutboxMessage, settings: MailSettings) -> Delivery:
    try:
        mailer.send(build_message(row, settings.sender))
    except (OSError, smtplib.SMTPException) as error:
        with database.transaction() as session:
            return mark_failed(session, row, _reason(error), permanent=_permanent(error), now=utcnow(),
                               max_attempts=settings.max_attempts)
    with database.transaction() as session:
        mark_sent(session, row.id, utcnow())
    return Delivery(row.id, row.event, row.to_address, Outcome.SENT, row.attempts)


def _smtp_code(error: BaseException) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return min((code for code, _ in error.recipients.values()), default=None)
    return getattr(error, "smtp_code", None)


def _permanent(error: BaseException) -> bool:
    """A 5xx answer about this message will not change by asking again; everything else (4xx, network) may.

    A refused sender is our configuration (MAIL_FROM), not the message: it is retried, leaving time to fix it.
    """
    code = _smtp_code(error)
    return isinstance(code, int) and 500 <= code < 600 and not isinstance(error, smtplib.SMTPSenderRefused)


def _reason(error: BaseException) -> str:
    """The error in one line, with the SMTP code when there is one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (None, b""))
        return f"{code} {_text(text)}".strip()
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}".strip()
    return " ".join(str(error).split()) or type(error).__name__


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())
