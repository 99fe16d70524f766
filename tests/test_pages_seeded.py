"""The register, its search, a register entry and a programme page on realistic data (services.bulk_seed): each
issues the same number of statements at 40 and at 160 seeded programmes (no query per row of anything)."""
from __future__ import annotations

from sql_counts import count_statements
from sqlalchemy import select
from test_dashboards_seeded import people, seed

from qa_engine.domain.workflow import State
from qa_engine.models import Programme

SEARCH = "forest"  # a word of one seeded topic (Sustainable Forest Management)


def _approved(session, designer_id: int) -> int:  # noqa: ANN001
    """The designer's first approved programme (it is on the register)."""
    return session.scalars(select(Programme.id).where(Programme.designer_id == designer_id,
                                                      Programme.state == State.APPROVED).order_by(Programme.id)).first()


def test_the_register_and_programme_pages_issue_the_same_statements_at_40_and_160_seeded_programmes(
        app, session, client_for) -> None:  # noqa: ANN001
    seed(app, session, 40)
    found = people(session)
    programme_id = _approved(session, found["designer"].id)
    assert programme_id is not None
    clients = {"officer": client_for(found["officer"]), "designer": client_for(found["designer"]),
               "public": app.test_client()}
    for client in clients.values():
        client.get("/")  # warm up: the login session is touched and the pool filled
    pages = [("public", "/register"), ("public", f"/register?q={SEARCH}"),
             ("public", f"/register/{programme_id}"), ("officer", f"/programmes/{programme_id}"),
             ("designer", f"/programmes/{programme_id}")]
    small = {(who, url): count_statements(app, clients[who], url) for who, url in pages}
    seed(app, session, 120)  # the same programme, among four times as many
    large = {(who, url): count_statements(app, clients[who], url) for who, url in pages}
    assert small == large
    title = session.get(Programme, programme_id).title
    assert title in clients["public"].get(f"/register/{programme_id}").get_data(as_text=True)
    assert title in clients["designer"].get(f"/programmes/{programme_id}").get_data(as_text=True)
    register = clients["public"].get(f"/register?q={SEARCH}").get_data(as_text=True).lower()
    assert SEARCH in register
