"""The reviewer pool: the list with its filters and load, profiles edited by QA officers and by reviewers,
and reviewers' standing conflicts of interest."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from factories import make_in_review, make_institution, make_programme, make_submitted, make_user, seat
from sql_counts import count_statements
from sqlalchemy import select

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.models import AuditEntry, ConflictDeclaration, ReviewerProfile, User
from qa_engine.services import reviewer_pool
from qa_engine.services.reviewer_pool import InvalidProfile, PoolFilters, ProfileValues

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
def vocabularies(app):  # noqa: ANN001, ANN201
    return app.extensions["qa_engine.catalogue"].vocabularies


def reviewer(session, name: str, *, institution=None, **profile) -> User:  # noqa: ANN001, ANN003
    """A reviewer; with profile values, their pool profile too (lists given as Python lists)."""
    user = make_user(session, Role.REVIEWER, institution=institution, full_name=name)
    if profile:
        lists = {key: json.dumps(profile.pop(key, [])) for key in ("profile_types", "expertise", "keywords",
                                                                     "languages")}
        session.add(ReviewerProfile(user_id=user.id, **lists, **profile))
    session.flush()
    return user


def load_of(session, person: User, officer: User, *, live: int = 0, declined: int = 0,  # noqa: ANN001
            finished: int = 0) -> None:
    """Give `person` seats: live ones in programmes under review, declined ones, and live ones in a programme
    whose review is over (not load)."""
    designer = make_user(session, Role.DESIGNER)
    for status, count in (("accepted", live), ("declined", declined), ("submitted", finished)):
        for _ in range(count):
            programme = make_programme(session, designer)
            make_submitted(session, programme, designer)
            seat(session, make_in_review(session, programme, officer), person, officer, status=status)
            if status == "submitted":
                programme.state = "decision_pending"
    session.flush()


def names(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'<th scope="row"><a href="/qa/reviewers/\d+">(.*?)</a></th>', body)


def row(page: str, name: str) -> str:
    start = page.index(f">{name}</a></th>")
    return re.sub(r"\s+", " ", page[start:page.index("</tr>", start)])


def audit_of(session, user: User) -> list[AuditEntry]:  # noqa: ANN001
    session.rollback()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.object_type == "user",
                                                         AuditEntry.object_id == str(user.id),
                                                         AuditEntry.action.like("reviewer.%"))
                                .order_by(AuditEntry.seq)))


def profile_form(**overrides) -> dict:  # noqa: ANN003
    values = {"profile_types": ["academic", "international"], "expertise": "0613, 0688",
              "keywords": "data analytics\nmachine learning", "languages": "en, ES", "available": "y",
              "available_from": "", "max_load": "3", "biography": "Professor of statistics."}
    return {**values, **overrides}


# The list ----------------------------------------------------------------------------------------------


def test_pool_lists_active_reviewers_with_profile_and_current_load(app, session, officer, client_for) -> None:
    ada = reviewer(session, "Ada Academic", institution=make_institution(session, name="Uni Ada"),
                   profile_types=["academic", "international"], expertise=["0613"], keywords=["data analytics"],
                   languages=["en", "es"], max_load=3)
    bob = reviewer(session, "Bob Blank")
    gone = reviewer(session, "Gone Inactive", profile_types=["academic"])
    gone.is_active = False
    make_user(session, Role.DESIGNER, full_name="Dana Designer")
    load_of(session, ada, officer, live=2, declined=1, finished=1)
    session.commit()
    page = client_for(officer).get("/qa/reviewers").get_data(as_text=True)
    assert names(page) == ["Ada Academic", "Bob Blank"]
    assert "2 external reviewers" in page
    ada_row = row(page, "Ada Academic")
    assert "<td>Uni Ada</td>" in ada_row and "Academic, International" in ada_row
    assert '<abbr title="Software and applications development and analysis">0613</abbr>' in ada_row
    assert "<td>data analytics</td> <td>en, es</td> <td>Available</td> <td>2 of 3</td>" in ada_row
    assert "none yet" in row(page, "Bob Blank") and f'href="/qa/reviewers/{bob.id}"' in page


def test_pool_search_and_filters(app, session, officer, client_for) -> None:
    reviewer(session, "Ada Academic", profile_types=["academic"], languages=["en"], keywords=["green skills 100%"])
    reviewer(session, "Stu Student", profile_types=["student"], languages=["es"],
             institution=make_institution(session, name="Universidad de Ejemplo"))
    reviewer(session, "Una Unavailable", profile_types=["academic"], languages=["en"], available=False)
    reviewer(session, "Lea Later", profile_types=["employer"], languages=["en"],
             available_from=TODAY + timedelta(days=30))
    reviewer(session, "Ned Now", profile_types=["employer"], languages=["de"], available_from=TODAY)
    session.commit()
    client = client_for(officer)

    def listed(query: str) -> list[str]:
        return names(client.get(f"/qa/reviewers?{query}").get_data(as_text=True))

    assert listed("q=ejemplo") == ["Stu Student"]
    assert listed("q=GREEN") == ["Ada Academic"]
    assert listed("q=100%25") == ["Ada Academic"] and listed("q=_") == []
    assert listed("profile=academic") == ["Ada Academic", "Una Unavailable"]
    assert listed("language=es") == ["Stu Student"]
    assert listed("available=y") == ["Ada Academic", "Ned Now", "Stu Student"]
    assert listed("profile=employer&available=y") == ["Ned Now"]
    assert listed("profile=wizard") == listed("") and len(listed("")) == 5  # an unknown filter is ignored
    page = client.get("/qa/reviewers?profile=student").get_data(as_text=True)
    assert '<option selected value="student">Student</option>' in page
    assert "From " + (TODAY + timedelta(days=30)).isoformat() in row(
        client.get("/qa/reviewers").get_data(as_text=True), "Lea Later")
    assert "No reviewer matches these filters." in client.get("/qa/reviewers?q=nobody").get_data(as_text=True)


def test_pool_pages_hold_25_reviewers_by_name(app, session, officer, client_for) -> None:
    everyone = sorted(reviewer(session, f"Reviewer {n:02d}").full_name for n in range(30))
    session.commit()
    client = client_for(officer)
    first = client.get("/qa/reviewers").get_data(as_text=True)
    second = client.get("/qa/reviewers?page=2").get_data(as_text=True)
    assert (names(first), names(second)) == (everyone[:25], everyone[25:])
    assert "Page 1 of 2" in first and 'href="/qa/reviewers?page=2"' in first
    found = reviewer_pool.pool_page(session, officer.actor, PoolFilters(), today=TODAY, page=2)
    assert (found.total, len(found.rows)) == (30, 5)


def test_pool_page_issues_the_same_number_of_statements_at_5_and_30_reviewers(app, session, officer,
                                                                              client_for) -> None:
    client = client_for(officer)
    client.get("/qa/reviewers")  # warm up: the login session is touched and the pool filled

    def statements() -> int:
        return count_statements(app, client, "/qa/reviewers?available=y")

    def grow(count: int) -> None:
        for n in range(count):
            person = reviewer(session, f"Person {n}", profile_types=["academic"], languages=["en"])
            load_of(session, person, officer, live=n % 2)
        session.commit()

    grow(5)
    at_5 = statements()
    grow(25)
    at_30 = statements()
    assert at_5 == at_30
    assert at_30 <= 6


def test_admin_reads_the_pool_and_profiles_but_cannot_save(app, session, agency, client_for) -> None:
    admin = make_user(session, Role.ADMIN, institution=agency)
    person = reviewer(session, "Ada Academic", profile_types=["academic"], expertise=["0613"])
    session.commit()
    client = client_for(admin)
    assert names(client.get("/qa/reviewers").get_data(as_text=True)) == ["Ada Academic"]
    page = client.get(f"/qa/reviewers/{person.id}").get_data(as_text=True)
    assert "<form method=\"post\"" not in page.split("<main")[1]
    assert "<dd>0613</dd>" in page and "Academic" in page
    response = client.post_form(f"/qa/reviewers/{person.id}", profile_form(), token_from="/")
    assert response.status_code == 403
    assert reviewer_pool.profile_values(session, person.id).expertise == ("0613",)


def test_reviewer_profile_page_is_404_for_someone_not_a_reviewer(app, session, officer, client_for) -> None:
    designer = make_user(session, Role.DESIGNER)
    session.commit()
    assert client_for(officer).get(f"/qa/reviewers/{designer.id}").status_code == 404
    assert client_for(officer).get("/qa/reviewers/999999").status_code == 404


# Editing profiles ----------------------------------------------------------------------------------------


def test_officer_edits_a_profile_and_the_change_is_audited(app, session, officer, client_for) -> None:
    person = reviewer(session, "Ada Academic", profile_types=["academic"], languages=["en"])
    session.commit()
    client = client_for(officer)
    page = client.get(f"/qa/reviewers/{person.id}").get_data(as_text=True)
    assert 'value="academic" checked' in page or 'checked id="profile_types-0"' in page
    response = client.post_form(f"/qa/reviewers/{person.id}", profile_form(), token_from="/")
    assert response.headers["Location"] == f"/qa/reviewers/{person.id}"
    assert reviewer_pool.profile_values(session, person.id) == ProfileValues(
        profile_types=("academic", "international"), expertise=("0613", "0688"),
        keywords=("data analytics", "machine learning"), languages=("en", "es"), available=True,
        available_from=None, max_load=3, biography="Professor of statistics.")
    [entry] = audit_of(session, person)
    assert (entry.action, entry.actor_id, entry.actor_role) == ("reviewer.profile_updated", officer.id, "qa_officer")
    assert json.loads(entry.details) == {"profile_types": ["academic", "international"],
                                         "expertise": ["0613", "0688"],
                                         "keywords": ["data analytics", "machine learning"],
                                         "languages": ["en", "es"], "max_load": 3,
                                         "biography": "Professor of statistics."}
    page = client.get(f"/qa/reviewers/{person.id}").get_data(as_text=True)
    assert "The reviewer profile is saved." in page and 'value="0613, 0688"' in page


def test_saving_an_unchanged_profile_writes_no_audit_entry(app, session, officer, client_for) -> None:
    person = reviewer(session, "Ada Academic")
    session.commit()
    client = client_for(officer)
    client.post_form(f"/qa/reviewers/{person.id}", profile_form(), token_from="/")
    client.post_form(f"/qa/reviewers/{person.id}", profile_form(), token_from="/")
    assert len(audit_of(session, person)) == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("expertise", "0613, 0777, abc", "Not an ISCED-F 2013 field code: 0777, abc."),
    ("languages", "en, english, xx", "Not an ISO 639-1 language code: english, xx."),
    ("profile_types", [], "Choose at least one profile type the reviewer can sit for."),
    ("profile_types", ["academic", "wizard"], "&#39;wizard&#39; is not a valid choice for this field."),
    ("max_load", "0", "At least 1; empty for no limit."),
    ("max_load", "lots", "Not a valid integer value."),
    ("available_from", "soon", "Not a valid date value."),
    ("keywords", "\n".join(f"keyword {n}" for n in range(31)), "List at most 30 keywords"),
])
def test_invalid_profile_values_are_refused_next_to_the_field_and_nothing_is_saved(
        app, session, officer, client_for, field: str, value, message: str) -> None:  # noqa: ANN001
    person = reviewer(session, "Ada Academic", profile_types=["academic"], expertise=["0613"])
    session.commit()
    response = client_for(officer).post_form(f"/qa/reviewers/{person.id}", profile_form(**{field: value}),
                                             token_from="/")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page
    assert "Professor of statistics." in page  # what was typed is kept
    assert reviewer_pool.profile_values(session, person.id).expertise == ("0613",)
    assert audit_of(session, person) == []


def test_validate_profile_normalises_codes_and_drops_duplicates(vocabularies) -> None:  # noqa: ANN001
    clean = reviewer_pool.validate_profile(ProfileValues(
        profile_types=("academic", "academic"), expertise=("0613", "0613", "06"), keywords=("AI", "ai", " big  data "),
        languages=("EN", "en", "Es"), max_load=None), vocabularies)
    assert (clean.profile_types, clean.expertise, clean.keywords, clean.languages) == (
        ("academic",), ("0613", "06"), ("AI", "big data"), ("en", "es"))
    with pytest.raises(InvalidProfile) as refused:
        reviewer_pool.validate_profile(ProfileValues(profile_types=("academic",), max_load=0), vocabularies)
    assert refused.value.errors == {"max_load": [
        "The maximum load is at least 1 open review; leave it empty for no limit."]}


def test_reviewer_edits_their_own_profile(app, session, client_for) -> None:
    person = reviewer(session, "Ada Academic")
    session.commit()
    client = client_for(person)
    page = client.get("/my/reviewer-profile").get_data(as_text=True)
    assert "<h1>Your reviewer profile</h1>" in page and 'action="/my/reviewer-profile"' in page
    response = client.post_form("/my/reviewer-profile", profile_form(available="", available_from=(
        TODAY + timedelta(days=20)).isoformat(), max_load=""), token_from="/my/reviewer-profile")
    assert response.headers["Location"] == "/my/reviewer-profile"
    values = reviewer_pool.profile_values(session, person.id)
    assert (values.available, values.available_from, values.max_load) == (False, TODAY + timedelta(days=20), None)
    [entry] = audit_of(session, person)
    assert (entry.actor_id, entry.actor_role) == (person.id, "reviewer")


def test_the_service_refuses_a_reviewer_editing_someone_else(app, session, vocabularies) -> None:  # noqa: ANN001
    one, other = reviewer(session, "One"), reviewer(session, "Other")
    with pytest.raises(reviewer_pool.NotAllowed):
        reviewer_pool.save_profile(session, other, ProfileValues(profile_types=("academic",)), actor=one,
                                   vocabularies=vocabularies)


# Standing conflicts --------------------------------------------------------------------------------------


def test_reviewer_declares_and_withdraws_a_conflict(app, session, client_for) -> None:
    home = make_institution(session, name="Home University")
    person = reviewer(session, "Ada Academic", institution=home)
    target = make_institution(session, name="Universidad de Almagro")
    session.commit()
    client = client_for(person)
    page = client.get("/my/reviewer-profile").get_data(as_text=True)
    options = page.split('id="conflict-institution"')[1].split("</select>")[0]
    assert "Universidad de Almagro" in options and "Home University" not in options
    response = client.post_form("/my/conflicts", {"conflict-institution": target.id,
                                                  "conflict-reason": "I taught there until last year."},
                                token_from="/my/reviewer-profile")
    assert response.headers["Location"] == "/my/reviewer-profile"
    page = client.get("/my/reviewer-profile").get_data(as_text=True)
    assert "Your conflict of interest is recorded." in page
    assert re.search(r"Universidad de Almagro</th>\s*<td class=\"text\">I taught there until last year.</td>", page)
    [declared] = session.scalars(select(ConflictDeclaration)).all()
    assert (declared.reviewer_id, declared.institution_id) == (person.id, target.id)
    response = client.post_form("/my/conflicts/withdraw", {"conflict_id": declared.id},
                                token_from="/my/reviewer-profile")
    assert response.headers["Location"] == "/my/reviewer-profile"
    session.rollback()
    assert session.scalars(select(ConflictDeclaration)).all() == []
    assert [(e.action, json.loads(e.details)) for e in audit_of(session, person)] == [
        ("reviewer.conflict_declared", {"institution": target.id, "reason": "I taught there until last year."}),
        ("reviewer.conflict_withdrawn", {"institution": target.id})]


@pytest.mark.parametrize(("which", "reason", "field", "message"), [
    ("target", "", "reason", "Say why you have a conflict."),
    ("none", "Because", "institution", "Choose an institution."),
    ("home", "I work there", "institution", "is the reviewer&#39;s own institution"),
    ("declared", "Again", "institution", "A conflict with Universidad de Almagro is already declared."),
])
def test_a_conflict_that_cannot_be_declared_is_refused_next_to_the_field(app, session, client_for, which: str,
                                                                         reason: str, field: str,
                                                                         message: str) -> None:
    home = make_institution(session, name="Home University")
    person = reviewer(session, "Ada Academic", institution=home)
    target = make_institution(session, name="Universidad de Almagro")
    session.add(ConflictDeclaration(reviewer_id=person.id, institution_id=target.id, reason="Alumna"))
    other = make_institution(session, name="Other Institute")
    session.commit()
    chosen = {"target": other.id, "none": "", "home": home.id, "declared": target.id}[which]
    response = client_for(person).post_form("/my/conflicts", {"conflict-institution": chosen,
                                                              "conflict-reason": reason},
                                            token_from="/my/reviewer-profile")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="conflict-{field}-error"' in page and message in page
    assert len(session.scalars(select(ConflictDeclaration)).all()) == 1


def test_a_reviewer_cannot_withdraw_someone_elses_conflict(app, session, client_for) -> None:
    owner, intruder = reviewer(session, "Owner"), reviewer(session, "Intruder")
    declared = ConflictDeclaration(reviewer_id=owner.id, institution_id=make_institution(session).id, reason="x")
    session.add(declared)
    session.commit()
    client = client_for(intruder)
    response = client.post_form("/my/conflicts/withdraw", {"conflict_id": declared.id},
                                token_from="/my/reviewer-profile")
    assert response.status_code == 404
    missing = client.post_form("/my/conflicts/withdraw", token_from="/my/reviewer-profile")
    assert missing.status_code == 422 and "Choose the conflict to withdraw" in missing.get_data(as_text=True)
    assert len(session.scalars(select(ConflictDeclaration)).all()) == 1


def test_officer_sees_a_reviewers_conflicts_read_only(app, session, officer, client_for) -> None:
    person = reviewer(session, "Ada Academic")
    session.add(ConflictDeclaration(reviewer_id=person.id, reason="Former employer",
                                    institution_id=make_institution(session, name="Universidad de Almagro").id))
    session.commit()
    page = client_for(officer).get(f"/qa/reviewers/{person.id}").get_data(as_text=True)
    assert "Universidad de Almagro" in page and "Former employer" in page
    assert "/my/conflicts" not in page
