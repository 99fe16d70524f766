"""The reviewer pool and panel composition: QA officers build each programme's panel.

QA officers list and edit the pool and compose panels; administrators read both. Reviewers keep their own
profile and standing conflicts of interest up to date.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from qa_engine import catalogue
from qa_engine.db import db
from qa_engine.domain.panels import ProfileType
from qa_engine.domain.roles import Role
from qa_engine.forms.panel import (
    ConflictForm,
    DueDateForm,
    FiltersForm,
    InviteForm,
    ProfileForm,
    RemoveForm,
    ReplaceForm,
    SeatForm,
    WithdrawConflictForm,
)
from qa_engine.models import Assignment, Programme, User
from qa_engine.services import panel, reviewer_pool, reviews, workflow
from qa_engine.views.access import allow, roles
from qa_engine.views.programme_pages import conflict_page, visible_programme

bp = Blueprint("panel", __name__)
OVERSEERS = roles(Role.QA_OFFICER, Role.ADMIN)  # administrators read the pool and the panels
OFFICERS = roles(Role.QA_OFFICER)  # only QA officers change them
REVIEWERS = roles(Role.REVIEWER)
PAGE_SIZE = 25


# The pool ----------------------------------------------------------------------------------------------


@bp.route("/qa/reviewers")
@allow(OVERSEERS)
def pool() -> ResponseReturnValue:
    form = FiltersForm(formdata=request.args)
    form.language.choices = _language_choices()
    filters = form.filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    found = reviewer_pool.pool_page(db.session, current_user.actor, filters, today=date.today(), page=page,
                                    per_page=PAGE_SIZE)
    return render_template("panel/pool.html", pool=found, form=form, filters=filters, today=date.today(),
                           isced=catalogue.current().vocabularies.isced_fields)


@bp.get("/qa/reviewers/<int:reviewer_id>")
@allow(OVERSEERS)
def reviewer_profile(reviewer_id: int) -> ResponseReturnValue:
    reviewer = _reviewer_or_404(reviewer_id)
    return _profile_page(reviewer, _profile_form(reviewer), own=False, status=200)


@bp.post("/qa/reviewers/<int:reviewer_id>")
@allow(OFFICERS)
def save_reviewer_profile(reviewer_id: int) -> ResponseReturnValue:
    reviewer = _reviewer_or_404(reviewer_id)
    return _save_profile(reviewer, url_for("panel.reviewer_profile", reviewer_id=reviewer.id), own=False)


@bp.route("/my/reviewer-profile", methods=["GET", "POST"])
@allow(REVIEWERS)
def my_profile() -> ResponseReturnValue:
    if request.method == "POST":
        return _save_profile(current_user.user, url_for("panel.my_profile"), own=True)
    return _profile_page(current_user.user, _profile_form(current_user.user), own=True, status=200)


@bp.post("/my/conflicts")
@allow(REVIEWERS)
def declare_conflict() -> ResponseReturnValue:
    reviewer = current_user.user
    form = ConflictForm()
    form.institution.choices = _conflict_choices(reviewer)
    if form.validate_on_submit():
        try:
            reviewer_pool.declare_conflict(db.session, reviewer, form.institution.data, form.reason.data,
                                           actor=reviewer)
        except reviewer_pool.InvalidProfile as invalid:
            db.session.rollback()
            _add_errors(form, invalid)
        else:
            return _saved(_("Your conflict of interest is recorded."), url_for("panel.my_profile"))
    return _profile_page(reviewer, _profile_form(reviewer), own=True, conflict_form=form, status=422)


@bp.post("/my/conflicts/withdraw")
@allow(REVIEWERS)
def withdraw_conflict() -> ResponseReturnValue:
    reviewer = current_user.user
    form = WithdrawConflictForm()
    if not form.validate_on_submit():
        return _profile_page(reviewer, _profile_form(reviewer), own=True, status=422,
                             alert=_("Choose the conflict to withdraw from the list."))
    try:
        institution = reviewer_pool.withdraw_conflict(db.session, reviewer, form.conflict_id.data, actor=reviewer)
    except LookupError:
        abort(404)
    return _saved(_("Your conflict with %(name)s is withdrawn.", name=institution.name), url_for("panel.my_profile"))


# The panel ---------------------------------------------------------------------------------------------


@bp.get("/qa/programmes/<int:programme_id>/panel")
@allow(OVERSEERS)
def panel_page(programme_id: int) -> ResponseReturnValue:
    return _panel_page(visible_programme(programme_id))


@bp.post("/qa/programmes/<int:programme_id>/panel/invitations")
@allow(OFFICERS)
def invite(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _panel_page(programme, invite_form=form, status=422)
    try:
        seat = panel.invite(db.session, programme, actor=current_user.user, reviewer_id=form.reviewer_id.data,
                            profile_type=ProfileType(form.profile_type.data), settings=reviews.current_settings(),
                            today=date.today())
    except panel.Refused as refused:
        db.session.rollback()
        form.form_errors.append(str(refused))
        return _panel_page(programme, invite_form=form, status=422)
    except workflow.Conflict as conflict:
        return _conflict(conflict)
    return _done(programme, _("%(name)s is invited; the invitation e-mail goes out now.", name=seat.reviewer.full_name))


@bp.route("/qa/programmes/<int:programme_id>/panel/seats/<int:assignment_id>/remove", methods=["GET", "POST"])
@allow(OFFICERS)
def remove(programme_id: int, assignment_id: int) -> ResponseReturnValue:
    programme, seat = _seat_or_404(programme_id, assignment_id)
    form = RemoveForm(data={"version": seat.version})
    if form.validate_on_submit():
        try:
            panel.remove(db.session, programme, seat, actor=current_user.user, expected_version=form.version.data,
                         reason=form.reason.data)
        except panel.Refused as refused:
            db.session.rollback()
            form.reason.errors.append(str(refused))
        except workflow.Conflict as conflict:
            return _conflict(conflict)
        else:
            return _done(programme, _("%(name)s is no longer on the panel.", name=seat.reviewer.full_name))
    return _seat_page(programme, seat, form, "panel.remove")


@bp.route("/qa/programmes/<int:programme_id>/panel/seats/<int:assignment_id>/replace", methods=["GET", "POST"])
@allow(OFFICERS)
def replace(programme_id: int, assignment_id: int) -> ResponseReturnValue:
    programme, seat = _seat_or_404(programme_id, assignment_id)
    form = ReplaceForm(data={"version": seat.version, "profile_type": seat.profile_type.value})
    if form.validate_on_submit():
        try:
            new = panel.replace(db.session, programme, seat, actor=current_user.user,
                                expected_version=form.version.data, reason=form.reason.data,
                                reviewer_id=form.reviewer_id.data, profile_type=ProfileType(form.profile_type.data),
                                settings=reviews.current_settings(), today=date.today())
        except panel.Refused as refused:
            db.session.rollback()
            form.form_errors.append(str(refused))
        except workflow.Conflict as conflict:
            return _conflict(conflict)
        else:
            return _done(programme, _("%(old)s is replaced by %(new)s, who is invited.",
                                      old=seat.reviewer.full_name, new=new.reviewer.full_name))
    return _seat_page(programme, seat, form, "panel.replace")


@bp.post("/qa/programmes/<int:programme_id>/panel/seats/<int:assignment_id>/chair")
@allow(OFFICERS)
def make_chair(programme_id: int, assignment_id: int) -> ResponseReturnValue:
    programme, seat = _seat_or_404(programme_id, assignment_id)
    form = SeatForm()
    if not form.validate_on_submit():
        return _panel_page(programme, status=422, alert=_("The form was incomplete. Reload the page and try again."))
    try:
        panel.make_chair(db.session, programme, seat, actor=current_user.user, expected_version=form.version.data)
    except workflow.Conflict as conflict:
        return _conflict(conflict)
    return _done(programme, _("%(name)s chairs the panel.", name=seat.reviewer.full_name))


@bp.post("/qa/programmes/<int:programme_id>/panel/due-date")
@allow(OFFICERS)
def set_due_date(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    form = DueDateForm()
    if form.validate_on_submit():
        try:
            panel.set_due_date(db.session, programme, actor=current_user.user, due_on=form.due_on.data,
                               today=date.today())
        except panel.Refused as refused:
            db.session.rollback()
            form.due_on.errors.append(str(refused))
        except workflow.Conflict as conflict:
            return _conflict(conflict)
        else:
            return _done(programme, _("The reviews are now due on %(day)s.", day=form.due_on.data.isoformat()))
    return _panel_page(programme, due_form=form, status=422)


@bp.post("/qa/programmes/<int:programme_id>/panel/close")
@allow(OFFICERS)
def close_review(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    try:
        panel.close_review(db.session, programme, actor=current_user.user, settings=reviews.current_settings())
    except workflow.Conflict as conflict:
        return conflict_page(conflict)  # a refusal by the transition table is audited: keep it
    return _done(programme, _("Every review is in: the programme moves on to consolidation."))


# Helpers -----------------------------------------------------------------------------------------------


def _reviewer_or_404(reviewer_id: int) -> User:
    return reviewer_pool.reviewer(db.session, reviewer_id) or abort(404)


def _seat_or_404(programme_id: int, assignment_id: int) -> tuple[Programme, Assignment]:
    programme = visible_programme(programme_id)
    return programme, panel.seat_of(db.session, programme, assignment_id) or abort(404)


def _profile_form(reviewer: User) -> ProfileForm:
    values = reviewer_pool.profile_values(db.session, reviewer.id)
    return ProfileForm(formdata=None, data=asdict(values))


def _save_profile(reviewer: User, back: str, *, own: bool) -> ResponseReturnValue:
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            reviewer_pool.save_profile(db.session, reviewer, form.values(), actor=current_user.user,
                                       vocabularies=catalogue.current().vocabularies)
        except reviewer_pool.InvalidProfile as invalid:
            db.session.rollback()
            _add_errors(form, invalid)
        else:
            return _saved(_("The reviewer profile is saved."), back)
    return _profile_page(reviewer, form, own=own, status=422)


def _profile_page(reviewer: User, form: ProfileForm, *, own: bool, status: int,
                  conflict_form: ConflictForm | None = None, alert: str | None = None) -> ResponseReturnValue:
    """The profile page; `own`: the reviewer's own page, where they also manage their conflicts."""
    if conflict_form is None and own:
        conflict_form = ConflictForm(formdata=None)
        conflict_form.institution.choices = _conflict_choices(reviewer)
    return render_template("panel/profile.html", reviewer=reviewer, form=form, own=own, alert=alert,
                           editable=reviewer_pool.can_edit_profile(current_user.actor, reviewer.id),
                           conflicts=reviewer_pool.conflicts_of(db.session, reviewer.id),
                           conflict_form=conflict_form, load=_load_of(reviewer)), status


def _load_of(reviewer: User) -> int:
    found = reviewer_pool.pool_entries(db.session, [reviewer.id])
    return found[0].load if found else 0


def _panel_page(programme: Programme, *, status: int = 200, invite_form: InviteForm | None = None,
                due_form: DueDateForm | None = None, alert: str | None = None) -> ResponseReturnValue:
    found = panel.overview(db.session, programme, actor=current_user.actor, settings=reviews.current_settings(),
                           today=date.today())
    if found is None:
        abort(404)
    invite_form = invite_form or InviteForm(formdata=None, data={"profile_type": next(
        (p.value for p in found.needed_profiles), ProfileType.ACADEMIC.value)})
    invite_form.reviewer_id.choices = _reviewer_choices(found)
    due_form = due_form or DueDateForm(formdata=None, data={"due_on": found.review.due_on})
    return render_template("panel/panel.html", panel=found, programme=programme, invite_form=invite_form,
                           due_form=due_form, alert=alert, isced=catalogue.current().vocabularies.isced_fields), status


def _seat_page(programme: Programme, seat: Assignment, form: RemoveForm, endpoint: str) -> ResponseReturnValue:
    if isinstance(form, ReplaceForm):
        found = panel.overview(db.session, programme, actor=current_user.actor, settings=reviews.current_settings(),
                               today=date.today())
        form.reviewer_id.choices = _reviewer_choices(found) if found else []
    heading = _("Replace a panel member") if isinstance(form, ReplaceForm) else _("Remove a panel member")
    status = 422 if request.method == "POST" else 200
    return render_template("panel/seat.html", programme=programme, seat=seat, form=form, endpoint=endpoint,
                           heading=heading, replacing=isinstance(form, ReplaceForm)), status


def _reviewer_choices(found: panel.PanelOverview) -> list[SelectChoice]:
    """Reviewers who may be invited, best match first."""
    return [SelectChoice(s.reviewer.id, _("%(name)s (score %(score)d)", name=s.reviewer.name, score=s.score))
            for s in found.suggestions.ranked]


def _conflict_choices(reviewer: User) -> list[SelectChoice]:
    return [SelectChoice(institution_id, name) for institution_id, name in reviewer_pool.conflict_choices(
        db.session, reviewer)]


def _language_choices() -> list[SelectChoice]:
    languages = catalogue.current().vocabularies.languages
    return [SelectChoice("", _("Any language")),
            *(SelectChoice(code, f"{name} ({code})") for code, name in sorted(languages.items(), key=lambda i: i[1]))]


def _add_errors(form: FlaskForm, invalid: reviewer_pool.InvalidProfile) -> None:
    for name, messages in invalid.errors.items():
        target = form[name] if name in form else None
        if target is None:
            form.form_errors.extend(messages)
        else:
            target.errors = [*target.errors, *messages]


def _saved(message: str, back: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(back)


def _done(programme: Programme, message: str) -> ResponseReturnValue:
    return _saved(message, url_for("panel.panel_page", programme_id=programme.id))


def _conflict(conflict: workflow.Conflict) -> ResponseReturnValue:
    """409: nothing of the refused change is kept (these refusals write no audit entry of their own)."""
    db.session.rollback()
    return conflict_page(conflict)
