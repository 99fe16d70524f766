"""Appeals, validity and expiry of approvals, their withdrawal, and periodic review."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_engine.db import db, utcnow
from qa_engine.domain import permissions, uploads
from qa_engine.domain.decisions import AppealOutcome
from qa_engine.domain.roles import Role
from qa_engine.forms.appeals import AppointForm, LodgeForm, OutcomeForm, WithdrawApprovalForm
from qa_engine.models import Appeal, Programme
from qa_engine.services import appeals, validity, workflow
from qa_engine.views.access import allow, roles
from qa_engine.views.programme_pages import conflict_page, send_attachment, uploads_dir, visible_programme

bp = Blueprint("appeals", __name__)
DESIGNERS = roles(Role.DESIGNER)
OVERSEERS = roles(Role.QA_OFFICER, Role.ADMIN)
OFFICERS = roles(Role.QA_OFFICER)
# Reviewers pass the role check; only those appointed to the appeal's panel get further (everyone else: 404).
APPEAL_READERS = roles(Role.QA_OFFICER, Role.ADMIN, Role.REVIEWER)
PAGE_SIZE = 50


def _limits() -> uploads.UploadLimits:
    return uploads.UploadLimits(current_app.config.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
                                appeals.MAX_DOCUMENTS)


def _owned(programme_id: int) -> Programme:
    """A programme of the signed-in designer's institution (404 for anyone else's)."""
    programme = visible_programme(programme_id)
    if not permissions.can_design_for(current_user.actor, provider_id=programme.provider_id):
        abort(404)
    return programme


def _appeal(appeal_id: int) -> Appeal:
    """An appeal the signed-in person may see (404 otherwise)."""
    return appeals.visible(db.session, appeal_id, current_user.actor) or abort(404)


def _to_programme(programme: Programme, message: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("proposals.overview", programme_id=programme.id))


# Lodging ------------------------------------------------------------------------------------------------------


def _lodge_page(programme: Programme, form: LodgeForm, status: int = 200) -> ResponseReturnValue:
    found = appeals.window(db.session, programme, today=utcnow().date(), days=appeals.window_days())
    return render_template("appeals/lodge.html", programme=programme, window=found, form=form), status


@bp.route("/programmes/<int:programme_id>/appeal", methods=["GET", "POST"])
@allow(DESIGNERS)
def lodge(programme_id: int) -> ResponseReturnValue:
    programme = _owned(programme_id)
    form = LodgeForm()
    if form.validate_on_submit():
        documents = [appeals.Document(item.filename or "", item.read(_limits().max_bytes + 1))
                     for item in form.uploaded()]
        try:
            appeals.lodge(db.session, programme, actor=current_user.user, grounds=form.grounds.data,
                          documents=documents, today=utcnow().date(), days=appeals.window_days(), limits=_limits(),
                          directory=uploads_dir())
        except appeals.NotAppealable:
            db.session.commit()  # keeps the refused attempt's audit entry; the page says why
            return _lodge_page(programme, form, 409)
        except uploads.FileRejected as error:
            db.session.rollback()
            form.documents.errors.append(str(error))
        else:
            return _to_programme(programme, _("Your appeal is lodged. The agency appoints a panel to consider it."))
    return _lodge_page(programme, form, 422 if request.method == "POST" else 200)


# Handling -----------------------------------------------------------------------------------------------------


@bp.route("/qa/appeals")
@allow(OVERSEERS)
def index() -> ResponseReturnValue:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    listing = appeals.listing(db.session, current_user.actor, page=page, per_page=PAGE_SIZE)
    return render_template("appeals/index.html", listing=listing)


def _case_page(appeal: Appeal, *, appoint_form: AppointForm | None = None, outcome_form: OutcomeForm | None = None,
               status: int = 200) -> ResponseReturnValue:
    case = appeals.case_of(db.session, appeal, current_user.actor)
    return render_template("appeals/show.html", case=case, appoint_form=appoint_form or AppointForm(),
                           outcome_form=outcome_form or OutcomeForm()), status


@bp.route("/qa/appeals/<int:appeal_id>")
@allow(APPEAL_READERS)
def show(appeal_id: int) -> ResponseReturnValue:
    return _case_page(_appeal(appeal_id))


@bp.route("/qa/appeals/<int:appeal_id>/documents/<int:number>")
@allow(APPEAL_READERS)
def document(appeal_id: int, number: int) -> ResponseReturnValue:
    attachment = appeals.document(db.session, _appeal(appeal_id), number) or abort(404)
    return send_attachment(attachment)


@bp.route("/qa/appeals/<int:appeal_id>/handlers", methods=["POST"])
@allow(OFFICERS)
def appoint(appeal_id: int) -> ResponseReturnValue:
    appeal = _appeal(appeal_id)
    form = AppointForm()
    if form.validate_on_submit():
        try:
            person = appeals.appoint(db.session, appeal, actor=current_user.user, person_id=int(form.person_id.data))
        except appeals.HandlerRefused as refused:
            db.session.commit()  # keeps the refused attempt's audit entry
            form.person_id.errors.append(_("This person may not sit on the appeal panel: %(reasons)s.",
                                           reasons="; ".join(refused.reasons)))
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            db.session.commit()
            flash(_("%(name)s is on the appeal panel.", name=person.full_name), "success")
            return redirect(url_for("appeals.show", appeal_id=appeal.id, _anchor="panel-heading"))
    return _case_page(appeal, appoint_form=form, status=422)


@bp.route("/qa/appeals/<int:appeal_id>/outcome", methods=["POST"])
@allow(APPEAL_READERS)
def record_outcome(appeal_id: int) -> ResponseReturnValue:
    appeal = _appeal(appeal_id)
    if not appeals.on_panel(current_user.actor, appeal):
        appeals.refuse_non_member(db.session, appeal, actor=current_user.user)
        db.session.commit()
        return render_template("errors/error.html", code=403, title=_("Not allowed"),
                               message=_("Only the members of the appeal panel record its outcome.")), 403
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            appeals.record_outcome(db.session, appeal, actor=current_user.user,
                                   outcome=AppealOutcome(form.outcome.data), reason=form.reason.data)
        except appeals.ReasonRequired as error:
            form.reason.errors.append(str(error))
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            db.session.commit()
            flash(_("The outcome is recorded and the provider is told."), "success")
            return redirect(url_for("appeals.show", appeal_id=appeal.id))
    return _case_page(appeal, outcome_form=form, status=422)


# The approval: withdrawal and periodic review -----------------------------------------------------------------


@bp.route("/qa/programmes/<int:programme_id>/withdraw-approval", methods=["GET", "POST"])
@allow(OFFICERS)
def withdraw_approval(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    form = WithdrawApprovalForm()
    if form.validate_on_submit():
        try:
            deadline = validity.withdraw_approval(db.session, programme, actor=current_user.user,
                                                  reason=form.reason.data, today=utcnow().date(),
                                                  appeal_days=appeals.window_days())
        except validity.ReasonRequired as error:
            form.reason.errors.append(str(error))
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _to_programme(programme, _("The approval is withdrawn. The provider may appeal until %(date)s.",
                                              date=deadline.isoformat()))
    summary = appeals.summary(db.session, programme, current_user.actor, today=utcnow().date(),
                              days=appeals.window_days())
    return render_template("appeals/withdraw.html", programme=programme, form=form, summary=summary,
                           appeal_days=appeals.window_days()), 422 if request.method == "POST" else 200


@bp.route("/programmes/<int:programme_id>/periodic-review", methods=["POST"])
@allow(DESIGNERS)
def periodic_review(programme_id: int) -> ResponseReturnValue:
    programme = _owned(programme_id)
    try:
        number = validity.start_periodic_review(db.session, programme, actor=current_user.user)
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    return _to_programme(programme, _("The periodic review has started: a new draft was opened from version "
                                      "%(n)d. The approval stands until it ends.", n=number))
