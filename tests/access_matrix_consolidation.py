"""Access matrix: Consolidation, the draft panel report and the provider's response.

In the world under test the programme is still in review and no reviewer chairs the panel: officers and
administrators read the "not all in yet" consolidation page and the "not sent yet" report; the assigned
reviewer, a plain panel member, gets 404 on the consolidation like every other reviewer. Posts answer 409 or
422 for the people allowed to make them.
"""
from __future__ import annotations

from access_matrix import ADMIN, ASSIGNED_REVIEWER, DESIGNER, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "consolidation.board": {"GET": OFFICERS},
    "consolidation.record_consensus": {"POST": frozenset({QA_OFFICER})},
    "consolidation.send_report": {"POST": frozenset({QA_OFFICER})},
    "consolidation.report": {"GET": frozenset({DESIGNER, QA_OFFICER, ADMIN})},
    "consolidation.respond": {"POST": frozenset({DESIGNER})},
    "consolidation.close_window": {"POST": frozenset({QA_OFFICER})},
}
