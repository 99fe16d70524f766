"""Access matrix: Accreditation decisions (four eyes, corrections) and the follow-up of their conditions."""
from __future__ import annotations

from access_matrix import ADMIN, DESIGNER, EVERYONE, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ROUTES: dict[str, dict[str, frozenset[str]]] = {}
