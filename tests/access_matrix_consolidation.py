"""Access matrix: Consolidation, the draft panel report and the provider's response."""
from __future__ import annotations

from access_matrix import ADMIN, ASSIGNED_REVIEWER, DESIGNER, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ROUTES: dict[str, dict[str, frozenset[str]]] = {}
