"""The `qa-engine` command: serve, migrate, load demo data, verify the audit trail, check rubrics, send mail."""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from qa_engine import create_app, migrations
from qa_engine.commands.attention import attention
from qa_engine.commands.exports import export
from qa_engine.commands.mail import worker
from qa_engine.commands.proposals import import_elm, screen
from qa_engine.commands.register import register
from qa_engine.commands.remind import remind
from qa_engine.commands.reports import reports
from qa_engine.commands.rubrics import rubrics
from qa_engine.commands.validity import expire
from qa_engine.db import db
from qa_engine.web import StartupError


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn database trouble into one clear line on stderr instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (OperationalError, ProgrammingError) as error:
            reason = str(error.orig).splitlines()[0] if error.orig else str(error)
            raise click.ClickException(
                f"the database is not ready ({reason}). Is it reachable, and did you run `qa-engine db upgrade`?"
            ) from None

    return wrapper


cli = FlaskGroup(create_app=create_app, name="qa-engine", help=__doc__, add_version_option=False)


@cli.group("db")
def db_group() -> None:
    """Create and change the database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
@friendly_errors
def db_upgrade(revision: str) -> None:
    """Bring the schema up to REVISION (default: the newest)."""
    migrations.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database schema is at {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
@friendly_errors
def db_downgrade(revision: str) -> None:
    """Take the schema down to REVISION ("base" removes every table)."""
    migrations.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database schema is at {revision}.")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the change does.")
@with_appcontext
def db_revision(message: str) -> None:
    """Generate a dated migration from the models (then read and tidy it)."""
    from alembic import command

    command.revision(migrations.alembic_config(current_app.config["DATABASE_URL"]), message=message,
                     autogenerate=True)


@cli.command("demo")
@click.option("--programmes", "extra", type=click.IntRange(min=1), default=None,
              help="Also seed this many programmes in bulk, in every state with their whole history.")
@with_appcontext
@friendly_errors
def demo_command(extra: int | None) -> None:
    """Load demo data (an agency, providers, accounts for every role, programmes in every state) and print the
    logins; with --programmes N, add a realistic data set of N programmes quickly."""
    from qa_engine import catalogue
    from qa_engine.db import utcnow
    from qa_engine.services import bulk_seed, demo, proposals

    settings = proposals.ScreeningSettings(current_app.config["SCREENING"], catalogue.current(), utcnow().date())
    with db.transaction() as session:
        if demo.is_loaded(session):
            click.echo("Demo data is already loaded.")
        else:
            demo.load(session, settings)
            click.echo("Demo data loaded.")
        logins = demo.logins(session)
    if extra:
        with db.transaction() as session:
            summary = bulk_seed.seed(session, extra, today=settings.today)
        click.echo(f"Seeded {summary.programmes} programmes and {summary.audit_entries} audit entries.")
    click.echo(f"\nDemo logins (password for every account: {demo.DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.email:<30} {login.role:<22} {login.institution}")


@cli.group("audit")
def audit_group() -> None:
    """The append-only, hash-chained audit trail."""


@audit_group.command("verify")
@with_appcontext
@friendly_errors
def audit_verify() -> None:
    """Check every entry's hash and link; name the first broken entry (exit 1)."""
    from qa_engine.services import audit

    with db.new_session() as session:
        broken = audit.verify(session)
        total = audit.count(session)
    if broken is not None:
        click.echo(f"BROKEN at entry {broken.seq}: {broken.reason}", err=True)
        sys.exit(1)
    click.echo(f"OK: {total} entries, chain unbroken.")


@cli.group("users")
def users_group() -> None:
    """Accounts from the command line (for the first administrator)."""


@users_group.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--institution", required=True, help="Name of the agency running the engine (created if new).")
@click.option("--country", default="EU", show_default=True)
@click.password_option()
@with_appcontext
@friendly_errors
def create_admin(email: str, name: str, institution: str, country: str, password: str) -> None:
    """Create an administrator account."""
    from sqlalchemy import select

    from qa_engine.domain.roles import InstitutionKind, Role
    from qa_engine.models import Institution
    from qa_engine.services import passwords, users

    problems = passwords.problems(password, min_length=current_app.config["PASSWORD_MIN_LENGTH"],
                                  personal=(email, name))
    if problems:
        raise click.ClickException(" ".join(problems))
    with db.transaction() as session:
        agency = session.scalars(select(Institution).where(Institution.name == institution)).one_or_none()
        try:
            agency = agency or users.create_institution(session, name=institution, short_name=institution[:40],
                                                        country=country, kind=InstitutionKind.AGENCY, by=None)
            users.create_user(session, email=email, full_name=name, institution=agency, roles={Role.ADMIN},
                              by=None, password=password)
        except users.UserError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Administrator {email} created.")


for command in (rubrics, screen, import_elm):
    cli.add_command(command)
# These use the database: its trouble is one clear line, not a traceback.
for command in (export, worker, remind, expire, reports, register, attention):
    command.callback = friendly_errors(command.callback)
    cli.add_command(command)


def main() -> None:
    """Entry point of the console script."""
    try:
        cli.main(prog_name="qa-engine")
    except StartupError as error:
        click.echo(f"qa-engine: cannot start: {error}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
