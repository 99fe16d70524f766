"""Access matrix: The public register of accredited micro-credentials and the exports of decisions."""
from __future__ import annotations

from access_matrix import ADMIN, DESIGNER, EVERYONE, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ROUTES: dict[str, dict[str, frozenset[str]]] = {}
