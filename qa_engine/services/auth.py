"""Signing in and out: credential checks, per-account throttling, server-side login sessions."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qa_engine.db import utcnow
from qa_engine.models import LoginThrottle, User, UserSession
from qa_engine.services import audit, passwords


class LoginOutcome(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # unknown account, wrong password and deactivated account look the same
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lockout: timedelta
    idle_timeout: timedelta
    absolute_timeout: timedelta


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    token: str | None = None


def token_hash(token: str) -> str:
    """What is stored for a secret token (sessions, invitations): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """E-mail addresses compare without case or surrounding space."""
    return email.strip().lower()


def authenticate(
    session: Session, email: str, password: str, policy: LoginPolicy, *, ip: str | None, user_agent: str | None
) -> LoginResult:
    """Check a sign-in; on success open a new server-side session and return its token."""
    email = normalise_email(email)
    now = utcnow()
    throttle = _throttle(session, email, now, policy)
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    stored = user.password_hash if user is not None and user.is_active else None
    valid = passwords.verify(stored, password)  # always runs: same time for every outcome
    if throttle.locked_until is not None and throttle.locked_until > now:
        audit.record(session, "auth.login_locked", actor=None, details={"account": _key(email)[:12]})
        return LoginResult(LoginOutcome.LOCKED)
    if not valid or user is None:
        _fail(throttle, now, policy)
        audit.record(session, "auth.login_failed", actor=None, details={"account": _key(email)[:12]})
        return LoginResult(LoginOutcome.INVALID)
    session.delete(throttle)
    if passwords.needs_rehash(user.password_hash or ""):
        user.password_hash = passwords.hash_password(password)
    token = open_session(session, user, ip=ip, user_agent=user_agent)
    audit.record(session, "auth.login", actor=user, role=_roles(user), obj=("user", user.id))
    return LoginResult(LoginOutcome.OK, user, token)


def open_session(session: Session, user: User, *, ip: str | None, user_agent: str | None) -> str:
    """Create a login session for `user` and return the token that only the cookie will carry."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(token_hash=token_hash(token), user=user, ip=ip, user_agent=(user_agent or "")[:300])
    )
    session.flush()
    return token


def live_session(session: Session, token: str, policy: LoginPolicy) -> UserSession | None:
    """The login session behind a cookie token, if it is live; an expired one is revoked on the way."""
    row = session.scalars(select(UserSession).where(UserSession.token_hash == token_hash(token))).one_or_none()
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    now = utcnow()
    if now - row.last_seen_at > policy.idle_timeout or now - row.created_at > policy.absolute_timeout:
        return None
    return row


def touch_statement(row: UserSession, now: datetime):  # noqa: ANN201 - an UPDATE statement
    """The UPDATE that records activity on a session (run by the caller outside the request's transaction)."""
    return update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)


def end_session(session: Session, row: UserSession) -> None:
    """Sign out: the session can never be used again."""
    row.revoked_at = utcnow()
    audit.record(session, "auth.logout", actor=row.user, role=_roles(row.user), obj=("user", row.user_id))


def revoke_all(session: Session, user: User) -> int:
    """End every live session of `user`; returns how many were ended."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def change_password(
    session: Session, user: User, current: str, new: str, *, min_length: int, ip: str | None, user_agent: str | None
) -> tuple[dict[str, list[str]], str | None]:
    """Change a password after re-checking the current one; ends all sessions and opens a fresh one.

    Returns the problems by form field ("current", "password") and, on success, the new session's token.
    """
    if not passwords.verify(user.password_hash, current):
        return {"current": [_("Your current password is not correct.")]}, None
    errors = passwords.problems(new, min_length=min_length, personal=(user.email, user.full_name))
    if errors:
        return {"password": errors}, None
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    revoke_all(session, user)
    audit.record(session, "auth.password_changed", actor=user, role=_roles(user), obj=("user", user.id))
    return {}, open_session(session, user, ip=ip, user_agent=user_agent)


def _throttle(session: Session, email: str, now: datetime, policy: LoginPolicy) -> LoginThrottle:
    key = _key(email)
    throttle = session.get(LoginThrottle, key)
    if throttle is None:
        throttle = LoginThrottle(key=key, failures=0, first_failure_at=now)
        session.add(throttle)
    elif now - throttle.first_failure_at > policy.lockout and not _locked(throttle, now):
        throttle.failures, throttle.first_failure_at, throttle.locked_until = 0, now, None
    return throttle


def _locked(throttle: LoginThrottle, now: datetime) -> bool:
    return throttle.locked_until is not None and throttle.locked_until > now


def _fail(throttle: LoginThrottle, now: datetime, policy: LoginPolicy) -> None:
    throttle.failures += 1
    if throttle.failures >= policy.max_failures:
        throttle.locked_until = now + policy.lockout


def _key(email: str) -> str:
    return hashlib.sha256(b"login:" + email.encode()).hexdigest()


def _roles(user: User) -> str:
    return ",".join(sorted(user.roles))
