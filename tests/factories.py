"""Small factories for test data: plain functions that add rows and flush."""
from __future__ import annotations

import itertools

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.models import Institution, User
from qa_engine.services import auth, users

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_institution(session: Session, *, kind: InstitutionKind = InstitutionKind.PROVIDER, **overrides) -> Institution:
    n = next(_counter)
    values = {"name": f"Institution {n}", "short_name": f"I{n}", "country": "ES", "kind": kind, **overrides}
    return users.create_institution(session, by=None, **values)


def make_user(
    session: Session,
    *roles: Role,
    institution: Institution | None = None,
    password: str | None = PASSWORD,
    **overrides,
) -> User:
    n = next(_counter)
    institution = institution or make_institution(session)
    values = {"email": f"person{n}@example.org", "full_name": f"Person Number{n}", **overrides}
    return users.create_user(session, institution=institution, roles=set(roles or {Role.DESIGNER}),
                             by=None, password=password, **values)


def sign_in(client: FlaskClient, app: Flask, user: User) -> str:
    """Give `client` a live login session for `user` without a sign-in request; returns the token."""
    with app.extensions["qa_engine.db"].transaction() as session:
        token = auth.open_session(session, session.get(User, user.id), ip="127.0.0.1", user_agent="pytest")
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = token
        cookie_session["_fresh"] = True
    return token
