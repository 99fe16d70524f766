"""The QA officer's dashboard: the pipeline, what is overdue, decisions waiting, approvals expiring, and the programme
list with its filters, search and pagination; who may read it; a bounded number of statements whatever the data.

The helpers here build cases in each situation; the bulk actions and the home pages import them."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from factories import make_in_review, make_institution, make_programme, make_submitted, make_user, seat
from sql_counts import count_statements

from qa_engine.db import utcnow
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Condition, Decision, DecisionStatus, Programme, Review
from qa_engine.services import dashboards, reviews

TODAY = date.today()


def make_people(session) -> SimpleNamespace:  # noqa: ANN001
    """Officers, an administrator, designers of two providers and two reviewers (committed)."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency")
    provider = make_institution(session, name="Eastvale University", short_name="EVU")
    other = make_institution(session, name="Westmoor College", short_name="WMC")
    found = SimpleNamespace(
        officer=make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer"),
        colleague=make_user(session, Role.QA_OFFICER, institution=agency, full_name="Colin Colleague"),
        admin=make_user(session, Role.ADMIN, institution=agency),
        designer=make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer"),
        other_designer=make_user(session, Role.DESIGNER, institution=other, full_name="Walt Westmoor"),
        reviewer=make_user(session, Role.REVIEWER, full_name="Rita Reviewer"),
        second_reviewer=make_user(session, Role.REVIEWER, full_name="Sam Second"),
        provider=provider, other=other)
    session.commit()
    return found


@pytest.fixture
def people(session) -> SimpleNamespace:  # noqa: ANN001
    return make_people(session)


def programme(session, people, title: str, *, designer=None, level: int | None = None,  # noqa: ANN001
              state: State | None = None) -> Programme:
    """A submitted programme (in `state` when given)."""
    author = designer or people.designer
    made = make_programme(session, author, data={"identification": {"title": title}})
    make_submitted(session, made, author)
    made.eqf_level = level
    if state is not None:
        made.state = state
    session.flush()
    return made


def in_review(session, people, title: str, *, due_in_days: int = 28) -> Review:  # noqa: ANN001
    return make_in_review(session, programme(session, people, title), people.officer, due_in_days=due_in_days)


def late_invitation(session, people, title: str, *, days_ago: int = 10):  # noqa: ANN001, ANN201
    review = in_review(session, people, title)
    place = seat(session, review, people.reviewer, people.officer, status="invited", declared=False)
    place.invited_at = utcnow() - timedelta(days=days_ago)
    session.flush()
    return place


def late_review(session, people, title: str, *, days_late: int = 3):  # noqa: ANN001, ANN201
    review = in_review(session, people, title, due_in_days=-days_late)
    return seat(session, review, people.reviewer, people.officer, status="accepted")


def late_response(session, people, title: str, *, days_late: int = 2) -> Review:  # noqa: ANN001
    review = in_review(session, people, title)
    review.programme.state = State.PROVIDER_RESPONSE
    review.report_sent_at = utcnow() - timedelta(days=30)
    review.response_due_on = TODAY - timedelta(days=days_late)
    session.flush()
    return review


def decided(session, people, title: str, outcome: Outcome, state: State, *, valid_days: int | None = 900,  # noqa: ANN001
            status: DecisionStatus = DecisionStatus.EFFECTIVE, decided_by=None, designer=None,
            appeal_days: int | None = None, level: int | None = None, review: Review | None = None) -> Decision:
    """A programme with a decision recorded directly (as tests/test_decision_records.py does); with `review`, the
    decision on that round of its programme."""
    made = review.programme if review else programme(session, people, title, designer=designer, level=level)
    made.state = state
    accredits = outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS)
    decision = Decision(programme_id=made.id, review_id=review.id if review else None, version_number=1,
                        status=status, outcome=outcome, rationale="Because.",
                        valid_from=TODAY - timedelta(days=30) if accredits else None,
                        valid_until=TODAY + timedelta(days=valid_days) if accredits and valid_days is not None
                        else None,
                        decision_body="Accreditation committee", decided_by_id=(decided_by or people.officer).id,
                        decided_on=TODAY - timedelta(days=5) if status is DecisionStatus.EFFECTIVE else None,
                        appeal_deadline=TODAY + timedelta(days=appeal_days) if appeal_days is not None else None)
    session.add(decision)
    session.flush()
    return decision


def condition(session, decision: Decision, *, due_in_days: int, status: ConditionStatus = ConditionStatus.OPEN,  # noqa: ANN001
              number: int = 1, text: str = "Publish the RPL procedure.") -> Condition:
    made = Condition(decision_id=decision.id, number=number, text=text, evidence_required="The procedure.",
                     due_on=TODAY + timedelta(days=due_in_days), status=status)
    session.add(made)
    session.flush()
    return made


def one_of_each(session, people, tag: str) -> None:  # noqa: ANN001
    """A programme in every situation the dashboard lists, titled with `tag`."""
    late_invitation(session, people, f"{tag} invitation")
    late_review(session, people, f"{tag} review")
    late_response(session, people, f"{tag} response")
    conditional = decided(session, people, f"{tag} conditions", Outcome.APPROVED_WITH_CONDITIONS, State.CONDITIONS)
    condition(session, conditional, due_in_days=-4)
    programme(session, people, f"{tag} pending", state=State.DECISION_PENDING)
    decided(session, people, f"{tag} proposed", Outcome.APPROVED, State.DECISION_PENDING,
            status=DecisionStatus.PROPOSED)
    decided(session, people, f"{tag} expiring", Outcome.APPROVED, State.APPROVED, valid_days=30)


def section(page: str, heading_id: str) -> str:
    """The HTML from a heading to the next heading of the same or a higher level."""
    start = page.index(f'id="{heading_id}"')
    ends = [i for i in (page.find("<h3", start), page.find("<h2", start)) if i != -1]
    return page[start:min(ends) if ends else len(page)]


def list_titles(page: str) -> list[str]:
    """The titles in the dashboard's programme list, in order."""
    body = page.split('id="programmes-heading"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [row.split('">', 1)[1].split("</a>")[0] for row in body.split('<td><a href="/programmes/')[1:]]


# The pipeline ---------------------------------------------------------------------------------------------------


def test_pipeline_counts_programmes_per_state_and_links_to_the_filtered_list(app, session, people,
                                                                            client_for) -> None:
    for title in ("A", "B"):
        in_review(session, people, title)
    programme(session, people, "C")
    make_programme(session, people.designer)  # a draft: not the QA office's
    session.commit()
    page = client_for(people.officer).get("/qa/dashboard").get_data(as_text=True)
    pipeline = section(page, "pipeline-heading")
    assert ('<a href="/qa/dashboard?state=in_review#programmes"><span class="count">2</span> In review</a>'
            in pipeline)
    assert '<a href="/qa/dashboard?state=submitted#programmes"><span class="count">1</span> Submitted</a>' in pipeline
    assert "state=draft" not in pipeline
    filtered = client_for(people.officer).get("/qa/dashboard?state=in_review").get_data(as_text=True)
    assert sorted(list_titles(filtered)) == ["A", "B"]


# What is overdue ------------------------------------------------------------------------------------------------


def test_overdue_lists_late_invitations_reviews_responses_and_conditions(app, session, people, client_for) -> None:
    invited = late_invitation(session, people, "Late Answer", days_ago=10)
    late_invitation(session, people, "Answer Still Open", days_ago=2)
    review_seat = late_review(session, people, "Late Review", days_late=3)
    done = in_review(session, people, "Reviewed In Time", due_in_days=-3)
    seat(session, done, people.reviewer, people.officer, status="submitted")
    in_review(session, people, "Review Not Due", due_in_days=5)
    late_response(session, people, "Late Response", days_late=2)
    conditional = decided(session, people, "Late Condition", Outcome.APPROVED_WITH_CONDITIONS, State.CONDITIONS)
    condition(session, conditional, due_in_days=-4, text="Publish the recognition of prior learning procedure.")
    condition(session, conditional, due_in_days=-9, number=2, status=ConditionStatus.MET, text="Met already.")
    condition(session, conditional, due_in_days=20, number=3, text="Not due yet.")
    session.commit()
    page = client_for(people.officer).get("/qa/dashboard").get_data(as_text=True)
    invitations = section(page, "late-invitations")
    answer_by = (invited.invited_at.date() + timedelta(days=5)).isoformat()
    assert "Late Answer" in invitations and "Answer Still Open" not in invitations
    assert f"<td>Rita Reviewer</td><td><time datetime=\"{answer_by}\">" in invitations
    assert "5 days late" in invitations and "(1)" in invitations
    late = section(page, "late-reviews")
    assert "Late Review" in late and "Reviewed In Time" not in late and "Review Not Due" not in late
    assert f'href="/qa/assignments/{review_seat.id}">Rita Reviewer</a>' in late and "3 days late" in late
    responses = section(page, "late-responses")
    assert "Late Response" in responses and "Dana Designer" in responses and "2 days late" in responses
    conditions = section(page, "late-conditions")
    assert "Publish the recognition of prior learning procedure." in conditions and "4 days late" in conditions
    assert "Met already." not in conditions and "Not due yet." not in conditions
    assert f'href="/programmes/{conditional.programme_id}/conditions"' in conditions


def test_an_old_round_and_a_programme_that_moved_on_are_not_overdue(app, session, people, client_for) -> None:
    place = late_review(session, people, "Moved On")
    place.review.programme.state = State.CONSOLIDATION
    session.commit()
    page = client_for(people.officer).get("/qa/dashboard").get_data(as_text=True)
    assert "No review is late." in section(page, "late-reviews")


def test_each_list_shows_its_first_ten_and_says_how_many_there_are(app, session, people, client_for) -> None:
    for n in range(12):
        late_review(session, people, f"Late {n:02d}", days_late=20 - n)
    session.commit()
    late = section(client_for(people.officer).get("/qa/dashboard").get_data(as_text=True), "late-reviews")
    assert late.count("days late") == 10 and "Late 00" in late and "Late 10" not in late
    assert "Showing the first 10 of 12." in late and "(12)" in late


def test_counts_stop_past_the_cap_and_say_so_on_the_dashboard_and_the_home_page(app, session, people, client_for,
                                                                                monkeypatch) -> None:
    monkeypatch.setattr(dashboards, "COUNTED_UP_TO", 3)
    for n in range(5):
        late_review(session, people, f"Late {n:02d}", days_late=20 - n)
    programme(session, people, "Waiting", state=State.DECISION_PENDING)
    session.commit()
    client = client_for(people.officer)
    late = section(client.get("/qa/dashboard").get_data(as_text=True), "late-reviews")
    assert "(3+)" in late and "Showing the first 5 of 3+." not in late and late.count("days late") == 5
    home = client.get("/").get_data(as_text=True)
    assert "3+ reviews past their due date" in home and "1 programme waiting for a decision" in home
    assert dashboards.attention_counts(session, people.officer.actor, today=date.today(),
                                       settings=reviews_settings(app), within=90).reviews == 4  # 3 + 1: "more"


# Decisions waiting and approvals expiring ------------------------------------------------------------------------


def test_decisions_waiting_and_proposals_awaiting_a_second_officer(app, session, people, client_for) -> None:
    pending = programme(session, people, "Awaiting Decision", state=State.DECISION_PENDING)
    mine = decided(session, people, "Proposed By Me", Outcome.APPROVED, State.DECISION_PENDING,
                   status=DecisionStatus.PROPOSED)
    theirs = decided(session, people, "Proposed By Colin", Outcome.REJECTED, State.DECISION_PENDING,
                     status=DecisionStatus.PROPOSED, decided_by=people.colleague)
    session.commit()
    page = client_for(people.officer).get("/qa/dashboard").get_data(as_text=True)
    waiting = section(page, "pending")
    assert f'href="/qa/programmes/{pending.id}/decision">Awaiting Decision</a>' in waiting
    assert "Proposed By Me" in waiting and "Proposed By Colin" in waiting  # all three wait for a decision
    proposed = section(page, "proposed")
    assert f'href="/qa/programmes/{mine.programme_id}/decision">Proposed By Me</a>' in proposed
    assert "Olga Officer <span class=\"muted\">(you: another officer confirms it)</span>" in proposed
    assert f'href="/qa/programmes/{theirs.programme_id}/decision">Proposed By Colin</a>' in proposed
    assert "Colin Colleague</td>" in proposed


def test_approvals_expiring_within_the_chosen_window(app, session, people, client_for) -> None:
    soon = decided(session, people, "Ends Soon", Outcome.APPROVED, State.APPROVED, valid_days=30)
    decided(session, people, "Ends Later", Outcome.APPROVED_WITH_CONDITIONS, State.CONDITIONS, valid_days=200)
    decided(session, people, "Ended", Outcome.APPROVED, State.APPROVED, valid_days=-1)
    decided(session, people, "Withdrawn", Outcome.APPROVED, State.APPROVAL_WITHDRAWN, valid_days=20)
    session.commit()
    client = client_for(people.officer)
    expiring = section(client.get("/qa/dashboard").get_data(as_text=True), "expiring-heading")
    assert "Approvals ending within 90 days" in expiring
    assert "Ends Soon" in expiring and "Ends Later" not in expiring and "Ended" not in expiring
    assert "Withdrawn" not in expiring
    assert f'<td><time datetime="{soon.valid_until.isoformat()}">' in expiring and "<td>30</td>" in expiring
    year = section(client.get("/qa/dashboard?within=365").get_data(as_text=True), "expiring-heading")
    assert "Ends Soon" in year and "Ends Later" in year


# The programme list ---------------------------------------------------------------------------------------------


def test_filters_by_state_provider_and_level_and_search_by_title_or_provider(app, session, people,
                                                                             client_for) -> None:
    programme(session, people, "Data Literacy", level=5)
    programme(session, people, "Cloud Basics", level=6)
    programme(session, people, "Green Skills", designer=people.other_designer, level=6)
    in_review(session, people, "Reviewed Thing")
    session.commit()
    client = client_for(people.officer)

    def titles(query: str) -> list[str]:
        return sorted(list_titles(client.get(f"/qa/dashboard?{query}").get_data(as_text=True)))

    assert titles("level=6") == ["Cloud Basics", "Green Skills"]
    assert titles(f"provider={people.other.id}") == ["Green Skills"]
    assert titles(f"level=6&provider={people.provider.id}") == ["Cloud Basics"]
    assert titles("state=submitted") == ["Cloud Basics", "Data Literacy", "Green Skills"]
    assert titles("q=literacy") == ["Data Literacy"]
    assert titles("q=westmoor") == ["Green Skills"]
    assert titles("q=green+west") == ["Green Skills"]  # every word begins a word of the title or the provider
    assert titles("q=iteracy") == [] and titles("q=lit%25acy") == []  # no part of a word, no wildcard
    page = client.get("/qa/dashboard?level=6").get_data(as_text=True)
    assert '<option selected value="6">6</option>' in page and "2 programmes match" in page


def test_past_its_limit_the_provider_filter_lists_the_first_providers_and_the_chosen_one(app, session, people,
                                                                                          client_for,
                                                                                          monkeypatch) -> None:
    programme(session, people, "Green Skills", designer=people.other_designer)
    programme(session, people, "Data Literacy")
    session.commit()
    client = client_for(people.officer)
    page = client.get("/qa/dashboard").get_data(as_text=True)
    assert f'value="{people.other.id}">Westmoor College</option>' in page and "The first" not in page
    monkeypatch.setattr(dashboards, "LISTED_PROVIDERS", 1)
    page = client.get("/qa/dashboard").get_data(as_text=True)
    options = section(page, "programmes-heading").split("</select>")[1]  # state, then provider
    assert "Eastvale University</option>" in options and "Westmoor College</option>" not in options
    assert "The first 1 providers by name" in page
    # each row's provider narrows the list to it, and a provider past the limit is offered once chosen
    link = f'/qa/dashboard?provider={people.other.id}&amp;within=90'
    assert f'<a href="{link}"' in page
    chosen = client.get(link.replace("&amp;", "&"))
    assert chosen.status_code == 200
    assert list_titles(chosen.get_data(as_text=True)) == ["Green Skills"]
    assert f'<option selected value="{people.other.id}">Westmoor College</option>' in chosen.get_data(as_text=True)


@pytest.mark.parametrize(("query", "field"), [("state=nonsense", "state"), ("level=12", "level"),
                                              ("provider=999999", "provider"), ("within=7", "within")])
def test_a_bad_filter_is_refused_next_to_its_field_and_the_list_is_unfiltered(app, session, people, client_for,
                                                                             query: str, field: str) -> None:
    programme(session, people, "Data Literacy")
    session.commit()
    response = client_for(people.officer).get(f"/qa/dashboard?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and "Not a valid choice." in page
    assert list_titles(page) == ["Data Literacy"]


def test_the_list_pages_hold_25_programmes_newest_change_first_and_keep_the_filters(app, session, people,
                                                                                   client_for) -> None:
    made = [programme(session, people, f"Programme {n:02d}", level=4) for n in range(30)]
    for n, item in enumerate(made):
        item.updated_at = utcnow() - timedelta(hours=n)
    session.commit()
    client = client_for(people.officer)
    first = client.get("/qa/dashboard?level=4").get_data(as_text=True)
    second = client.get("/qa/dashboard?level=4&page=2").get_data(as_text=True)
    assert list_titles(first) == [f"Programme {n:02d}" for n in range(25)]
    assert list_titles(second) == [f"Programme {n:02d}" for n in range(25, 30)]
    assert 'href="/qa/dashboard?page=2&amp;level=4&amp;within=90"' in first and "Page 2 of 2" in second


def test_the_service_refuses_designers_and_reviewers(app, session, people) -> None:
    from qa_engine.services.proposals import NotAllowed

    for person in (people.designer, people.reviewer):
        with pytest.raises(NotAllowed):
            dashboards.programme_page(session, person.actor, dashboards.Filters())
        with pytest.raises(NotAllowed):
            dashboards.attention(session, person.actor, today=TODAY, settings=reviews_settings(app), within=90)


def reviews_settings(app):  # noqa: ANN001, ANN201
    with app.app_context():
        return reviews.current_settings()


# Who may read it -------------------------------------------------------------------------------------------------


def test_an_administrator_reads_the_dashboard_but_cannot_send_reminders(app, session, people, client_for) -> None:
    programme(session, people, "Data Literacy")
    session.commit()
    page = client_for(people.admin).get("/qa/dashboard").get_data(as_text=True)
    assert list_titles(page) == ["Data Literacy"]
    assert "Export CSV" in page and "Send reminders now" not in page
    officer_page = client_for(people.officer).get("/qa/dashboard").get_data(as_text=True)
    assert 'formaction="/qa/dashboard/reminders">Send reminders now</button>' in officer_page


@pytest.mark.parametrize("who", ["designer", "reviewer"])
def test_designers_and_reviewers_may_not_open_the_dashboard(app, session, people, client_for, who: str) -> None:
    client = client_for(getattr(people, who))
    assert client.get("/qa/dashboard").status_code == 403
    assert client.post_form("/qa/dashboard/export", {"programme": "1"}, token_from="/").status_code == 403
    assert client.post_form("/qa/dashboard/reminders", {"programme": "1"}, token_from="/").status_code == 403


# Statements ------------------------------------------------------------------------------------------------------


def test_the_dashboard_issues_the_same_statements_with_1_and_4_cases_of_each_kind(app, session, people,
                                                                                 client_for) -> None:
    client = client_for(people.officer)
    client.get("/qa/dashboard")  # warm up: the login session is touched and the pool filled
    one_of_each(session, people, "First")
    session.commit()
    small = count_statements(app, client, "/qa/dashboard")
    for tag in ("Second", "Third", "Fourth"):
        one_of_each(session, people, tag)
    for n in range(30):
        programme(session, people, f"Filler {n}")
    session.commit()
    large = count_statements(app, client, "/qa/dashboard?q=e&page=1")
    page = client.get("/qa/dashboard").get_data(as_text=True)
    for heading in ("late-invitations", "late-reviews", "late-responses", "late-conditions", "proposed",
                    "expiring-heading"):
        assert "(4)" in section(page, heading), heading
    assert "(8)" in section(page, "pending")  # the proposed ones wait for their decision too
    assert small == large
    assert large <= 16  # two BEGINs and the login session among them
