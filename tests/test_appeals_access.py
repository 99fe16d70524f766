"""The appeal routes answer every kind of principal as tests/access_matrix_appeals.py declares, when the appeal has a
panel and a document (tests/test_access_matrix.py checks them on an appeal that has neither)."""
from __future__ import annotations

from pathlib import Path

import pytest
from access_matrix import ANONYMOUS, DEACTIVATED, PRINCIPALS
from access_matrix_appeals import ROUTES, WITH_A_PANEL, world_args
from sqlalchemy import select
from test_access_matrix import HEADERS, World, build_url, outcome, routes
from test_access_matrix import world as matrix_world  # noqa: F401  (a fixture, by this name here)

from qa_engine.domain.roles import Role
from qa_engine.models import Assignment, ConflictDeclaration, Programme, Review, User, UserRole


@pytest.fixture
def appeal_world(app, session, request: pytest.FixtureRequest) -> World:  # noqa: ANN001
    """The access-matrix world with a decided programme and its open appeal."""
    world: World = request.getfixturevalue("matrix_world")
    programme = session.get(Programme, world.url_args["programme_id"])
    officer = session.get(User, session.get(Review, world.url_args["review_id"]).opened_by_id)
    seated = select(Assignment.reviewer_id)
    declared = select(ConflictDeclaration.reviewer_id)
    handler = session.scalars(select(User).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == Role.REVIEWER, User.password_hash.is_not(None), User.id.not_in(seated),
        User.id.not_in(declared))).one()  # the unassigned reviewer
    extra = world_args(session, designer=programme.designer, officer=officer, handler=handler,
                       uploads=Path(app.instance_path) / "uploads")
    session.commit()
    return World(world.clients, {**world.url_args, **extra})


def test_the_appeal_routes_answer_every_principal_as_declared_when_the_appeal_has_a_panel(
        app, appeal_world: World) -> None:
    declared = {**ROUTES, **WITH_A_PANEL}
    mismatches = []
    tokens = {principal: client.csrf_token("/login") for principal, client in appeal_world.clients.items()}
    checked = [(endpoint, method) for endpoint, method, _rule in routes(app) if endpoint in declared]
    assert sorted(checked) == sorted((endpoint, method) for endpoint, methods in declared.items() for method in methods)
    for endpoint, method in checked:
        for principal in PRINCIPALS:
            url = build_url(app, endpoint, appeal_world.args_for(principal))
            data = {"csrf_token": tokens[principal]} if method == "POST" else None
            response = appeal_world.clients[principal].open(url, method=method, data=data)
            response.close()
            got = outcome(response)
            expected = "allowed" if principal in declared[endpoint][method] else (
                "sign-in" if principal in (ANONYMOUS, DEACTIVATED) else "refused")
            if got != expected:
                mismatches.append((endpoint, method, principal, expected, got, response.status_code))
            assert not [h for h in HEADERS if h not in response.headers], f"{endpoint} {method}"
    assert mismatches == []
