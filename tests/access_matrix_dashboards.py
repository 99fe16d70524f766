"""Access matrix: the QA office's dashboard and analytics (the designer's and reviewer's dashboards are the home
page, main.index, open to everyone).

QA officers and administrators read the dashboard and the analytics and export CSV; only QA officers send
reminders. The matrix run posts a CSRF token and no selection: the bulk actions answer 422 ("Select at least one
programme"), which counts as let through. The analytics CSV without a query string is the cost per programme
over the year up to today.
"""
from __future__ import annotations

from access_matrix import OFFICERS, QA_OFFICER

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "dashboards.officer": {"GET": OFFICERS},
    "dashboards.remind": {"POST": frozenset({QA_OFFICER})},
    "dashboards.export": {"POST": OFFICERS},
    "dashboards.analytics_page": {"GET": OFFICERS},
    "dashboards.analytics_csv": {"GET": OFFICERS},
}
