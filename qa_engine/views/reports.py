"""The PDF reports: the assessment report (internal, and for the applicant and the public), the decision letter,
the micro-credential description sheet and the QA office's period summary.

What a decision issued is served from its archive, byte for byte, after checking its SHA-256; drafts and the
internal rendering are rendered on demand. Designers read their programmes' applicant report once the draft was
sent to them, and the letters and reports of decisions in effect; the register's programmes have a public report
and description sheet; everything else is for QA officers and administrators.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_engine.db import db
from qa_engine.domain import permissions
from qa_engine.domain.roles import Role
from qa_engine.models import Decision, DecisionStatus, Programme
from qa_engine.reports.data import Audience
from qa_engine.services import analytics, decision_records, period_summary, report_archive, report_data
from qa_engine.services.report_archive import ArchiveError, Document
from qa_engine.views.access import PUBLIC, allow, roles
from qa_engine.views.programme_pages import visible_programme
from qa_engine.views.register import period_of  # the same reading of ?from=&to= as the marks CSV

bp = Blueprint("reports", __name__)
OVERSEERS = roles(Role.QA_OFFICER, Role.ADMIN)
READERS = roles(Role.DESIGNER, Role.QA_OFFICER, Role.ADMIN)


@bp.errorhandler(ArchiveError)
def _tampered(error: ArchiveError) -> ResponseReturnValue:
    """An archive that fails its check is never served, nor replaced by a fresh rendering."""
    current_app.logger.error("report archive check failed on %s: %s", request.path, error)
    message = _("The archived report failed its integrity check, so it is not served: %(reason)s. "
                "Tell the QA office; the archive must be restored from a backup.", reason=str(error))
    return render_template("errors/error.html", code=500, title=_("Report failed its integrity check"),
                           message=message), 500


def _pdf(build: Callable[[], bytes | None], name: str, *, public: bool = False) -> Response:
    """The PDF that `build` renders or reads, inline; 404 when there is nothing to report on."""
    try:
        content = build()
    except report_data.NotSubmitted:
        abort(404)
    if content is None:
        abort(404)
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


def _effective_decision(decision_id: int) -> Decision:
    """A decision that took effect (corrected since or not) that the signed-in person may read: designers of the
    provider and overseers; 404 for anyone else and for decisions that never took effect."""
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.status is not DecisionStatus.EFFECTIVE:
        abort(404)
    actor = current_user.actor
    if not (permissions.can_oversee_programmes(actor)
            or permissions.can_design_for(actor, provider_id=decision.programme.provider_id)):
        abort(404)
    return decision


def _accredited(programme_id: int) -> tuple[Programme, Decision]:
    """A programme in the register today and its decision in effect; 404 for any other."""
    found = db.session.execute(decision_records.accredited(date.today()).where(Programme.id == programme_id)).first()
    if found is None:
        abort(404)
    decision, programme = found
    return programme, decision


@bp.route("/qa/programmes/<int:programme_id>/report.pdf")
@allow(OVERSEERS)
def internal(programme_id: int) -> ResponseReturnValue:
    found = report_data.subject(db.session, visible_programme(programme_id))
    return _pdf(lambda: report_archive.assessment(db.session, found, Audience.INTERNAL, report_data.sources()),
                f"assessment-report-{programme_id}-internal.pdf")


@bp.route("/programmes/<int:programme_id>/report.pdf")
@allow(READERS)
def applicant(programme_id: int) -> ResponseReturnValue:
    found, given = report_data.subject(db.session, visible_programme(programme_id)), report_data.sources()
    decision = found.decision
    if decision is not None:
        return _pdf(lambda: report_archive.issued_or_rendered(db.session, decision, Document.ASSESSMENT, given),
                    f"assessment-report-{programme_id}.pdf")
    sent = found.review is not None and found.review.report_sent_at is not None
    if not (sent or permissions.can_oversee_programmes(current_user.actor)):
        abort(404)  # the provider reads the draft once it was sent to them
    return _pdf(lambda: report_archive.assessment(db.session, found, Audience.APPLICANT, given),
                f"assessment-report-{programme_id}-draft.pdf")


@bp.route("/decisions/<int:decision_id>/report.pdf")
@allow(READERS)
def decision_report(decision_id: int) -> ResponseReturnValue:
    decision = _effective_decision(decision_id)
    return _pdf(lambda: report_archive.issued_or_rendered(db.session, decision, Document.ASSESSMENT,
                                                          report_data.sources()),
                f"assessment-report-{decision.programme_id}-decision-{decision_id}.pdf")


@bp.route("/decisions/<int:decision_id>/letter.pdf")
@allow(READERS)
def letter(decision_id: int) -> ResponseReturnValue:
    decision = _effective_decision(decision_id)
    return _pdf(lambda: report_archive.issued_or_rendered(db.session, decision, Document.LETTER,
                                                          report_data.sources()),
                f"decision-letter-{decision.programme_id}-{decision_id}.pdf")


@bp.route("/register/<int:decided_programme_id>/report.pdf")
@allow(PUBLIC)
def public_report(decided_programme_id: int) -> ResponseReturnValue:
    _, decision = _accredited(decided_programme_id)
    return _pdf(lambda: report_archive.issued_or_rendered(db.session, decision, Document.ASSESSMENT,
                                                          report_data.sources()),
                f"assessment-report-{decided_programme_id}.pdf", public=True)


@bp.route("/register/<int:decided_programme_id>/sheet.pdf")
@allow(PUBLIC)
def public_sheet(decided_programme_id: int) -> ResponseReturnValue:
    programme, decision = _accredited(decided_programme_id)
    return _pdf(lambda: report_archive.sheet(db.session, programme, decision, report_data.sources()),
                f"micro-credential-{decided_programme_id}.pdf", public=True)


@bp.route("/qa/programmes/<int:programme_id>/sheet.pdf")
@allow(OVERSEERS)
def sheet(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    decision = report_data.subject(db.session, programme).decision
    return _pdf(lambda: report_archive.sheet(db.session, programme, decision, report_data.sources()),
                f"micro-credential-{programme_id}.pdf")


@bp.route("/qa/reports/summary.pdf")
@allow(OVERSEERS)
def summary() -> ResponseReturnValue:
    period = period_of(request.args)
    if isinstance(period, str):
        return render_template("errors/error.html", code=400, title=_("Which period?"), message=period), 400
    start, end = period
    costs = analytics.cost_settings(current_app.config)
    given = report_data.sources()
    return _pdf(lambda: period_summary.pdf(db.session, start=start, end=end, today=given.today,
                                           vocabularies=given.vocabularies, costs=costs,
                                           branding=given.report.branding),
                f"period-summary-{start.isoformat()}-{end.isoformat()}.pdf")
