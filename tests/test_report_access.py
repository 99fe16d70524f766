"""The report routes answer every kind of principal as tests/access_matrix_reports.py declares, in the shared
access-matrix world (tests/test_access_matrix.py), and each route is declared there exactly once."""
from __future__ import annotations

from access_matrix import ANONYMOUS, DEACTIVATED, PRINCIPALS
from access_matrix_reports import ROUTES
from flask import Flask
from test_access_matrix import World, build_url, outcome, routes, world  # noqa: F401 - `world` is the fixture


def test_every_report_route_is_declared(app: Flask) -> None:
    in_app = {(endpoint, method) for endpoint, method, _ in routes(app) if endpoint.startswith("reports.")}
    declared = {(endpoint, method) for endpoint, methods in ROUTES.items() for method in methods}

    assert (in_app - declared, declared - in_app) == (set(), set())


def test_report_routes_answer_every_principal_as_declared(app: Flask, world: World) -> None:  # noqa: F811
    mismatches = []
    for endpoint, methods in sorted(ROUTES.items()):
        for principal in PRINCIPALS:
            response = world.clients[principal].get(build_url(app, endpoint, world.args_for(principal)))
            response.close()
            got = outcome(response)
            expected = "allowed" if principal in methods["GET"] else (
                "sign-in" if principal in (ANONYMOUS, DEACTIVATED) else "refused")
            if got != expected:
                mismatches.append((endpoint, principal, expected, got, response.status_code))
            if got == "allowed" and response.status_code == 200:
                assert response.mimetype == "application/pdf", endpoint

    assert mismatches == []
