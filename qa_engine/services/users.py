"""Administering people: institutions, accounts, roles, invitations, deactivation."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa_engine.db import utcnow
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.models import Institution, Invitation, User
from qa_engine.services import audit, auth, passwords


class UserError(Exception):
    """A request about users that cannot be carried out; the message is for the person asking."""


def create_institution(
    session: Session, *, name: str, short_name: str, country: str, kind: InstitutionKind, by: User | None
) -> Institution:
    """Register an institution (the agency itself or a provider)."""
    if session.scalar(select(func.count()).where(func.lower(Institution.name) == name.strip().lower())):
        raise UserError(_l("An institution named “%(name)s” already exists.", name=name))
    institution = Institution(name=name.strip(), short_name=short_name.strip(), country=country.upper(), kind=kind)
    session.add(institution)
    session.flush()
    audit.record(session, "institution.created", actor=by, role=Role.ADMIN if by else None,
                 obj=("institution", institution.id), details={"name": institution.name, "kind": kind})
    return institution


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    institution: Institution,
    roles: set[Role],
    by: User | None,
    password: str | None = None,
) -> User:
    """Create an account; without a password it stays unusable until an invitation is accepted."""
    email = auth.normalise_email(email)
    if session.scalar(select(func.count()).where(User.email == email)):
        raise UserError(_l("An account with the e-mail address %(email)s already exists.", email=email))
    if not roles:
        raise UserError(_l("Give the account at least one role."))
    user = User(email=email, full_name=full_name.strip(), institution=institution, is_active=True)
    user.set_roles(roles)
    if password is not None:
        user.password_hash = passwords.hash_password(password)
    session.add(user)
    session.flush()
    audit.record(session, "user.created", actor=by, role=Role.ADMIN if by else None, obj=("user", user.id),
                 details={"email": email, "roles": sorted(roles), "institution": institution.id})
    return user


def update_user(
    session: Session, user: User, *, full_name: str, institution: Institution, roles: set[Role], by: User
) -> None:
    """Change a person's name, institution and roles; role changes apply at their next request."""
    if not roles:
        raise UserError(_l("Give the account at least one role."))
    if user.id == by.id and Role.ADMIN not in roles:
        raise UserError(_l("You cannot remove your own administrator role."))
    before = {"roles": sorted(user.roles), "institution": user.institution_id, "name": user.full_name}
    user.full_name, user.institution = full_name.strip(), institution
    user.set_roles(roles)
    session.flush()
    after = {"roles": sorted(roles), "institution": institution.id, "name": user.full_name}
    audit.record(session, "user.updated", actor=by, role=Role.ADMIN, obj=("user", user.id),
                 details={"before": before, "after": after})


def invite(session: Session, user: User, *, lifetime: timedelta, by: User) -> str:
    """A new single-use invitation for `user`; earlier unused ones stop working. Returns the token."""
    now = utcnow()
    for old in session.scalars(select(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))):
        old.expires_at = min(old.expires_at, now)
    token = secrets.token_urlsafe(32)
    session.add(
        Invitation(token_hash=auth.token_hash(token), user=user, created_by_id=by.id, expires_at=now + lifetime)
    )
    session.flush()
    audit.record(session, "user.invited", actor=by, role=Role.ADMIN, obj=("user", user.id),
                 details={"expires_at": (now + lifetime).isoformat(timespec="seconds")})
    return token


def pending_invitation(session: Session, token: str) -> Invitation | None:
    """The invitation behind `token` if it is unused, unexpired and for an active account."""
    invitation = session.scalars(
        select(Invitation).where(Invitation.token_hash == auth.token_hash(token))
    ).one_or_none()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    return invitation if invitation.user.is_active else None


def accept_invitation(session: Session, invitation: Invitation, password: str, *, min_length: int) -> list[str]:
    """Set the invited person's password and spend the invitation; returns problems with the password."""
    user = invitation.user
    errors = passwords.problems(password, min_length=min_length, personal=(user.email, user.full_name))
    if errors:
        return errors
    invitation.used_at = utcnow()
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = invitation.used_at
    auth.revoke_all(session, user)
    audit.record(session, "user.invitation_accepted", actor=user, obj=("user", user.id))
    return []


def set_active(session: Session, user: User, active: bool, *, by: User) -> None:
    """Deactivate (ending every session at once) or reactivate an account."""
    if user.id == by.id and not active:
        raise UserError(_l("You cannot deactivate your own account."))
    user.is_active = active
    ended = auth.revoke_all(session, user) if not active else 0
    audit.record(session, "user.deactivated" if not active else "user.reactivated", actor=by, role=Role.ADMIN,
                 obj=("user", user.id), details={"sessions_ended": ended})
