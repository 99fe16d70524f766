"""`qa-engine export`: each format from the example files, --all, a connected loader, and bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_engine.commands.exports import decision_from_dict, export
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.exports.ob3 import validate_ob3
from qa_engine.exports.records import ExportItem, export_item

ROOT = Path(__file__).resolve().parents[1]
PROPOSAL = ROOT / "examples" / "proposals" / "sound-data-analytics.json"
DECISION = ROOT / "examples" / "decisions" / "approved.json"
FILES = ["--from-file", str(PROPOSAL), "--decision-file", str(DECISION)]


def example_item(**decision_changes: object) -> ExportItem:
    proposal = proposal_from_dict(json.loads(PROPOSAL.read_text(encoding="utf-8")))
    decision, agency, nqf = decision_from_dict({**json.loads(DECISION.read_text(encoding="utf-8")), **decision_changes})
    return export_item(proposal, decision, agency, nqf_level_uri=nqf)


def run(*args: str, obj: object = None):
    return CliRunner().invoke(export, list(args), obj=obj)


def test_cli_export_ob3_from_files_is_a_valid_credential() -> None:
    result = run("ob3", *FILES)
    assert result.exit_code == 0
    assert validate_ob3(json.loads(result.stdout)) == []


def test_cli_export_elm_from_files() -> None:
    result = run("elm", "42", *FILES)
    assert result.exit_code == 0
    assert [node["type"] for node in json.loads(result.stdout)["@graph"]] == [
        "Qualification", "Accreditation", "Organisation", "Organisation"]


def test_cli_export_deqar_json_and_csv_from_files() -> None:
    as_json, as_csv = run("deqar", *FILES), run("deqar", "--csv", *FILES)
    assert [row["decision"] for row in json.loads(as_json.stdout)] == ["positive with conditions or restrictions"]
    assert as_csv.stdout.splitlines()[0].startswith("agency,agency_deqar_id,programme_name,")
    assert len(as_csv.stdout.splitlines()) == 2


def test_cli_export_all_ob3_is_an_array_of_approved_programmes() -> None:
    items = {"42": example_item(), "43": example_item(programme_id="43", outcome="rejected", conditions=[])}
    result = run("ob3", "--all", obj=lambda ident: list(items.values()) if ident is None else [items[ident]])
    assert result.exit_code == 0
    assert [c["credentialSubject"]["achievement"]["id"] for c in json.loads(result.stdout)] == [
        "https://qa.example.org/register/programmes/42"]


def test_cli_export_all_elm_is_one_graph() -> None:
    items = [example_item(), example_item(programme_id="43")]
    result = run("elm", "--all", obj=lambda ident: items)
    types = [node["type"] for node in json.loads(result.stdout)["@graph"]]
    assert (types.count("Qualification"), types.count("Accreditation"), types.count("Organisation")) == (2, 2, 2)


def test_cli_export_one_id_through_the_loader() -> None:
    result = run("deqar", "42", obj=lambda ident: [example_item()] if ident == "42" else [])
    assert json.loads(result.stdout)[0]["programme_uri"] == "https://qa.example.org/register/programmes/42"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ob3",), "error: give a programme ID or --all"),
        (("ob3", "42", "--all"), "error: give one programme ID or --all, not both"),
        (("ob3", "42"), "error: no programme store is connected"),
        (("ob3", "--from-file", str(PROPOSAL)), "error: --from-file and --decision-file go together"),
        (("ob3", "7", *FILES), "is about programme 42, not 7"),
        (("pdf", "42"), "Invalid value for 'FORMAT'"),
    ],
)
def test_cli_export_bad_input_exits_2(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_export_bad_decision_file_names_each_field(tmp_path: Path) -> None:
    bad = tmp_path / "decision.json"
    bad.write_text(json.dumps({"outcome": "maybe", "decided_on": "1 Dec", "agency": {"name": "X"}}), encoding="utf-8")
    result = run("elm", "--from-file", str(PROPOSAL), "--decision-file", str(bad))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {bad} is not a valid decision file:",
        "  programme_id: required text expected",
        "  outcome: must be one of approved, approved_with_conditions, revise_and_resubmit, rejected",
        "  decided_on: a date YYYY-MM-DD expected",
        "  valid_from: a date YYYY-MM-DD expected",
        "  report_url: required text expected",
        "  decision_body: required text expected",
        "  agency.uri: required text expected",
        "  agency.country: required text expected",
    ]


def test_cli_export_not_json_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "decision.json"
    bad.write_text("{", encoding="utf-8")
    result = run("deqar", "--from-file", str(PROPOSAL), "--decision-file", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bad} is not JSON")


def test_cli_export_rejected_programme_as_credential_exits_2() -> None:
    result = run("ob3", "43", obj=lambda ident: [example_item(programme_id="43", outcome="rejected", conditions=[])])
    assert result.exit_code == 2
    assert result.stderr == "error: programme 43 is not approved (Rejected); only approved programmes are " \
                            "exported as credentials\n"
