"""Alembic is the only thing that creates the schema; it goes up, down and up again, and matches the models."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import PG_URL, drop_pg_database, ensure_pg_database, reset_pg_schema
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

import qa_engine.models  # noqa: F401
from qa_engine import migrations
from qa_engine.db import Base, make_engine


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        url = make_url(PG_URL).set(database=make_url(PG_URL).database + "_migrations")
        url_text = url.render_as_string(hide_password=False)
        ensure_pg_database(url_text)
        reset_pg_schema(url_text)
        yield url_text
        drop_pg_database(url_text)
        return
    yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    assert table_names(empty_database_url) == {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
    migrations.downgrade(empty_database_url, "base")
    assert table_names(empty_database_url) == {"alembic_version"}
    migrations.upgrade(empty_database_url)
    assert "audit_entries" in table_names(empty_database_url)


def test_migrations_match_the_models(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_migration_files_are_dated_and_single_headed() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    names = [Path(revision.path).name for revision in script.walk_revisions()]
    assert all(name[:8].isdigit() and name[8] == "_" and name[9:13].isdigit() for name in names), names
