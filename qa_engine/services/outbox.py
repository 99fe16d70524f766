"""Notifications: an e-mail is an outbox row written in the same transaction as the change it reports.

`notify` renders the event's templates (templates/mail/<event>.txt and .html; the text template sets
`subject`) and adds the row to the caller's session; `qa-engine worker` delivers committed rows.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from qa_engine.models import OutboxMessage, User


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
