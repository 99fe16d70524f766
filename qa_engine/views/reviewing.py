"""The external reviewer's work: invitations, the declaration, the documents and the scoring form; and the
QA officer's view of one review, from which a submitted review can be sent back.

A reviewer reaches only their own live seats: anyone else's, and their own declined or removed seats,
answer 404. The documents and the scoring form wait behind the declaration.
"""
from __future__ import annotations

import json

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_engine import catalogue
from qa_engine.db import db
from qa_engine.domain.roles import Role
from qa_engine.domain.rubric_model import Rubric
from qa_engine.forms import reviewing as forms
from qa_engine.models import Assignment
from qa_engine.services import attachments, dashboards, reviewing, reviews, workflow
from qa_engine.views.access import allow, roles
from qa_engine.views.programme_pages import conflict_page, send_attachment

bp = Blueprint("reviewing", __name__)
REVIEWERS = roles(Role.REVIEWER)
OVERSEERS = roles(Role.QA_OFFICER, Role.ADMIN)  # administrators read a review
OFFICERS = roles(Role.QA_OFFICER)  # only QA officers send one back
SUBMITTED_PAGE = 25  # submitted reviews per page of the desk: a busy reviewer's run into the hundreds
STEP_PAGES = {reviewing.Step.ANSWER: "reviewing.invitation", reviewing.Step.DECLARE: "reviewing.declaration"}


# Loading and answering ------------------------------------------------------------------------------------


def _seat(assignment_id: int) -> Assignment:
    """The signed-in reviewer's live seat; 404 for anything else."""
    try:
        return reviewing.own_seat(db.session, assignment_id, current_user.user)
    except reviewing.SeatNotFound:
        abort(404)


def _readable(assignment_id: int) -> Assignment:
    """The seat if its documents may be read; otherwise answers with a redirect to what comes first."""
    seat = _seat(assignment_id)
    step = reviewing.next_step(seat)
    if step is not None:
        abort(redirect(url_for(STEP_PAGES[step], assignment_id=seat.id)))
    return seat


def _rubric(seat: Assignment) -> Rubric:
    """The rubric the round is pinned to; a changed or missing one answers 409 with the reason."""
    try:
        return reviews.pinned_rubric(seat.review, catalogue.current().rubrics)
    except reviews.RubricChanged as error:
        abort(make_response(render_template("errors/error.html", code=409, title=_("The rubric has changed"),
                                            message=str(error)), 409))


def _refused(conflict: workflow.Conflict) -> ResponseReturnValue:
    """409 with the reason; a seat conflict rolls back (it is not audited, and undoes any step before it)."""
    if isinstance(conflict, reviewing.SeatConflict):
        db.session.rollback()
    return conflict_page(conflict)


def _done(message: str, endpoint: str, **values: int) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


# The reviewer's desk and the invitation -------------------------------------------------------------------


@bp.route("/reviews")
@allow(REVIEWERS)
def index() -> ResponseReturnValue:
    found = reviewing.desk(db.session, current_user.user, settings=reviews.current_settings(),
                           registry=catalogue.current().rubrics, submitted=False)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    submitted = dashboards.reviewed(db.session, current_user.actor, limit=SUBMITTED_PAGE,
                                    offset=(page - 1) * SUBMITTED_PAGE)
    return render_template("reviewing/index.html", desk=found, submitted=submitted, page=page,
                           page_size=SUBMITTED_PAGE)


def _invitation_page(seat: Assignment, form: forms.DeclineForm, status: int = 200) -> ResponseReturnValue:
    return render_template("reviewing/invitation.html", seat=seat, review=seat.review, form=form,
                           answer_by=reviewing.answer_by(seat, reviews.current_settings()),
                           may_score=reviewing.may_score(seat)), status


@bp.route("/reviews/<int:assignment_id>")
@allow(REVIEWERS)
def invitation(assignment_id: int) -> ResponseReturnValue:
    return _invitation_page(_seat(assignment_id), forms.DeclineForm())


@bp.route("/reviews/<int:assignment_id>/accept", methods=["POST"])
@allow(REVIEWERS)
def accept(assignment_id: int) -> ResponseReturnValue:
    seat = _seat(assignment_id)
    try:
        reviewing.accept(db.session, seat, actor=current_user.user)
    except workflow.Conflict as conflict:
        return _refused(conflict)
    return _done(_("Thank you for accepting. Please sign the declaration before reading the proposal."),
                 "reviewing.declaration", assignment_id=seat.id)


@bp.route("/reviews/<int:assignment_id>/decline", methods=["POST"])
@allow(REVIEWERS)
def decline(assignment_id: int) -> ResponseReturnValue:
    seat = _seat(assignment_id)
    form = forms.DeclineForm()
    if not form.validate_on_submit():
        return _invitation_page(seat, form, 422)
    try:
        reviewing.decline(db.session, seat, actor=current_user.user, reason=form.reason.data)
    except workflow.Conflict as conflict:
        return _refused(conflict)
    return _done(_("You declined the invitation. The QA officer has been told."), "reviewing.index")


# The declaration ------------------------------------------------------------------------------------------


@bp.route("/reviews/<int:assignment_id>/declaration", methods=["GET", "POST"])
@allow(REVIEWERS)
def declaration(assignment_id: int) -> ResponseReturnValue:
    seat = _seat(assignment_id)
    if reviewing.next_step(seat) is reviewing.Step.ANSWER:
        return redirect(url_for("reviewing.invitation", assignment_id=seat.id))
    form = forms.DeclarationForm()
    if form.validate_on_submit():
        try:
            reviewing.sign_declaration(db.session, seat, form.declaration(), actor=current_user.user)
        except reviewing.DeclarationIncomplete as error:
            form.form_errors.append(str(error))
        except workflow.Conflict as conflict:
            return _refused(conflict)
        else:
            if form.conflict.data:
                return _done(_("Your conflict of interest is recorded and your seat on this panel is closed. "
                               "The QA officer has been told. Thank you for saying so."), "reviewing.index")
            return _done(_("Declaration signed. The proposal is open to you."), "reviewing.proposal",
                         assignment_id=seat.id)
    return render_template("reviewing/declaration.html", seat=seat, review=seat.review, form=form,
                           signed=reviewing.declaration_of(seat) if seat.declared_at else None,
                           ), 422 if form.is_submitted() else 200


# The documents --------------------------------------------------------------------------------------------


@bp.route("/reviews/<int:assignment_id>/proposal")
@allow(REVIEWERS)
def proposal(assignment_id: int) -> ResponseReturnValue:
    seat = _readable(assignment_id)
    version = reviewing.pinned_version(db.session, seat.review) or abort(404)
    content = json.loads(version.content)
    return render_template("reviewing/proposal.html", seat=seat, review=seat.review, version=version,
                           content=content, sections=reviewing.sections(content),
                           screening=json.loads(version.screening),
                           files=attachments.by_sha256(db.session, seat.review.programme))


@bp.route("/reviews/<int:assignment_id>/attachments/<int:attachment_id>")
@allow(REVIEWERS)
def attachment(assignment_id: int, attachment_id: int) -> ResponseReturnValue:
    seat = _readable(assignment_id)
    version = reviewing.pinned_version(db.session, seat.review) or abort(404)
    found = reviewing.cited_attachment(db.session, seat.review, version, attachment_id) or abort(404)
    return send_attachment(found)


# Scoring --------------------------------------------------------------------------------------------------


def _score_page(seat: Assignment, rubric: Rubric, form: forms.ScoringBase | None,
                status: int = 200) -> ResponseReturnValue:
    version = reviewing.pinned_version(db.session, seat.review) or abort(404)
    return render_template("reviewing/score.html", seat=seat, review=seat.review, rubric=rubric, form=form,
                           content=json.loads(version.content), evidence=reviewing.evidence, forms=forms,
                           marks=reviews.marks_of(seat), references=catalogue.current().frameworks.references,
                           ), status


@bp.route("/reviews/<int:assignment_id>/score", methods=["GET", "POST"])
@allow(REVIEWERS)
def score(assignment_id: int) -> ResponseReturnValue:
    seat = _readable(assignment_id)
    rubric = _rubric(seat)
    form = forms.scoring_form(rubric)
    if not form.is_submitted():
        stored = forms.scoring_form(rubric, marks=reviews.marks_of(seat), hours=seat.hours, version=seat.version)
        return _score_page(seat, rubric, stored if reviewing.may_score(seat) else None)
    form.validate()
    version = forms.posted_version(form)
    if version is None:
        form.form_errors.append(_("This form is incomplete. Reload the page and enter your marks again."))
        return _score_page(seat, rubric, form, 422)
    return (_submit if form.submit_review.data else _save)(seat, rubric, form, version)


def _save(seat: Assignment, rubric: Rubric, form: forms.ScoringBase, version: int) -> ResponseReturnValue:
    try:
        errors = reviewing.save_draft(db.session, seat, forms.scoresheet(form, rubric), actor=current_user.user,
                                      rubric=rubric, expected_version=version)
    except workflow.Conflict as conflict:
        return _refused(conflict)
    if not errors and not form.hours.errors:
        return _done(_("Draft saved."), "reviewing.score", assignment_id=seat.id)
    db.session.commit()
    forms.attach_errors(form, rubric, errors)
    form.version.data = str(seat.version)
    form.form_errors.append(_("Saved what was valid. Correct the marks shown below; they keep their last saved "
                              "value until you do."))
    return _score_page(seat, rubric, form, 422)


def _submit(seat: Assignment, rubric: Rubric, form: forms.ScoringBase, version: int) -> ResponseReturnValue:
    try:
        moved = reviewing.submit(db.session, seat, forms.scoresheet(form, rubric), actor=current_user.user,
                                 rubric=rubric, expected_version=version, settings=reviews.current_settings())
    except reviewing.MarksInvalid as invalid:
        db.session.rollback()
        forms.attach_errors(form, rubric, invalid.errors, invalid.hours)
        form.form_errors.append(_("The review was not submitted: every criterion needs a valid mark, and the "
                                  "hours are required. Nothing was changed."))
        return _score_page(seat, rubric, form, 422)
    except workflow.Conflict as conflict:
        return _refused(conflict)
    message = _("Your review is submitted. Thank you.")
    if moved:
        message += " " + _("Every review is now in: the panel moves on to consolidation.")
    return _done(message, "reviewing.panel", assignment_id=seat.id)


@bp.route("/reviews/<int:assignment_id>/panel")
@allow(REVIEWERS)
def panel(assignment_id: int) -> ResponseReturnValue:
    seat = _readable(assignment_id)
    rubric = _rubric(seat)
    return render_template("reviewing/panel.html", seat=seat, review=seat.review, rubric=rubric,
                           own=reviewing.shown_review(seat, current_user.actor, rubric, author=True),
                           others=reviewing.panel_reviews(seat, current_user.actor, rubric))


# The QA officer's view of one review ----------------------------------------------------------------------


def _assignment_page(seat: Assignment, form: forms.ReopenForm, status: int = 200) -> ResponseReturnValue:
    rubric = _rubric(seat)
    return render_template("reviewing/assignment.html", seat=seat, review=seat.review, rubric=rubric, form=form,
                           shown=reviewing.shown_review(seat, current_user.actor, rubric),
                           declaration=reviewing.declaration_of(seat),
                           may_reopen=reviewing.may_reopen(current_user.actor, seat)), status


def _any_seat(assignment_id: int) -> Assignment:
    try:
        return reviewing.any_seat(db.session, assignment_id)
    except reviewing.SeatNotFound:
        abort(404)


@bp.route("/qa/assignments/<int:assignment_id>")
@allow(OVERSEERS)
def assignment(assignment_id: int) -> ResponseReturnValue:
    return _assignment_page(_any_seat(assignment_id), forms.ReopenForm())


@bp.route("/qa/assignments/<int:assignment_id>/reopen", methods=["POST"])
@allow(OFFICERS)
def reopen(assignment_id: int) -> ResponseReturnValue:
    seat = _any_seat(assignment_id)
    form = forms.ReopenForm()
    if form.validate_on_submit():
        try:
            reviewing.reopen(db.session, seat, actor=current_user.user, comment=form.comment.data)
        except reviewing.CommentRequired as error:
            form.comment.errors.append(str(error))
        except workflow.Conflict as conflict:
            return _refused(conflict)
        else:
            return _done(_("The review is back with its reviewer as a draft; they have been told why."),
                         "reviewing.assignment", assignment_id=seat.id)
    return _assignment_page(seat, form, 422)
