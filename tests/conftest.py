"""Test fixtures: a real database built by Alembic (SQLite, or PostgreSQL when
QA_ENGINE_TEST_DATABASE_URL is set), a fresh one for every test, and test clients that speak CSRF."""
from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from qa_engine import create_app, migrations
from qa_engine.db import Base
from qa_engine.domain.audit_chain import GENESIS_HASH
from qa_engine.extensions import limiter


def _per_run(url: str | None) -> str | None:
    """The PostgreSQL test database for this run: the configured name plus the process id, so that two runs
    on one server (a developer's and CI's) never drop each other's schema."""
    if not url:
        return None
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{os.getpid()}").render_as_string(hide_password=False)


PG_URL = _per_run(os.environ.get("QA_ENGINE_TEST_DATABASE_URL"))
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "RATELIMIT_STORAGE_URI": "memory://",
    "SERVER_NAME": "localhost",
    "ANALYTICS_MAX_AGE": 0,  # every test reads its own data's figures; tests/test_analytics.py tests the snapshots
    "ANALYTICS_STALE_FOR": 0,
}


def backend() -> str:
    """The backend under test: "postgresql" or "sqlite"."""
    return "postgresql" if PG_URL else "sqlite"


def ensure_pg_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` when it does not exist."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def drop_pg_database(url: str) -> None:
    """Remove a PostgreSQL test database, closing what still uses it."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def reset_pg_schema(url: str) -> None:
    """Drop everything in the public schema of a PostgreSQL test database."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per test run: a file to copy (SQLite) or the PostgreSQL URL."""
    if PG_URL:
        ensure_pg_database(PG_URL)
        reset_pg_schema(PG_URL)
        migrations.upgrade(PG_URL)
        yield PG_URL
        drop_pg_database(PG_URL)
        return
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrations.upgrade(f"sqlite:///{path}")
    yield str(path)


def _truncate_pg(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # let the audit triggers sleep
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH})
    engine.dispose()


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for one test."""
    if PG_URL:
        _truncate_pg(PG_URL)
        return PG_URL
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


class Client(FlaskClient):
    """A test client that finds the CSRF token in the last page and sends it with forms."""

    def csrf_token(self, path: str = "/login") -> str:
        page = self.get(path).get_data(as_text=True)
        match = CSRF_RE.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, data: dict | None = None, *, token_from: str = "/login", **kwargs):  # noqa: ANN201
        return self.post(path, data={**(data or {}), "csrf_token": self.csrf_token(token_from)}, **kwargs)


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator:
    """Build an app on the test database, with extra configuration."""
    apps: list[Flask] = []

    def build(**overrides) -> Flask:  # noqa: ANN003
        config = {**TEST_CONFIG, "DATABASE_URL": database_url, **overrides}
        app = create_app(config)
        app.instance_path = str(tmp_path / "instance")
        app.test_client_class = Client
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["qa_engine.db"].engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:  # noqa: ANN001
    application = make_app()
    limiter.reset()
    return application


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator:
    """A database session outside any request, for arranging and checking; commits are the test's.

    No app context is pushed: a pushed one would be shared by the client's requests and hide their teardown.
    """
    with app.extensions["qa_engine.db"].new_session() as s:
        yield s


@pytest.fixture
def client_for(app: Flask):  # noqa: ANN201
    """Build a test client signed in as a given user."""
    from factories import sign_in

    def build(user) -> Client:  # noqa: ANN001
        client = app.test_client()
        sign_in(client, app, user)
        return client

    return build
