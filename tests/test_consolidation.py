"""Consolidation: the reviews side by side, the panel's consensus, and sending the draft panel report.

The draft report itself, the provider's response and the blind-review guarantees are in
test_consolidation_report.py, which builds on the helpers here.
"""
from __future__ import annotations

import html
import json
import re
import threading

import pytest
from factories import full_marks, make_in_review, make_institution, make_programme, make_submitted, make_user, seat
from sql_counts import count_statements
from sqlalchemy import func, select

from qa_engine.db import utcnow
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.response_window import closing_date
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import AuditEntry, ConsensusMark, OutboxMessage, Programme, Review
from qa_engine.services import consolidation, reviews

# Three reviewers who see the programme differently. Names, e-mails, institutions and justifications carry
# canary words that must never reach the designer in blind review.
PANEL = (
    ("Ximena Vantablack", "ximena.canary@reviewers.example", "Vantablack Canary Institute", "academic"),
    ("Yusuf Ombrellino", "yusuf.canary@reviewers.example", "Ombrellino Canary Works", "professional"),
    ("Zofia Quillfeather", "zofia.canary@reviewers.example", "Quillfeather Canary College", "student"),
)
JUSTIFICATIONS = ("JUSTCANARY-ONE evidenced in the syllabus.", "JUSTCANARY-TWO evidenced in the staff list.",
                  "JUSTCANARY-THREE evidenced in the assessment plan.")
#: criterion -> the three reviewers' values (None: N/A)
DIFFERENCES = {
    "D1.2": (4, 3, 2),  # spread 2: a disagreement
    "D3.1": (3, 3, 1),  # spread 2, and a gate (at or below 1) that only the worst mark triggers: a gate split
    "D3.4": (None, 3, 3),  # N/A allowed, but only one reviewer used it: an N/A split
    "D2.1": (4, 3, 3),  # spread 1: close enough
    "D5.1": (2, 2, 2),  # agreed, and a mark of 2 caps the outcome at approval with conditions
}
FLAGGED = ("D1.2", "D3.1", "D3.4")
REASON = "The panel agreed after discussing the evidence in section 4."


def reviewer_marks(index: int, differences: dict | None = None) -> dict:
    """The stored marks of reviewer `index`: Meets everywhere except where DIFFERENCES says otherwise."""
    marks = full_marks(3, JUSTIFICATIONS[index % len(JUSTIFICATIONS)])
    for cid, values in (DIFFERENCES if differences is None else differences).items():
        marks[cid] = {"value": values[index], "justification": marks[cid]["justification"]}
    return marks


def make_officer(session):  # noqa: ANN001, ANN201
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency")
    user = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    session.commit()
    return user


def make_designer(session):  # noqa: ANN001, ANN201
    provider = make_institution(session, name="Universidad del Ejemplo")
    user = make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer")
    session.commit()
    return user


@pytest.fixture
def officer(session):  # noqa: ANN001, ANN201
    return make_officer(session)


@pytest.fixture
def designer(session):  # noqa: ANN001, ANN201
    return make_designer(session)


def make_panel(session, count: int = 3, tag: str = "") -> list:  # noqa: ANN001
    """Reviewers with the canary identities (and plain extra academics beyond the first three); `tag` keeps the
    e-mail addresses and institutions of a second panel apart."""
    people = []
    for index in range(count):
        name, email, institution, _ = PANEL[index] if index < len(PANEL) else (
            f"Extra Reviewer{index}", f"extra{index}@reviewers.example", f"Extra Institute {index}", "academic")
        people.append(make_user(session, Role.REVIEWER, full_name=name, email=email.replace("@", f"{tag}@"),
                                institution=make_institution(session, name=institution + tag)))
    return people


def consolidating(app, session, officer, designer, *, panel: list | None = None, chair: int | None = None,  # noqa: ANN001
                  blind: bool = True, differences: dict | None = None) -> tuple[Programme, Review, list]:
    """A programme whose panel has submitted every review, moved on to consolidation as the last submission does."""
    panel = panel or make_panel(session)
    programme = make_programme(session, designer, data={"identification": {"title": "Data Stewardship"}})
    make_submitted(session, programme, designer)
    review = make_in_review(session, programme, officer, blind=blind)
    seats = [seat(session, review, person, officer, status="submitted", chair=index == chair,
                  profile=PANEL[index][3] if index < len(PANEL) else "academic",
                  marks=reviewer_marks(index, differences))
             for index, person in enumerate(panel)]
    moved = reviews.complete_if_in(session, review, actor=panel[-1], role=Role.REVIEWER, settings=settings(app))
    assert moved
    session.commit()
    return programme, review, seats


def settings(app) -> reviews.ReviewSettings:  # noqa: ANN001
    return app.extensions[reviews.SETTINGS_KEY]


def registry(app):  # noqa: ANN001, ANN201
    return app.extensions["qa_engine.catalogue"].rubrics


def fresh(session) -> None:  # noqa: ANN001
    session.rollback()
    session.expire_all()


def state_of(session, programme_id: int) -> State:  # noqa: ANN001
    fresh(session)
    return session.get(Programme, programme_id).state


def entries(session, programme_id: int, prefix: str = "") -> list[AuditEntry]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.object_type == "programme",
                                                         AuditEntry.object_id == str(programme_id),
                                                         AuditEntry.action.startswith(prefix))
                                .order_by(AuditEntry.seq)))


def text(response) -> str:  # noqa: ANN001
    """A response's HTML with the entities resolved, so that assertions read like the page."""
    return html.unescape(response.get_data(as_text=True))


def board_url(programme: Programme) -> str:
    return f"/qa/programmes/{programme.id}/consolidation"


def row(page: str, criterion_id: str) -> str:
    """The board's table row of a criterion."""
    return page.split(f'<tr id="criterion-{criterion_id}">')[1].split("</tr>")[0]


def agree(client, programme: Programme, criterion_id: str, value: str, reason: str = REASON):  # noqa: ANN001, ANN201
    """Post the consensus form of one criterion as the board page does."""
    return client.post_form(f"{board_url(programme)}/consensus",
                            {"criterion": criterion_id, f"{criterion_id}-value": value,
                             f"{criterion_id}-reason": reason}, token_from="/")


def agree_on_every_flag(client, programme: Programme) -> None:  # noqa: ANN001
    for criterion_id, value in zip(FLAGGED, ("3", "2", "na"), strict=True):
        assert agree(client, programme, criterion_id, value).status_code == 302


# The board -----------------------------------------------------------------------------------------------


def test_board_shows_every_reviewers_marks_side_by_side_with_aggregates_and_flags(app, session, officer, designer,
                                                                                   client_for) -> None:
    programme, review, seats = consolidating(app, session, officer, designer)
    page = text(client_for(officer).get(board_url(programme)))
    header = page.split('<section aria-labelledby="dimension-D1">')[1].split("</thead>")[0]
    assert re.findall(r'<th scope="col">([^<]+)</th>', header) == [
        "Criterion", *(name for name, *_ in PANEL), "Mean", "Spread", "N/A", "Consensus"]
    title = row(page, "D1.2")
    assert [cell.split("<br>")[0].strip() for cell in re.findall(r"<td>(.*?)</td>", title, re.S)][:3] == [
        "4 – Exceeds", "3 – Meets", "2 – Meets with conditions"]
    assert JUSTIFICATIONS[2] in title and "Disagreement" in title and "Gate split" not in title
    assert "<td>3.00</td>" in title and "<td>2</td>" in title and "<td>0 / 3</td>" in title
    outcomes = row(page, "D3.1")
    assert "Disagreement" in outcomes and "Gate split" in outcomes and "<td>2.33</td>" in outcomes
    vocabulary = row(page, "D3.4")
    assert "N/A split" in vocabulary and "Disagreement" not in vocabulary and "<td>1 / 3</td>" in vocabulary
    assert "N/A" in vocabulary.split("<td>")[1]
    assert "finding" not in row(page, "D2.1") and "<td>1</td>" in row(page, "D2.1")
    assert "3 flagged criteria still need the panel's consensus:" in page
    assert [re.sub("<.*?>", "", cell) for cell in re.findall(r'href="#criterion-([^"]+)"', page)] == list(FLAGGED)
    summary = page.split('id="summary-heading"')[1].split("</section>")[0]
    assert "Approved with conditions" in summary and "D5.1 (2.00): caps the outcome at Approved with conditions" in (
        " ".join(summary.split()))
    assert page.count('<details class="consensus-form" open>') == 3  # the flagged criteria's forms stand open
    assert page.count('<label for="D1.2-value">') == 1 and 'aria-describedby="None"' not in page


def test_board_scores_come_from_the_scoring_engine(app, session, officer, designer) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    found = consolidation.board(session, programme, actor=officer.actor, settings=settings(app),
                                registry=registry(app))
    by_id = {line.criterion.id: line for line in found.rows}
    assert found.to_discuss == FLAGGED
    assert [by_id[cid].flagged for cid in ("D1.2", "D3.1", "D3.4", "D2.1", "D5.1")] == [True] * 3 + [False] * 2
    assert (by_id["D1.2"].aggregate.mean, by_id["D1.2"].aggregate.spread) == (3.0, 2)
    assert by_id["D3.4"].marks[0].value is None and by_id["D3.4"].flags.na_split
    assert found.panel.recommended is Outcome.APPROVED_WITH_CONDITIONS
    assert [reviewer.name for reviewer in found.reviewers] == [name for name, *_ in PANEL]


def test_before_every_review_is_in_the_board_says_so(app, session, officer, designer, client_for) -> None:
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)
    review = make_in_review(session, programme, officer)
    seat(session, review, make_panel(session, 1)[0], officer, status="submitted", marks=full_marks())
    session.commit()
    response = client_for(officer).get(board_url(programme))
    page = text(response)
    assert response.status_code == 200
    assert "The reviews are not all in yet." in page and "<table" not in page and "JUSTCANARY" not in page


def test_a_pinned_rubric_that_changed_stops_consolidation_with_a_clear_page(app, session, officer, designer,
                                                                           client_for) -> None:
    programme, review, _seats = consolidating(app, session, officer, designer)
    review.rubric_sha256 = "0" * 64
    session.commit()
    response = client_for(officer).get(board_url(programme))
    assert response.status_code == 409
    assert "The rubric has changed" in text(response) and review.rubric_key in text(response)


def test_the_report_is_offered_for_sending_only_once_every_flag_has_its_consensus(app, session, officer, designer,
                                                                                  client_for) -> None:
    programme, _review, _seats = consolidating(app, session, officer, designer)
    client = client_for(officer)
    assert "/consolidation/send" not in text(client.get(board_url(programme)))
    agree_on_every_flag(client, programme)
    assert "/consolidation/send" in text(client.get(board_url(programme)))


def test_admin_reads_the_board_but_records_nothing(app, session, officer, designer, client_for) -> None:
    admin = make_user(session, Role.ADMIN, institution=officer.institution)
    programme, _, _ = consolidating(app, session, officer, designer)
    client = client_for(admin)
    page = text(client.get(board_url(programme)))
    assert PANEL[0][0] in page and "consensus-form" not in page and "/consolidation/send" not in page
    assert agree(client, programme, "D1.2", "3").status_code == 403
    assert client.post_form(f"{board_url(programme)}/send", token_from="/").status_code == 403
    assert session.scalar(select(func.count(ConsensusMark.id))) == 0


def test_designers_get_403_and_reviewers_who_do_not_chair_get_404(app, session, officer, designer,
                                                                  client_for) -> None:
    panel = make_panel(session)
    outsider = make_user(session, Role.REVIEWER)
    programme, _, _ = consolidating(app, session, officer, designer, panel=panel)
    assert client_for(designer).get(board_url(programme)).status_code == 403
    for person in (panel[0], outsider):
        client = client_for(person)
        assert client.get(board_url(programme)).status_code == 404
        assert agree(client, programme, "D1.2", "3").status_code == 404
        assert agree(client, programme, "D1.2", "").status_code == 404  # even an invalid form tells nothing
    assert session.scalar(select(func.count(ConsensusMark.id))) == 0


def test_the_chair_consolidates_but_does_not_send(app, session, officer, designer, client_for) -> None:
    panel = make_panel(session)
    programme, _, _ = consolidating(app, session, officer, designer, panel=panel, chair=2)
    client = client_for(panel[2])
    page = text(client.get(board_url(programme)))
    assert page.count('<details class="consensus-form" open>') == 3 and "/consolidation/send" not in page
    assert "/programmes/" + str(programme.id) + '"' not in page  # no link to the programme page it cannot open
    assert agree(client, programme, "D1.2", "3").status_code == 302
    entry = entries(session, programme.id, "review.")[-1]
    assert (entry.action, entry.actor_id, entry.actor_role) == ("review.consensus_recorded", panel[2].id, "reviewer")
    assert client.post_form(f"{board_url(programme)}/send", token_from="/").status_code == 403


# Consensus -----------------------------------------------------------------------------------------------


def test_recording_a_consensus_saves_it_audits_it_and_clears_the_flag(app, session, officer, designer,
                                                                      client_for) -> None:
    programme, review, _ = consolidating(app, session, officer, designer)
    client = client_for(officer)
    response = agree(client, programme, "D1.2", "3", "  " + REASON + "  ")
    assert response.headers["Location"] == f"{board_url(programme)}#criterion-D1.2"
    fresh(session)
    mark = session.scalars(select(ConsensusMark)).one()
    assert (mark.review_id, mark.criterion_id, mark.value, mark.reason, mark.recorded_by_id) == (
        review.id, "D1.2", 3, REASON, officer.id)
    entry = entries(session, programme.id, "review.")[-1]
    assert (entry.action, entry.actor_role) == ("review.consensus_recorded", "qa_officer")
    assert json.loads(entry.details) == {"review": review.id, "criterion": "D1.2", "value": 3, "reason": REASON}
    page = text(client.get(board_url(programme)))
    assert "The panel's consensus on D1.2 is recorded." in page
    assert "<strong>3 – Meets</strong>" in row(page, "D1.2") and REASON in row(page, "D1.2")
    assert "2 flagged criteria still need the panel's consensus:" in page
    assert re.search(r'name="D1\.2-reason" required>\s*' + re.escape(REASON) + "</textarea>", page)  # as agreed


def test_recording_again_replaces_the_consensus_and_keeps_the_old_one_in_the_audit(app, session, officer, designer,
                                                                                    client_for) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    client = client_for(officer)
    agree(client, programme, "D3.4", "na", "Nothing in the proposal calls for a shared vocabulary.")
    agree(client, programme, "D3.4", "3", "The ESCO links are in the annex after all.")
    fresh(session)
    assert [(m.criterion_id, m.value) for m in session.scalars(select(ConsensusMark))] == [("D3.4", 3)]
    details = json.loads(entries(session, programme.id, "review.")[-1].details)
    assert details["replaced"] == {"value": None, "reason": "Nothing in the proposal calls for a shared vocabulary."}


def test_a_consensus_on_an_unflagged_criterion_overrides_the_aggregate(app, session, officer, designer,
                                                                       client_for) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    before = consolidation.board(session, programme, actor=officer.actor, settings=settings(app),
                                 registry=registry(app))
    assert agree(client_for(officer), programme, "D2.1", "4").status_code == 302
    fresh(session)
    after = consolidation.board(session, session.get(Programme, programme.id), actor=officer.actor,
                                settings=settings(app), registry=registry(app))
    d21 = {line.criterion.id: line for line in after.rows}["D2.1"]
    assert (d21.aggregate.mean, d21.aggregate.effective, d21.flagged) == (pytest.approx(10 / 3), 4.0, False)
    assert after.panel.dimension("D2").score > before.panel.dimension("D2").score
    assert after.to_discuss == FLAGGED


@pytest.mark.parametrize(("criterion_id", "value", "reason", "field", "message"), [
    ("D1.2", "", REASON, "D1.2-value", "Choose the panel's mark."),
    ("D1.2", "3", "   ", "D1.2-reason", "Give the panel's reasoning."),
    ("D1.2", "9", REASON, "D1.2-value", "9 is not a value of the scale (4, 3, 2, 1)."),
    ("D1.2", "na", REASON, "D1.2-value", "N/A is not allowed for this criterion."),
    ("D1.2", "three", REASON, "D1.2-value", "Choose the panel's mark."),
    ("D1.2", "3", "x" * 4001, "D1.2-reason", "Field cannot be longer than 4000 characters."),
])
def test_an_invalid_consensus_is_refused_next_to_its_field_and_nothing_is_saved(
        app, session, officer, designer, client_for, criterion_id: str, value: str, reason: str, field: str,
        message: str) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    trail = len(entries(session, programme.id))
    response = agree(client_for(officer), programme, criterion_id, value, reason)
    page = text(response)
    assert response.status_code == 422
    assert f'<small id="{field}-error" class="field-error" role="alert">{message}</small>' in page
    assert re.search(f'<(select|textarea) aria-describedby="[^"]*{field}-error" aria-invalid="true" id="{field}"',
                     page)
    if reason.strip():
        assert reason[:200] in page  # what was typed is still there
    assert session.scalar(select(func.count(ConsensusMark.id))) == 0
    assert len(entries(session, programme.id)) == trail


def test_a_consensus_for_a_criterion_the_rubric_lacks_is_refused_above_the_board(app, session, officer, designer,
                                                                                  client_for) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    response = agree(client_for(officer), programme, "D9.9", "3")
    assert response.status_code == 422
    assert "'D9.9' is not a criterion of slp-ex-ante@1." in text(response).split("<section")[0]
    assert session.scalar(select(func.count(ConsensusMark.id))) == 0


def test_consensus_is_refused_outside_consolidation_and_the_attempt_is_audited(app, session, officer, designer,
                                                                               client_for) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    client = client_for(officer)
    agree_on_every_flag(client, programme)
    assert client.post_form(f"{board_url(programme)}/send", token_from="/").status_code == 302
    response = agree(client, programme, "D2.1", "4")
    assert response.status_code == 409
    assert ("Consensus is recorded while the programme is in consolidation; it is provider response now."
            in text(response))
    entry = entries(session, programme.id, "review.")[-1]
    assert (entry.action, json.loads(entry.details)["criterion"]) == ("review.consensus_refused", "D2.1")
    page = text(client.get(board_url(programme)))  # read-only from now on
    assert "consensus-form" not in page and "<strong>3 – Meets</strong>" in row(page, "D1.2")
    assert "/consolidation/send" not in page and "The draft report was sent on" in page


# Sending the draft report -----------------------------------------------------------------------------------


def test_sending_is_refused_while_a_flagged_criterion_lacks_consensus(app, session, officer, designer,
                                                                      client_for) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    client = client_for(officer)
    agree(client, programme, "D1.2", "3")
    agree(client, programme, "D3.1", "2")
    response = client.post_form(f"{board_url(programme)}/send", token_from="/")
    assert response.status_code == 409
    assert ("A consensus mark is still missing for a criterion the reviewers disagree on."
            in text(response))
    assert state_of(session, programme.id) is State.CONSOLIDATION
    entry = entries(session, programme.id, "programme.")[-1]
    assert (entry.action, json.loads(entry.details)["action"]) == ("programme.transition_refused",
                                                                  "send_draft_report")
    review = session.scalars(select(Review).where(Review.programme_id == programme.id)).one()
    assert (review.report_sent_at, review.response_due_on) == (None, None)
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_sending_once_every_flag_is_agreed_opens_the_window_and_tells_the_designer(app, session, officer, designer,
                                                                                   client_for) -> None:
    programme, review, _ = consolidating(app, session, officer, designer)
    client = client_for(officer)
    agree_on_every_flag(client, programme)
    assert "Every flagged criterion has the panel's consensus." in client.get(board_url(programme)).get_data(
        as_text=True)
    response = client.post_form(f"{board_url(programme)}/send", token_from="/")
    assert response.headers["Location"] == f"/programmes/{programme.id}/report"
    assert state_of(session, programme.id) is State.PROVIDER_RESPONSE
    review = session.get(Review, review.id)
    today = utcnow().date()
    assert review.report_sent_at.date() == today
    assert review.response_due_on == closing_date(today, settings(app).response_days, settings(app).holidays)
    entry = entries(session, programme.id, "programme.")[-1]
    assert json.loads(entry.details) == {"action": "send_draft_report", "from": "consolidation",
                                         "to": "provider_response", "review": review.id,
                                         "response_due_on": review.response_due_on.isoformat()}
    mail = session.scalars(select(OutboxMessage)).one()
    assert (mail.event, mail.recipient_id, mail.to_address) == ("draft_report", designer.id, designer.email)
    assert mail.subject == "[QA Engine] Draft panel report on Data Stewardship"
    assert review.response_due_on.isoformat() in mail.body_text and "20 working days" in mail.body_text
    assert f"http://127.0.0.1:5000/programmes/{programme.id}/report" in mail.body_text
    assert f'href="http://127.0.0.1:5000/programmes/{programme.id}/report"' in mail.body_html


# Concurrency and cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(50))
def test_two_officers_sending_the_report_at_once_exactly_one_transition(app, session, officer, designer, client_for,
                                                                        attempt: int) -> None:
    programme, _, _ = consolidating(app, session, officer, designer)
    colleague = make_user(session, Role.QA_OFFICER, institution=officer.institution)
    session.commit()
    clients = [client_for(officer), client_for(colleague)]
    agree_on_every_flag(clients[attempt % 2], programme)
    tokens = [client.csrf_token("/") for client in clients]
    barrier, results = threading.Barrier(2), []

    def send(client, token) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(f"{board_url(programme)}/send", data={"csrf_token": token})
        results.append((response.status_code, text(response)))

    threads = [threading.Thread(target=send, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in results) == [302, 409]
    loser = next(page for status, page in results if status == 409)
    assert ("“Send draft report” is not possible for a provider response programme." in loser
            or "The programme was changed in the meantime." in loser)
    assert state_of(session, programme.id) is State.PROVIDER_RESPONSE
    actions = [e.action for e in entries(session, programme.id, "programme.")][-2:]
    assert sorted(actions) == ["programme.send_draft_report", "programme.transition_refused"]
    assert session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.event == "draft_report")) == 1


def test_board_statements_do_not_grow_with_the_panel(app, session, officer, designer, client_for) -> None:
    small, _, _ = consolidating(app, session, officer, designer)
    large, _, _ = consolidating(app, session, officer, designer, panel=make_panel(session, 5, "-5"),
                                differences={cid: (*values, 3, 3) for cid, values in DIFFERENCES.items()})
    client = client_for(officer)
    at_3 = count_statements(app, client, board_url(small), warm_up=True)
    at_5 = count_statements(app, client, board_url(large), warm_up=True)
    assert at_3 == at_5
    assert at_5 <= 11  # two BEGINs, the login session; programme, round, seats and consensus with their users' roles
