"""Access matrix: Appeals, validity and expiry of approvals, their withdrawal, and periodic review."""
from __future__ import annotations

from access_matrix import ADMIN, DESIGNER, EVERYONE, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ROUTES: dict[str, dict[str, frozenset[str]]] = {}
