"""The committee's table of marks: one row per programme decided in a period, one column per rubric criterion.

Each cell is the panel's consolidated mark of the round decided on: the consensus where the panel agreed
one, else the mean of the submitted reviews. "N/A" is a criterion the panel held not applicable; an empty
cell is a criterion nobody marked, or one that is not in the rubric that round was pinned to.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from qa_engine.domain.outcomes import Outcome
from qa_engine.exports.records import csv_cell

FIXED_COLUMNS = ("programme_id", "programme", "provider", "decision", "decided_on", "rubric", "reviews",
                 "overall_score", "recommended_outcome")


@dataclass(frozen=True)
class MarksRow:
    """A decided programme and the consolidated marks of its round (`values`: criterion id -> mark, None N/A)."""

    programme_id: int
    title: str
    provider: str
    outcome: Outcome
    decided_on: date | None
    rubric_key: str = ""
    reviews: int = 0
    overall: float | None = None
    recommended: Outcome | None = None
    values: Mapping[str, float | None] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class MarksTable:
    """The rows, and the criterion columns: every criterion of the rubrics used, in rubric order."""

    criteria: tuple[str, ...]
    rows: Sequence[MarksRow]


def marks_csv(table: MarksTable) -> str:
    """The table as RFC 4180 CSV with a header row; cells a spreadsheet would run as formulas are defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*FIXED_COLUMNS, *table.criteria])
    for row in table.rows:
        fixed = (row.programme_id, row.title, row.provider, row.outcome.value,
                 row.decided_on.isoformat() if row.decided_on else None, row.rubric_key, row.reviews,
                 _mark(row.overall), row.recommended.value if row.recommended else None)
        marks = (_mark(row.values[cid]) if row.values.get(cid) is not None else
                 "N/A" if cid in row.values else None for cid in table.criteria)
        writer.writerow([csv_cell(value) for value in (*fixed, *marks)])
    return buffer.getvalue()


def _mark(value: float | None) -> str | None:
    """2.67, 3 or 2.5: two decimals at most, no trailing zeros."""
    return None if value is None else f"{value:.2f}".rstrip("0").rstrip(".")
