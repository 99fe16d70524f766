"""`qa-engine worker`: delivery to a real local SMTP server, retries, giving up, two workers at once, rollback."""
from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from factories import make_user
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update
from test_outbox import SENDER, queue_reminder

from qa_engine.cli import cli
from qa_engine.db import utcnow
from qa_engine.domain.roles import Role
from qa_engine.models import OutboxMessage
from qa_engine.services import outbox
from qa_engine.services.outbox import MailSettings, Outcome

TEMPORARY = "451 4.7.1 Greylisted, please try again later"


class Inbox:
    """The test server's handler: answers DATA from a script (then 250) and keeps what it accepted."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.script: list[str] = []  # answers to DATA
        self.sender_script: list[str] = []  # answers to MAIL FROM
        self.received = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address: str, options: list[str]) -> str:  # noqa: ANN001
        if self.sender_script:
            return self.sender_script.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001
        if self.script:
            return self.script.pop(0)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        self.received.set()
        return "250 OK"

    @property
    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):  # noqa: ANN001, ANN201
    """A real SMTP server on 127.0.0.1, and the app configured to send through it."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM=SENDER, MAIL_MAX_ATTEMPTS=3)
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def reviewer(session):  # noqa: ANN001, ANN201
    return make_user(session, Role.REVIEWER, full_name="Ana Reviewer")


def run(app, *args: str):  # noqa: ANN001, ANN201
    return FlaskCliRunner(app).invoke(cli, ["worker", *args], catch_exceptions=False)


def queued(app, session, user, count: int = 1) -> list[OutboxMessage]:  # noqa: ANN001
    rows = [queue_reminder(app, session, user, title=f"Programme {n}") for n in range(count)]
    session.commit()
    return rows


def rows(session) -> list[OutboxMessage]:  # noqa: ANN001
    session.commit()  # a fresh snapshot: see what the worker committed
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due(session) -> None:  # noqa: ANN001
    """Time passes: every waiting retry is due now."""
    session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()


def test_worker_once_delivers_multipart_text_and_html(app, session, smtp, reviewer) -> None:
    first, second = queued(app, session, reviewer, 2)
    result = run(app, "--once")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"#{first.id} reminder {reviewer.email}: sent",
                                          f"#{second.id} reminder {reviewer.email}: sent",
                                          "2 sent, 0 to retry, 0 failed."]
    assert smtp.message_ids == [outbox.message_id(first, SENDER), outbox.message_id(second, SENDER)]
    message = smtp.messages[0]
    assert smtp.recipients[0] == [reviewer.email]
    assert (message["From"], message["To"], message["Subject"]) == (SENDER, reviewer.email, first.subject)
    assert message["Date"].datetime == first.created_at.replace(microsecond=0)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == first.body_text  # CRLF on the wire
    html = message.get_body(("html",)).get_content()
    assert '<a href="http://qa.example/reviews/7">' in html and "Ana Reviewer" in html
    assert [(row.attempts, row.claimed_until, row.last_error) for row in rows(session)] == [(1, None, None)] * 2
    assert all(row.sent_at is not None and row.failed_at is None for row in rows(session))


def test_worker_once_with_nothing_due_does_not_call_the_server(app, session) -> None:
    app.config.update(SMTP_PORT=free_port())  # nobody listens there
    result = run(app, "--once")
    assert (result.exit_code, result.stdout) == (0, "0 sent, 0 to retry, 0 failed.\n")


def test_worker_retries_a_temporary_failure_later_with_the_same_message_id(app, session, smtp, reviewer) -> None:
    (row,) = queued(app, session, reviewer)
    smtp.script = [TEMPORARY]
    before = utcnow()
    failed = run(app, "--once")
    after = utcnow()
    assert failed.exit_code == 0
    assert failed.stdout.splitlines()[0].startswith(f"#{row.id} reminder {reviewer.email}: failed (attempt 1 of 3), "
                                                    "retrying at ")
    assert failed.stdout.splitlines()[0].endswith(f": {TEMPORARY}")
    (stored,) = rows(session)
    assert (stored.attempts, stored.sent_at, stored.failed_at, stored.last_error) == (1, None, None, TEMPORARY)
    assert before + timedelta(minutes=5) <= stored.next_attempt_at <= after + timedelta(minutes=5)
    assert run(app, "--once").stdout == "0 sent, 0 to retry, 0 failed.\n"  # not due yet
    make_due(session)
    assert run(app, "--once").stdout.splitlines() == [f"#{row.id} reminder {reviewer.email}: sent",
                                                      "1 sent, 0 to retry, 0 failed."]
    assert smtp.message_ids == [outbox.message_id(row, SENDER)]
    (stored,) = rows(session)
    assert (stored.attempts, stored.last_error, stored.sent_at is not None) == (2, None, True)


def test_worker_gives_up_after_the_last_attempt_with_doubling_waits(app, session, smtp, reviewer) -> None:
    (row,) = queued(app, session, reviewer)
    smtp.script = [TEMPORARY] * 3
    waits = []
    for _ in range(2):
        before = utcnow()
        run(app, "--once")
        waits.append(rows(session)[0].next_attempt_at - before)
        make_due(session)
    last = run(app, "--once")
    assert last.stdout.splitlines() == [f"#{row.id} reminder {reviewer.email}: failed, gave up after 3 attempts: "
                                        f"{TEMPORARY}", "0 sent, 0 to retry, 1 failed."]
    assert [wait // timedelta(minutes=5) for wait in waits] == [1, 2]
    (stored,) = rows(session)
    assert (stored.attempts, stored.sent_at, stored.failed_at is not None) == (3, None, True)
    make_due(session)
    assert run(app, "--once").stdout == "0 sent, 0 to retry, 0 failed.\n"
    assert smtp.messages == []


def test_worker_gives_up_at_once_on_a_permanent_refusal(app, session, smtp, reviewer) -> None:
    (row,) = queued(app, session, reviewer)
    smtp.script = ["550 5.1.1 No such mailbox"]
    result = run(app, "--once")
    assert result.stdout.splitlines()[0] == (f"#{row.id} reminder {reviewer.email}: failed, gave up after 1 attempt: "
                                             "550 5.1.1 No such mailbox")
    (stored,) = rows(session)
    assert (stored.attempts, stored.last_error, stored.failed_at is not None) == (1, "550 5.1.1 No such mailbox", True)


def test_worker_retries_when_the_server_refuses_the_sender(app, session, smtp, reviewer) -> None:
    (row,) = queued(app, session, reviewer)
    smtp.sender_script = ["553 5.7.1 Sender address rejected"]  # MAIL_FROM is wrong: fixable, so not final
    result = run(app, "--once")
    assert result.stdout.splitlines()[0].startswith(f"#{row.id} reminder {reviewer.email}: failed (attempt 1 of 3)")
    (stored,) = rows(session)
    assert (stored.failed_at, stored.last_error) == (None, "553 5.7.1 Sender address rejected")
    make_due(session)
    assert run(app, "--once").stdout.endswith("1 sent, 0 to retry, 0 failed.\n")
    assert smtp.message_ids == [outbox.message_id(row, SENDER)]


def test_worker_reconnects_after_the_server_hangs_up(app, session, smtp, reviewer) -> None:
    first, second = queued(app, session, reviewer, 2)
    smtp.script = ["421 4.3.2 Service shutting down"]
    result = run(app, "--once")
    assert result.stdout.splitlines()[1:] == [f"#{second.id} reminder {reviewer.email}: sent",
                                              "1 sent, 1 to retry, 0 failed."]
    assert [row.sent_at is None for row in rows(session)] == [True, False]
    assert smtp.message_ids == [outbox.message_id(second, SENDER)]


def test_worker_with_the_server_down_says_so_and_keeps_the_rows(app, session, reviewer) -> None:
    queued(app, session, reviewer, 2)
    port = free_port()
    app.config.update(SMTP_PORT=port)
    result = run(app, "--once")
    assert result.exit_code == 1
    assert result.stdout == "0 sent, 0 to retry, 0 failed.\n"
    assert result.stderr.startswith(f"Error: cannot reach the mail server 127.0.0.1:{port} (")
    assert result.stderr.endswith("). The messages wait for the next run.\n")
    assert "Traceback" not in result.output
    assert [(row.attempts, row.claimed_until, row.last_error, row.sent_at) for row in rows(session)] == \
        [(0, None, None, None)] * 2


def test_worker_refuses_a_bad_configuration(app) -> None:
    app.config.update(MAIL_MAX_ATTEMPTS=0)
    result = run(app, "--once")
    assert (result.exit_code, result.stderr) == (
        1, "Error: invalid mail configuration: MAIL_MAX_ATTEMPTS: must be a whole number >= 1, not 0\n")


def test_worker_sends_only_committed_rows(app, session, smtp, reviewer) -> None:
    session.commit()
    queue_reminder(app, session, reviewer)
    session.flush()  # written in an open transaction, not committed
    assert run(app, "--once").stdout == "0 sent, 0 to retry, 0 failed.\n"
    session.rollback()
    assert run(app, "--once").stdout == "0 sent, 0 to retry, 0 failed.\n"
    assert (rows(session), smtp.messages) == ([], [])
    queued(app, session, reviewer)
    assert run(app, "--once").stdout.endswith("1 sent, 0 to retry, 0 failed.\n")
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("attempt", range(20))
def test_two_workers_at_once_send_each_message_exactly_once(app, session, smtp, reviewer, attempt: int) -> None:
    expected = sorted(outbox.message_id(row, SENDER) for row in queued(app, session, reviewer, 6))
    database, settings = app.extensions["qa_engine.db"], MailSettings.from_config(app.config)
    barrier, results = threading.Barrier(2), {}

    def work(name: str) -> None:
        barrier.wait()
        results[name] = outbox.deliver_due(database, settings, limit=10)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(smtp.message_ids) == expected
    deliveries = results["one"] + results["two"]
    assert sorted(d.id for d in deliveries) == [row.id for row in rows(session)]
    assert {d.outcome for d in deliveries} == {Outcome.SENT}
    assert [(row.attempts, row.sent_at is not None) for row in rows(session)] == [(1, True)] * 6


def test_worker_loop_sends_then_stops_cleanly_on_sigterm(app, session, smtp, reviewer, database_url) -> None:
    (row,) = queued(app, session, reviewer)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "QA_ENGINE_DATABASE_URL": database_url,
           "QA_ENGINE_SECRET_KEY": "x", "QA_ENGINE_SMTP_PORT": str(smtp.port), "QA_ENGINE_MAIL_FROM": SENDER}
    process = subprocess.Popen([sys.executable, "-m", "qa_engine.cli", "worker", "--interval", "0.2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert smtp.received.wait(60), "the worker sent nothing"
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].startswith("Worker started: mail goes through 127.0.0.1:")
    assert lines[1:] == [f"#{row.id} reminder {reviewer.email}: sent", "1 sent, 0 to retry, 0 failed.",
                         "Worker stopped."]
    assert "Traceback" not in stderr
    assert smtp.message_ids == [outbox.message_id(row, SENDER)]


@pytest.mark.parametrize("command", [["worker", "--once"], ["remind"]])
def test_mail_commands_on_an_unmigrated_database_say_what_to_do(tmp_path, command: list[str]) -> None:  # noqa: ANN001
    env = {"QA_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "QA_ENGINE_SECRET_KEY": "x",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "qa_engine.cli", *command], capture_output=True, text=True,
                            env=env, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "did you run `qa-engine db upgrade`?" in result.stderr
