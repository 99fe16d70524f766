"""Who may use which route: each endpoint declares a policy, and one guard enforces them all."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request
from flask_login import current_user

from qa_engine.db import db, utcnow
from qa_engine.domain.roles import Actor, Role
from qa_engine.extensions import login_manager
from qa_engine.models import User
from qa_engine.services import audit, auth

F = TypeVar("F", bound=Callable[..., Any])
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Policy:
    """An access rule for a route: public, any signed-in person, or holders of some roles."""

    name: str
    public: bool = False
    roles: frozenset[Role] = field(default_factory=frozenset)

    def allows(self, actor: Actor | None) -> bool:
        """Whether `actor` (None: not signed in) may use the route."""
        if self.public:
            return True
        if actor is None:
            return False
        return not self.roles or actor.has(*self.roles)


PUBLIC = Policy("public", public=True)
SIGNED_IN = Policy("signed in")


def roles(*allowed: Role) -> Policy:
    """A policy for the holders of any of `allowed`."""
    return Policy(" or ".join(role.value for role in allowed), roles=frozenset(allowed))


def allow(policy: Policy) -> Callable[[F], F]:
    """Declare the access policy of a view; a route without one fails the start-up check."""

    def decorate(view: F) -> F:
        view.access_policy = policy  # type: ignore[attr-defined]
        return view

    return decorate


def policy_for(app: Flask, endpoint: str) -> Policy | None:
    """The policy declared for `endpoint`, or None."""
    if endpoint == "static":
        return PUBLIC
    return getattr(app.view_functions.get(endpoint), "access_policy", None)


def undeclared_endpoints(app: Flask) -> list[str]:
    """Endpoints that declare no policy (the start-up check and a test refuse them)."""
    return sorted(endpoint for endpoint in app.view_functions if policy_for(app, endpoint) is None)


def enforce() -> Any:
    """before_request: apply the endpoint's policy; fail closed when there is none."""
    if request.endpoint is None:
        return None  # routing will answer 404 or 405
    policy = policy_for(current_app, request.endpoint)
    if policy is None:
        abort(403)
    if policy.public:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not policy.allows(current_user.actor):
        record_refusal(f"route {request.endpoint}")
        abort(403)
    return None


def record_refusal(what: str) -> None:
    """Log a refused attempt in the audit trail in its own short transaction."""
    with db.transaction() as session:
        actor = session.get(User, current_user.actor.user_id) if current_user.is_authenticated else None
        audit.record(session, "access.denied", actor=actor, role=getattr(current_user, "role_names", None),
                     details={"what": what, "method": request.method, "path": request.path[:200]})


class Principal:
    """The signed-in person for Flask-Login: plain facts, loaded once per request."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, token: str, session_id: int, user: User) -> None:
        self.token = token
        self.session_id = session_id
        self.actor = user.actor
        self.email = user.email
        self.full_name = user.full_name
        self.institution_name = user.institution.name
        self.role_names = ",".join(sorted(self.actor.roles))

    def get_id(self) -> str:
        return self.token

    def has(self, *roles: Role) -> bool:
        return self.actor.has(*roles)

    @property
    def user(self) -> User:
        """The person as a model in the request's session (for services)."""
        if "principal_user" not in g:
            g.principal_user = db.session.get(User, self.actor.user_id)
        return g.principal_user


def login_policy() -> auth.LoginPolicy:
    """The configured sign-in limits and session timeouts."""
    config = current_app.config
    return auth.LoginPolicy(
        max_failures=config["LOGIN_MAX_FAILURES"],
        lockout=config["LOGIN_LOCKOUT"],
        idle_timeout=config["SESSION_IDLE_TIMEOUT"],
        absolute_timeout=config["SESSION_ABSOLUTE_TIMEOUT"],
    )


@login_manager.user_loader
def load_principal(token: str) -> Principal | None:
    """Find the live server-side session behind the cookie, outside the request's own transaction."""
    with db.new_session() as session:
        row = auth.live_session(session, token, login_policy())
        if row is None:
            return None
        principal = Principal(token, row.id, row.user)
        stale = utcnow() - row.last_seen_at > TOUCH_EVERY
    if stale:
        with db.transaction() as session:
            session.execute(auth.touch_statement(row, utcnow()))
    return principal
