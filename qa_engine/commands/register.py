"""`qa-engine register rebuild|check`: the public register's table of entries, for operators.

The database keeps `register_entries` in step with decisions, conditions, addenda and programme states by
triggers; `check` compares it with the source of truth (exit code 1 when they differ, naming the programmes) and
`rebuild` fills it afresh from the source of truth in one transaction (e.g. after a repair made with the triggers
off). Exit code 1 as well when the database is not ready.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from qa_engine.db import db
from qa_engine.services import register_entries


@click.group("register")
def register() -> None:
    """The public register's entries: check them against the decisions, or rebuild them."""


@register.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Empty the register's entries and fill them again from the decisions in effect."""
    with db.transaction() as session:
        count = register_entries.rebuild(session)
    click.echo(f"register rebuilt: {count} entr{'y' if count == 1 else 'ies'} (valid today or not).")


@register.command("check")
@with_appcontext
def check() -> None:
    """Compare the register's entries with the decisions in effect; exit code 1 when they differ."""
    with db.new_session() as session:
        drift = register_entries.drift(session)
    for label, programmes in (("missing", drift.missing), ("extra", drift.extra), ("changed", drift.changed)):
        if programmes:
            click.echo(f"{label}: {len(programmes)} (programme {', '.join(f'#{p}' for p in programmes[:20])}"
                       f"{', ...' if len(programmes) > 20 else ''})", err=True)
    if drift:
        raise SystemExit(1)
    click.echo("register entries match the decisions in effect.")
