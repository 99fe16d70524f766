"""Access matrix: The reviewer's own work: invitations, the declaration, the scoring form, the documents."""
from __future__ import annotations

from access_matrix import ADMIN, ASSIGNED_REVIEWER, DESIGNER, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "reviewing.invitation": {"GET": REVIEWERS},
}
