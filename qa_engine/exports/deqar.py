"""DEQAR-shaped records of decisions, as JSON or as CSV ready for an agency's batch upload.

One row per decided programme with the report fields DEQAR asks for (EQAR deqar-docs, report_data.md).
Decisions use DEQAR's wording; a "revise and resubmit" is not final, and DEQAR records final decisions only.
"""

from __future__ import annotations

import csv
import io
import json

from qa_engine.domain.outcomes import Outcome
from qa_engine.exports.records import ExportError, ExportItem, csv_cell, number

DEQAR_DECISIONS = {
    Outcome.APPROVED: "positive",
    Outcome.APPROVED_WITH_CONDITIONS: "positive with conditions or restrictions",
    Outcome.REJECTED: "negative",
}
FIELDS = (
    "agency", "agency_deqar_id", "programme_name", "programme_code", "provider", "provider_id", "country",
    "eqf_level", "nqf_level", "ects", "decision", "decided_on", "valid_from", "valid_to", "report_url",
    "programme_uri",
)


def deqar_rows(items: list[ExportItem]) -> list[dict]:
    """One DEQAR report record per item, keyed by `FIELDS`.

    :raises ExportError: for a decision that is not final (revise and resubmit).
    """
    return [_row(item) for item in items]


def _row(item: ExportItem) -> dict:
    p, d = item.proposal, item.decision
    if d.outcome not in DEQAR_DECISIONS:
        raise ExportError(f"programme {d.programme_id}: '{d.outcome.label}' is not a final decision; "
                          "DEQAR records final decisions only")
    return {
        "agency": item.agency.name,
        "agency_deqar_id": item.agency.deqar_id,
        "programme_name": p.identification.title,
        "programme_code": p.identification.internal_code,
        "provider": p.awarding_body.name,
        "provider_id": p.awarding_body.identifier,
        "country": p.awarding_body.country,
        "eqf_level": p.level.eqf_level,
        "nqf_level": p.level.nqf_level,
        "ects": number(p.level.ects) if p.level.ects is not None else None,
        "decision": DEQAR_DECISIONS[d.outcome],
        "decided_on": d.decided_on.isoformat(),
        "valid_from": d.valid_from.isoformat(),
        "valid_to": d.valid_to.isoformat() if d.valid_to else None,
        "report_url": d.report_url,
        "programme_uri": item.programme_uri,
    }


def deqar_json(items: list[ExportItem]) -> str:
    """The DEQAR records as a JSON array (UTF-8 text, ending in a newline)."""
    return json.dumps(deqar_rows(items), indent=2, ensure_ascii=False) + "\n"


def deqar_csv(items: list[ExportItem]) -> str:
    """The DEQAR records as RFC 4180 CSV with a header row; cells a spreadsheet would run as formulas are defused."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in deqar_rows(items):
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    return buffer.getvalue()

