"""`qa-engine screen` and `qa-engine import-elm`: proposal files without a database, for pipelines."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from qa_engine import paths
from qa_engine.domain import frameworks, screening
from qa_engine.domain.datafiles import DataFileError
from qa_engine.domain.proposal import Proposal, ProposalFormatError, proposal_from_dict
from qa_engine.domain.vocabularies import Vocabularies, VocabularyError, load_vocabularies
from qa_engine.exports.elm_import import ElmImportError, proposal_from_elm

# Exit codes: 0 no check failed, 1 a check failed, 2 the input or the engine's data could not be read.
EXIT_BAD_INPUT = 2
_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _stop(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(EXIT_BAD_INPUT)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        _stop([f"error: cannot read {path}: {error}"])
    except json.JSONDecodeError as error:
        _stop([f"error: {path} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}"])


def _read_proposal(path: Path) -> Proposal:
    data = _read_json(path)
    if not isinstance(data, dict):
        _stop([f"error: {path} is not a proposal: the document must be a JSON object"])
    try:
        return proposal_from_dict(data)
    except ProposalFormatError as error:
        _stop([f"error: {path} is not a valid proposal:", *(f"  {line}" for line in error.errors)])


def _vocabularies() -> Vocabularies:
    try:
        return load_vocabularies(paths.resource_dir("rubrics") / "vocabularies")
    except VocabularyError as error:
        _stop(["error: the vocabularies cannot be loaded:", *(f"  {line}" for line in error.errors)])


def _hours_per_ects(country: str) -> tuple[float, float]:
    try:
        return frameworks.load_frameworks(paths.resource_dir("rubrics") / "frameworks").ects_hours_range(
            country
        )
    except DataFileError as error:
        _stop([f"error: the framework files cannot be loaded: {error}"])


@click.command("screen")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--country", metavar="CC", help="Country whose hours per ECTS apply (default: the awarding body's)."
)
@click.option("--today", type=_DATE, help="Date to screen as of, YYYY-MM-DD (default: today).")
@click.option(
    "--decision-date", type=_DATE, help="Expected decision date, YYYY-MM-DD, for the dates check (C19)."
)
def screen(file: Path, country: str | None, today: datetime | None, decision_date: datetime | None) -> None:
    """Screen a proposal JSON file (checks C1-C19); print the findings as JSON, exit 1 if any fails."""
    proposal = _read_proposal(file)
    country = (country or proposal.awarding_body.country).upper()
    config = dataclasses.replace(screening.ScreeningConfig(), hours_per_ects=_hours_per_ects(country))
    result = screening.screen(
        proposal,
        config,
        _vocabularies(),
        today=today.date() if today else date.today(),
        expected_decision_date=decision_date.date() if decision_date else None,
    )
    report = {"file": str(file), "country": country, "hours_per_ects": list(config.hours_per_ects)}
    click.echo(json.dumps({**report, **result.to_dict()}, indent=2, ensure_ascii=False))
    raise SystemExit(1 if result.blocking else 0)


@click.command("import-elm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the draft here.")
@click.option("--designer", metavar="EMAIL", help="Create the draft in the database for this programme designer.")
def import_elm(file: Path, output: Path | None, designer: str | None) -> None:
    """Turn a Europass ELM v3 JSON-LD credential or qualification into a draft proposal JSON file.

    With --designer, the draft is created in the database instead, for that designer's institution.
    """
    document = _read_json(file)
    if not isinstance(document, dict):
        _stop([f"error: {file} is not an ELM document: it must be a JSON object"])
    if designer:
        _create_draft(file, document, designer)
        return
    try:
        imported = proposal_from_elm(document, _vocabularies())
    except ElmImportError as error:
        _stop([f"error: {file}: {error}"])
    text = json.dumps(imported.proposal_data, indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    for note in imported.unmapped:
        click.echo(f"not imported: {note}", err=True)


def _create_draft(file: Path, document: dict[str, Any], email: str) -> None:
    """The --designer branch: the only part of these commands that needs the application and its database."""
    from flask import current_app
    from flask.cli import ScriptInfo
    from sqlalchemy import select

    from qa_engine.db import db
    from qa_engine.models import User
    from qa_engine.services import auth, proposals

    context = click.get_current_context()
    if not current_app:
        context.with_resource(context.ensure_object(ScriptInfo).load_app().app_context())
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.email == auth.normalise_email(email))).one_or_none()
        if user is None or not user.is_active:
            _stop([f"error: there is no active account {email}"])
        try:
            programme, notes = proposals.import_elm(session, actor=user, document=document)
        except proposals.NotAllowed:
            _stop([f"error: {email} is not a programme designer"])
        except (ElmImportError, ProposalFormatError) as error:
            _stop([f"error: {file}: {error}"])
        programme_id, title = programme.id, programme.title
    click.echo(f"Draft {programme_id} created for {email}: {title}")
    for note in notes:
        click.echo(f"not imported: {note}", err=True)
