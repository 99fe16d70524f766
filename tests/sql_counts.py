"""Counting the SQL statements a request issues: the tests that pages stay bounded (no N+1) at two data sizes."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import Engine, event


def engine_of(app: Flask) -> Engine:
    return app.extensions["qa_engine.db"].engine


@contextmanager
def recorded(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block, in order."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def count_statements(app: Flask, client, url: str, *, warm_up: bool = False) -> int:  # noqa: ANN001
    """How many SQL statements one GET of `url` issues (it must answer 200); after one untimed GET if `warm_up`."""
    if warm_up:
        assert client.get(url).status_code == 200
    with recorded(engine_of(app)) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen)
