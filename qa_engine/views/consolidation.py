"""Consolidation of the reviews, the draft panel report and the provider's response."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_engine import catalogue
from qa_engine.db import db, utcnow
from qa_engine.domain.roles import Role
from qa_engine.forms import consolidation as forms
from qa_engine.models import Programme
from qa_engine.services import consolidation, reviews, workflow
from qa_engine.services.proposals import NotAllowed
from qa_engine.views.access import allow, roles
from qa_engine.views.programme_pages import conflict_page

bp = Blueprint("consolidation", __name__)
# Reviewers pass the role check; only the round's panel chair gets further (everyone else: 404).
BOARD_READERS = roles(Role.QA_OFFICER, Role.ADMIN, Role.REVIEWER)
CONSOLIDATORS = roles(Role.QA_OFFICER, Role.REVIEWER)  # administrators read the board but record nothing
OFFICERS = roles(Role.QA_OFFICER)
REPORT_READERS = roles(Role.DESIGNER, Role.QA_OFFICER, Role.ADMIN)
DESIGNERS = roles(Role.DESIGNER)


def _programme(programme_id: int) -> Programme:
    """The programme; who may see what of it, the services decide (404 when they refuse)."""
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    return programme


def _done(endpoint: str, programme: Programme, message: str, anchor: str | None = None) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, programme_id=programme.id, _anchor=anchor))


def _board_page(programme: Programme, posted: forms.ConsensusForm | None = None, posted_for: str = "",
                status: int = 200) -> ResponseReturnValue:
    try:
        board = consolidation.board(db.session, programme, actor=current_user.actor,
                                    settings=reviews.current_settings(), registry=catalogue.current().rubrics)
    except NotAllowed:
        abort(404)
    consensus_forms, stray = forms.consensus_forms(board, posted, posted_for)
    return render_template("consolidation/board.html", board=board, programme=programme, forms=consensus_forms,
                           stray=stray), status


def _report_page(programme: Programme, form: forms.ResponseForm | None = None,
                 status: int = 200) -> ResponseReturnValue:
    try:
        report = consolidation.report(db.session, programme, actor=current_user.actor,
                                      settings=reviews.current_settings(), registry=catalogue.current().rubrics,
                                      today=utcnow().date())
    except NotAllowed:
        abort(404)
    return render_template("consolidation/report.html", report=report, programme=programme,
                           form=form or forms.ResponseForm()), status


@bp.route("/qa/programmes/<int:programme_id>/consolidation")
@allow(BOARD_READERS)
def board(programme_id: int) -> ResponseReturnValue:
    return _board_page(_programme(programme_id))


@bp.route("/qa/programmes/<int:programme_id>/consolidation/consensus", methods=["POST"])
@allow(CONSOLIDATORS)
def record_consensus(programme_id: int) -> ResponseReturnValue:
    programme = _programme(programme_id)
    criterion_id = forms.posted_criterion()
    form = forms.ConsensusForm(prefix=criterion_id)
    if form.validate_on_submit():
        try:
            consolidation.record_consensus(db.session, programme, actor=current_user.user, criterion_id=criterion_id,
                                           value=form.mark, reason=form.reason.data,
                                           registry=catalogue.current().rubrics)
        except NotAllowed:
            abort(404)
        except consolidation.InvalidConsensus as error:
            form.add_error(error.field, error.message)
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _done("consolidation.board", programme,
                         _("The panel's consensus on %(criterion)s is recorded.", criterion=criterion_id),
                         anchor=f"criterion-{criterion_id}")
    return _board_page(programme, form, criterion_id, status=422)


@bp.route("/qa/programmes/<int:programme_id>/consolidation/send", methods=["POST"])
@allow(OFFICERS)
def send_report(programme_id: int) -> ResponseReturnValue:
    programme = _programme(programme_id)
    try:
        consolidation.send_report(db.session, programme, actor=current_user.user, settings=reviews.current_settings(),
                                  registry=catalogue.current().rubrics, now=utcnow())
    except NotAllowed:
        abort(404)
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    return _done("consolidation.report", programme, _("The draft panel report was sent to the provider."))


@bp.route("/programmes/<int:programme_id>/report")
@allow(REPORT_READERS)
def report(programme_id: int) -> ResponseReturnValue:
    return _report_page(_programme(programme_id))


@bp.route("/programmes/<int:programme_id>/report/respond", methods=["POST"])
@allow(DESIGNERS)
def respond(programme_id: int) -> ResponseReturnValue:
    programme = _programme(programme_id)
    form = forms.ResponseForm()
    if form.validate_on_submit():
        try:
            consolidation.respond(db.session, programme, actor=current_user.user, text=form.response.data,
                                  settings=reviews.current_settings(), today=utcnow().date())
        except NotAllowed:
            abort(404)
        except consolidation.ResponseRequired as error:
            form.response.errors.append(str(error))
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _done("consolidation.report", programme, _("Your response was sent."))
    return _report_page(programme, form, status=422)


@bp.route("/qa/programmes/<int:programme_id>/report/close", methods=["POST"])
@allow(OFFICERS)
def close_window(programme_id: int) -> ResponseReturnValue:
    programme = _programme(programme_id)
    try:
        consolidation.close_window(db.session, programme, actor=current_user.user,
                                   settings=reviews.current_settings(), today=utcnow().date())
    except NotAllowed:
        abort(404)
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    return _done("consolidation.report", programme, _("The response window is closed; the decision may be taken."))
