"""The designer's pages: programmes, their draft sections, screening, submission, versions and attachments."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_engine.db import db, utcnow
from qa_engine.domain import permissions, uploads
from qa_engine.domain.proposal import AttachmentKind, ProposalFormatError
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.exports.elm_import import ElmImportError
from qa_engine.forms import proposal as forms
from qa_engine.forms.screening import ReturnForm
from qa_engine.models import Attachment, Programme
from qa_engine.services import appeals, attachments, conditions, proposals, reviews, timeline, workflow
from qa_engine.services import screening as screening_service
from qa_engine.services.programmes import visible_programmes
from qa_engine.views.access import allow, roles
from qa_engine.views.programme_pages import conflict_page, send_attachment, uploads_dir, visible_programme

bp = Blueprint("proposals", __name__, url_prefix="/programmes")
DESIGNERS = roles(Role.DESIGNER)
READERS = roles(Role.DESIGNER, Role.QA_OFFICER, Role.ADMIN)


@bp.app_template_filter("fromjson")
def _from_json(text: str) -> Any:
    return json.loads(text)


@bp.app_template_filter("state_label")
def _state_label(value: str) -> str:
    return State(value).label


def _owned(programme_id: int) -> Programme:
    """A programme of the signed-in designer's institution (404 for anyone else's)."""
    programme = visible_programme(programme_id)
    if not permissions.can_design_for(current_user.actor, provider_id=programme.provider_id):
        abort(404)
    return programme


def _editable(programme_id: int) -> Programme:
    """A draft the signed-in designer may edit; 404 for strangers, 409 when it is no longer a draft."""
    programme = _owned(programme_id)
    if not permissions.can_edit_programme(current_user.actor, provider_id=programme.provider_id,
                                          state=State(programme.state)):
        abort(409)
    return programme


def _settings() -> proposals.ScreeningSettings:
    return proposals.ScreeningSettings(current_app.config.get("SCREENING") or {}, proposals.reference_data(),
                                       utcnow().date())


def _limits() -> uploads.UploadLimits:
    config = current_app.config
    return uploads.UploadLimits(config.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
                                config.get("ATTACHMENT_MAX_FILES", 20))


@bp.route("/")
@allow(READERS)
def index() -> ResponseReturnValue:
    query = visible_programmes(current_user.actor).order_by(Programme.updated_at.desc(), Programme.id.desc())
    return render_template("proposals/index.html", programmes=list(db.session.scalars(query.limit(200))),
                           import_form=forms.ElmImportForm())


@bp.route("/new", methods=["GET", "POST"])
@allow(DESIGNERS)
def new() -> ResponseReturnValue:
    form = forms.NewProgrammeForm()
    if form.validate_on_submit():
        programme = proposals.create_draft(db.session, actor=current_user.user,
                                           data={"identification": {"title": form.title.data.strip()}})
        db.session.commit()
        return redirect(url_for("proposals.edit_section", programme_id=programme.id, section="identification"))
    return render_template("proposals/new.html", form=form)


@bp.route("/import", methods=["POST"])
@allow(DESIGNERS)
def import_elm() -> ResponseReturnValue:
    form = forms.ElmImportForm()
    if form.validate_on_submit():
        try:
            document = json.loads(form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"]))
            if not isinstance(document, dict):
                raise ElmImportError("the document must be a JSON object")
            programme, notes = proposals.import_elm(db.session, actor=current_user.user, document=document)
        except (ValueError, RecursionError) as error:  # JSON, encoding, ELM and proposal format errors
            db.session.rollback()
            form.file.errors.append(_("This file cannot be imported: %(reason)s", reason=str(error)[:300]))
        else:
            db.session.commit()
            flash(_("Imported as a new draft."), "success")
            for note in notes[:50]:
                flash(_("Not imported: %(note)s", note=note), "warning")
            return redirect(url_for("proposals.overview", programme_id=programme.id))
    query = visible_programmes(current_user.actor).order_by(Programme.updated_at.desc(), Programme.id.desc())
    return render_template("proposals/index.html", programmes=list(db.session.scalars(query.limit(200))),
                           import_form=form), 422


@bp.route("/<int:programme_id>")
@allow(READERS)
def overview(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    return _overview(programme)


def _overview(programme: Programme, blocked: proposals.SubmissionBlocked | None = None) -> ResponseReturnValue:
    today = date.today()
    is_draft = State(programme.state) is State.DRAFT
    versions = proposals.programme_versions(programme)
    screening = (proposals.screen_draft(db.session, programme, _settings()).to_dict() if is_draft
                 else json.loads(versions[-1].screening) if versions else None)
    return render_template(
        "proposals/overview.html", programme=programme, state=State(programme.state), versions=versions,
        screening=screening, live=is_draft, timeline=timeline.timeline(db.session, programme, current_user.actor),
        files=attachments.draft_attachments(db.session, programme) if is_draft else [],
        sections=forms.SECTIONS, blocked=blocked, returned=screening_service.last_return(db.session, programme),
        return_form=ReturnForm(), review=reviews.current_round(db.session, programme.id),
        decision=conditions.summary(db.session, programme.id, today=today),
        appeal_summary=appeals.summary(db.session, programme, current_user.actor, today=today,
                                       days=appeals.window_days()),
    ), 422 if blocked else 200


@bp.route("/<int:programme_id>/sections/<section>", methods=["GET", "POST"])
@allow(DESIGNERS)
def edit_section(programme_id: int, section: str) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    if section not in forms.BY_SLUG:
        abort(404)
    if not permissions.can_edit_programme(current_user.actor, provider_id=programme.provider_id,
                                          state=State(programme.state)):
        flash(_("Only drafts can be edited."), "error")
        return redirect(url_for("proposals.overview", programme_id=programme.id))
    current = forms.BY_SLUG[section]
    draft = proposals.working_data(programme)
    form = forms.section_form(current, None if request.method == "POST" else draft)
    if request.method == "POST" and forms.row_button(form, request.form):
        return render_template("proposals/section.html", programme=programme, section=current, form=form,
                               sections=forms.SECTIONS)
    if form.validate_on_submit():
        try:
            proposals.save_section(db.session, programme, forms.payload(form), actor=current_user.user)
        except ProposalFormatError as error:
            db.session.rollback()
            form.form_errors.extend(error.errors)
        else:
            db.session.commit()
            flash(_("Saved “%(section)s”.", section=current.title), "success")
            return redirect(url_for("proposals.edit_section", programme_id=programme.id, section=section))
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/section.html", programme=programme, section=current, form=form,
                           sections=forms.SECTIONS), status


@bp.route("/<int:programme_id>/submit", methods=["POST"])
@allow(DESIGNERS)
def submit(programme_id: int) -> ResponseReturnValue:
    programme = _owned(programme_id)
    try:
        version = proposals.submit(db.session, programme, actor=current_user.user, settings=_settings())
    except proposals.SubmissionBlocked as blocked:
        db.session.commit()  # keeps the audit entry of the blocked attempt
        return _overview(programme, blocked)
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    db.session.commit()
    flash(_("Submitted as version %(n)d.", n=version.number), "success")
    return redirect(url_for("proposals.overview", programme_id=programme.id))


@bp.route("/<int:programme_id>/withdraw", methods=["POST"])
@allow(DESIGNERS)
def withdraw(programme_id: int) -> ResponseReturnValue:
    programme = _owned(programme_id)
    try:
        proposals.withdraw(db.session, programme, actor=current_user.user,
                           comment=request.form.get("comment", "")[:500] or None)
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    db.session.commit()
    flash(_("The programme is withdrawn."), "success")
    return redirect(url_for("proposals.overview", programme_id=programme.id))


@bp.route("/<int:programme_id>/revision", methods=["POST"])
@allow(DESIGNERS)
def revision(programme_id: int) -> ResponseReturnValue:
    programme = _owned(programme_id)
    try:
        proposals.start_revision(db.session, programme, actor=current_user.user)
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    db.session.commit()
    flash(_("A new draft was opened from version %(n)d.", n=programme.current_version), "success")
    return redirect(url_for("proposals.overview", programme_id=programme.id))


@bp.route("/<int:programme_id>/versions/<int:number>")
@allow(READERS)
def version(programme_id: int, number: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    found = proposals.get_version(db.session, programme, number) or abort(404)
    return render_template("proposals/version.html", programme=programme, version=found,
                           content=json.loads(found.content), screening=json.loads(found.screening),
                           files=attachments.by_sha256(db.session, programme))


@bp.route("/<int:programme_id>/compare")
@allow(READERS)
def compare(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    a = request.args.get("a", 1, type=int)
    b = request.args.get("b", programme.current_version, type=int)
    changes = proposals.compare(db.session, programme, a, b)
    if changes is None:
        abort(404)
    return render_template("proposals/compare.html", programme=programme, a=a, b=b, changes=changes,
                           versions=proposals.programme_versions(programme))


@bp.route("/<int:programme_id>/attachments", methods=["GET", "POST"])
@allow(DESIGNERS)
def attachment_upload(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    if not permissions.can_edit_programme(current_user.actor, provider_id=programme.provider_id,
                                          state=State(programme.state)):
        flash(_("Attachments can be changed on drafts only."), "error")
        return redirect(url_for("proposals.overview", programme_id=programme.id))
    form = forms.AttachmentForm()
    if form.validate_on_submit():
        try:
            attachments.upload(db.session, programme, actor=current_user.user, filename=form.file.data.filename or "",
                               content=form.file.data.read(_limits().max_bytes + 1),
                               kind=AttachmentKind(form.kind.data), description=form.description.data.strip(),
                               limits=_limits(), directory=uploads_dir())
        except attachments.FileRejected as error:
            db.session.rollback()
            form.file.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Attached %(name)s.", name=form.file.data.filename), "success")
            return redirect(url_for("proposals.attachment_upload", programme_id=programme.id))
    return render_template("proposals/attachments.html", programme=programme, form=form, sections=forms.SECTIONS,
                           files=attachments.draft_attachments(db.session, programme),
                           limits=_limits()), 422 if form.errors else 200


def _attachment(programme: Programme, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.programme_id != programme.id:
        abort(404)
    return attachment


@bp.route("/<int:programme_id>/attachments/<int:attachment_id>")
@allow(READERS)
def attachment_download(programme_id: int, attachment_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    if not permissions.can_download_attachment(current_user.actor, provider_id=programme.provider_id,
                                               state=State(programme.state)):
        abort(404)
    attachment = _attachment(programme, attachment_id)
    return send_attachment(attachment)


@bp.route("/<int:programme_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@allow(DESIGNERS)
def attachment_delete(programme_id: int, attachment_id: int) -> ResponseReturnValue:
    programme = _editable(programme_id)
    attachment = _attachment(programme, attachment_id)
    unused = attachments.remove(db.session, programme, attachment, actor=current_user.user, directory=uploads_dir())
    db.session.commit()
    if unused:
        unused.unlink(missing_ok=True)  # after the commit: a rolled-back removal keeps its file
    flash(_("Removed %(name)s.", name=attachment.filename), "success")
    return redirect(url_for("proposals.attachment_upload", programme_id=programme.id))
