"""Every route declares who may use it, and every route answers every kind of principal as declared."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from access_matrix import (
    ANONYMOUS,
    ASSIGNED_REVIEWER,
    CONFLICTED_REVIEWER,
    DEACTIVATED,
    MATRIX,
    PRINCIPALS,
    REMOVED_REVIEWER,
    UNASSIGNED_REVIEWER,
)
from factories import (
    full_marks,
    make_attachment,
    make_in_review,
    make_institution,
    make_programme,
    make_submitted,
    make_user,
    seat,
    sign_in,
)
from flask import Flask

from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Appeal, Condition, ConflictDeclaration, Decision, DecisionStatus
from qa_engine.services import users
from qa_engine.views.access import allow, undeclared_endpoints

CHECKED_METHODS = {"GET", "POST"}
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Request-ID")


@dataclass
class World:
    clients: dict
    url_args: dict  # a value, or {principal: value, "*": value for everyone else}

    def args_for(self, principal: str) -> dict:
        return {name: value.get(principal, value["*"]) if isinstance(value, dict) else value
                for name, value in self.url_args.items()}


@pytest.fixture
def world(app: Flask, session) -> World:  # noqa: ANN001
    agency = make_institution(session, kind=InstitutionKind.AGENCY)
    provider = make_institution(session)
    people = {
        "admin": make_user(session, Role.ADMIN, institution=agency),
        "qa_officer": make_user(session, Role.QA_OFFICER, institution=agency),
        "designer": make_user(session, Role.DESIGNER, institution=provider),
        **{name: make_user(session, Role.REVIEWER) for name in (
            ASSIGNED_REVIEWER, UNASSIGNED_REVIEWER, REMOVED_REVIEWER, CONFLICTED_REVIEWER)},
        "deactivated": make_user(session, Role.ADMIN, Role.QA_OFFICER, institution=agency),
    }
    target = make_user(session, Role.DESIGNER, institution=provider)
    invited = make_user(session, Role.REVIEWER, password=None)
    token = users.invite(session, invited, lifetime=app.config["INVITATION_LIFETIME"], by=people["admin"])
    session.commit()
    clients = {ANONYMOUS: app.test_client()}
    for name, person in people.items():
        clients[name] = app.test_client()
        sign_in(clients[name], app, person)
    users.set_active(session, people["deactivated"], False, by=people["admin"])
    # A programme of the designer's institution under review, with an attachment cited by version 1.
    programme = make_programme(session, people["designer"])
    attachment = make_attachment(session, programme, people["designer"], Path(app.instance_path) / "uploads")
    make_submitted(session, programme, people["designer"])
    officer = people["qa_officer"]
    review = make_in_review(session, programme, officer)
    seats = {
        ASSIGNED_REVIEWER: seat(session, review, people[ASSIGNED_REVIEWER], officer, marks=full_marks()),
        REMOVED_REVIEWER: seat(session, review, people[REMOVED_REVIEWER], officer, status="removed",
                               profile="student"),
        CONFLICTED_REVIEWER: seat(session, review, people[CONFLICTED_REVIEWER], officer, status="declined",
                                  declared=False, profile="professional"),
    }
    session.add(ConflictDeclaration(reviewer_id=people[CONFLICTED_REVIEWER].id, institution_id=provider.id,
                                    reason="I taught on this programme's predecessor."))
    # A second programme of the provider, approved with a condition, whose decision is under appeal.
    decided = make_programme(session, people["designer"])
    make_submitted(session, decided, people["designer"])
    decided.state = State.CONDITIONS
    decision = Decision(programme_id=decided.id, version_number=1, status=DecisionStatus.EFFECTIVE,
                        outcome=Outcome.APPROVED_WITH_CONDITIONS, rationale="Sound, one gap.",
                        valid_from=date.today(), valid_until=date.today() + timedelta(days=1000),
                        decision_body="Accreditation committee", decided_by_id=officer.id, decided_on=date.today(),
                        appeal_deadline=date.today() + timedelta(days=30))
    session.add(decision)
    session.flush()
    condition = Condition(decision_id=decision.id, number=1, text="Publish the RPL procedure.",
                          evidence_required="The published procedure.", due_on=date.today() + timedelta(days=90))
    appeal = Appeal(decision_id=decision.id, programme_id=decided.id, grounds="The condition is disproportionate.",
                    lodged_by_id=people["designer"].id)
    session.add_all([condition, appeal])
    session.commit()
    return World(clients, {"user_id": target.id, "token": token, "filename": "app.css", "programme_id": programme.id,
                           "section": "identification", "number": 1, "attachment_id": attachment.id,
                           "rubric_id": "slp-ex-ante", "version": 1, "country": "IE", "review_id": review.id,
                           "reviewer_id": people[ASSIGNED_REVIEWER].id, "decided_programme_id": decided.id,
                           "decision_id": decision.id, "condition_id": condition.id, "appeal_id": appeal.id,
                           "assignment_id": {**{name: a.id for name, a in seats.items()},
                                             "*": seats[ASSIGNED_REVIEWER].id}})


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, rule); signing out comes last so the other routes see live sessions."""
    found = [
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & CHECKED_METHODS
    ]
    return sorted(found, key=lambda route: (route[0] == "auth.logout", route))


def test_every_endpoint_declares_an_access_policy(app: Flask) -> None:
    assert undeclared_endpoints(app) == []


def test_an_endpoint_without_policy_is_detected(make_app) -> None:  # noqa: ANN001
    app = make_app()

    @app.route("/forgotten")
    def forgotten() -> str:
        return "oops"

    assert undeclared_endpoints(app) == ["forgotten"]
    allow(object())(forgotten)  # type: ignore[arg-type]
    assert undeclared_endpoints(app) == []


def test_matrix_names_every_route_and_nothing_else(app: Flask) -> None:
    in_app = {(endpoint, method) for endpoint, method, _ in routes(app)}
    declared = {(endpoint, method) for endpoint, methods in MATRIX.items() for method in methods}
    assert (in_app - declared, declared - in_app) == (set(), set())


def build_url(app: Flask, endpoint: str, args: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{name: args[name] for name in rule.arguments})


def outcome(response) -> str:  # noqa: ANN001
    """'allowed', or how the request was refused."""
    assert response.status_code < 500, f"server error {response.status_code}"
    location = response.headers.get("Location", "")
    if response.status_code == 302 and re.search(r"/login\?next=", location):
        return "sign-in"
    if response.status_code in (401, 403, 404):
        return "refused"
    return "allowed"


def test_every_route_answers_every_principal_as_declared(app: Flask, world: World) -> None:
    mismatches = []
    tokens = {principal: client.csrf_token("/login") for principal, client in world.clients.items()}
    for endpoint, method, _rule in routes(app):
        for principal in PRINCIPALS:
            url = build_url(app, endpoint, world.args_for(principal))
            client = world.clients[principal]
            data = {"csrf_token": tokens[principal]} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            response.close()
            got = outcome(response)
            expected = "allowed" if principal in MATRIX[endpoint][method] else (
                "sign-in" if principal in (ANONYMOUS, DEACTIVATED) else "refused")
            if got != expected:
                mismatches.append((endpoint, method, principal, expected, got, response.status_code))
            missing = [h for h in HEADERS if h not in response.headers]
            assert not missing, f"{endpoint} {method} lacks {missing}"
    assert mismatches == []
