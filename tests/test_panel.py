"""Panel composition: the panel page, reviewer suggestions, and inviting, removing, replacing, chairing,
the due date and closing the review."""
from __future__ import annotations

import json
import re
import threading
from datetime import date, timedelta

import pytest
from factories import (
    full_marks,
    make_in_review,
    make_institution,
    make_programme,
    make_submitted,
    make_user,
    seat,
    sound_proposal,
)
from sql_counts import count_statements
from sqlalchemy import select, update

from qa_engine.domain.panels import MemberStatus, ProfileType
from qa_engine.domain.review_visibility import Relation
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import (
    Assignment,
    AuditEntry,
    ConflictDeclaration,
    OutboxMessage,
    Programme,
    Review,
    ReviewerProfile,
    User,
)
from qa_engine.services import panel, reviews

TODAY = date.today()


@pytest.fixture
def agency(session):  # noqa: ANN001, ANN201
    return make_institution(session, kind=InstitutionKind.AGENCY, name="The Agency")


@pytest.fixture
def officer(session, agency):  # noqa: ANN001, ANN201
    user = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    session.commit()
    return user


@pytest.fixture
def provider(session):  # noqa: ANN001, ANN201
    institution = make_institution(session, name="Universidad de Almagro", short_name="UAL")
    session.commit()
    return institution


@pytest.fixture
def designer(session, provider):  # noqa: ANN001, ANN201
    user = make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer")
    session.commit()
    return user


@pytest.fixture
def review(session, designer, officer) -> Review:  # noqa: ANN001
    """The sound data-analytics proposal (ISCED 0688, taught in en and es) under review, with an empty panel."""
    programme = make_programme(session, designer, data=sound_proposal())
    make_submitted(session, programme, designer)
    found = make_in_review(session, programme, officer)
    session.commit()
    return found


def reviewer(session, name: str, *, institution=None, types=("academic",), expertise=(), keywords=(),  # noqa: ANN001
             languages=("en",), available: bool = True, available_from: date | None = None,
             max_load: int | None = None) -> User:
    """An external reviewer with a pool profile."""
    user = make_user(session, Role.REVIEWER, institution=institution, full_name=name)
    session.add(ReviewerProfile(user_id=user.id, profile_types=json.dumps(list(types)),
                                expertise=json.dumps(list(expertise)), keywords=json.dumps(list(keywords)),
                                languages=json.dumps(list(languages)), available=available,
                                available_from=available_from, max_load=max_load))
    session.flush()
    return user


def busy(session, person: User, officer: User, designer: User, times: int) -> None:  # noqa: ANN001
    """Give `person` `times` accepted seats in other programmes under review (their load)."""
    for _ in range(times):
        other = make_programme(session, designer)
        make_submitted(session, other, designer)
        seat(session, make_in_review(session, other, officer), person, officer)


def panel_url(review: Review, action: str = "") -> str:
    return f"/qa/programmes/{review.programme_id}/panel" + (f"/{action}" if action else "")


def seat_url(review: Review, assignment: Assignment, action: str) -> str:
    return f"{panel_url(review)}/seats/{assignment.id}/{action}"


def fresh(session) -> None:  # noqa: ANN001
    session.rollback()
    session.expire_all()


def seats_of(session, review: Review) -> list[Assignment]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(Assignment).where(Assignment.review_id == review.id).order_by(Assignment.id)))


def audit_actions(session, review: Review) -> list[str]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "programme", AuditEntry.object_id == str(review.programme_id))
        .order_by(AuditEntry.seq)))


def last_audit(session, review: Review) -> tuple[str, dict]:  # noqa: ANN001
    fresh(session)
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "programme", AuditEntry.object_id == str(review.programme_id))
        .order_by(AuditEntry.seq.desc()).limit(1)).one()
    return entry.action, json.loads(entry.details)


def outbox(session) -> list[OutboxMessage]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def section(page: str, element_id: str) -> str:
    """The HTML of the element with `element_id` up to the end of its table, list or details."""
    start = page.index(f'id="{element_id}"')
    ends = [page.find(tag, start) for tag in ("</table>", "</ul>", "</details>")]
    return page[start:min(end for end in ends if end != -1)]


def suggested_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="suggestion" data-reviewer="(\d+)"', page)]


def excluded(page: str) -> dict[int, str]:
    rows = re.findall(r'<tr class="exclusion" data-reviewer="(\d+)">(.*?)</tr>', page, re.S)
    return {int(rid): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip() for rid, html in rows}


def invite(client, review: Review, person: User, profile: str = "academic"):  # noqa: ANN001, ANN201
    return client.post_form(panel_url(review, "invitations"), {"reviewer_id": person.id, "profile_type": profile},
                            token_from=panel_url(review))


# The panel page ------------------------------------------------------------------------------------------


def test_panel_page_shows_the_round_the_policy_and_the_seats(app, session, review, officer, client_for) -> None:
    chair = reviewer(session, "Carmen Chair")
    student = reviewer(session, "Sam Student", types=("student",))
    gone = reviewer(session, "Gina Gone", types=("employer",))
    seat(session, review, chair, officer, chair=True)
    seat(session, review, student, officer, profile="student", status="invited")
    seat(session, review, gone, officer, profile="employer", status="removed")
    session.commit()
    page = client_for(officer).get(panel_url(review)).get_data(as_text=True)
    assert "<h1>Review panel</h1>" in page and "Applied Data Analytics for Business Decisions" in page
    assert f"<code>{review.rubric_key}</code>" in page
    assert f'<time datetime="{review.due_on.isoformat()}" id="due-on">' in page
    assert "<dt>Review type</dt><dd>Standard</dd>" in page
    assert "Yes: the provider never learns who reviewed" in page
    assert "Between 3 and 5 reviewers" in page
    members = section(page, "members-heading")
    assert members.count("<tr id=\"seat-") == 3
    assert re.search(r"Carmen Chair</a></th>.*?Academic.*?Accepted.*?Chair", members, re.S)
    assert re.search(r"Sam Student</a></th>.*?Student.*?Invited", members, re.S)
    assert re.search(r"Gina Gone</a></th>.*?Employer.*?Removed", members, re.S)
    # Actions for live seats only; the removed one has none.
    assert members.count("Remove…") == 2 and members.count("Make chair") == 1


def test_with_nobody_in_the_pool_the_page_says_so_instead_of_an_empty_invitation_form(app, session, review,
                                                                                     officer, client_for) -> None:
    page = client_for(officer).get(panel_url(review)).get_data(as_text=True)
    assert "Nobody in the reviewer pool can be invited to this panel." in page
    assert "Add reviewers to the pool</a>" in page
    assert 'aria-labelledby="invite-heading"' not in page  # no form with an empty list of reviewers
    reviewer(session, "Carmen Chair")
    session.commit()
    page = client_for(officer).get(panel_url(review)).get_data(as_text=True)
    assert 'aria-labelledby="invite-heading"' in page and "Nobody in the reviewer pool" not in page


def test_panel_page_shows_what_is_unmet_confirmed_and_counting_invited(app, session, review, officer,
                                                                        client_for) -> None:
    seat(session, review, reviewer(session, "Ada Academic"), officer)
    seat(session, review, reviewer(session, "Sam Student", types=("student",)), officer, profile="student",
         status="invited")
    pro = reviewer(session, "Pablo Professional", types=("professional",), languages=("en", "es"))
    session.commit()
    page = client_for(officer).get(panel_url(review)).get_data(as_text=True)
    assert re.findall(r"<li>(.*?)</li>", section(page, "unmet-confirmed")) == [
        "Professional or employer: 1 more needed", "Student: 1 more needed", "2 more reviewers needed (minimum 3)"]
    assert re.findall(r"<li>(.*?)</li>", section(page, "unmet-projected")) == [
        "Professional or employer: 1 more needed", "1 more reviewer needed (minimum 3)"]
    assert re.search(r"Student</th>\s*<td>1</td><td>0</td><td>1</td>\s*<td><span class=\"finding finding-warn\">"
                     r"Met once the invited accept", page)
    assert "Profiles still needed: Professional, Employer" in page
    # The reviewer covering a needed profile gets the bonus, shown as a line of their score.
    row = page[page.index(f'data-reviewer="{pro.id}"'):]
    assert "Covers needed profile: professional (+15)" in row.split("</tr>")[0]


def test_suggestions_rank_by_match_and_load_and_exclude_conflicts(app, session, review, officer, designer,
                                                                  provider, client_for) -> None:
    partner = make_institution(session, name="Data Valley Cluster")
    best = reviewer(session, "Bea Best", expertise=("0688",), keywords=("business analytics",),
                    languages=("en", "es"))
    twin = reviewer(session, "Bea Busy", expertise=("0688",), keywords=("business analytics",),
                    languages=("en", "es"))
    broad = reviewer(session, "Bruno Broad", expertise=("06",), languages=("en",))
    colleague = reviewer(session, "Colin Colleague", institution=provider, expertise=("0688",))
    declared = reviewer(session, "Dora Declared", expertise=("0688",))
    at_partner = reviewer(session, "Pat Partner", institution=partner, expertise=("0688",))
    declined = reviewer(session, "Dan Declined", expertise=("0688",))
    away = reviewer(session, "Una Unavailable", expertise=("0688",), available=False)
    session.add(ConflictDeclaration(reviewer_id=declared.id, institution_id=provider.id, reason="Former employer"))
    refused = seat(session, review, declined, officer, status="declined", declared=False)
    refused.declaration = json.dumps({"conflict": True, "confidentiality": True})
    busy(session, twin, officer, designer, times=2)
    session.commit()
    page = client_for(officer).get(panel_url(review)).get_data(as_text=True)
    assert suggested_ids(page) == [best.id, twin.id, broad.id]
    best_row = page[page.index(f'data-reviewer="{best.id}"'):].split("</tr>")[0]
    assert "Same detailed field 0688 (+30)" in best_row and "Keywords: business analytics (+8)" in best_row
    assert "Speaks en, es (+10)" in best_row
    twin_row = page[page.index(f'data-reviewer="{twin.id}"'):].split("</tr>")[0]
    assert "Load 2 (-10)" in twin_row
    gone = excluded(page)
    assert set(gone) == {colleague.id, declared.id, at_partner.id, declined.id, away.id}
    assert "Same institution as the provider" in gone[colleague.id]
    assert "Declared a conflict with the provider" in gone[declared.id]
    assert f"Same institution as partner {partner.id}" in gone[at_partner.id]
    assert "Named as conflicted for this programme" in gone[declined.id]
    assert "Unavailable" in gone[away.id]
    assert '<details id="excluded">' in page and "5 reviewers excluded" in page


def test_reviewers_on_the_panel_are_not_suggested_again(app, session, review, officer, client_for) -> None:
    member = reviewer(session, "Mia Member", expertise=("0688",))
    seat(session, review, member, officer)
    session.commit()
    page = client_for(officer).get(panel_url(review)).get_data(as_text=True)
    assert suggested_ids(page) == [] and "Already on the panel" in excluded(page)[member.id]


def test_admin_reads_the_panel_without_actions_and_cannot_invite(app, session, review, officer, agency,
                                                                 client_for) -> None:
    admin = make_user(session, Role.ADMIN, institution=agency)
    person = reviewer(session, "Ada Academic")
    session.commit()
    client = client_for(admin)
    page = client.get(panel_url(review)).get_data(as_text=True)
    assert "You are reading this panel" in page and "Ada Academic" in page
    assert "/panel/invitations" not in page and "/panel/due-date" not in page
    assert invite(client, review, person).status_code == 403
    assert seats_of(session, review) == []


def test_panel_page_is_404_before_the_programme_has_a_review_round(app, session, designer, officer,
                                                                   client_for) -> None:
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)
    session.commit()
    assert client_for(officer).get(f"/qa/programmes/{programme.id}/panel").status_code == 404


def test_panel_page_issues_the_same_number_of_statements_at_5_and_30_reviewers(app, session, review, officer,
                                                                               provider, client_for) -> None:
    seat(session, review, reviewer(session, "Ada Academic"), officer)
    session.commit()
    client = client_for(officer)
    client.get(panel_url(review))  # warm up: the login session is touched and the pool filled

    def grow(count: int) -> None:
        for n in range(count):
            person = reviewer(session, f"Pool Person {n}", expertise=("0688",), keywords=("analytics",))
            if n % 3 == 0:  # some with a declared conflict, excluded with their reasons
                session.add(ConflictDeclaration(reviewer_id=person.id, institution_id=provider.id, reason="Alumna"))
        session.commit()

    grow(4)  # 5 reviewers with the one on the panel
    at_5 = count_statements(app, client, panel_url(review))
    grow(25)
    at_30 = count_statements(app, client, panel_url(review))
    assert at_5 == at_30
    assert at_30 <= 15


# Inviting ----------------------------------------------------------------------------------------------


def test_invite_seats_the_reviewer_audits_and_queues_the_invitation_email(app, session, review, officer,
                                                                          client_for) -> None:
    person = reviewer(session, "Ada Academic", expertise=("0688",))
    session.commit()
    client = client_for(officer)
    response = invite(client, review, person)
    assert response.status_code == 302 and response.headers["Location"] == panel_url(review)
    [new] = seats_of(session, review)
    assert (new.reviewer_id, new.status, new.profile_type, new.invited_by_id, new.version) == (
        person.id, MemberStatus.INVITED, "academic", officer.id, 1)
    action, details = last_audit(session, review)
    assert (action, details) == ("review.invited", {"review": review.id, "assignment": new.id,
                                                    "reviewer": person.id, "profile": "academic"})
    [mail] = outbox(session)
    assert (mail.event, mail.recipient_id, mail.to_address) == ("review_invitation", person.id, person.email)
    assert mail.subject == "[QA Engine] Invitation to review “Applied Data Analytics for Business Decisions”"
    assert f"http://127.0.0.1:5000/reviews/{new.id}" in mail.body_text
    assert f'href="http://127.0.0.1:5000/reviews/{new.id}"' in mail.body_html
    assert "Universidad de Almagro" in mail.body_text and "“Academic” seat" in mail.body_text
    answer_by = (TODAY + timedelta(days=app.config["INVITATION_ANSWER_DAYS"])).isoformat()
    assert f"Please accept or decline by {answer_by}" in mail.body_text
    page = client.get(panel_url(review)).get_data(as_text=True)
    assert "Ada Academic is invited; the invitation e-mail goes out now." in page


def test_the_invitation_email_is_part_of_the_invitations_transaction(app, session, review, officer) -> None:
    person = reviewer(session, "Ada Academic")
    session.commit()
    programme = session.get(Programme, review.programme_id)
    with app.app_context():
        new = panel.invite(session, programme, actor=session.get(User, officer.id), reviewer_id=person.id,
                           profile_type=ProfileType.ACADEMIC, settings=app.extensions[reviews.SETTINGS_KEY],
                           today=TODAY)
        [pending] = [m for m in session.new if isinstance(m, OutboxMessage)]
        assert (pending.event, pending.recipient_id) == ("review_invitation", person.id)
        assert f"/reviews/{new.id}" in pending.body_text
    session.rollback()  # the request fails after the service: neither the seat nor the e-mail survives
    assert seats_of(session, review) == [] and outbox(session) == []


def test_invite_from_the_form_lists_eligible_reviewers_best_first(app, session, review, officer,
                                                                  client_for) -> None:
    weak = reviewer(session, "Wes Weak", languages=("fr",))
    strong = reviewer(session, "Stella Strong", expertise=("0688",), languages=("en", "es"))
    session.commit()
    page = client_for(officer).get(panel_url(review)).get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)">', section(page, "invite-heading").split("</select>")[0])
    assert [int(o) for o in options] == [strong.id, weak.id]


def refused_invitation(session, client, review: Review, person: User, profile: str = "academic") -> str:  # noqa: ANN001
    """Post the invitation, check nothing was kept, and return the page."""
    response = invite(client, review, person, profile)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="form-errors" role="alert"' in page
    live = [s for s in seats_of(session, review) if s.reviewer_id == person.id and s.status is MemberStatus.INVITED]
    assert len(live) <= 1  # at most the seat the test arranged
    assert [m for m in outbox(session) if m.recipient_id == person.id] == []
    assert "review.invited" not in audit_actions(session, review)[-1:]
    return page


def test_invite_refuses_a_provider_colleague(app, session, review, officer, provider, client_for) -> None:
    colleague = reviewer(session, "Colin Colleague", institution=provider)
    session.commit()
    page = refused_invitation(session, client_for(officer), review, colleague)
    assert "Colin Colleague cannot be invited: Same institution as the provider." in page
    assert seats_of(session, review) == []


def test_invite_refuses_a_declared_conflict(app, session, review, officer, provider, client_for) -> None:
    person = reviewer(session, "Dora Declared")
    session.add(ConflictDeclaration(reviewer_id=person.id, institution_id=provider.id, reason="Alumna"))
    session.commit()
    page = refused_invitation(session, client_for(officer), review, person)
    assert "Dora Declared cannot be invited: Declared a conflict with the provider." in page


@pytest.mark.parametrize(("changes", "reason"), [
    ({"available": False}, "Unavailable"),
    ({"available_from": TODAY + timedelta(days=10)}, f"Unavailable until {(TODAY + timedelta(days=10)).isoformat()}"),
])
def test_invite_refuses_an_unavailable_reviewer(app, session, review, officer, client_for, changes: dict,
                                                reason: str) -> None:
    person = reviewer(session, "Una Away", **changes)
    session.commit()
    page = refused_invitation(session, client_for(officer), review, person)
    assert f"Una Away cannot be invited: {reason}." in page


def test_invite_refuses_a_reviewer_at_full_load(app, session, review, officer, designer, client_for) -> None:
    person = reviewer(session, "Bo Busy", max_load=1)
    busy(session, person, officer, designer, times=1)
    session.commit()
    page = refused_invitation(session, client_for(officer), review, person)
    assert "Bo Busy cannot be invited: At maximum load (1 of 1)." in page


def test_invite_refuses_someone_who_is_not_an_active_reviewer(app, session, review, officer, designer,
                                                              client_for) -> None:
    retired = reviewer(session, "Rita Retired")
    retired.is_active = False
    session.commit()
    client = client_for(officer)
    for person in (designer, retired):
        page = refused_invitation(session, client, review, person)
        assert "Only active external reviewers can be invited to a panel." in page
    assert seats_of(session, review) == []


def test_invite_refuses_someone_already_on_the_panel(app, session, review, officer, client_for) -> None:
    person = reviewer(session, "Ada Academic")
    seat(session, review, person, officer, status="invited")
    session.commit()
    page = refused_invitation(session, client_for(officer), review, person)
    assert "Ada Academic is already on this panel." in page
    assert len(seats_of(session, review)) == 1


def test_invite_again_after_a_removal_is_possible(app, session, review, officer, client_for) -> None:
    person = reviewer(session, "Ada Academic")
    seat(session, review, person, officer, status="removed")
    session.commit()
    assert invite(client_for(officer), review, person).status_code == 302
    assert [s.status for s in seats_of(session, review)] == [MemberStatus.REMOVED, MemberStatus.INVITED]


def test_invite_refuses_when_the_panel_is_full_counting_invited_members(app, session, review, officer,
                                                                       client_for) -> None:
    for n in range(5):
        seat(session, review, reviewer(session, f"Member {n}"), officer, status="invited" if n % 2 else "accepted")
    sixth = reviewer(session, "Sixth Person")
    session.commit()
    page = refused_invitation(session, client_for(officer), review, sixth)
    assert "The panel is full: it has 5 members, the most allowed, counting invited ones." in page
    assert len(seats_of(session, review)) == 5


def test_invite_refuses_a_profile_the_reviewer_does_not_hold(app, session, review, officer, client_for) -> None:
    person = reviewer(session, "Ada Academic", types=("academic", "international"))
    session.commit()
    page = refused_invitation(session, client_for(officer), review, person, profile="student")
    assert ("Ada Academic&#39;s profile does not list the Student profile (it lists: Academic, International)."
            in page)


def test_invite_without_a_reviewer_or_with_a_bad_profile_is_a_form_error(app, session, review, officer,
                                                                         client_for) -> None:
    client = client_for(officer)
    response = client.post_form(panel_url(review, "invitations"), {"profile_type": "wizard"},
                                token_from=panel_url(review))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="reviewer_id-error"' in page and "Choose a reviewer." in page
    assert 'id="profile_type-error"' in page and "Not a valid choice." in page
    assert seats_of(session, review) == [] and outbox(session) == []


def test_panel_changes_are_refused_with_a_409_once_the_programme_left_review(app, session, review, officer,
                                                                            client_for) -> None:
    person = reviewer(session, "Ada Academic")
    member = seat(session, review, reviewer(session, "Mia Member"), officer)
    session.execute(update(Programme).where(Programme.id == review.programme_id)
                    .values(state=State.CONSOLIDATION))
    session.commit()
    client = client_for(officer)
    token = client.csrf_token(panel_url(review))
    posts = [(panel_url(review, "invitations"), {"reviewer_id": person.id, "profile_type": "academic"}),
             (seat_url(review, member, "remove"), {"version": 1, "reason": "Late"}),
             (seat_url(review, member, "chair"), {"version": 1}),
             (panel_url(review, "due-date"), {"due-due_on": (TODAY + timedelta(days=9)).isoformat()})]
    for url, data in posts:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 409, url
        assert ("The panel can be changed only while the programme is in review (it is now: Consolidation)."
                in response.get_data(as_text=True))
    [only] = seats_of(session, review)
    assert (only.status, only.chair, only.version) == (MemberStatus.ACCEPTED, False, 1)
    assert outbox(session) == []
    page = client.get(panel_url(review)).get_data(as_text=True)
    assert "You are reading this panel" in page and "/panel/invitations" not in page


def test_a_seat_of_another_programme_is_404(app, session, review, officer, designer, client_for) -> None:
    other = make_programme(session, designer)
    make_submitted(session, other, designer)
    elsewhere = seat(session, make_in_review(session, other, officer), reviewer(session, "Ada Academic"), officer)
    session.commit()
    client = client_for(officer)
    assert client.get(seat_url(review, elsewhere, "remove")).status_code == 404
    response = client.post_form(seat_url(review, elsewhere, "remove"), {"version": 1, "reason": "x"},
                                token_from=panel_url(review))
    assert response.status_code == 404
    assert seats_of(session, review) == []


# Two officers at once ------------------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(50))
def test_two_officers_inviting_the_same_reviewer_at_once_make_one_seat(app, session, review, officer, agency,
                                                                        client_for, attempt: int) -> None:
    person = reviewer(session, "Ada Academic")
    colleague = make_user(session, Role.QA_OFFICER, institution=agency)
    session.commit()
    clients = [client_for(officer), client_for(colleague)]
    tokens = [client.csrf_token(panel_url(review)) for client in clients]
    barrier, results = threading.Barrier(2), []

    def act(client, token) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(panel_url(review, "invitations"), data={
            "reviewer_id": person.id, "profile_type": "academic", "csrf_token": token})
        results.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=act, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in results) == [302, 422]
    loser = next(page for status, page in results if status == 422)
    assert "Ada Academic is already on this panel." in loser
    [only] = seats_of(session, review)
    assert (only.reviewer_id, only.status) == (person.id, MemberStatus.INVITED)
    assert [m.event for m in outbox(session)] == ["review_invitation"]
    assert audit_actions(session, review).count("review.invited") == 1


def test_the_unique_index_turns_a_second_seat_into_a_message(app, session, review, officer) -> None:
    """The invitation that passed its checks on a stale read still gets a message from the index, not a 500."""
    person = reviewer(session, "Ada Academic")
    session.commit()
    programme = session.get(Programme, review.programme_id)
    stale = reviews.current_round(session, programme.id)
    assert stale.assignments == []  # loaded now, and kept in this session
    session.commit()
    with app.extensions["qa_engine.db"].transaction() as other:
        seat(other, other.get(Review, review.id), other.get(User, person.id), other.get(User, officer.id),
             status="invited")
    with app.app_context(), pytest.raises(panel.Refused, match="Ada Academic is already on this panel."):
        panel.invite(session, programme, actor=session.get(User, officer.id), reviewer_id=person.id,
                     profile_type=ProfileType.ACADEMIC, settings=app.extensions[reviews.SETTINGS_KEY], today=TODAY)
    session.rollback()
    assert len(seats_of(session, review)) == 1 and outbox(session) == []


# Removing and replacing --------------------------------------------------------------------------------


def test_remove_takes_the_member_off_at_once_and_tells_them_without_the_reason(app, session, review, officer,
                                                                               client_for) -> None:
    person = reviewer(session, "Ada Academic")
    member = seat(session, review, person, officer, chair=True, marks=full_marks())
    session.commit()
    client = client_for(officer)
    form = client.get(seat_url(review, member, "remove")).get_data(as_text=True)
    assert "<h1>Remove a panel member</h1>" in form and 'name="version" type="hidden" value="1"' in form
    reason = "Did not answer three reminders; the panel cannot wait."
    response = client.post_form(seat_url(review, member, "remove"), {"version": 1, "reason": reason},
                                token_from=panel_url(review))
    assert response.headers["Location"] == panel_url(review)
    [gone] = seats_of(session, review)
    assert (gone.status, gone.chair, gone.version, gone.removed_at is not None) == (MemberStatus.REMOVED, False,
                                                                                     2, True)
    assert reviews.live_assignment(gone.review, person.id) is None
    assert reviews.relation(gone.review, session.get(User, person.id).actor) is Relation.NONE
    assert last_audit(session, review) == ("review.member_removed", {
        "review": review.id, "assignment": member.id, "reviewer": person.id, "reason": reason})
    [mail] = outbox(session)
    assert (mail.event, mail.recipient_id) == ("review_removed", person.id)
    assert mail.subject == "[QA Engine] You are no longer on the panel for “Applied Data Analytics for Business " \
                           "Decisions”"
    assert "reminders" not in mail.body_text + mail.body_html and "Olga" not in mail.body_text + mail.body_html
    assert "Ada Academic is no longer on the panel." in client.get(panel_url(review)).get_data(as_text=True)


def test_remove_without_a_reason_is_refused_next_to_the_field(app, session, review, officer, client_for) -> None:
    member = seat(session, review, reviewer(session, "Ada Academic"), officer)
    session.commit()
    response = client_for(officer).post_form(seat_url(review, member, "remove"), {"version": 1, "reason": "  "},
                                             token_from=panel_url(review))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="reason-error"' in page and "Say why the member leaves the panel." in page
    assert seats_of(session, review)[0].status is MemberStatus.ACCEPTED and outbox(session) == []


def test_remove_of_a_seat_changed_meanwhile_is_a_409(app, session, review, officer, client_for) -> None:
    member = seat(session, review, reviewer(session, "Ada Academic"), officer)
    session.commit()
    client = client_for(officer)
    token = client.csrf_token(seat_url(review, member, "remove"))  # the officer saw version 1
    session.execute(update(Assignment).where(Assignment.id == member.id)
                    .values(status=MemberStatus.SUBMITTED, version=2))  # the reviewer submitted meanwhile
    session.commit()
    response = client.post(seat_url(review, member, "remove"), data={"version": 1, "reason": "x",
                                                                      "csrf_token": token})
    assert response.status_code == 409
    assert "Ada Academic&#39;s seat was changed in the meantime." in response.get_data(as_text=True)
    assert (seats_of(session, review)[0].status, outbox(session)) == (MemberStatus.SUBMITTED, [])


def test_remove_of_a_seat_already_removed_is_a_409(app, session, review, officer, client_for) -> None:
    member = seat(session, review, reviewer(session, "Ada Academic"), officer, status="removed")
    session.commit()
    response = client_for(officer).post_form(seat_url(review, member, "remove"), {"version": 1, "reason": "x"},
                                             token_from=panel_url(review))
    assert response.status_code == 409
    assert "Ada Academic is no longer on the panel (removed)." in response.get_data(as_text=True)


def test_replace_removes_and_invites_in_one_request(app, session, review, officer, client_for) -> None:
    old = reviewer(session, "Olivia Old", types=("student",))
    new = reviewer(session, "Nina New", types=("student",), expertise=("0688",))
    member = seat(session, review, old, officer, profile="student")
    session.commit()
    client = client_for(officer)
    form = client.get(seat_url(review, member, "replace")).get_data(as_text=True)
    assert "<h1>Replace a panel member</h1>" in form
    assert f'<option value="{new.id}">Nina New (score' in form and '<option selected value="student">' in form
    response = client.post_form(seat_url(review, member, "replace"), {
        "version": 1, "reason": "Graduated", "reviewer_id": new.id, "profile_type": "student"},
        token_from=panel_url(review))
    assert response.headers["Location"] == panel_url(review)
    before, after = seats_of(session, review)
    assert (before.reviewer_id, before.status) == (old.id, MemberStatus.REMOVED)
    assert (after.reviewer_id, after.status, after.profile_type) == (new.id, MemberStatus.INVITED, "student")
    assert audit_actions(session, review)[-2:] == ["review.member_removed", "review.invited"]
    assert [(m.event, m.recipient_id) for m in outbox(session)] == [("review_removed", old.id),
                                                                    ("review_invitation", new.id)]
    assert "Olivia Old is replaced by Nina New, who is invited." in client.get(panel_url(review)).get_data(
        as_text=True)


def test_a_refused_replacement_keeps_the_old_member(app, session, review, officer, provider, client_for) -> None:
    old = reviewer(session, "Olivia Old")
    colleague = reviewer(session, "Colin Colleague", institution=provider)
    member = seat(session, review, old, officer)
    session.commit()
    client = client_for(officer)
    response = client.post_form(seat_url(review, member, "replace"), {
        "version": 1, "reason": "Too slow", "reviewer_id": colleague.id, "profile_type": "academic"},
        token_from=panel_url(review))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Colin Colleague cannot be invited: Same institution as the provider." in page
    assert 'name="version" type="hidden" value="1"' in page and "Too slow" in page  # nothing typed is lost
    [kept] = seats_of(session, review)
    assert (kept.reviewer_id, kept.status, kept.version) == (old.id, MemberStatus.ACCEPTED, 1)
    assert outbox(session) == [] and "review.member_removed" not in audit_actions(session, review)
    same = client.post_form(seat_url(review, member, "replace"), {
        "version": 1, "reason": "x", "reviewer_id": old.id, "profile_type": "academic"}, token_from=panel_url(review))
    assert same.status_code == 422 and "Choose someone other than Olivia Old" in same.get_data(as_text=True)


# The chair, the due date, closing ----------------------------------------------------------------------


def test_make_chair_keeps_one_chair(app, session, review, officer, client_for) -> None:
    first = seat(session, review, reviewer(session, "Ada Academic"), officer)
    second = seat(session, review, reviewer(session, "Pablo Professional", types=("professional",)), officer,
                  profile="professional")
    session.commit()
    client = client_for(officer)
    response = client.post_form(seat_url(review, first, "chair"), {"version": 1}, token_from=panel_url(review))
    assert response.headers["Location"] == panel_url(review)
    assert [(s.chair, s.version) for s in seats_of(session, review)] == [(True, 2), (False, 1)]
    client.post_form(seat_url(review, second, "chair"), {"version": 1}, token_from=panel_url(review))
    assert [(s.chair, s.version) for s in seats_of(session, review)] == [(False, 3), (True, 2)]
    assert last_audit(session, review) == ("review.chair_set", {"review": review.id, "assignment": second.id,
                                                                "reviewer": second.reviewer_id,
                                                                "previous": [first.id]})
    assert "Pablo Professional chairs the panel." in client.get(panel_url(review)).get_data(as_text=True)


def test_make_chair_with_a_stale_or_missing_version_changes_nothing(app, session, review, officer,
                                                                    client_for) -> None:
    member = seat(session, review, reviewer(session, "Ada Academic"), officer)
    session.commit()
    client = client_for(officer)
    stale = client.post_form(seat_url(review, member, "chair"), {"version": 7}, token_from=panel_url(review))
    assert stale.status_code == 409 and "seat was changed in the meantime" in stale.get_data(as_text=True)
    missing = client.post_form(seat_url(review, member, "chair"), token_from=panel_url(review))
    assert missing.status_code == 422 and "The form was incomplete." in missing.get_data(as_text=True)
    assert [(s.chair, s.version) for s in seats_of(session, review)] == [(False, 1)]


def test_set_due_date_moves_it_and_audits_both_dates(app, session, review, officer, client_for) -> None:
    before = review.due_on
    later = TODAY + timedelta(days=40)
    client = client_for(officer)
    response = client.post_form(panel_url(review, "due-date"), {"due-due_on": later.isoformat()},
                                token_from=panel_url(review))
    assert response.headers["Location"] == panel_url(review)
    fresh(session)
    assert session.get(Review, review.id).due_on == later
    assert last_audit(session, review) == ("review.due_date_set", {"review": review.id, "from": before.isoformat(),
                                                                   "to": later.isoformat()})
    page = client.get(panel_url(review)).get_data(as_text=True)
    assert f"The reviews are now due on {later.isoformat()}." in page and f'id="due-on">{later.isoformat()}' in page


@pytest.mark.parametrize(("value", "message"), [
    (TODAY.isoformat(), "Choose a due date after today."),
    ((TODAY - timedelta(days=3)).isoformat(), "Choose a due date after today."),
    ("", "Give a date."),
    ("next friday", "Not a valid date value."),
])
def test_set_due_date_refuses_past_and_bad_dates(app, session, review, officer, client_for, value: str,
                                                 message: str) -> None:
    before = review.due_on
    response = client_for(officer).post_form(panel_url(review, "due-date"), {"due-due_on": value},
                                             token_from=panel_url(review))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="due-due_on-error"' in page and message in page
    fresh(session)
    assert session.get(Review, review.id).due_on == before


def complete_panel(session, review: Review, officer: User, *, waiting: bool = False) -> Assignment:  # noqa: ANN001
    """Three submitted members (academic, professional, student); with `waiting`, a fourth who never submits."""
    for name, profile in (("Ada Academic", "academic"), ("Pablo Pro", "professional"), ("Sam Student", "student")):
        seat(session, review, reviewer(session, name, types=(profile,)), officer, profile=profile,
             status="submitted", marks=full_marks())
    late = seat(session, review, reviewer(session, "Lou Late"), officer) if waiting else None
    session.commit()
    return late


def test_close_review_is_offered_once_every_review_is_in_and_moves_on(app, session, review, officer,
                                                                      client_for) -> None:
    complete_panel(session, review, officer)
    client = client_for(officer)
    page = client.get(panel_url(review)).get_data(as_text=True)
    assert 'id="close-review"' in page and f'action="{panel_url(review, "close")}"' in page
    response = client.post_form(panel_url(review, "close"), token_from=panel_url(review))
    assert response.headers["Location"] == panel_url(review)
    fresh(session)
    assert session.get(Programme, review.programme_id).state is State.CONSOLIDATION
    assert audit_actions(session, review)[-1] == "programme.complete_reviews"


def test_close_review_after_removing_the_member_who_never_submitted(app, session, review, officer,
                                                                    client_for) -> None:
    late = complete_panel(session, review, officer, waiting=True)
    client = client_for(officer)
    assert 'id="close-review"' not in client.get(panel_url(review)).get_data(as_text=True)
    refused = client.post_form(panel_url(review, "close"), token_from=panel_url(review))
    assert refused.status_code == 409
    assert "still waiting for the review of Lou Late." in refused.get_data(as_text=True)
    client.post_form(seat_url(review, late, "remove"), {"version": 1, "reason": "Never started"},
                     token_from=panel_url(review))
    assert 'id="close-review"' in client.get(panel_url(review)).get_data(as_text=True)
    assert client.post_form(panel_url(review, "close"), token_from=panel_url(review)).status_code == 302
    fresh(session)
    assert session.get(Programme, review.programme_id).state is State.CONSOLIDATION


def test_close_review_with_an_incomplete_panel_is_a_409_with_what_is_missing(app, session, review, officer,
                                                                           client_for) -> None:
    seat(session, review, reviewer(session, "Ada Academic"), officer, status="submitted", marks=full_marks())
    session.commit()
    response = client_for(officer).post_form(panel_url(review, "close"), token_from=panel_url(review))
    assert response.status_code == 409
    assert ("The review cannot be closed yet: Professional or employer: 1 more needed; Student: 1 more needed; "
            "2 more reviewers needed (minimum 3).") in response.get_data(as_text=True)
    fresh(session)
    assert session.get(Programme, review.programme_id).state is State.IN_REVIEW
