"""Who may use each route: the declared matrix that test_access_matrix checks every route against.

Each endpoint maps each HTTP method to the principals allowed to use it. Everyone else is refused:
anonymous visitors (and deactivated users, whose old sessions are dead) are sent to sign in; signed-in
people without the right get 403 or 404. Later issues add their routes and principals here.
"""
ANONYMOUS = "anonymous"
ADMIN = "admin"
QA_OFFICER = "qa_officer"
REVIEWER = "reviewer"
DESIGNER = "designer"
DEACTIVATED = "deactivated"

PRINCIPALS = (ANONYMOUS, ADMIN, QA_OFFICER, REVIEWER, DESIGNER, DEACTIVATED)
SIGNED_IN = frozenset({ADMIN, QA_OFFICER, REVIEWER, DESIGNER})
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
