"""Access matrix: Accreditation decisions (four eyes, corrections) and the follow-up of their conditions.

In the world under test the programme under review (`programme_id`) waits for no decision: officers and
administrators read its decision page, and the QA officer's post answers 409; its conditions page says there
are none (200 for its designer, officers and administrators). On the second programme of the designer's
institution, approved with one condition (`decision_id`, `condition_id`), the QA officer's confirm
answers 409 (the decision is in effect already), declining, correcting and judging answer 422 (no reason, no
terms, no verdict), the correction form 200; the designer reads the decision and submitting evidence answers 422
(no text). Reviewers never see decisions (403).
"""
from __future__ import annotations

from access_matrix import ADMIN, DESIGNER, EVERYONE, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

READERS = frozenset({DESIGNER, QA_OFFICER, ADMIN})

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "decisions.case": {"GET": OFFICERS},
    "decisions.decide": {"POST": frozenset({QA_OFFICER})},
    "decisions.confirm": {"POST": frozenset({QA_OFFICER})},
    "decisions.decline": {"POST": frozenset({QA_OFFICER})},
    "decisions.correct": {"GET": frozenset({QA_OFFICER}), "POST": frozenset({QA_OFFICER})},
    "decisions.show": {"GET": READERS},
    "decisions.conditions_page": {"GET": READERS},
    "decisions.submit_evidence": {"POST": frozenset({DESIGNER})},
    "decisions.judge": {"POST": frozenset({QA_OFFICER})},
    "decisions.open_conditions": {"GET": OFFICERS},
}

