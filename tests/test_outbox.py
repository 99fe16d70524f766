"""The outbox: rendering a notification, the e-mail built from a row, and the claim that keeps workers apart."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import make_user
from sqlalchemy import select

from qa_engine.db import utcnow
from qa_engine.domain.roles import Role
from qa_engine.models import OutboxMessage
from qa_engine.services import outbox
from qa_engine.services.outbox import LEASE, MailSettings, Outcome

SENDER = "QA Agency <qa@agency.example>"


def queue_reminder(app, session, user, *, title: str = "Data Analytics", days_left: int = 3) -> OutboxMessage:  # noqa: ANN001
    """Add a review reminder for `user` to the session (not committed)."""
    with app.app_context():
        return outbox.notify(session, "reminder", user, kind="review", title=title,
                             due=date(2026, 5, 20), days_left=days_left, url="http://qa.example/reviews/7")


def test_notify_renders_subject_text_and_html(app, session) -> None:
    user = make_user(session, Role.REVIEWER, full_name="Ana Reviewer")
    message = queue_reminder(app, session, user, title="R&D <Data>")
    session.flush()
    assert (message.event, message.recipient_id, message.to_address) == ("reminder", user.id, user.email)
    assert message.subject == "[QA Engine] Reminder: your review of “R&D <Data>” is due on May 20, 2026"
    assert message.body_text.startswith("Dear Ana Reviewer,\n\nYour review of the programme “R&D <Data>” is due on "
                                        "May 20, 2026, in 3 days.")
    assert "Open it here: http://qa.example/reviews/7" in message.body_text
    assert "“R&amp;D &lt;Data&gt;”" in message.body_html and "<Data>" not in message.body_html
    assert '<a href="http://qa.example/reviews/7">' in message.body_html


def test_notify_belongs_to_the_callers_transaction(app, session) -> None:
    user = make_user(session, Role.REVIEWER)
    session.commit()
    queue_reminder(app, session, user)
    session.rollback()
    assert session.scalars(select(OutboxMessage)).all() == []


def test_message_id_is_stable_per_row_and_unique_across_rows(app, session) -> None:
    user = make_user(session, Role.REVIEWER)
    first, second = queue_reminder(app, session, user), queue_reminder(app, session, user)
    session.flush()
    assert outbox.message_id(first, SENDER) == outbox.message_id(session.get(OutboxMessage, first.id), SENDER)
    assert outbox.message_id(first, SENDER) != outbox.message_id(second, SENDER)
    assert outbox.message_id(first, SENDER).startswith(f"<qa-engine.{first.id}.")
    assert outbox.message_id(first, SENDER).endswith("@agency.example>")


def test_build_message_is_multipart_text_then_html(app, session) -> None:
    user = make_user(session, Role.REVIEWER)
    row = queue_reminder(app, session, user)
    session.flush()
    message = outbox.build_message(row, SENDER)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message.get_body(("plain",)).get_content() == row.body_text
    assert message.get_body(("html",)).get_content().strip() == row.body_html.strip()
    assert (message["From"], message["To"], message["Subject"]) == (SENDER, user.email, row.subject)
    assert message["Auto-Submitted"] == "auto-generated"


def test_backoff_doubles_from_five_minutes_up_to_twelve_hours() -> None:
    assert [outbox.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert outbox.backoff(20) == timedelta(hours=12)


def test_claim_is_a_compare_and_set(app, session) -> None:
    user = make_user(session, Role.REVIEWER)
    row = queue_reminder(app, session, user)
    session.commit()
    row_id = row.id
    now = utcnow()
    first = outbox.claim(session, row_id, now)
    assert (first.attempts, first.claimed_until) == (1, now + LEASE)
    assert outbox.claim(session, row_id, now + timedelta(seconds=1)) is None
    assert outbox.due_ids(session, now + timedelta(seconds=1), 10) == []
    # A worker that died holding the row: once its lease is over, another worker takes it (a second attempt).
    again = outbox.claim(session, row_id, now + LEASE + timedelta(seconds=1))
    assert again is not None and again.attempts == 2


def test_claim_leaves_sent_failed_and_later_rows_alone(app, session) -> None:
    user = make_user(session, Role.REVIEWER)
    rows = [queue_reminder(app, session, user) for _ in range(3)]
    now = utcnow()
    rows[0].sent_at, rows[1].failed_at, rows[2].next_attempt_at = now, now, now + timedelta(minutes=1)
    session.commit()
    assert [outbox.claim(session, row.id, now) for row in rows] == [None, None, None]
    assert outbox.due_ids(session, now + timedelta(minutes=2), 10) == [rows[2].id]


@pytest.mark.parametrize(("attempts", "permanent", "outcome"), [
    (1, False, Outcome.RETRY), (3, False, Outcome.FAILED), (1, True, Outcome.FAILED)])
def test_mark_failed_retries_or_gives_up(app, session, attempts: int, permanent: bool, outcome: Outcome) -> None:
    user = make_user(session, Role.REVIEWER)
    row = queue_reminder(app, session, user)
    session.flush()
    row.attempts = attempts
    now = utcnow()
    delivery = outbox.mark_failed(session, row, "451 try later", permanent=permanent, now=now, max_attempts=3)
    session.refresh(row)
    assert (delivery.outcome, row.last_error, row.claimed_until) == (outcome, "451 try later", None)
    if outcome is Outcome.RETRY:
        assert (row.failed_at, row.next_attempt_at) == (None, now + outbox.backoff(attempts))
    else:
        assert row.failed_at == now


@pytest.mark.parametrize(("override", "message"), [
    ({"MAIL_MAX_ATTEMPTS": 0}, "MAIL_MAX_ATTEMPTS: must be a whole number >= 1, not 0"),
    ({"SMTP_PORT": "25"}, "SMTP_PORT: must be a whole number >= 1, not '25'"),
    ({"MAIL_FROM": "nobody"}, "MAIL_FROM: 'nobody' is not an e-mail address"),
])
def test_mail_settings_name_the_wrong_key(app, override: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        MailSettings.from_config({**app.config, **override})
    assert str(error.value) == message


def test_mail_settings_from_the_configuration(app) -> None:
    settings = MailSettings.from_config({**app.config, "SMTP_USERNAME": "", "MAIL_FROM": SENDER})
    assert settings == MailSettings(host="127.0.0.1", port=25, username=None, password=None, starttls=False,
                                    sender=SENDER, max_attempts=8)
