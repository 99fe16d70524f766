"""Every dashboard and the analytics on realistic data (services.bulk_seed: programmes in every state with whole
histories): each page answers, and issues the same number of statements at 40 and at 160 programmes."""
from __future__ import annotations

from datetime import timedelta

from sql_counts import count_statements

from qa_engine.db import utcnow
from qa_engine.models import User
from qa_engine.services import bulk_seed

TODAY = utcnow().date()
PERIOD = f"from={(TODAY - timedelta(days=3 * 365)).isoformat()}&to={TODAY.isoformat()}"


def seed(app, session, n: int) -> None:  # noqa: ANN001
    session.rollback()  # no read snapshot held from before: the seeder writes
    with app.app_context():
        bulk_seed.seed(session, n, today=TODAY, seed=n)
    session.commit()


def people(session) -> dict[str, User]:  # noqa: ANN001
    return bulk_seed.busiest(session)


PAGES = {"officer": ["/qa/dashboard", "/qa/dashboard?state=in_review&q=a", f"/qa/analytics?{PERIOD}", "/"],
         "designer": ["/"], "reviewer": ["/"]}


def test_every_dashboard_issues_the_same_statements_at_40_and_160_seeded_programmes(app, session,
                                                                                    client_for) -> None:
    seed(app, session, 40)
    found = people(session)
    clients = {who: client_for(person) for who, person in found.items()}
    for client in clients.values():
        client.get("/")  # warm up: the login session is touched and the pool filled
    small = {(who, url): count_statements(app, clients[who], url) for who, urls in PAGES.items() for url in urls}
    seed(app, session, 120)
    large = {(who, url): count_statements(app, clients[who], url) for who, urls in PAGES.items() for url in urls}
    assert small == large
    analytics = clients["officer"].get(f"/qa/analytics?{PERIOD}").get_data(as_text=True)
    assert '<th scope="row">In review</th>' in analytics and '<th scope="row">All reviewers</th>' in analytics
    designer = clients["designer"].get("/").get_data(as_text=True)
    assert 'id="designer-programmes"' in designer
    reviewer = clients["reviewer"].get("/").get_data(as_text=True)
    assert 'id="reviewed"' in reviewer
