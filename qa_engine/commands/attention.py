"""`qa-engine attention rebuild|check`: the tables the QA office's dashboards read, for operators.

The database keeps `attention_items` (the open work with a date), `programme_tallies` (programmes per state) and
`programme_words` (what the programme lists' searches seek) in step by triggers; `check` compares them with the
source of truth (exit code 1 when they differ, naming the rows) and `rebuild` fills them afresh in one transaction
(e.g. after a repair made with the triggers off).
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from qa_engine.db import db
from qa_engine.services import attention_items


@click.group("attention")
def attention() -> None:
    """The dashboards' open work and programme tallies: check them against the records, or rebuild them."""


@attention.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Empty the open work and the tallies and fill them again from seats, rounds, conditions and decisions."""
    with db.transaction() as session:
        count = attention_items.rebuild(session)
    click.echo(f"attention rebuilt: {count} piece{'' if count == 1 else 's'} of open work, the tallies and the "
               "words.")


@attention.command("check")
@with_appcontext
def check() -> None:
    """Compare the open work and the tallies with the records; exit code 1 when they differ."""
    with db.new_session() as session:
        drift = attention_items.drift(session)
    for label, named in (("missing", [f"{kind} #{subject}" for kind, subject in drift.missing]),
                         ("extra", [f"{kind} #{subject}" for kind, subject in drift.extra]),
                         ("changed", [f"{kind} #{subject}" for kind, subject in drift.changed]),
                         ("miscounted", drift.miscounted),
                         ("words wrong", [f"programme #{p}" for p in drift.misworded])):
        if named:
            click.echo(f"{label}: {len(named)} ({', '.join(named[:20])}{', ...' if len(named) > 20 else ''})", err=True)
    if drift:
        raise SystemExit(1)
    click.echo("the dashboards' open work, tallies and words match the records.")
