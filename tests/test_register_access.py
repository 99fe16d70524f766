"""The register's routes answer every kind of principal as tests/access_matrix_register.py declares, on a
programme accredited today with the full sound proposal (the shared world's decided programme has a bare one)."""
from __future__ import annotations

import pytest
from access_matrix import ANONYMOUS, DEACTIVATED, MATRIX, PRINCIPALS, REVIEWERS
from factories import make_institution, make_user, sign_in
from register_fixtures import accredit, make_people
from test_access_matrix import build_url, outcome

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.services import users

ROLES = {"admin": (Role.ADMIN,), "qa_officer": (Role.QA_OFFICER,), "designer": (Role.DESIGNER,),
         DEACTIVATED: (Role.ADMIN, Role.QA_OFFICER), **{name: (Role.REVIEWER,) for name in REVIEWERS}}


@pytest.fixture
def clients(app, session) -> dict:  # noqa: ANN001
    """A client per principal of the access matrix; the deactivated one signed in before losing the account."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY)
    people = {name: make_user(session, *roles, institution=agency if Role.REVIEWER not in roles else None)
              for name, roles in ROLES.items()}
    session.commit()
    found = {ANONYMOUS: app.test_client()}
    for name, person in people.items():
        found[name] = app.test_client()
        sign_in(found[name], app, person)
    users.set_active(session, people[DEACTIVATED], False, by=people["admin"])
    session.commit()
    return found


def expected(endpoint: str, principal: str) -> str:
    if principal in MATRIX[endpoint]["GET"]:
        return "allowed"
    return "sign-in" if principal in (ANONYMOUS, DEACTIVATED) else "refused"


def test_register_routes_answer_every_principal_as_declared_for_an_accredited_programme(app, session,
                                                                                       clients) -> None:
    programme_id = accredit(session, make_people(session)).programme_id
    session.commit()
    endpoints = sorted(endpoint for endpoint in MATRIX if endpoint.startswith("register."))
    mismatches = []
    for endpoint in endpoints:
        url = build_url(app, endpoint, {"decided_programme_id": programme_id})
        for principal in PRINCIPALS:
            response = clients[principal].get(url)
            got = outcome(response)
            if got != expected(endpoint, principal):
                mismatches.append((endpoint, principal, got, response.status_code))
    assert len(endpoints) == 7
    assert mismatches == []
