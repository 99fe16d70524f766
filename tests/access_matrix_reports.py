"""Access matrix: PDF reports (assessment report, decision letter, description sheet, period summary).

In the world under test the programme under review (`programme_id`) has no submitted review and its draft report
was not sent: officers and administrators get its internal and applicant reports and its description sheet; its
designer's applicant report is a 404 until the draft goes out. The decided programme's decision (`decision_id`,
approved with a condition, no review round, no archive yet) gives its designer, officers and administrators the
report and the letter (rendered on demand); its register report and description sheet are public
(`decided_programme_id`). The period summary without a period answers 400 to officers and administrators.
Reviewers never read reports (403).
"""
from __future__ import annotations

from access_matrix import ADMIN, DESIGNER, EVERYONE, OFFICERS, QA_OFFICER, REVIEWERS  # noqa: F401

READERS = frozenset({DESIGNER, QA_OFFICER, ADMIN})

ROUTES: dict[str, dict[str, frozenset[str]]] = {
    "reports.internal": {"GET": OFFICERS},
    "reports.applicant": {"GET": OFFICERS},
    "reports.decision_report": {"GET": READERS},
    "reports.letter": {"GET": READERS},
    "reports.public_report": {"GET": EVERYONE},
    "reports.public_sheet": {"GET": EVERYONE},
    "reports.sheet": {"GET": OFFICERS},
    "reports.summary": {"GET": OFFICERS},
}
