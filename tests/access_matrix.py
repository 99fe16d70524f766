"""Who may use each route: the declared matrix that test_access_matrix checks every route against.

Each endpoint maps each HTTP method to the principals allowed to use it. Everyone else is refused:
anonymous visitors (and deactivated users, whose old sessions are dead) are sent to sign in; signed-in
people without the right get 403 or 404. Each area of the review workflow declares its routes in its own
module (access_matrix_<area>.py), merged here.

The reviewers of the world under test (tests/test_access_matrix.py) all stand in a different relation to
the one programme under review: the assigned reviewer accepted and signed the declaration; the unassigned
one was never invited; the removed one was taken off the panel; the conflicted one declared a conflict of
interest with the provider. URL arguments such as assignment_id resolve to each principal's own seat.
"""
from __future__ import annotations

ANONYMOUS = "anonymous"
ADMIN = "admin"
QA_OFFICER = "qa_officer"
DESIGNER = "designer"
ASSIGNED_REVIEWER = "assigned_reviewer"
UNASSIGNED_REVIEWER = "unassigned_reviewer"
REMOVED_REVIEWER = "removed_reviewer"
CONFLICTED_REVIEWER = "conflicted_reviewer"
DEACTIVATED = "deactivated"

REVIEWERS = frozenset({ASSIGNED_REVIEWER, UNASSIGNED_REVIEWER, REMOVED_REVIEWER, CONFLICTED_REVIEWER})
PRINCIPALS = (ANONYMOUS, ADMIN, QA_OFFICER, DESIGNER, *sorted(REVIEWERS), DEACTIVATED)
SIGNED_IN = frozenset({ADMIN, QA_OFFICER, DESIGNER, *REVIEWERS})
EVERYONE = frozenset(PRINCIPALS)
ADMINS = frozenset({ADMIN})
OFFICERS = frozenset({ADMIN, QA_OFFICER})

MATRIX: dict[str, dict[str, frozenset[str]]] = {
    "static": {"GET": EVERYONE},
    "main.index": {"GET": EVERYONE},
    "main.health": {"GET": EVERYONE},
    "auth.login": {"GET": EVERYONE, "POST": EVERYONE},
    "auth.logout": {"POST": SIGNED_IN},
    "auth.accept_invitation": {"GET": EVERYONE, "POST": EVERYONE},
    "auth.change_password": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "admin.user_list": {"GET": ADMINS},
    "admin.user_new": {"GET": ADMINS, "POST": ADMINS},
    "admin.user_edit": {"GET": ADMINS, "POST": ADMINS},
    "admin.user_invite": {"POST": ADMINS},
    "admin.user_set_active": {"POST": ADMINS},
    "admin.institutions": {"GET": ADMINS, "POST": ADMINS},
    "admin.audit_log": {"GET": ADMINS},
    "admin.audit_verify": {"POST": ADMINS},
    # Reference data: rubrics and frameworks
    "catalogue.index": {"GET": OFFICERS},
    "catalogue.rubric": {"GET": OFFICERS},
    "catalogue.eqf": {"GET": OFFICERS},
    "catalogue.nqf": {"GET": OFFICERS},
    # Programme proposals (object checks inside: another institution's programmes answer 404)
    "proposals.index": {"GET": frozenset({DESIGNER, QA_OFFICER, ADMIN})},
    "proposals.new": {"GET": frozenset({DESIGNER}), "POST": frozenset({DESIGNER})},
    "proposals.import_elm": {"POST": frozenset({DESIGNER})},
    "proposals.overview": {"GET": frozenset({DESIGNER, QA_OFFICER, ADMIN})},
    "proposals.edit_section": {"GET": frozenset({DESIGNER}), "POST": frozenset({DESIGNER})},
    "proposals.submit": {"POST": frozenset({DESIGNER})},
    "proposals.withdraw": {"POST": frozenset({DESIGNER})},
    "proposals.revision": {"POST": frozenset({DESIGNER})},
    "proposals.version": {"GET": frozenset({DESIGNER, QA_OFFICER, ADMIN})},
    "proposals.compare": {"GET": frozenset({DESIGNER, QA_OFFICER, ADMIN})},
    "proposals.attachment_upload": {"GET": frozenset({DESIGNER}), "POST": frozenset({DESIGNER})},
    "proposals.attachment_download": {"GET": frozenset({DESIGNER, QA_OFFICER, ADMIN})},
    "proposals.attachment_delete": {"POST": frozenset({DESIGNER})},
    # Screening by the QA officer: administrators read the queue, only QA officers act. The matrix run posts
    # with a CSRF token and no comment; a refusal by state (409) or by form (422) still counts as let through.
    "screening.queue": {"GET": OFFICERS},
    "screening.take": {"POST": frozenset({QA_OFFICER})},
    "screening.accept": {"POST": frozenset({QA_OFFICER})},
    "screening.return_to_designer": {"POST": frozenset({QA_OFFICER})},
}


def _merge() -> None:
    from access_matrix_appeals import ROUTES as APPEALS
    from access_matrix_consolidation import ROUTES as CONSOLIDATION
    from access_matrix_dashboards import ROUTES as DASHBOARDS
    from access_matrix_decisions import ROUTES as DECISIONS
    from access_matrix_panel import ROUTES as PANEL
    from access_matrix_register import ROUTES as REGISTER
    from access_matrix_reports import ROUTES as REPORTS
    from access_matrix_reviewing import ROUTES as REVIEWING

    for area in (PANEL, REVIEWING, CONSOLIDATION, DECISIONS, APPEALS, REGISTER, REPORTS, DASHBOARDS):
        clash = set(area) & set(MATRIX)
        assert not clash, f"declared twice: {sorted(clash)}"
        MATRIX.update(area)


_merge()
