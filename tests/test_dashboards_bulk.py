"""The QA dashboard's bulk actions on the programmes ticked in its list: send the reminders due now (through
services.reminders, never twice) and export the selection as CSV."""
from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from factories import make_programme, seat
from sqlalchemy import func, select
from test_dashboards import TODAY, decided, in_review, make_people, programme

from qa_engine.db import utcnow
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.workflow import State
from qa_engine.models import AuditEntry, OutboxMessage, ReminderSent
from qa_engine.services import dashboards, reminders, reviews
from qa_engine.services.proposals import NotAllowed


@pytest.fixture
def people(session) -> SimpleNamespace:  # noqa: ANN001
    return make_people(session)


def mails(session) -> list[OutboxMessage]:  # noqa: ANN001
    session.rollback()
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def reminder_due_today(session, people, title: str):  # noqa: ANN001, ANN201
    """A review due in 2 days: its "before-2" reminder is due today."""
    review = in_review(session, people, title, due_in_days=2)
    return seat(session, review, people.reviewer, people.officer, status="accepted")


def test_send_reminders_now_sends_what_is_due_for_the_selected_programmes_only(app, session, people,
                                                                              client_for) -> None:
    due = reminder_due_today(session, people, "Due Now")
    idle = in_review(session, people, "Nothing Due", due_in_days=20)
    seat(session, idle, people.second_reviewer, people.officer, status="accepted")
    elsewhere = reminder_due_today(session, people, "Not Selected")
    session.commit()
    client = client_for(people.officer)
    response = client.post_form("/qa/dashboard/reminders", {
        "programme": [str(due.review.programme_id), str(idle.programme_id)],
        "back": "/qa/dashboard?state=in_review"}, token_from="/qa/dashboard")
    assert response.status_code == 302 and response.headers["Location"] == "/qa/dashboard?state=in_review"
    sent = mails(session)
    assert [(m.event, m.to_address) for m in sent] == [("reminder", people.reviewer.email)]
    assert "is due on" in sent[0].body_text and f"/reviews/{due.id}/score" in sent[0].body_text
    assert session.scalars(select(ReminderSent.subject_id)).all() == [due.id]
    assert elsewhere.id not in session.scalars(select(ReminderSent.subject_id)).all()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "reminders.sent_now")).one()
    assert (entry.object_id, entry.actor_id, entry.actor_role) == (str(due.review.programme_id), people.officer.id,
                                                                    "qa_officer")
    assert json.loads(entry.details) == {"reminders": [f"review #{due.id} before-2"]}
    page = client.get("/qa/dashboard?state=in_review").get_data(as_text=True)
    assert "1 reminder sent for 1 programme." in page


def test_pressing_again_sends_nothing_twice(app, session, people, client_for) -> None:
    due = reminder_due_today(session, people, "Due Now")
    session.commit()
    client = client_for(people.officer)
    data = {"programme": str(due.review.programme_id)}
    client.post_form("/qa/dashboard/reminders", data, token_from="/qa/dashboard")
    again = client.post_form("/qa/dashboard/reminders", data, token_from="/qa/dashboard")
    assert again.headers["Location"] == "/qa/dashboard"
    assert len(mails(session)) == 1
    assert ("No reminder was due for the selected programmes: they were sent already or are not due yet."
            in client.get("/qa/dashboard").get_data(as_text=True))
    assert session.scalar(select(func.count()).where(AuditEntry.action == "reminders.sent_now")) == 1


def test_reminders_the_daily_run_sent_are_not_sent_again(app, session, people, client_for) -> None:
    due = reminder_due_today(session, people, "Due Now")
    session.commit()
    with app.app_context():
        reminders.run(session, reviews.current_settings(), TODAY)
    session.commit()
    client_for(people.officer).post_form("/qa/dashboard/reminders", {"programme": str(due.review.programme_id)},
                                         token_from="/qa/dashboard")
    assert len(mails(session)) == 1


def test_escalations_stay_with_the_daily_run(app, session, people, client_for) -> None:
    review = in_review(session, people, "Very Late", due_in_days=-20)
    late = seat(session, review, people.reviewer, people.officer, status="accepted")
    late.responded_at = utcnow() - timedelta(days=40)  # accepted before the due date: reminders apply
    session.commit()
    client_for(people.officer).post_form("/qa/dashboard/reminders", {"programme": str(review.programme_id)},
                                         token_from="/qa/dashboard")
    assert [(m.event, m.to_address) for m in mails(session)] == [("reminder", people.reviewer.email)]
    assert session.scalars(select(ReminderSent.code).where(ReminderSent.subject_id == late.id)).all() == ["after-7"]


def test_two_officers_sending_at_once_send_each_reminder_once(app, session, people, client_for) -> None:
    programme_id = reminder_due_today(session, people, "Due Now").review.programme_id
    session.commit()
    clients = [client_for(people.officer), client_for(people.colleague)]
    tokens = [client.csrf_token("/qa/dashboard") for client in clients]
    barrier, statuses = threading.Barrier(2), []

    def press(client, token) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post("/qa/dashboard/reminders",
                               data={"programme": str(programme_id), "csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=press, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302, 302]
    assert len(mails(session)) == 1
    assert session.scalar(select(func.count()).select_from(ReminderSent)) == 1


def test_a_bulk_action_without_a_selection_is_refused_in_the_page(app, session, people, client_for) -> None:
    programme(session, people, "Data Literacy")
    session.commit()
    client = client_for(people.officer)
    for action in ("reminders", "export"):
        response = client.post_form(f"/qa/dashboard/{action}", {}, token_from="/qa/dashboard")
        page = response.get_data(as_text=True)
        assert response.status_code == 422, action
        assert 'id="programme-error"' in page and "Select at least one programme." in page
        assert "Data Literacy" in page
    bad = client.post_form("/qa/dashboard/export", {"programme": "seven"}, token_from="/qa/dashboard")
    assert bad.status_code == 422 and 'id="programme-error"' in bad.get_data(as_text=True)
    assert mails(session) == []


def test_too_many_programmes_at_once_are_refused(app, session, people, client_for) -> None:
    response = client_for(people.officer).post_form(
        "/qa/dashboard/export", {"programme": [str(n) for n in range(1, 202)]}, token_from="/qa/dashboard")
    assert response.status_code == 422
    assert "Select at most 200 programmes at once." in response.get_data(as_text=True)


def test_the_way_back_never_leaves_the_dashboard(app, session, people, client_for) -> None:
    due = reminder_due_today(session, people, "Due Now")
    session.commit()
    client = client_for(people.officer)
    for back in ("https://evil.example/qa/dashboard", "//evil.example", "/admin/users", "/qa/dashboard\\@evil"):
        response = client.post_form("/qa/dashboard/reminders", {"programme": str(due.review.programme_id),
                                                                "back": back}, token_from="/qa/dashboard")
        assert response.headers["Location"] == "/qa/dashboard", back


def test_an_administrator_exports_but_may_not_send_reminders(app, session, people, client_for) -> None:
    due = reminder_due_today(session, people, "Due Now")
    session.commit()
    client = client_for(people.admin)
    data = {"programme": str(due.review.programme_id)}
    assert client.post_form("/qa/dashboard/reminders", data, token_from="/qa/dashboard").status_code == 403
    assert mails(session) == []
    assert client.post_form("/qa/dashboard/export", data, token_from="/qa/dashboard").status_code == 200


def read_csv(response) -> list[list[str]]:  # noqa: ANN001
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_export_csv_of_the_selection_with_the_decision_in_effect(app, session, people, client_for) -> None:
    approved = decided(session, people, "=Approved Thing", Outcome.APPROVED_WITH_CONDITIONS, State.CONDITIONS,
                       level=6)
    reviewed = in_review(session, people, "Under Review")
    programme(session, people, "Not Selected")
    draft = make_programme(session, people.designer)  # a draft: the QA office does not see it
    session.commit()
    ids = [approved.programme_id, reviewed.programme_id, draft.id]
    response = client_for(people.officer).post_form("/qa/dashboard/export", {"programme": [str(i) for i in ids]},
                                                    token_from="/qa/dashboard")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="programmes-{TODAY.isoformat()}.csv"'
    rows = read_csv(response)
    assert rows[0] == ["programme_id", "title", "provider", "eqf_level", "ects", "state", "last_change",
                       "decision_in_effect", "valid_until"]
    assert [row[:3] + row[5:6] + row[7:] for row in rows[1:]] == [
        [str(approved.programme_id), "'=Approved Thing", "Eastvale University", "Approved with conditions",
         "Approved with conditions", approved.valid_until.isoformat()],
        [str(reviewed.programme_id), "Under Review", "Eastvale University", "In review", "", ""]]
    assert rows[1][3] == "6" and rows[1][6] == utcnow().date().isoformat()


def test_the_reminders_service_refuses_an_administrator(app, session, people) -> None:
    with app.app_context(), pytest.raises(NotAllowed):
        dashboards.send_reminders(session, people.admin, [1], settings=reviews.current_settings(),
                                  today=TODAY + timedelta(days=1))
