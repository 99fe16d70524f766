"""Submissions that race: real threads, two test clients, a barrier; 50 times each.

(a) One reviewer submits twice at once (two tabs, a double click): exactly one submission, one audit entry,
    and the other request gets a clear message.
(b) The last two reviewers of a panel that meets the ESG policy (academic, professional, student) submit at
    once: both reviews are in, and the programme moves to consolidation exactly once.
"""
from __future__ import annotations

import threading

import pytest
from factories import full_marks, make_user, seat
from test_reviewing import build_case, entries, form_data, fresh, mails, text_of

from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.models import Assignment, Programme


def race(clients_and_urls: list[tuple], data: list[dict]) -> list[tuple[int, str]]:
    """Post each form from its client at the same moment; the responses, in order."""
    tokens = [client.csrf_token("/") for client, _ in clients_and_urls]
    barrier, results = threading.Barrier(len(clients_and_urls)), [None] * len(clients_and_urls)

    def post(index: int) -> None:
        client, url = clients_and_urls[index]
        barrier.wait()
        response = client.post(url, data={**data[index], "csrf_token": tokens[index]})
        results[index] = (response.status_code, text_of(response))

    threads = [threading.Thread(target=post, args=(index,)) for index in range(len(clients_and_urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize("attempt", range(50))
def test_a_double_submit_has_exactly_one_effect(app, session, client_for, attempt: int) -> None:
    case = build_case(app, session, marks=full_marks())
    url = f"/reviews/{case.seat.id}/score"
    clients = [(client_for(case.reviewer), url), (client_for(case.reviewer), url)]
    opened_at = case.seat.version
    posted = form_data(full_marks(), version=opened_at, submit=True)
    results = race(clients, [posted, posted])
    assert sorted(status for status, _ in results) == [302, 409]
    loser = next(page for status, page in results if status == 409)
    assert "This review has already been submitted." in loser
    assert len(entries(session, "review.submitted")) == 1
    found = session.get(Assignment, case.seat.id)
    assert (found.status, found.version) == (MemberStatus.SUBMITTED, opened_at + 1)


@pytest.mark.parametrize("attempt", range(50))
def test_the_last_two_reviewers_submitting_at_once_close_the_review_exactly_once(app, session, client_for,
                                                                                 attempt: int) -> None:
    case = build_case(app, session, status="submitted", marks=full_marks())
    racers = []
    for profile in ("professional", "student"):
        reviewer = make_user(session, Role.REVIEWER)
        racers.append((reviewer, seat(session, case.review, reviewer, case.officer, profile=profile,
                                      marks=full_marks(value=4))))
    session.commit()
    clients = [(client_for(reviewer), f"/reviews/{place.id}/score") for reviewer, place in racers]
    results = race(clients, [form_data(full_marks(value=4), version=place.version, submit=True)
                             for _, place in racers])
    assert [status for status, _ in results] == [302, 302]
    fresh(session)
    assert session.get(Programme, case.programme.id).state is State.CONSOLIDATION
    assert {session.get(Assignment, place.id).status for _, place in racers} == {MemberStatus.SUBMITTED}
    assert len(entries(session, "review.submitted")) == 2
    assert len(entries(session, "programme.complete_reviews")) == 1
    assert entries(session, "programme.transition_refused") == []
    assert len(mails(session, "reviews_complete")) == 1
