"""`qa-engine export ob3|elm|deqar ID|--all` from the database: what the register lists today, or exit 1."""
from __future__ import annotations

import csv
import io
import json

import pytest
from flask.testing import FlaskCliRunner
from register_fixtures import People, accredit, make_people, proposal_data, with_conditions

from qa_engine.cli import cli
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.workflow import State
from qa_engine.exports.elm import validate_elm
from qa_engine.exports.ob3 import validate_ob3

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
NQF = {"ES": {"MECES 2": "http://data.europa.eu/snb/qdr/c_4f5bd9bb"}}


@pytest.fixture
def people(session) -> People:  # noqa: ANN001
    return make_people(session)


@pytest.fixture
def decided(session, people: People) -> dict[str, int]:  # noqa: ANN001
    """Two accredited programmes (one with an open condition), a rejected one and an expired one."""
    approved = accredit(session, people, data=proposal_data("Alpha Analytics"))
    conditional = accredit(session, people, data=proposal_data("Beta Analytics"),
                           outcome=Outcome.APPROVED_WITH_CONDITIONS)
    with_conditions(session, conditional, ConditionStatus.OPEN)
    rejected = accredit(session, people, outcome=Outcome.REJECTED, state=State.REJECTED)
    expired = accredit(session, people, state=State.EXPIRED)
    session.commit()
    return {"approved": approved.programme_id, "conditional": conditional.programme_id,
            "rejected": rejected.programme_id, "expired": expired.programme_id}


def run(app, *args: str):  # noqa: ANN001, ANN201
    """`qa-engine export ARGS` through the real command group, as an operator types it."""
    return FlaskCliRunner(app).invoke(cli, ["export", *args])


def test_export_ob3_of_one_programme_is_a_valid_credential(make_app, decided: dict[str, int]) -> None:
    result = run(make_app(NQF_LEVEL_URIS=NQF), "ob3", str(decided["conditional"]))
    credential = json.loads(result.stdout)
    assert result.exit_code == 0
    assert validate_ob3(credential) == []
    assert credential["credentialSubject"]["achievement"]["name"] == "Beta Analytics"


def test_export_all_ob3_is_an_array_of_every_accredited_programme(app, decided: dict[str, int]) -> None:
    result = run(app, "ob3", "--all")
    names = [c["credentialSubject"]["achievement"]["name"] for c in json.loads(result.stdout)]
    assert (result.exit_code, names) == (0, ["Alpha Analytics", "Beta Analytics"])


def test_export_all_elm_is_one_conforming_graph(make_app, decided: dict[str, int]) -> None:
    result = run(make_app(NQF_LEVEL_URIS=NQF, AGENCY_URI="https://qa.example.org/agency"), "elm", "--all")
    document = json.loads(result.stdout)
    validation = validate_elm(document)
    assert result.exit_code == 0 and result.stderr == ""
    assert (validation.qualifications, validation.accreditations, validation.violations) == (2, 2, ())
    assert [node["type"] for node in document["@graph"]].count("Organisation") == 2


def test_export_deqar_as_csv_or_json(app, decided: dict[str, int]) -> None:
    as_csv = run(app, "deqar", "--all", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(row["programme_name"], row["decision"]) for row in rows] == [
        ("Alpha Analytics", "positive"), ("Beta Analytics", "positive with conditions or restrictions")]
    one = run(app, "deqar", str(decided["approved"]))
    assert [row["programme_name"] for row in json.loads(one.stdout)] == ["Alpha Analytics"]
    assert run(app, "deqar", "--all", "--csv").stdout == as_csv.stdout


@pytest.mark.parametrize("which", ["rejected", "expired", "unknown", "not-a-number"])
def test_export_of_a_programme_not_in_the_register_exits_1_with_a_message(app, decided: dict[str, int],
                                                                          which: str) -> None:
    ident = str(decided.get(which, 999)) if which != "not-a-number" else "abc"
    result = run(app, "elm", ident)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"error: programme {ident} is not in the register: no such programme, or it is not "
                             "accredited today\n")
