"""The dashboard and analytics routes answer every kind of principal as tests/access_matrix_dashboards.py declares,
in the access-matrix world (tests/test_access_matrix.py checks them too once the lead merges the area)."""
from __future__ import annotations

from access_matrix import ANONYMOUS, DEACTIVATED, PRINCIPALS
from access_matrix_dashboards import ROUTES
from test_access_matrix import HEADERS, World, build_url, outcome, routes
from test_access_matrix import world as matrix_world  # noqa: F401  (a fixture, by this name here)


def test_the_dashboard_routes_answer_every_principal_as_declared(app, matrix_world: World) -> None:  # noqa: F811
    checked = [(endpoint, method) for endpoint, method, _rule in routes(app) if endpoint.startswith("dashboards.")]
    assert sorted(checked) == sorted((endpoint, method) for endpoint, methods in ROUTES.items() for method in methods)
    tokens = {principal: client.csrf_token("/login") for principal, client in matrix_world.clients.items()}
    mismatches = []
    for endpoint, method in checked:
        for principal in PRINCIPALS:
            url = build_url(app, endpoint, matrix_world.args_for(principal))
            data = {"csrf_token": tokens[principal]} if method == "POST" else None
            response = matrix_world.clients[principal].open(url, method=method, data=data)
            response.close()
            got = outcome(response)
            expected = "allowed" if principal in ROUTES[endpoint][method] else (
                "sign-in" if principal in (ANONYMOUS, DEACTIVATED) else "refused")
            if got != expected:
                mismatches.append((endpoint, method, principal, expected, got, response.status_code))
            assert not [h for h in HEADERS if h not in response.headers], f"{endpoint} {method}"
    assert mismatches == []


def test_the_home_page_answers_everyone_in_the_matrix_world(app, matrix_world: World) -> None:  # noqa: F811
    for principal in PRINCIPALS:
        response = matrix_world.clients[principal].get("/")
        assert response.status_code in (200, 302), principal
        response.close()
    page = matrix_world.clients["designer"].get("/").get_data(as_text=True)
    assert "Your institution's programmes" in page and "Nothing for you now: the review panel has it" in page
    assert "Submit evidence for 1 condition" in page and "Your appeal is waiting for its outcome" in page
    reviewer = matrix_world.clients["assigned_reviewer"].get("/").get_data(as_text=True)
    assert "1 review in progress" in reviewer
