"""DEQAR-shaped decision records: exact JSON and CSV for the example, and spreadsheet formulas defused."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from qa_engine.commands.exports import decision_from_dict
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.exports.deqar import deqar_csv, deqar_json, deqar_rows
from qa_engine.exports.records import ExportError, ExportItem, export_item

ROOT = Path(__file__).resolve().parents[1]
PROPOSAL = ROOT / "examples" / "proposals" / "sound-data-analytics.json"
DECISION = ROOT / "examples" / "decisions" / "approved.json"
ROW = {
    "agency": "Agència per a la Qualitat del Sistema Universitari (example)",
    "agency_deqar_id": "99",
    "programme_name": "Applied Data Analytics for Business Decisions",
    "programme_code": "MC-ECO-2027-03",
    "provider": "Universidad Politécnica de Almagro",
    "provider_id": "urn:schac:personalUniqueCode:es:upa.example.edu",
    "country": "ES",
    "eqf_level": 6,
    "nqf_level": "MECES 2",
    "ects": 6,
    "decision": "positive with conditions or restrictions",
    "decided_on": "2026-12-01",
    "valid_from": "2027-01-01",
    "valid_to": "2029-12-31",
    "report_url": "https://qa.example.org/register/programmes/42/report.pdf",
    "programme_uri": "https://qa.example.org/register/programmes/42",
}


def example_item(**decision_changes: object) -> ExportItem:
    proposal = proposal_from_dict(json.loads(PROPOSAL.read_text(encoding="utf-8")))
    decision, agency, nqf = decision_from_dict({**json.loads(DECISION.read_text(encoding="utf-8")), **decision_changes})
    return export_item(proposal, decision, agency, nqf_level_uri=nqf)


def test_deqar_rows_hold_the_report_fields() -> None:
    assert deqar_rows([example_item()]) == [ROW]


def test_deqar_json_is_exact() -> None:
    assert json.loads(deqar_json([example_item()])) == [ROW]
    assert deqar_json([example_item()]).endswith("}\n]\n")


def test_deqar_csv_is_exact() -> None:
    assert deqar_csv([example_item()]) == (
        "agency,agency_deqar_id,programme_name,programme_code,provider,provider_id,country,eqf_level,nqf_level,"
        "ects,decision,decided_on,valid_from,valid_to,report_url,programme_uri\r\n"
        "Agència per a la Qualitat del Sistema Universitari (example),99,Applied Data Analytics for Business "
        "Decisions,MC-ECO-2027-03,Universidad Politécnica de Almagro,urn:schac:personalUniqueCode:es:upa.example.edu,"
        "ES,6,MECES 2,6,positive with conditions or restrictions,2026-12-01,2027-01-01,2029-12-31,"
        "https://qa.example.org/register/programmes/42/report.pdf,https://qa.example.org/register/programmes/42\r\n"
    )


def test_deqar_csv_neutralises_formula_injection() -> None:
    item = example_item()
    identification = dataclasses.replace(item.proposal.identification, title='=HYPERLINK("http://evil","x")',
                                         internal_code="+1", description="")
    body = dataclasses.replace(item.proposal.awarding_body, name="@SUM(A1)", identifier="-2")
    item = dataclasses.replace(item, proposal=dataclasses.replace(item.proposal, identification=identification,
                                                                  awarding_body=body))
    row = deqar_csv([item]).split("\r\n")[1]
    assert row.startswith("Agència per a la Qualitat del Sistema Universitari (example),99,"
                          "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",'+1,'@SUM(A1),'-2,ES,")
    assert json.loads(deqar_json([item]))[0]["programme_name"] == '=HYPERLINK("http://evil","x")'


def test_deqar_decisions_use_deqar_wording() -> None:
    approved = example_item(outcome="approved", conditions=[])
    rejected = example_item(outcome="rejected", conditions=[])
    assert [row["decision"] for row in deqar_rows([approved, rejected])] == ["positive", "negative"]


def test_deqar_open_ended_validity_is_empty() -> None:
    assert deqar_rows([example_item(valid_to=None)])[0]["valid_to"] is None
    assert deqar_csv([example_item(valid_to=None)]).split("\r\n")[1].split(",")[-3] == ""


def test_deqar_revise_and_resubmit_is_not_final() -> None:
    with pytest.raises(ExportError, match="'Revise and resubmit' is not a final decision"):
        deqar_rows([example_item(outcome="revise_and_resubmit")])
