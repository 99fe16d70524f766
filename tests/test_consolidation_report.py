"""The draft panel report: what designers and officers read, blind review, the provider's response and the window."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import make_user
from sql_counts import count_statements
from sqlalchemy import select
from test_consolidation import (
    PANEL,
    agree,
    agree_on_every_flag,
    board_url,
    consolidating,
    entries,
    fresh,
    make_designer,
    make_officer,
    make_panel,
    registry,
    settings,
    state_of,
    text,
)

from qa_engine.db import utcnow
from qa_engine.domain.response_window import ResponseWindow
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.models import OutboxMessage, Programme, Review
from qa_engine.services import consolidation, workflow

# Reasoning as panels really write it: naming each other, an e-mail address, an institution.
REASONS = {
    "D1.2": ("3", "Ximena Vantablack and Quillfeather agreed the title is accurate; ask "
                  "yusuf.canary@reviewers.example for the annex."),
    "D3.1": ("2", "As at Ombrellino Canary Works, each outcome needs an observable verb."),
    "D3.4": ("na", "Zofia thinks no shared vocabulary applies to a programme of this kind."),
}
SCRUBBED = {
    "D1.2": "a reviewer and a reviewer agreed the title is accurate; ask a reviewer for the annex.",
    "D3.1": "As at [institution withheld], each outcome needs an observable verb.",
    "D3.4": "a reviewer thinks no shared vocabulary applies to a programme of this kind.",
}
#: What would identify a reviewer, or tell how many there were, in a designer's page or e-mail.
CANARIES = ("canary", *{part.lower() for name, *_ in PANEL for part in name.split()})
COUNTS = re.compile(r"\b(\d+|one|two|three|four|five)\s+(reviewers?|panel members?|reviews)\b|reviewer [a-e]\b|"
                    r"\bmean\b|\bspread\b|n/a split", re.IGNORECASE)


@pytest.fixture
def officer(session):  # noqa: ANN001, ANN201
    return make_officer(session)


@pytest.fixture
def designer(session):  # noqa: ANN001, ANN201
    return make_designer(session)


def report_url(programme: Programme) -> str:
    return f"/programmes/{programme.id}/report"


def sent(app, session, officer, designer, client_for, **kwargs) -> tuple[Programme, Review]:  # noqa: ANN001, ANN003
    """A programme whose draft report went out after the panel agreed on the flagged criteria (with REASONS)."""
    programme, review, _ = consolidating(app, session, officer, designer, **kwargs)
    client = client_for(officer)
    for criterion_id, (value, reason) in REASONS.items():
        assert agree(client, programme, criterion_id, value, reason).status_code == 302
    assert client.post_form(f"{board_url(programme)}/send", token_from="/").status_code == 302
    return programme, review


def line(page: str, criterion_id: str) -> list[str]:
    """The report's cells for a criterion: its mark and its reasoning."""
    cells = page.split(f'<th scope="row">{criterion_id} ')[1].split("</tr>")[0]
    return [re.sub(r"<.*?>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", cells, re.S)]


def age(session, review: Review, days: int) -> None:  # noqa: ANN001
    """Pretend the report went out `days` days ago."""
    fresh(session)
    session.get(Review, review.id).report_sent_at = utcnow() - timedelta(days=days)
    session.commit()


# What the designer reads ---------------------------------------------------------------------------------


def test_designer_reads_the_panels_marks_and_scrubbed_reasoning_and_nothing_about_the_reviewers(
        app, session, officer, designer, client_for) -> None:
    programme, review = sent(app, session, officer, designer, client_for, chair=2)
    client = client_for(designer)
    page = text(client.get(report_url(programme)))
    assert line(page, "D1.2") == ["Meets", SCRUBBED["D1.2"]]
    assert line(page, "D3.1") == ["Meets with conditions", SCRUBBED["D3.1"]]
    assert line(page, "D3.4") == ["N/A", SCRUBBED["D3.4"]]
    assert line(page, "D2.1") == ["Meets", "–"]  # no consensus: the aggregate (3.33) as a level
    assert line(page, "D5.1") == ["Meets with conditions", "–"]
    assert "panel score 3.00" in page.split('id="dimension-D1"')[1].split("</h2>")[0]
    closes_on = ResponseWindow(utcnow().date(), settings(app).response_days, settings(app).holidays).closes_on
    assert f"The provider may answer until {closes_on.isoformat()}: 20 working days left." in page
    assert f'action="/programmes/{programme.id}/report/respond"' in page
    assert "Approved with conditions" not in page and "Recommended outcome" not in page
    assert "Overall score" not in page and "/consolidation" not in page
    # Every page and e-mail the designer gets.
    pages = [page, *(text(client.get(url)) for url in (f"/programmes/{programme.id}", "/programmes/", "/"))]
    mails = list(session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == designer.id)))
    assert [mail.event for mail in mails] == ["draft_report"]
    for document in pages + [part for mail in mails for part in (mail.subject, mail.body_text, mail.body_html)]:
        lowered = document.lower()
        assert [canary for canary in CANARIES if canary in lowered] == []
        assert COUNTS.findall(document) == []
        assert "JUSTCANARY" not in document


def test_officers_read_the_recommendation_the_panel_and_the_reasoning_as_written(app, session, officer, designer,
                                                                                 client_for) -> None:
    programme, _ = sent(app, session, officer, designer, client_for)
    admin = make_user(session, Role.ADMIN, institution=officer.institution)
    session.commit()
    for person in (officer, admin):
        page = text(client_for(person).get(report_url(programme)))
        decision = page.split('id="recommendation-heading"')[1].split("</section>")[0]
        assert "Approved with conditions" in decision and "Not shown to the provider." in decision
        assert all(name in decision for name, *_ in PANEL)
        assert line(page, "D1.2") == ["Meets", REASONS["D1.2"][1]]
        assert "/report/respond" not in page and "/report/close" not in page  # the window is open


def test_without_blind_review_the_designer_may_know_the_panel_but_still_not_its_marks(app, session, officer,
                                                                                       designer, client_for) -> None:
    programme, _ = sent(app, session, officer, designer, client_for, blind=False)
    page = text(client_for(designer).get(report_url(programme)))
    panel = page.split('id="panel-heading"')[1].split("</section>")[0]
    assert all(name in panel for name, *_ in PANEL)
    assert line(page, "D1.2") == ["Meets", REASONS["D1.2"][1]]
    assert "JUSTCANARY" not in page and "Approved with conditions" not in page and "Mean" not in page


def test_before_it_is_sent_the_report_page_says_so_and_only_the_providers_designers_may_look(
        app, session, officer, designer, client_for) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    page = text(client_for(designer).get(report_url(programme)))
    assert "The draft panel report has not been sent to the provider yet." in page and "<table" not in page
    stranger = make_user(session, Role.DESIGNER)
    panel_member = make_user(session, Role.REVIEWER)
    session.commit()
    assert client_for(stranger).get(report_url(programme)).status_code == 404
    assert client_for(panel_member).get(report_url(programme)).status_code == 403


def test_report_statements_do_not_grow_with_the_panel(app, session, officer, designer, client_for) -> None:
    small, _ = sent(app, session, officer, designer, client_for)
    large, _ = sent(app, session, officer, designer, client_for, panel=make_panel(session, 5, "-5"),
                    differences={"D1.2": (4, 3, 2, 3, 3), "D3.1": (3, 3, 1, 3, 3), "D3.4": (None, 3, 3, 3, 3)})
    client = client_for(designer)
    at_3 = count_statements(app, client, report_url(small), warm_up=True)
    at_5 = count_statements(app, client, report_url(large), warm_up=True)
    assert at_3 == at_5
    assert at_5 <= 11


# The provider's response ------------------------------------------------------------------------------------


def test_designer_responds_within_the_window_and_the_officer_who_opened_the_review_is_told(
        app, session, officer, designer, client_for) -> None:
    programme, review = sent(app, session, officer, designer, client_for)
    client = client_for(designer)
    empty = client.post_form(f"{report_url(programme)}/respond", {"response": "  "}, token_from="/")
    assert empty.status_code == 422 and 'id="response-error"' in text(empty) and "Write your response." in text(empty)
    answer = "Section 4 does name the assessment method for LO3: see the table on page 12."
    response = client.post_form(f"{report_url(programme)}/respond", {"response": answer + "\n"}, token_from="/")
    assert response.headers["Location"] == report_url(programme)
    assert state_of(session, programme.id) is State.DECISION_PENDING
    stored = session.get(Review, review.id)
    assert (stored.response, stored.responded_by_id, stored.responded_at is not None) == (answer, designer.id, True)
    entry = entries(session, programme.id, "programme.")[-1]
    assert (entry.action, entry.actor_id, json.loads(entry.details)["comment"]) == (
        "programme.respond_to_report", designer.id, answer)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.event == "provider_response")).one()
    assert (mail.recipient_id, mail.to_address) == (officer.id, officer.email)
    assert answer in mail.body_text and "Dana Designer (Universidad del Ejemplo)" in mail.body_text
    assert f"/programmes/{programme.id}/report" in mail.body_text
    page = text(client.get(report_url(programme)))
    assert f"Answered by Dana Designer on {utcnow().date().isoformat()}." in page and answer in page
    assert "/report/respond" not in page
    again = client.post_form(f"{report_url(programme)}/respond", {"response": "More."}, token_from="/")
    assert again.status_code == 409 and "is not possible for a decision pending programme" in text(again)


def test_a_response_after_the_window_closed_is_refused_and_audited(app, session, officer, designer,
                                                                   client_for) -> None:
    programme, review = sent(app, session, officer, designer, client_for)
    age(session, review, 60)
    client = client_for(designer)
    page = text(client.get(report_url(programme)))
    assert "without an answer" in page and "/report/respond" not in page
    response = client.post_form(f"{report_url(programme)}/respond", {"response": "Late."}, token_from="/")
    closes_on = ResponseWindow((utcnow() - timedelta(days=60)).date(), settings(app).response_days).closes_on
    assert response.status_code == 409 and f"The response window closed on {closes_on.isoformat()}." in text(response)
    assert state_of(session, programme.id) is State.PROVIDER_RESPONSE
    entry = entries(session, programme.id, "programme.")[-1]
    assert (entry.action, json.loads(entry.details)["action"]) == ("programme.transition_refused",
                                                                  "respond_to_report")
    assert session.get(Review, review.id).response is None


def test_only_the_providers_designers_respond(app, session, officer, designer, client_for) -> None:
    programme, review = sent(app, session, officer, designer, client_for)
    stranger = make_user(session, Role.DESIGNER)
    session.commit()
    response = client_for(stranger).post_form(f"{report_url(programme)}/respond", {"response": "Us too."},
                                              token_from="/")
    assert response.status_code == 404
    assert client_for(officer).post_form(f"{report_url(programme)}/respond", {"response": "No."},
                                         token_from="/").status_code == 403
    assert state_of(session, programme.id) is State.PROVIDER_RESPONSE


# Closing the window ---------------------------------------------------------------------------------------


def test_closing_is_refused_while_the_window_is_open_and_allowed_once_it_is_over(app, session, officer, designer,
                                                                                  client_for) -> None:
    programme, review = sent(app, session, officer, designer, client_for)
    client = client_for(officer)
    early = client.post_form(f"/qa/programmes/{programme.id}/report/close", token_from="/")
    assert early.status_code == 409 and "The provider's response window is still open." in text(early)
    assert state_of(session, programme.id) is State.PROVIDER_RESPONSE
    age(session, review, 60)
    page = text(client.get(report_url(programme)))
    assert "without an answer" in page and f'action="/qa/programmes/{programme.id}/report/close"' in page
    response = client.post_form(f"/qa/programmes/{programme.id}/report/close", token_from="/")
    assert response.headers["Location"] == report_url(programme)
    assert state_of(session, programme.id) is State.DECISION_PENDING
    entry = entries(session, programme.id, "programme.")[-1]
    closes_on = ResponseWindow((utcnow() - timedelta(days=60)).date(), settings(app).response_days).closes_on
    assert (entry.action, json.loads(entry.details)["closed_on"]) == ("programme.close_response_window",
                                                                      closes_on.isoformat())
    designer_page = text(client_for(designer).get(report_url(programme)))
    assert f"The response window was closed on {closes_on.isoformat()} without an answer." in designer_page
    assert client_for(designer).post_form(f"/qa/programmes/{programme.id}/report/close",
                                          token_from="/").status_code == 403


def test_the_window_counts_working_days_from_the_day_the_report_is_sent(app, session, officer, designer,
                                                                         client_for) -> None:
    programme, review, _ = consolidating(app, session, officer, designer)
    agree_on_every_flag(client_for(officer), programme)
    easter = replace(settings(app), holidays=frozenset({date(2025, 4, 18), date(2025, 4, 21)}))
    friday = datetime(2025, 3, 21, 16, 30, tzinfo=UTC)  # 20 working days, two holidays: Tuesday 22 April
    with app.app_context():
        programme = session.get(Programme, programme.id)
        consolidation.send_report(session, programme, actor=officer, settings=easter, registry=registry(app),
                                  now=friday)
        session.commit()
        assert session.get(Review, review.id).response_due_on == date(2025, 4, 22)
        with pytest.raises(workflow.Conflict, match="The provider's response window is still open."):
            consolidation.close_window(session, programme, actor=officer, settings=easter, today=date(2025, 4, 22))
        session.commit()
        with pytest.raises(consolidation.Refused, match="The response window closed on 2025-04-22."):
            consolidation.respond(session, programme, actor=designer, text="Late.", settings=easter,
                                  today=date(2025, 4, 23))
        session.commit()
        consolidation.close_window(session, programme, actor=officer, settings=easter, today=date(2025, 4, 23))
        session.commit()
    assert state_of(session, programme.id) is State.DECISION_PENDING


def test_a_designer_may_respond_on_the_last_day_of_the_window(app, session, officer, designer, client_for) -> None:
    programme, review, _ = consolidating(app, session, officer, designer)
    agree_on_every_flag(client_for(officer), programme)
    with app.app_context():
        programme = session.get(Programme, programme.id)
        consolidation.send_report(session, programme, actor=officer, settings=settings(app), registry=registry(app),
                                  now=datetime(2025, 3, 7, 9, tzinfo=UTC))
        consolidation.respond(session, programme, actor=designer, text="On time.", settings=settings(app),
                              today=date(2025, 4, 4))
        session.commit()
    assert (session.get(Review, review.id).response_due_on, state_of(session, programme.id)) == (
        date(2025, 4, 4), State.DECISION_PENDING)


# The level a panel value reads as -------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "label"), [
    (4.0, "Exceeds"), (3.5, "Meets"), (10 / 3, "Meets"), (2.5, "Meets with conditions"), (2.51, "Meets"),
    (1.2, "Does not meet"), (None, None),
])
def test_a_panel_value_reads_as_the_nearest_level_and_halfway_as_the_lower(app, value: float | None,
                                                                           label: str | None) -> None:
    rubric = registry(app).get("slp-ex-ante", 1)
    level = consolidation.level_of(rubric, value)
    assert (level.label if level else None) == label
