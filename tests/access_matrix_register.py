"""Access matrix: The public register of accredited micro-credentials and the exports of decisions.

The register and its exports are public: everyone, signed in or not, reads them. An entry and its exports take
`decided_programme_id`, the world's second programme (approved with a condition, in the register today); the
programme under review would be a 404 for everyone. The committee's marks are for QA officers and
administrators (without a period, the matrix run gets the 400 that asks for one).
"""
from __future__ import annotations

from access_matrix import ADMIN, DESIGNER, EVERYONE, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "register.index": {"GET": EVERYONE},
    "register.entry": {"GET": EVERYONE},
    "register.ob3": {"GET": EVERYONE},
    "register.elm": {"GET": EVERYONE},
    "register.deqar_csv": {"GET": EVERYONE},
    "register.deqar_json": {"GET": EVERYONE},
    "register.marks_csv": {"GET": OFFICERS},
}
