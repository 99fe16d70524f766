"""Alembic, driven from the application: the only thing that creates or changes the schema."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from qa_engine.paths import resource_dir

FILE_TEMPLATE = "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the database at `url`, with our migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("truncate_slug_length", "40")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the schema down to `revision` ("base" removes everything)."""
    command.downgrade(alembic_config(url), revision)
