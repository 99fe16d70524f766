"""Administration: accounts, roles, invitations, institutions, and the audit trail."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from wtforms import SelectChoice

from qa_engine.db import db
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.forms.admin import InstitutionForm, NewUserForm, UserForm
from qa_engine.models import AuditEntry, Institution, User
from qa_engine.services import audit, users
from qa_engine.views.access import allow, roles

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMIN = roles(Role.ADMIN)
PAGE_SIZE = 50


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _institution_choices(form: UserForm) -> None:
    institutions = db.session.scalars(select(Institution).order_by(Institution.name))
    form.institution.choices = [SelectChoice(i.id, i.name) for i in institutions]


@bp.route("/users")
@allow(ADMIN)
def user_list() -> ResponseReturnValue:
    query = select(User).order_by(User.full_name)
    search = request.args.get("q", "").strip()[:100]
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(func.lower(User.full_name).like(pattern), User.email.like(pattern)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.limit(PAGE_SIZE).offset((_page() - 1) * PAGE_SIZE))
    return render_template("admin/users.html", users=list(rows), total=total, page=_page(), search=search,
                           page_size=PAGE_SIZE)


@bp.route("/users/new", methods=["GET", "POST"])
@allow(ADMIN)
def user_new() -> ResponseReturnValue:
    form = NewUserForm()
    _institution_choices(form)
    if form.validate_on_submit():
        try:
            user = users.create_user(db.session, email=form.email.data, full_name=form.full_name.data,
                                     institution=db.session.get(Institution, form.institution.data),
                                     roles={Role(r) for r in form.roles.data}, by=current_user.user)
            token = users.invite(db.session, user, lifetime=current_app.config["INVITATION_LIFETIME"],
                                 by=current_user.user)
        except users.UserError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            return _invitation_page(user, token)
    return render_template("admin/user_form.html", form=form, user=None)


def _invitation_page(user: User, token: str) -> ResponseReturnValue:
    link = url_for("auth.accept_invitation", token=token, _external=True)
    return render_template("admin/invitation.html", user=user, link=link,
                           lifetime=current_app.config["INVITATION_LIFETIME"])


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(ADMIN)
def user_edit(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = UserForm(obj=None if request.method == "POST" else user,
                    data=None if request.method == "POST" else {"institution": user.institution_id,
                                                                 "roles": sorted(user.roles)})
    _institution_choices(form)
    if form.validate_on_submit():
        try:
            users.update_user(db.session, user, full_name=form.full_name.data,
                              institution=db.session.get(Institution, form.institution.data),
                              roles={Role(r) for r in form.roles.data}, by=current_user.user)
        except users.UserError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Saved the changes to %(name)s.", name=user.full_name), "success")
            return redirect(url_for("admin.user_list"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/invitation", methods=["POST"])
@allow(ADMIN)
def user_invite(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    if not user.is_active:
        flash(_("Reactivate the account before inviting its owner."), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    token = users.invite(db.session, user, lifetime=current_app.config["INVITATION_LIFETIME"], by=current_user.user)
    db.session.commit()
    return _invitation_page(user, token)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@allow(ADMIN)
def user_set_active(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    try:
        users.set_active(db.session, user, active, by=current_user.user)
    except users.UserError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        message = _("%(name)s can sign in again.") if active else _("%(name)s is deactivated and signed out.")
        flash(message % {"name": user.full_name}, "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/institutions", methods=["GET", "POST"])
@allow(ADMIN)
def institutions() -> ResponseReturnValue:
    form = InstitutionForm()
    if form.validate_on_submit():
        try:
            users.create_institution(db.session, name=form.name.data, short_name=form.short_name.data,
                                     country=form.country.data, kind=InstitutionKind(form.kind.data),
                                     by=current_user.user)
        except users.UserError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Added %(name)s.", name=form.name.data), "success")
            return redirect(url_for("admin.institutions"))
    rows = db.session.execute(
        select(Institution, func.count(User.id)).outerjoin(User).group_by(Institution.id).order_by(Institution.name)
    )
    return render_template("admin/institutions.html", form=form, rows=list(rows))


@bp.route("/audit")
@allow(ADMIN)
def audit_log() -> ResponseReturnValue:
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    action = request.args.get("action", "").strip()[:80]
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    entries = list(db.session.scalars(query.limit(PAGE_SIZE).offset((_page() - 1) * PAGE_SIZE)))
    actor_ids = {entry.actor_id for entry in entries if entry.actor_id}
    names = dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(actor_ids))).all())
    return render_template("admin/audit.html", entries=entries, names=names, page=_page(),
                           action=action, total=audit.count(db.session), page_size=PAGE_SIZE)


@bp.route("/audit/verify", methods=["POST"])
@allow(ADMIN)
def audit_verify() -> ResponseReturnValue:
    broken = audit.verify(db.session)
    if broken is None:
        flash(_("The audit trail verifies: %(n)d entries, unbroken.", n=audit.count(db.session)), "success")
    else:
        flash(_("The audit trail is broken at entry %(seq)d: %(reason)s.", seq=broken.seq, reason=broken.reason),
              "error")
    return redirect(url_for("admin.audit_log"))
