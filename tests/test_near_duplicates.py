"""The near-duplicate check (C13) on a live draft: approved programmes are read once per process, not at every
screening, and the draft page names the closest ones."""
from __future__ import annotations

from factories import make_programme, make_submitted, make_user, sound_proposal
from sql_counts import engine_of, recorded

from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.models import Programme, User
from qa_engine.services import proposals


def _content_reads(app, client, url: str) -> int:  # noqa: ANN001
    """How many statements read other programmes' versions by id (the near-duplicate check's reads of the
    contents it has not seen yet) while `url` is served."""
    with recorded(engine_of(app)) as seen:
        assert client.get(url).status_code == 200
    return sum("programme_versions.content" in sql and "programme_versions.id IN" in sql for sql in seen)


def _approved_and_its_twin_draft(session) -> tuple[User, Programme, Programme]:  # noqa: ANN001
    """A designer, an approved programme of theirs and a draft with the same proposal (committed)."""
    designer = make_user(session, Role.DESIGNER)
    twin = make_programme(session, designer, data=sound_proposal())
    make_submitted(session, twin, designer)
    twin.state = State.APPROVED
    draft = make_programme(session, designer, data=sound_proposal())
    session.commit()
    return designer, twin, draft


def test_a_draft_like_an_approved_programme_is_warned_and_the_approved_one_is_read_once(app, session,
                                                                                        client_for) -> None:
    designer, twin, draft = _approved_and_its_twin_draft(session)
    client = client_for(designer)

    proposals._APPROVED.entries.clear()  # as in a fresh process
    first = _content_reads(app, client, f"/programmes/{draft.id}")
    page = client.get(f"/programmes/{draft.id}").get_data(as_text=True)
    again = _content_reads(app, client, f"/programmes/{draft.id}")

    assert "similar in title and learning outcomes to the approved programme" in page and f"({twin.id})" in page
    assert (first, again) == (1, 0)


def test_a_worker_started_with_warm_caches_has_read_the_approved_programmes_before_its_first_draft(
        app, session, make_app, client_for) -> None:  # noqa: ANN001
    designer, twin, draft = _approved_and_its_twin_draft(session)

    proposals._APPROVED.entries.clear()  # as in a fresh process
    make_app()  # WARM_CACHES off (the default): nothing read at start
    assert not proposals._APPROVED.entries
    make_app(WARM_CACHES=True)  # the cache is the process's: every app in it (here the test's) reads from it
    assert [entry.id for entry in proposals._APPROVED.entries.values()] == [str(twin.id)]
    assert _content_reads(app, client_for(designer), f"/programmes/{draft.id}") == 0
