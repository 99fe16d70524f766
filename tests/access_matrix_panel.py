"""Access matrix: The reviewer pool and panel composition (QA officers; reviewers edit their own profile)."""
from __future__ import annotations

from access_matrix import ADMIN, ASSIGNED_REVIEWER, DESIGNER, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ROUTES: dict[str, dict[str, frozenset[str]]] = {}
