"""Signing in and out, accepting an invitation, changing one's password."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from qa_engine.db import db
from qa_engine.extensions import limiter
from qa_engine.forms.auth import ChangePasswordForm, LoginForm, SetPasswordForm
from qa_engine.models import User, UserSession
from qa_engine.services import auth, users
from qa_engine.views.access import PUBLIC, SIGNED_IN, Principal, allow, login_policy

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        result = auth.authenticate(db.session, form.email.data, form.password.data, login_policy(),
                                   ip=request.remote_addr, user_agent=request.user_agent.string)
        db.session.commit()
        if result.outcome is auth.LoginOutcome.OK:
            _sign_in(result.user, result.token)
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append(_login_message(result.outcome))
    return render_template("auth/login.html", form=form)


def _login_message(outcome: auth.LoginOutcome) -> str:
    if outcome is auth.LoginOutcome.LOCKED:
        minutes = int(current_app.config["LOGIN_LOCKOUT"].total_seconds() // 60)
        return _("Too many failed attempts for this account. Try again in %(minutes)d minutes.", minutes=minutes)
    return _("The e-mail address and password do not match an active account.")


def _sign_in(user: User, token: str) -> None:
    session.clear()  # a fresh cookie session at every sign-in (no fixation)
    login_user(Principal(token, 0, user))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.index")


@bp.route("/logout", methods=["POST"])
@allow(SIGNED_IN)
def logout() -> ResponseReturnValue:
    row = db.session.get(UserSession, current_user.session_id)
    if row is not None:
        auth.end_session(db.session, row)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(_login_limit, methods=["POST"])
def accept_invitation(token: str) -> ResponseReturnValue:
    invitation = users.pending_invitation(db.session, token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        errors = users.accept_invitation(db.session, invitation, form.password.data,
                                         min_length=current_app.config["PASSWORD_MIN_LENGTH"])
        if not errors:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your password is set. Sign in with your e-mail address and new password."), "success")
            return redirect(url_for("auth.login"))
        form.password.errors.extend(errors)
    return render_template("auth/invitation.html", form=form, invitation=invitation)


@bp.route("/account/password", methods=["GET", "POST"])
@allow(SIGNED_IN)
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        errors, token = auth.change_password(
            db.session, current_user.user, form.current.data, form.password.data,
            min_length=current_app.config["PASSWORD_MIN_LENGTH"], ip=request.remote_addr,
            user_agent=request.user_agent.string)
        if token is None:
            for name, messages in errors.items():
                form[name].errors.extend(messages)
        else:
            user = current_user.user
            db.session.commit()
            _sign_in(user, token)
            flash(_("Your password has been changed. Your other sessions have been signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
