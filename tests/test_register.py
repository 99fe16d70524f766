"""The public register: what is accredited today, searched, filtered and paged; an entry with its decision and
the public part of the panel's report; nothing internal and, in blind review, no reviewer named."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from factories import make_institution, make_programme, make_submitted, make_user
from register_fixtures import (
    TODAY,
    People,
    accredit,
    lift,
    make_people,
    proposal_data,
    reviewed,
    statement_counter,
    with_conditions,
)

from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.models import DecisionStatus, Institution
from qa_engine.services import decision_records, register, register_entries
from qa_engine.services.register import RegisterStatus

INTERNAL = "Internal: the committee argued about the scores for an hour."
RESPONSE = "The provider answers that the rubrics are already online."


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


def titles(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'<td><a href="/register/\d+">([^<]*)</a></td>', body)


def statuses(page: str) -> list[str]:
    return re.findall(r'<span class="state state-[a-z_]+">([^<]*)</span>', page.split("<tbody>")[1])


def text_of(page: str) -> str:
    """The page's main content as plain text."""
    main = page.split('<main id="main"')[1].split("</main>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace("&#39;", "'").replace("&amp;", "&")


# The list --------------------------------------------------------------------------------------------------


def test_register_lists_what_is_accredited_today_with_its_facts_and_status(app, session, people, client) -> None:
    accredit(session, people, data=proposal_data("Approved Analytics"))
    open_one = accredit(session, people, data=proposal_data("Conditions Open"),
                        outcome=Outcome.APPROVED_WITH_CONDITIONS)
    with_conditions(session, open_one, ConditionStatus.MET, ConditionStatus.EVIDENCE_SUBMITTED)
    met = accredit(session, people, data=proposal_data("Conditions Met"), outcome=Outcome.APPROVED_WITH_CONDITIONS)
    with_conditions(session, met, ConditionStatus.MET)
    lifted = accredit(session, people, data=proposal_data("Conditions Lifted"),
                      outcome=Outcome.APPROVED_WITH_CONDITIONS)
    with_conditions(session, lifted, ConditionStatus.OPEN)
    lift(session, lifted, people)
    accredit(session, people, data=proposal_data("Rejected One"), outcome=Outcome.REJECTED, state=State.REJECTED)
    accredit(session, people, data=proposal_data("Expired One"), valid_until=TODAY - timedelta(days=1))
    accredit(session, people, data=proposal_data("Withdrawn One"), state=State.APPROVAL_WITHDRAWN)
    accredit(session, people, data=proposal_data("Proposed One"), state=State.DECISION_PENDING,
             status=DecisionStatus.PROPOSED)
    make_submitted(session, make_programme(session, people.designer, data=proposal_data("Submitted One")),
                   people.designer)
    session.commit()
    page = client.get("/register").get_data(as_text=True)
    assert titles(page) == ["Approved Analytics", "Conditions Lifted", "Conditions Met", "Conditions Open"]
    assert statuses(page) == ["Approved", "Approved", "Approved with conditions (all conditions met)",
                              "Approved with conditions (conditions open)"]
    assert "4 micro-credentials accredited today match" in page
    row = page.split("<tbody>")[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
    valid = f"{(TODAY - timedelta(days=30)).isoformat()} – {(TODAY + timedelta(days=1000)).isoformat()}"
    assert cells == ["Approved Analytics", "Universidad de Almagro", "6", "6",
                     "Inter-disciplinary programmes and qualifications involving Information and Communication "
                     "Technologies (ICTs)", "Blended", "English, Spanish; Castilian", "Approved", valid]


def test_register_status_in_sql_agrees_with_the_decision_records(app, session, people) -> None:
    cases = {}
    for name, statuses_, lifted in (("plain", (), False), ("open", (ConditionStatus.NOT_MET,), False),
                                    ("met", (ConditionStatus.MET,), False), ("lifted", (ConditionStatus.OPEN,), True)):
        decision = accredit(session, people, outcome=Outcome.APPROVED if name == "plain"
                            else Outcome.APPROVED_WITH_CONDITIONS)
        conditions = with_conditions(session, decision, *statuses_)
        if lifted:
            lift(session, decision, people)
        expected = register.status_of(decision_records.current_outcome(session, decision),
                                      any(c.status is not ConditionStatus.MET for c in conditions))
        cases[decision.programme_id] = expected
    session.commit()
    found = register.search(session, register.Filters(), today=TODAY, vocabularies=app.extensions[
        "qa_engine.catalogue"].vocabularies)
    assert {row.programme_id: row.status for row in found.rows} == cases
    assert sorted(cases.values()) == sorted([RegisterStatus.APPROVED, RegisterStatus.CONDITIONS_OPEN,
                                             RegisterStatus.CONDITIONS_MET, RegisterStatus.APPROVED])


def search_titles(client, q: str) -> list[str]:  # noqa: ANN001
    """The titles the register lists for the search `q` (its page must answer 200)."""
    response = client.get("/register", query_string={"q": q})
    assert response.status_code == 200
    return titles(response.get_data(as_text=True))


@pytest.fixture
def searchable(session, people) -> Institution:  # noqa: ANN001
    """Three entries, one of another provider (Hochschule Beispiel, HSB), which it returns."""
    other = make_institution(session, name="Hochschule Beispiel", short_name="HSB")
    accredit(session, people, data=proposal_data("Data Literacy"))
    accredit(session, people, data=proposal_data("Green Skills 100%"))
    accredit(session, people, data=proposal_data("Cloud Basics"),
             designer=make_user(session, Role.DESIGNER, institution=other))
    session.commit()
    return other


def test_register_search_matches_words_of_the_title_or_provider_by_their_beginning(app, session, people, searchable,
                                                                                  client) -> None:
    assert search_titles(client, "LITERACY") == ["Data Literacy"]
    assert search_titles(client, "lit") == ["Data Literacy"]
    assert search_titles(client, "DaTa LiT") == ["Data Literacy"]
    assert search_titles(client, "beispiel") == ["Cloud Basics"]
    assert search_titles(client, "hsb") == ["Cloud Basics"]
    assert search_titles(client, "hochschule cloud") == ["Cloud Basics"]
    assert search_titles(client, "almagro") == ["Data Literacy", "Green Skills 100%"]
    assert search_titles(client, "upa green") == ["Green Skills 100%"]
    assert search_titles(client, "100%") == ["Green Skills 100%"]
    assert search_titles(client, "iteracy") == []  # inside a word: not a word's beginning
    assert search_titles(client, "data cloud") == []  # every word must match
    page = client.get("/register?q=nothing").get_data(as_text=True)
    assert titles(page) == [] and "No accredited micro-credential matches your search." in page
    assert 'value="nothing"' in page


@pytest.mark.parametrize(("typed", "found"), [
    ('"', ["Cloud Basics", "Data Literacy", "Green Skills 100%"]),  # punctuation only: no search
    ("*", ["Cloud Basics", "Data Literacy", "Green Skills 100%"]),
    ("%", ["Cloud Basics", "Data Literacy", "Green Skills 100%"]),
    ("  -:&!( ", ["Cloud Basics", "Data Literacy", "Green Skills 100%"]),
    ('"data"', ["Data Literacy"]),
    ("data*", ["Data Literacy"]),
    ("-data", ["Data Literacy"]),
    ("(literacy)", ["Data Literacy"]),
    ("data:literacy", ["Data Literacy"]),
    ("data & !green", []),
    ("data OR green", []),  # OR is a word like any other
    ("NEAR(data green)", []),
    ("d'ata", []),
    ("_", ["Cloud Basics", "Data Literacy", "Green Skills 100%"]),
    ("\\ data \\", ["Data Literacy"]),
    ("data\u00a0lit\u2019", ["Data Literacy"]),
])
def test_register_search_takes_what_a_visitor_types_as_words(app, session, people, searchable, client, typed: str,
                                                             found: list[str]) -> None:
    assert search_titles(client, typed) == found


def test_register_search_splits_titles_at_punctuation_as_it_splits_a_search(app, session, people, client) -> None:
    title = "Data\u2014Analytics: \u201cIntro\u201d (Level 1) + more\tstuff\u2026"
    accredit(session, people, data=proposal_data(title))
    session.commit()
    assert not register_entries.drift(session)
    for typed in ("analytics", "intro level", "1", "STUFF", "more + stuff", "data\u2014anal"):
        assert search_titles(client, typed) == [title]
    assert search_titles(client, "level1") == []


def test_register_search_follows_a_provider_renamed(app, session, people, searchable, client) -> None:
    searchable.name, searchable.short_name = "Technische Hochschule Muster", "THM"
    session.commit()
    assert search_titles(client, "beispiel") == [] and search_titles(client, "hsb") == []
    assert search_titles(client, "muster thm") == ["Cloud Basics"]
    assert search_titles(client, "technische cloud") == ["Cloud Basics"]
    assert not register_entries.drift(session)


def test_register_facets_and_count_follow_a_new_approval_on_the_next_request(app, session, people,
                                                                             client) -> None:
    accredit(session, people, data=proposal_data("Analytics"))
    session.commit()
    page = client.get("/register").get_data(as_text=True)
    assert "1 micro-credential accredited today matches" in page
    assert re.findall(r'<option value="(\d{4})"', page) == ["0688"]
    other = make_institution(session, name="Hochschule Beispiel")
    accredit(session, people, data=proposal_data("Nursing", isced="0913", eqf=5),
             designer=make_user(session, Role.DESIGNER, institution=other))
    session.commit()
    page = client.get("/register").get_data(as_text=True)
    assert "2 micro-credentials accredited today match" in page
    assert re.findall(r'<option value="(\d{4})"', page) == ["0688", "0913"]
    levels = re.findall(r'<select id="level".*?</select>', page, re.S)[0]
    assert re.findall(r'<option value="(\d)"', levels) == ["5", "6"]
    assert f'<option value="{other.id}">Hochschule Beispiel</option>' in page


def test_register_filters_by_field_level_provider_and_status_offering_only_values_in_use(app, session, people,
                                                                                        client) -> None:
    other = make_user(session, Role.DESIGNER, institution=make_institution(session, name="Hochschule Beispiel"))
    accredit(session, people, data=proposal_data("Software", isced="0613", eqf=5))
    accredit(session, people, data=proposal_data("Analytics"))
    conditional = accredit(session, people, data=proposal_data("Nursing", isced="0913"), designer=other,
                           outcome=Outcome.APPROVED_WITH_CONDITIONS)
    with_conditions(session, conditional, ConditionStatus.OPEN)
    session.commit()
    provider_id = other.institution_id
    assert titles(client.get("/register?field=0613").get_data(as_text=True)) == ["Software"]
    assert titles(client.get("/register?level=6").get_data(as_text=True)) == ["Analytics", "Nursing"]
    assert titles(client.get(f"/register?provider={provider_id}").get_data(as_text=True)) == ["Nursing"]
    assert titles(client.get("/register?status=conditions_open").get_data(as_text=True)) == ["Nursing"]
    assert titles(client.get("/register?status=approved&level=6").get_data(as_text=True)) == ["Analytics"]
    assert titles(client.get("/register?level=six&status=bogus").get_data(as_text=True)) == [
        "Analytics", "Nursing", "Software"]  # values that mean nothing filter nothing
    page = client.get("/register?field=0913").get_data(as_text=True)
    assert '<option value="0913" selected>0913 Nursing and midwifery</option>' in page
    assert re.findall(r'<option value="(\d{4})"', page) == ["0613", "0688", "0913"]
    levels = re.findall(r'<select id="level".*?</select>', page, re.S)[0]
    assert re.findall(r'<option value="(\d)"', levels) == ["5", "6"]
    assert re.findall(r'<select id="provider".*?</select>', page, re.S)[0].count("<option") == 3


def test_register_pages_hold_20_entries_by_title_and_keep_the_filters(app, session, people, client) -> None:
    for n in range(23):
        accredit(session, people, data=proposal_data(f"Programme {n:02d}"))
    session.commit()
    first = client.get("/register?level=6").get_data(as_text=True)
    second = client.get("/register?level=6&page=2").get_data(as_text=True)
    assert titles(first) == [f"Programme {n:02d}" for n in range(20)]
    assert titles(second) == [f"Programme {n:02d}" for n in range(20, 23)]
    assert "Page 1 of 2" in first and 'href="/register?page=2&amp;level=6"' in first
    assert "Page 2 of 2" in second
    past = client.get("/register?level=6&page=9").get_data(as_text=True)
    assert titles(past) == [] and "23 micro-credentials accredited today match" in past
    assert 'This page is past the last one. <a href="/register?level=6">Go to the first page</a>' in past


def test_register_page_issues_the_same_number_of_statements_at_5_and_30_entries(app, session, people,
                                                                                client) -> None:
    count = statement_counter(app)
    client.get("/register")

    def add(n: int) -> None:
        for _ in range(n):
            decision = accredit(session, people, outcome=Outcome.APPROVED_WITH_CONDITIONS)
            with_conditions(session, decision, ConditionStatus.OPEN)
            lift(session, decision, people)
        session.commit()

    add(5)
    at_5 = count(client, "/register?q=analytics")
    add(25)
    at_30 = count(client, "/register?q=analytics")
    assert at_5 == at_30 <= 4  # the register's version, the facets (the entries changed) and the page
    assert count(client, "/register?q=analytics") == at_30 - 1  # the facets kept: the register is unchanged


# One entry -------------------------------------------------------------------------------------------------


def blind_entry(session, people, *, blind: bool = True):  # noqa: ANN001, ANN201
    review = reviewed(session, people, blind=blind, consensus={
        "D1.1": (3, "María García López (maria@uni.example, Universidad de Sevilla) and Piet convinced the panel.")})
    review.response = RESPONSE
    decision = accredit(session, people, programme=review.programme, review=review,
                        outcome=Outcome.APPROVED_WITH_CONDITIONS, recommended_outcome=Outcome.APPROVED,
                        departure_reason=INTERNAL, members_present='["Carla Chair", "Otto Member"]',
                        recommendations="Publish the rubrics early.\nAsk Piet van Dijk for employer contacts.",
                        rationale="Sound design; Dr García López noted the thin need evidence.")
    with_conditions(session, decision, ConditionStatus.MET, ConditionStatus.NOT_MET)
    session.commit()
    return decision


def test_entry_shows_the_approved_version_the_decision_and_the_public_report(app, session, people,
                                                                             client) -> None:
    decision = blind_entry(session, people)
    page = client.get(f"/register/{decision.programme_id}").get_data(as_text=True)
    text = text_of(page)
    assert "<h1>Applied Data Analytics for Business Decisions</h1>" in page
    assert "Universidad de Almagro · Approved with conditions (conditions open)" in text
    assert f"Decision Approved with conditions Decided on {decision.decided_on.isoformat()} " \
           "Decided by Accreditation committee" in text
    assert "Notional workload 6 ECTS credits, 168 hours of learning in total, over 12 weeks" in text
    assert "Level EQF level 6 National framework (ES): MECES 2" in text
    conditions = re.findall(r"<tr><td>(\d)</td>.*?<td>(Met|Open)</td></tr>", page, re.S)
    assert conditions == [("1", "Met"), ("2", "Open")]
    assert "<li class=\"text\">Publish the rubrics early.</li>" in page
    assert "D1.1 The Annex I programme-level elements are complete and consistent 3 Meets (agreed by the panel)" \
        in text
    assert "D1.2 The title is accurate and not misleading 3.50 (panel mean)" in text  # blind: no count
    assert "Overall score 3.49 Outcome the scores point to Approved" in text
    assert f'href="/register/{decision.programme_id}/ob3.json"' in page


def test_entry_in_blind_review_names_no_reviewer_and_shows_nothing_internal(app, session, people, client) -> None:
    decision = blind_entry(session, people)
    text = text_of(client.get(f"/register/{decision.programme_id}").get_data(as_text=True))
    assert "a reviewer (a reviewer, [institution withheld]) and a reviewer convinced the panel." in text
    assert "Sound design; Dr a reviewer noted the thin need evidence." in text
    assert "Ask a reviewer for employer contacts." in text
    assert "The review was blind: the reviewers are not named." in text
    for secret in ("García", "Piet", "Dijk", "maria@", "Sevilla", "Consulting", INTERNAL, RESPONSE,
                   "thinly evidenced", "Well evidenced in the proposal", "Carla Chair", "Olga Officer",
                   "Dana Designer", "microcredentials@upa.example.edu", "Dr Elena Martín"):
        assert secret not in text


def test_entry_outside_blind_review_names_the_panel(app, session, people, client) -> None:
    decision = blind_entry(session, people, blind=False)
    text = text_of(client.get(f"/register/{decision.programme_id}").get_data(as_text=True))
    assert "The panel María García López (Academic) Piet van Dijk (Professional)" in text
    assert "María García López (maria@uni.example, Universidad de Sevilla) and Piet convinced the panel." in text
    assert INTERNAL not in text and RESPONSE not in text and "thinly evidenced" not in text


def test_entry_links_the_providers_page_only_when_it_is_a_web_address(app, session, people, client) -> None:
    web, script = proposal_data(), proposal_data()
    script["quality_assurance"]["public_info_url"] = "javascript:alert(1)"
    linked, unlinked = accredit(session, people, data=web), accredit(session, people, data=script)
    session.commit()
    page = client.get(f"/register/{linked.programme_id}").get_data(as_text=True)
    assert '<a href="https://upa.example.edu/microcredentials/applied-data-analytics" rel="external' in page
    assert "javascript:" not in client.get(f"/register/{unlinked.programme_id}").get_data(as_text=True)


def test_entry_after_an_addendum_reads_approved_and_shows_the_addendum(app, session, people, client) -> None:
    decision = accredit(session, people, outcome=Outcome.APPROVED_WITH_CONDITIONS)
    with_conditions(session, decision, ConditionStatus.MET)
    lift(session, decision, people)
    session.commit()
    text = text_of(client.get(f"/register/{decision.programme_id}").get_data(as_text=True))
    assert "Universidad de Almagro · Approved " in text
    assert f"Addenda {TODAY.isoformat()} : Approved. Every condition was met." in text
    assert "No panel report is published with this decision." in text


@pytest.mark.parametrize("case", ["rejected", "expired", "future", "withdrawn", "proposed", "in_review", "unknown"])
def test_entry_and_its_exports_are_404_for_anything_not_accredited_today(app, session, people, client,
                                                                        case: str) -> None:
    if case == "in_review":
        programme = make_programme(session, people.designer, data=proposal_data())
        make_submitted(session, programme, people.designer)
        programme_id = programme.id
    elif case == "unknown":
        programme_id = 999
    else:
        changes = {"rejected": {"outcome": Outcome.REJECTED, "state": State.REJECTED},
                   "expired": {"valid_until": TODAY - timedelta(days=1), "state": State.EXPIRED},
                   "future": {"valid_from": TODAY + timedelta(days=1)},
                   "withdrawn": {"state": State.APPROVAL_WITHDRAWN},
                   "proposed": {"status": DecisionStatus.PROPOSED, "state": State.DECISION_PENDING}}[case]
        programme_id = accredit(session, people, **changes).programme_id
    session.commit()
    for suffix in ("", "/ob3.json", "/elm.jsonld"):
        assert client.get(f"/register/{programme_id}{suffix}").status_code == 404
    assert titles(client.get("/register").get_data(as_text=True)) == []


def test_entry_page_issues_a_bounded_number_of_statements(app, session, people, client) -> None:
    decision = blind_entry(session, people)
    count = statement_counter(app)
    assert count(client, f"/register/{decision.programme_id}") <= 8
