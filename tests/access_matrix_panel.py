"""Access matrix: The reviewer pool and panel composition (QA officers; reviewers edit their own profile).

Administrators read the pool, reviewer profiles and panels; only QA officers change them. The matrix run
posts a CSRF token and nothing else: every change then fails form validation (422, no change) or, for
closing the review, the panel's state (409), so the world stays as built for the other routes.
"""
from __future__ import annotations

from access_matrix import ADMIN, ASSIGNED_REVIEWER, DESIGNER, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

ONLY_OFFICER = frozenset({QA_OFFICER})

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "panel.pool": {"GET": OFFICERS},
    "panel.reviewer_profile": {"GET": OFFICERS},
    "panel.save_reviewer_profile": {"POST": ONLY_OFFICER},
    "panel.my_profile": {"GET": REVIEWERS, "POST": REVIEWERS},
    "panel.declare_conflict": {"POST": REVIEWERS},
    "panel.withdraw_conflict": {"POST": REVIEWERS},
    "panel.panel_page": {"GET": OFFICERS},
    "panel.invite": {"POST": ONLY_OFFICER},
    "panel.remove": {"GET": ONLY_OFFICER, "POST": ONLY_OFFICER},
    "panel.replace": {"GET": ONLY_OFFICER, "POST": ONLY_OFFICER},
    "panel.make_chair": {"POST": ONLY_OFFICER},
    "panel.set_due_date": {"POST": ONLY_OFFICER},
    "panel.close_review": {"POST": ONLY_OFFICER},
}
