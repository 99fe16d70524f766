"""The QA officer's screening: the queue, taking a programme, accepting it for review or returning it."""
from __future__ import annotations

import json
import threading

import pytest
from factories import make_institution, make_programme, make_submitted, make_user, sound_proposal
from sql_counts import count_statements
from sqlalchemy import func, select

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import AuditEntry, OutboxMessage, Programme, ProgrammeVersion, Review
from qa_engine.services import screening

SCREENED = {"blocking": False, "counts": {"pass": 14, "warn": 3, "fail": 1}, "findings": []}
COMMENT = "The learning outcomes in LO3 cannot be assessed as written; name the assessment method."


@pytest.fixture
def designer(session):  # noqa: ANN001, ANN201
    user = make_user(session, Role.DESIGNER, full_name="Dana Designer")
    session.commit()
    return user


@pytest.fixture
def officer(session):  # noqa: ANN001, ANN201
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency")
    user = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    session.commit()
    return user


def submitted(session, designer, **kwargs) -> Programme:  # noqa: ANN001
    programme = make_programme(session, designer, **kwargs)
    make_submitted(session, programme, designer, screening=SCREENED)
    session.commit()
    return programme


def in_screening(session, designer, officer) -> Programme:  # noqa: ANN001
    programme = submitted(session, designer)
    screening.take(session, programme, actor=officer)
    session.commit()
    return programme


def fresh(session) -> None:  # noqa: ANN001
    session.rollback()
    session.expire_all()


def entries(session, programme_id: int) -> list[AuditEntry]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.object_type == "programme",
                                                         AuditEntry.object_id == str(programme_id))
                                .order_by(AuditEntry.seq)))


def state_and_version(session, programme_id: int) -> tuple[State, int]:  # noqa: ANN001
    fresh(session)
    programme = session.get(Programme, programme_id)
    return programme.state, programme.version


def queue_titles(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [row.split('">', 1)[1].split("</a>")[0] for row in body.split("<tr>")[1:] if "</a>" in row]


# The queue -----------------------------------------------------------------------------------------------


def test_queue_lists_submitted_and_screening_programmes_with_their_counts(app, session, designer, officer,
                                                                         client_for) -> None:
    first = submitted(session, designer, data={"identification": {"title": "Data Literacy"}})
    second = in_screening(session, designer, officer)
    draft = make_programme(session, designer, data={"identification": {"title": "Still a Draft"}})
    returned = submitted(session, designer, data={"identification": {"title": "Sent Back"}})
    with app.app_context():  # the return e-mail is rendered with the application's templates
        screening.return_to_designer(session, returned, actor=officer, comment=COMMENT)
    session.commit()
    page = client_for(officer).get("/qa/queue").get_data(as_text=True)
    assert queue_titles(page) == ["Data Literacy", second.title]
    assert page.count('<span class="finding finding-fail">1 fail</span>') == 2
    assert page.count('<span class="finding finding-warn">3 warnings</span>') == 2
    assert '<span class="state state-screening">Screening</span>' in page
    assert f'href="/programmes/{first.id}"' in page and draft.title not in page
    assert "2 programmes submitted or in screening" in page


def test_queue_search_matches_word_beginnings_of_title_or_provider_and_no_wildcards(app, session, designer, officer,
                                                                                    client_for) -> None:
    other = make_user(session, Role.DESIGNER, institution=make_institution(session, name="Universidad de Ejemplo"))
    submitted(session, designer, data={"identification": {"title": "Data Literacy"}})
    submitted(session, designer, data={"identification": {"title": "Green Skills 100%"}})
    submitted(session, other, data={"identification": {"title": "Cloud Basics"}})
    client = client_for(officer)
    assert queue_titles(client.get("/qa/queue?q=literacy").get_data(as_text=True)) == ["Data Literacy"]
    assert queue_titles(client.get("/qa/queue?q=EJEMPLO").get_data(as_text=True)) == ["Cloud Basics"]
    assert queue_titles(client.get("/qa/queue?q=100%25").get_data(as_text=True)) == ["Green Skills 100%"]
    assert queue_titles(client.get("/qa/queue?q=dat+lit").get_data(as_text=True)) == ["Data Literacy"]
    # a word's beginning, not any part of it; % and _ separate words, as all punctuation does, and are no wildcards
    for search in ("iteracy", "lit%25acy", "_ata"):
        assert queue_titles(client.get(f"/qa/queue?q={search}").get_data(as_text=True)) == [], search
    assert len(queue_titles(client.get("/qa/queue?q=%25").get_data(as_text=True))) == 3  # no word: no filter
    assert "No programme waiting for screening matches “nothing”." in client.get(
        "/qa/queue?q=nothing").get_data(as_text=True)


def test_queue_pages_hold_25_programmes_oldest_submission_first(app, session, designer, officer,
                                                                client_for) -> None:
    titles = [submitted(session, designer).title for _ in range(30)]
    client = client_for(officer)
    first = client.get("/qa/queue").get_data(as_text=True)
    second = client.get("/qa/queue?page=2").get_data(as_text=True)
    assert (queue_titles(first), queue_titles(second)) == (titles[:25], titles[25:])
    assert "Page 1 of 2" in first and 'href="/qa/queue?page=2' in first and "Page 2 of 2" in second
    found = screening.queue(session, officer.actor, page=2, per_page=25)
    assert (found.total, len(found.rows), found.rows[0].counts) == (30, 5, {"fail": 1, "warn": 3, "pass": 14})


def test_queue_page_issues_the_same_number_of_statements_at_5_and_30_programmes(app, session, designer, officer,
                                                                                client_for) -> None:
    client = client_for(officer)
    client.get("/qa/queue")  # warm up: the login session is touched and the pool filled

    def statements() -> int:
        return count_statements(app, client, "/qa/queue")

    for _ in range(5):
        submitted(session, designer)
    at_5 = statements()
    for _ in range(25):
        submitted(session, designer)
    at_30 = statements()
    assert at_5 == at_30
    assert at_30 <= 6


def test_admin_reads_the_queue_but_takes_no_action(app, session, designer, client_for) -> None:
    admin = make_user(session, Role.ADMIN)
    programme = submitted(session, designer)
    client = client_for(admin)
    assert queue_titles(client.get("/qa/queue").get_data(as_text=True)) == [programme.title]
    assert client.post_form(f"/qa/programmes/{programme.id}/take", token_from="/").status_code == 403
    overview = client.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "/qa/programmes/" not in overview
    assert state_and_version(session, programme.id)[0] == State.SUBMITTED


# Taking, accepting, returning ------------------------------------------------------------------------------


def test_take_moves_to_screening_and_audits_the_officer(app, session, designer, officer, client_for) -> None:
    programme = submitted(session, designer)
    before = state_and_version(session, programme.id)[1]
    client = client_for(officer)
    assert f'action="/qa/programmes/{programme.id}/take"' in client.get(f"/programmes/{programme.id}").get_data(
        as_text=True)
    response = client.post_form(f"/qa/programmes/{programme.id}/take", token_from="/")
    assert response.headers["Location"] == f"/programmes/{programme.id}"
    assert state_and_version(session, programme.id) == (State.SCREENING, before + 1)
    entry = entries(session, programme.id)[-1]
    assert (entry.action, entry.actor_id, entry.actor_role) == ("programme.take_for_screening", officer.id,
                                                                 "qa_officer")
    assert json.loads(entry.details) == {"action": "take_for_screening", "from": "submitted", "to": "screening",
                                         "version": 1}
    page = client.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "You are screening this programme." in page
    assert f'action="/qa/programmes/{programme.id}/accept"' in page
    assert f'action="/qa/programmes/{programme.id}/return"' in page
    assert f'action="/qa/programmes/{programme.id}/take"' not in page


def test_accept_moves_to_in_review_with_the_comment_in_the_audit(app, session, designer, officer,
                                                                 client_for) -> None:
    programme = in_screening(session, designer, officer)
    before = state_and_version(session, programme.id)[1]
    response = client_for(officer).post_form(f"/qa/programmes/{programme.id}/accept",
                                             {"comment": "  Complete; warnings noted for the panel. "},
                                             token_from="/")
    assert response.headers["Location"] == f"/programmes/{programme.id}"
    assert state_and_version(session, programme.id) == (State.IN_REVIEW, before + 1)
    entry, opened = entries(session, programme.id)[-2:]
    assert (entry.action, entry.actor_id, entry.actor_role) == ("programme.accept_for_review", officer.id,
                                                                 "qa_officer")
    assert json.loads(entry.details)["comment"] == "Complete; warnings noted for the panel."
    assert screening.queue(session, officer.actor).rows == []
    # The review round opens on the submitted version, pinning the rubric version and its hash.
    review = session.scalars(select(Review).where(Review.programme_id == programme.id)).one()
    rubric = app.extensions["qa_engine.catalogue"].rubrics.get("slp-ex-ante")
    assert (review.version_number, review.blind) == (1, True)
    assert (review.rubric_key, review.rubric_sha256) == (rubric.key, rubric.content_hash)
    assert (opened.action, json.loads(opened.details)["rubric_sha256"]) == ("review.opened", review.rubric_sha256)


@pytest.mark.parametrize("from_state", [State.SUBMITTED, State.SCREENING])
def test_return_moves_to_returned_with_the_comment_in_the_audit(app, session, designer, officer, client_for,
                                                                from_state: State) -> None:
    programme = submitted(session, designer) if from_state is State.SUBMITTED else in_screening(
        session, designer, officer)
    before = state_and_version(session, programme.id)[1]
    response = client_for(officer).post_form(f"/qa/programmes/{programme.id}/return", {"comment": COMMENT},
                                             token_from="/")
    assert response.headers["Location"] == f"/programmes/{programme.id}"
    assert state_and_version(session, programme.id) == (State.RETURNED, before + 1)
    entry = entries(session, programme.id)[-1]
    assert (entry.action, entry.actor_id, entry.actor_role) == ("programme.return_to_designer", officer.id,
                                                                 "qa_officer")
    assert json.loads(entry.details) == {"action": "return_to_designer", "from": from_state.value,
                                         "to": "returned", "version": 1, "comment": COMMENT}
    # The designer hears of it by e-mail, in the same transaction, with the comment to act on.
    [mail] = session.scalars(select(OutboxMessage).where(OutboxMessage.event == "programme_returned")).all()
    assert mail.to_address == designer.email and COMMENT in mail.body_text
    assert f"/programmes/{programme.id}" in mail.body_text


@pytest.mark.parametrize("comment", ["", "   \n  "])
def test_return_without_a_comment_is_refused_next_to_the_field_and_changes_nothing(app, session, designer, officer,
                                                                                  client_for, comment: str) -> None:
    programme = in_screening(session, designer, officer)
    before, trail = state_and_version(session, programme.id), len(entries(session, programme.id))
    response = client_for(officer).post_form(f"/qa/programmes/{programme.id}/return", {"comment": comment},
                                             token_from="/")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="comment-error"' in page and "Say why the programme goes back." in page
    assert 'aria-invalid="true"' in page and programme.title in page
    assert (state_and_version(session, programme.id), len(entries(session, programme.id))) == (before, trail)


def test_return_service_refuses_a_blank_comment_and_changes_nothing(app, session, designer, officer) -> None:
    programme = in_screening(session, designer, officer)
    before = state_and_version(session, programme.id)
    programme = session.get(Programme, programme.id)
    with pytest.raises(screening.CommentRequired, match="its designer reads this comment"):
        screening.return_to_designer(session, programme, actor=officer, comment=" ")
    session.commit()
    assert state_and_version(session, programme.id) == before
    assert entries(session, programme.id)[-1].action == "programme.take_for_screening"


def test_an_overlong_comment_is_refused_and_kept_in_the_form(app, session, designer, officer, client_for) -> None:
    programme = in_screening(session, designer, officer)
    text = "Needs work. " * 400
    response = client_for(officer).post_form(f"/qa/programmes/{programme.id}/accept", {"comment": text},
                                             token_from="/")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="comment-error"' in page and "Needs work. Needs work." in page
    assert state_and_version(session, programme.id)[0] == State.SCREENING


def test_an_action_out_of_turn_is_a_409_with_the_reason_and_is_audited(app, session, designer, officer,
                                                                       client_for) -> None:
    programme = submitted(session, designer)
    response = client_for(officer).post_form(f"/qa/programmes/{programme.id}/accept", token_from="/")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "“Accept for review” is not possible for a submitted programme." in page
    entry = entries(session, programme.id)[-1]
    assert (entry.action, entry.actor_id, json.loads(entry.details)["reason"]) == (
        "programme.transition_refused", officer.id, "“Accept for review” is not possible for a submitted programme.")
    assert state_and_version(session, programme.id)[0] == State.SUBMITTED


def test_designer_sees_the_return_revises_and_resubmits_as_version_two_with_the_history_kept(
        app, session, designer, officer, client_for) -> None:
    programme = make_programme(session, designer, data=sound_proposal())
    session.commit()
    author, qa = client_for(designer), client_for(officer)
    assert author.post_form(f"/programmes/{programme.id}/submit", token_from="/").status_code == 302
    qa.post_form(f"/qa/programmes/{programme.id}/take", token_from="/")
    qa.post_form(f"/qa/programmes/{programme.id}/return", {"comment": COMMENT}, token_from="/")
    page = author.get(f"/programmes/{programme.id}").get_data(as_text=True)
    notice = page.split('id="returned"')[1].split("</div>")[0]
    assert "Returned by the QA officer" in notice and COMMENT in notice and "Olga Officer" in notice
    assert page.index('id="returned"') < page.index('id="screening-heading"')
    assert "/qa/programmes/" not in page
    assert author.post_form(f"/programmes/{programme.id}/revision", token_from="/").status_code == 302
    assert 'id="returned"' not in author.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert author.post_form(f"/programmes/{programme.id}/submit", token_from="/").status_code == 302
    fresh(session)
    assert (session.get(Programme, programme.id).state, session.get(Programme, programme.id).current_version) == (
        State.SUBMITTED, 2)
    assert session.scalar(select(func.count(ProgrammeVersion.id))) == 2
    assert [e.action for e in entries(session, programme.id)] == [
        "programme.create", "programme.submit", "programme.take_for_screening", "programme.return_to_designer",
        "programme.start_revision", "programme.submit"]
    history = " ".join(qa.get(f"/programmes/{programme.id}").get_data(as_text=True)
                       .split('id="timeline-heading"')[1].split())
    assert "Submit: Submitted (version 1)" in history
    assert f'Return to designer: Returned (version 1) <span class="muted">— Olga Officer</span>: “{COMMENT}”' in history
    assert "Submit: Submitted (version 2)" in history
    assert queue_titles(qa.get("/qa/queue").get_data(as_text=True)) == [programme.title]


# Who may --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.REVIEWER])
def test_designers_and_reviewers_get_403_on_every_qa_route(app, session, designer, client_for, role: Role) -> None:
    programme = submitted(session, designer)
    person = designer if role is Role.DESIGNER else make_user(session, Role.REVIEWER)
    session.commit()
    client = client_for(person)
    assert client.get("/qa/queue").status_code == 403
    for action in ("take", "accept", "return"):
        response = client.post_form(f"/qa/programmes/{programme.id}/{action}", {"comment": COMMENT}, token_from="/")
        assert response.status_code == 403, action
    assert state_and_version(session, programme.id)[0] == State.SUBMITTED
    assert "/qa/programmes/" not in client.get(f"/programmes/{programme.id}").get_data(as_text=True)


def test_officer_acts_on_any_institutions_programme_but_drafts_are_404(app, session, designer, officer,
                                                                       client_for) -> None:
    other = make_user(session, Role.DESIGNER)
    elsewhere = submitted(session, other)
    draft = make_programme(session, designer)
    session.commit()
    client = client_for(officer)
    assert elsewhere.title in client.get("/qa/queue").get_data(as_text=True)
    assert client.post_form(f"/qa/programmes/{elsewhere.id}/take", token_from="/").status_code == 302
    for action in ("take", "accept", "return"):
        response = client.post_form(f"/qa/programmes/{draft.id}/{action}", {"comment": COMMENT}, token_from="/")
        assert response.status_code == 404, action
    assert client.post_form("/qa/programmes/999999/take", token_from="/").status_code == 404
    assert state_and_version(session, draft.id)[0] == State.DRAFT


# Concurrency ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(50))
def test_two_officers_accepting_and_returning_at_once_exactly_one_wins(app, session, designer, officer,
                                                                       client_for, attempt: int) -> None:
    programme = in_screening(session, designer, officer)
    colleague = make_user(session, Role.QA_OFFICER, institution=officer.institution)
    session.commit()
    clients = [client_for(officer), client_for(colleague)]
    tokens = [client.csrf_token("/") for client in clients]
    requests = [("accept", {}), ("return", {"comment": COMMENT})]
    if attempt % 2:
        requests.reverse()
    barrier, statuses = threading.Barrier(2), {}

    def act(client, token, action, data) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(f"/qa/programmes/{programme.id}/{action}", data={**data, "csrf_token": token})
        statuses[action] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=act, args=(client, token, action, data))
               for client, token, (action, data) in zip(clients, tokens, requests, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in statuses.values()) == [302, 409]
    winner = next(action for action, (status, _) in statuses.items() if status == 302)
    loser_page = next(page for status, page in statuses.values() if status == 409)
    assert "Changed in the meantime" in loser_page
    assert ("The programme was changed in the meantime." in loser_page
            or "is not possible for" in loser_page)
    expected = State.IN_REVIEW if winner == "accept" else State.RETURNED
    assert state_and_version(session, programme.id)[0] == expected
    actions = [e.action for e in entries(session, programme.id) if e.action.startswith("programme.")][-2:]
    won = "programme.accept_for_review" if winner == "accept" else "programme.return_to_designer"
    assert sorted(actions) == sorted([won, "programme.transition_refused"])
