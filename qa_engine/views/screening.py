"""The QA officer's screening: the queue of submitted programmes, and taking, accepting or returning one."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from qa_engine import catalogue
from qa_engine.db import db
from qa_engine.domain.roles import Role
from qa_engine.forms.screening import AcceptForm, ReturnForm
from qa_engine.models import Programme
from qa_engine.services import reviews, screening, workflow
from qa_engine.views.access import allow, roles
from qa_engine.views.programme_pages import conflict_page, visible_programme

bp = Blueprint("screening", __name__, url_prefix="/qa")
OVERSEERS = roles(Role.QA_OFFICER, Role.ADMIN)  # administrators may read the queue
OFFICERS = roles(Role.QA_OFFICER)  # only QA officers take, accept and return programmes
PAGE_SIZE = 25


def _done(programme: Programme, message: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("proposals.overview", programme_id=programme.id))


def _comment_page(programme: Programme, form: FlaskForm, endpoint: str, heading: str) -> ResponseReturnValue:
    return render_template("screening/comment.html", programme=programme, form=form, endpoint=endpoint,
                           heading=heading), 422


@bp.route("/queue")
@allow(OVERSEERS)
def queue() -> ResponseReturnValue:
    search = request.args.get("q", "").strip()[:100]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    found = screening.queue(db.session, current_user.actor, search=search, page=page, per_page=PAGE_SIZE)
    return render_template("screening/queue.html", queue=found, search=search)


@bp.route("/programmes/<int:programme_id>/take", methods=["POST"])
@allow(OFFICERS)
def take(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    try:
        screening.take(db.session, programme, actor=current_user.user)
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    return _done(programme, _("You are screening this programme."))


@bp.route("/programmes/<int:programme_id>/accept", methods=["POST"])
@allow(OFFICERS)
def accept(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    form = AcceptForm()
    if not form.validate_on_submit():
        return _comment_page(programme, form, "screening.accept", _("Accept for review"))
    try:
        screening.accept_for_review(db.session, programme, actor=current_user.user, comment=form.comment.data,
                                    settings=reviews.current_settings(), registry=catalogue.current().rubrics,
                                    today=date.today())
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    return _done(programme, _("Accepted for review."))


@bp.route("/programmes/<int:programme_id>/return", methods=["POST"])
@allow(OFFICERS)
def return_to_designer(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            screening.return_to_designer(db.session, programme, actor=current_user.user, comment=form.comment.data)
        except screening.CommentRequired as error:
            form.comment.errors.append(str(error))
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _done(programme, _("Returned to the designer with your comment."))
    return _comment_page(programme, form, "screening.return_to_designer", _("Return to the designer"))
