"""Exports of what is accredited, from the database: Open Badges 3.0 and ELM validated against the official
specs, DEQAR CSV and JSON, and the committee's marks; broken documents are shown to fail."""
from __future__ import annotations

import copy
import csv
import io
from datetime import timedelta

import pytest
from factories import make_user
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

from qa_engine.commands.exports import export
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.exports.committee import MarksRow, MarksTable, marks_csv
from qa_engine.exports.elm import validate_elm
from qa_engine.exports.elm_validation import ELM
from qa_engine.exports.ob3 import validate_ob3
from qa_engine.exports.records import ExportItem
from qa_engine.services import export_data

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

MECES_2 = "http://data.europa.eu/snb/qdr/c_4f5bd9bb"  # a QDR concept URI, as an agency would configure it
EXPORT_CONFIG = {"BASE_URL": "https://qa.example.org", "AGENCY_NAME": "Agència de Qualitat (example)",
                 "AGENCY_URI": "https://qa.example.org/agency", "AGENCY_DEQAR_ID": "99",
                 "NQF_LEVEL_URIS": {"ES": {"MECES 2": MECES_2}}}


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


@pytest.fixture
def configured(make_app):  # noqa: ANN001, ANN201
    """The application with the agency and the NQF level concepts configured."""
    return make_app(**EXPORT_CONFIG)


def conditional(session, people: People, **changes: object):  # noqa: ANN001, ANN201
    """An approval with conditions: condition 1 met, condition 2 still open."""
    decision = accredit(session, people, outcome=Outcome.APPROVED_WITH_CONDITIONS, **changes)
    with_conditions(session, decision, ConditionStatus.MET, ConditionStatus.OPEN)
    session.commit()
    return decision


def items_of(app, **kwargs: object) -> list[ExportItem]:  # noqa: ANN001
    with app.app_context(), app.extensions["qa_engine.db"].new_session() as session:
        return export_data.items(session, export_data.export_settings(session), today=TODAY, **kwargs)


# Open Badges 3.0 -------------------------------------------------------------------------------------------


def test_ob3_of_an_accredited_programme_validates_against_the_official_schema(configured, session, people) -> None:
    decision = conditional(session, people)
    response = configured.test_client().get(f"/register/{decision.programme_id}/ob3.json")
    credential = response.get_json()
    achievement = credential["credentialSubject"]["achievement"]
    assert response.mimetype == "application/json"
    assert validate_ob3(credential) == []
    assert achievement["id"] == f"https://qa.example.org/register/{decision.programme_id}"
    assert (achievement["achievementType"], achievement["creditsAvailable"]) == ("MicroCredential", 6)
    kinds = [a["targetType"] for a in achievement["alignment"]]
    assert kinds[:3] == ["ext:EQFLevel", "ext:NQFLevel", "ext:ISCEDF"] and kinds.count("ext:LearningOutcome") == 5
    assert achievement["alignment"][1]["targetUrl"] == MECES_2
    accreditation = achievement["microCredential"]["accreditation"]
    assert accreditation["decision"] == "approved_with_conditions"
    assert accreditation["agency"] == "Agència de Qualitat (example)" and accreditation["agencyDeqarId"] == "99"
    assert [c["due"] for c in accreditation["conditions"]] == [(TODAY + timedelta(days=120)).isoformat()]
    assert accreditation["reportUrl"] == f"https://qa.example.org/register/{decision.programme_id}#report"
    assert achievement["microCredential"]["formOfParticipation"] == "blended"


@pytest.mark.parametrize(("breakage", "message"), [
    (lambda a: a.pop("criteria"), "'criteria' is a required property"),
    (lambda a: a.update(creditsAvailable="six"), "creditsAvailable: 'six' is not of type 'number'"),
    (lambda a: a.update(type="Badge"), "type"),
])
def test_a_broken_ob3_export_fails_the_schema(configured, session, people, breakage, message: str) -> None:  # noqa: ANN001
    decision = conditional(session, people)
    credential = configured.test_client().get(f"/register/{decision.programme_id}/ob3.json").get_json()
    broken = copy.deepcopy(credential)
    breakage(broken["credentialSubject"]["achievement"])
    errors = validate_ob3(broken)
    assert errors and any(message in error for error in errors)


def test_once_an_addendum_lifts_the_conditions_the_exports_say_approved_without_conditions(configured, session,
                                                                                          people) -> None:
    decision = conditional(session, people)
    lift(session, decision, people)
    session.commit()
    [item] = items_of(configured, programme_id=decision.programme_id)
    assert (item.decision.outcome, item.decision.conditions) == (Outcome.APPROVED, ())


# Europass ELM ----------------------------------------------------------------------------------------------


def test_elm_of_an_accredited_programme_conforms_to_the_loq_shapes(configured, session, people) -> None:
    decision = conditional(session, people)
    response = configured.test_client().get(f"/register/{decision.programme_id}/elm.jsonld")
    document = response.get_json()
    result = validate_elm(document)
    assert response.mimetype == "application/ld+json"
    assert (result.qualifications, result.accreditations) == (1, 1)  # typed nodes first: the shapes did check
    assert result.violations == ()
    assert result.conforms is True
    qualification, accreditation = document["@graph"][:2]
    assert qualification["nqfLevel"]["id"] == MECES_2
    assert accreditation["limitQualification"] == f"https://qa.example.org/register/{decision.programme_id}"
    assert [note["noteLiteral"]["en"] for note in accreditation["additionalNote"]] == [
        f"Condition: Condition 2: publish the rubrics. (due {(TODAY + timedelta(days=120)).isoformat()})"]


def test_elm_without_a_configured_nqf_concept_leaves_the_level_out_and_says_so(make_app, session, people) -> None:
    decision = conditional(session, people)
    app = make_app(**{**EXPORT_CONFIG, "NQF_LEVEL_URIS": {"ES": {"MECES 3": MECES_2}}})
    document = app.test_client().get(f"/register/{decision.programme_id}/elm.jsonld").get_json()
    result = validate_elm(document)
    assert "nqfLevel" not in document["@graph"][0]
    assert [v for v in result.violations if "NQFLevel" in v] == list(result.violations) and len(result.violations) == 1
    result = app.test_cli_runner().invoke(export, ["elm", str(decision.programme_id)])
    assert result.exit_code == 0
    assert result.stderr == (f"note: programme {decision.programme_id}: the NQF level “MECES 2” (ES) has no QDR "
                             "concept URI (configure NQF_LEVEL_URIS); the ELM export leaves NQFLevel out\n")


def test_a_broken_elm_export_fails(configured, session, people) -> None:
    decision = conditional(session, people)
    document = configured.test_client().get(f"/register/{decision.programme_id}/elm.jsonld").get_json()
    untyped = {**document, "@context": document["@context"][:1]}  # `type` no longer expands to @type
    assert validate_elm(untyped).conforms is False
    assert validate_elm(untyped).violations[0].startswith("no elm:Qualification typed node")
    dated = copy.deepcopy(document)
    dated["@graph"][1]["dateIssued"] = "last Tuesday"
    assert validate_elm(dated).conforms is False
    unknown = copy.deepcopy(document)
    unknown["@graph"][0]["colour"] = "green"
    unknown["@context"] = [*document["@context"], {"colour": str(ELM) + "colour"}]
    assert validate_elm(unknown).violations[0].endswith("colour: not a term of the ELM ontology")


# DEQAR -----------------------------------------------------------------------------------------------------


def test_deqar_csv_and_json_list_every_accredited_programme_and_nothing_else(configured, session, people) -> None:
    approved = accredit(session, people, data=proposal_data("=HYPERLINK(1)"))
    open_one = conditional(session, people)
    accredit(session, people, outcome=Outcome.REJECTED, state=State.REJECTED)
    accredit(session, people, valid_until=TODAY - timedelta(days=1))
    session.commit()
    client = configured.test_client()
    as_json = client.get("/register/deqar.json").get_json()
    response = client.get("/register/deqar.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    assert [row["programme_uri"] for row in as_json] == [
        f"https://qa.example.org/register/{approved.programme_id}",
        f"https://qa.example.org/register/{open_one.programme_id}"]
    assert [(row["decision"], row["valid_from"], row["valid_to"]) for row in as_json] == [
        ("positive", approved.valid_from.isoformat(), approved.valid_until.isoformat()),
        ("positive with conditions or restrictions", open_one.valid_from.isoformat(),
         open_one.valid_until.isoformat())]
    assert as_json[0]["programme_name"] == "=HYPERLINK(1)" and rows[0]["programme_name"] == "'=HYPERLINK(1)"
    assert (rows[1]["agency"], rows[1]["agency_deqar_id"], rows[1]["eqf_level"], rows[1]["ects"]) == (
        "Agència de Qualitat (example)", "99", "6", "6")
    assert rows[1]["report_url"] == f"https://qa.example.org/register/{open_one.programme_id}#report"


def test_exports_read_the_agency_country_from_the_agency_institution_by_default(app, session, people) -> None:
    conditional(session, people)
    [item] = items_of(app)
    assert (item.agency.name, item.agency.country, item.agency.uri) == ("QA Engine", "ES",
                                                                       "http://127.0.0.1:5000/#agency")
    assert item.nqf_level_uri == ""


# The committee's marks -------------------------------------------------------------------------------------


def marks_rows(client, query: str) -> list[dict]:  # noqa: ANN001
    response = client.get(f"/qa/exports/marks.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_marks_csv_has_one_row_per_programme_decided_in_the_period_and_a_column_per_criterion(
        app, session, people, client_for) -> None:
    review = reviewed(session, people, consensus={"D1.1": (3, "Agreed."), "D7.3": (None, "Not applicable here.")})
    in_period = accredit(session, people, programme=review.programme, review=review,
                         decided_on=TODAY - timedelta(days=3))
    rejected = accredit(session, people, outcome=Outcome.REJECTED, state=State.REJECTED, valid_from=None,
                        valid_until=None, decided_on=TODAY - timedelta(days=2))
    accredit(session, people, decided_on=TODAY - timedelta(days=60))
    session.commit()
    period = f"from={(TODAY - timedelta(days=7)).isoformat()}&to={TODAY.isoformat()}"
    rows = marks_rows(client_for(people.officer), period)
    assert [row["programme_id"] for row in rows] == [str(in_period.programme_id), str(rejected.programme_id)]
    first = rows[0]
    assert list(first)[:9] == ["programme_id", "programme", "provider", "decision", "decided_on", "rubric",
                               "reviews", "overall_score", "recommended_outcome"]
    assert len(list(first)) == 9 + 30
    assert (first["decision"], first["rubric"], first["reviews"]) == ("approved", "slp-ex-ante@1", "2")
    assert (first["D1.1"], first["D1.2"], first["D7.3"]) == ("3", "3.5", "N/A")
    assert (first["provider"], first["programme"]) == ("Universidad de Almagro",
                                                       "Applied Data Analytics for Business Decisions")
    assert (rows[1]["decision"], rows[1]["rubric"], rows[1]["D1.1"]) == ("rejected", "", "")


def test_a_round_whose_rubric_changed_gives_no_marks_and_no_public_report(app, session, people, client,
                                                                          client_for) -> None:
    review = reviewed(session, people)
    review.rubric_sha256 = "0" * 64  # the pinned version was altered after release
    decision = accredit(session, people, programme=review.programme, review=review,
                        decided_on=TODAY - timedelta(days=1))
    session.commit()
    [row] = marks_rows(client_for(people.officer), f"from={TODAY - timedelta(days=1)}&to={TODAY}")
    assert (row["programme_id"], row["rubric"], row["overall_score"]) == (str(decision.programme_id), "", "")
    page = client.get(f"/register/{decision.programme_id}").get_data(as_text=True)
    assert "No panel report is published with this decision." in page


def test_marks_csv_defuses_formulas_and_writes_na_and_unmarked_apart() -> None:
    row = MarksRow(7, "=SUM(A1)", "@provider", Outcome.APPROVED, TODAY, "slp-ex-ante@1", 2, 3.456, Outcome.APPROVED,
                   {"D1.1": 2.5, "D1.2": None})
    text = marks_csv(MarksTable(("D1.1", "D1.2", "D1.3"), [row]))
    assert text.splitlines()[1] == (f"7,'=SUM(A1),'@provider,approved,{TODAY.isoformat()},slp-ex-ante@1,2,3.46,"
                                    "approved,2.5,N/A,")


def test_marks_csv_takes_the_newest_decision_of_a_programme_in_the_period(app, session, people,
                                                                          client_for) -> None:
    first = accredit(session, people, decided_on=TODAY - timedelta(days=5))
    accredit(session, people, programme=first.programme, outcome=Outcome.APPROVED_WITH_CONDITIONS,
             corrects_id=first.id, decided_on=TODAY - timedelta(days=4))
    session.commit()
    rows = marks_rows(client_for(people.officer), f"from={(TODAY - timedelta(days=9)).isoformat()}&to={TODAY}")
    assert [(row["programme_id"], row["decision"]) for row in rows] == [(str(first.programme_id),
                                                                         "approved_with_conditions")]


@pytest.mark.parametrize(("query", "message"), [
    ("", "Give the period as from=YYYY-MM-DD&amp;to=YYYY-MM-DD"),
    ("from=2026-13-01&to=2026-12-31", "Give the period as from=YYYY-MM-DD&amp;to=YYYY-MM-DD"),
    ("from=yesterday&to=today", "Give the period as from=YYYY-MM-DD&amp;to=YYYY-MM-DD"),
    ("from=2026-12-31&to=2026-01-01", "The period ends before it starts"),
])
def test_marks_csv_with_bad_dates_is_a_400_with_the_reason(app, session, people, client_for, query: str,
                                                           message: str) -> None:
    response = client_for(people.officer).get(f"/qa/exports/marks.csv?{query}")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_marks_csv_is_for_officers_and_administrators_only(app, session, people, client_for, client) -> None:
    admin = make_user(session, Role.ADMIN)
    session.commit()
    query = f"/qa/exports/marks.csv?from={TODAY}&to={TODAY}"
    assert client_for(admin).get(query).status_code == 200
    assert client_for(people.designer).get(query).status_code == 403
    assert client_for(people.reviewers[0]).get(query).status_code == 403
    assert client.get(query).headers["Location"].startswith("/login?next=")


def test_marks_csv_issues_the_same_number_of_statements_for_2_and_6_programmes(app, session, people,
                                                                               client_for) -> None:
    count, client = statement_counter(app), client_for(people.officer)
    query = f"/qa/exports/marks.csv?from={TODAY - timedelta(days=40)}&to={TODAY}"
    client.get(query)

    def add(n: int) -> None:
        for _ in range(n):
            review = reviewed(session, people, consensus={"D1.1": (3, "Agreed.")})
            accredit(session, people, programme=review.programme, review=review)
        session.commit()

    add(2)
    at_2 = count(client, query)
    add(4)
    assert count(client, query) == at_2 <= 8
