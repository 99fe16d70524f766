"""`qa-engine export ob3|elm|deqar ID|--all`: accredited programmes in the exchange formats, on standard output.

Programmes come from a loader: `loader(id)` returns the items for one programme and `loader(None)` every
one. Run as `qa-engine export`, the loader reads the application's database (what the public register lists
today); a test or another store may pass its own as the click context object or set the module hook
`item_loader`. `--from-file PROPOSAL.json --decision-file DECISION.json` exports one programme from files.
Exit codes: 0 exported, 1 no such programme in the register, 2 bad input (a message on stderr, never a
traceback).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from flask.cli import ScriptInfo

from qa_engine.commands.proposals import _read_json, _read_proposal, _stop
from qa_engine.domain.outcomes import Outcome
from qa_engine.exports import elm
from qa_engine.exports.documents import FORMATS, render
from qa_engine.exports.records import AgencyFacts, Condition, DecisionFacts, ExportError, ExportItem, export_item

ItemLoader = Callable[[str | None], list[ExportItem]]
item_loader: ItemLoader | None = None
EXIT_NOT_FOUND = 1
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


class DecisionFileError(ValueError):
    """A decision file is malformed; `errors` name each bad field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def decision_from_dict(data: Any) -> tuple[DecisionFacts, AgencyFacts, str]:
    """Parse a decision file (see docs/exports.md): the decision, the agency and the optional NQF level URI.

    :raises DecisionFileError: listing every missing or malformed field.
    """
    if not isinstance(data, Mapping):
        raise DecisionFileError(["the document must be a JSON object"])
    errors: list[str] = []
    text = _reader(data, errors)
    programme_id = text("programme_id", required=True)
    outcome = data.get("outcome")
    if outcome not in {o.value for o in Outcome}:
        errors.append(f"outcome: must be one of {', '.join(o.value for o in Outcome)}")
    day = _dates(data, errors)
    facts = {"programme_id": programme_id, "report_url": text("report_url", required=True),
             "decision_body": text("decision_body", required=True), "public_base_url": text("public_base_url")}
    conditions = _conditions(data.get("conditions", []), errors)
    agency = data.get("agency")
    if not isinstance(agency, Mapping):
        errors.append("agency: required object")
        agency = {}
    agency_text = _reader(agency, errors, "agency.")
    agency_facts = {key: agency_text(key, required=key in {"name", "uri", "country"})
                    for key in ("name", "uri", "country", "website", "deqar_id")}
    nqf_level_uri = text("nqf_level_uri")
    if errors:
        raise DecisionFileError(errors)
    decision = DecisionFacts(
        programme_id=facts["programme_id"], outcome=Outcome(outcome), decided_on=day["decided_on"],
        valid_from=day["valid_from"], valid_to=day["valid_to"], report_url=facts["report_url"],
        decision_body=facts["decision_body"], conditions=conditions,
        **({"public_base_url": facts["public_base_url"]} if facts["public_base_url"] else {}),
    )
    return decision, AgencyFacts(**agency_facts), nqf_level_uri


def _reader(data: Mapping[str, Any], errors: list[str], prefix: str = "") -> Callable[..., str]:
    def text(key: str, *, required: bool = False) -> str:
        value = data.get(key, "")
        if not isinstance(value, str | int) or isinstance(value, bool) or (required and value in ("", None)):
            errors.append(f"{prefix}{key}: {'required ' if required else ''}text expected")
            return ""
        return str(value)

    return text


def _parse_date(value: Any, where: str, errors: list[str], *, required: bool = True) -> date | None:
    if value in (None, "") and not required:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        errors.append(f"{where}: a date YYYY-MM-DD expected")
        return None


def _dates(data: Mapping[str, Any], errors: list[str]) -> dict[str, date | None]:
    found = {key: _parse_date(data.get(key), key, errors, required=key != "valid_to")
             for key in ("decided_on", "valid_from", "valid_to")}
    if found["valid_from"] and found["valid_to"] and found["valid_to"] < found["valid_from"]:
        errors.append("valid_to: must not be before valid_from")
    return found


def _conditions(value: Any, errors: list[str]) -> tuple[Condition, ...]:
    if not isinstance(value, list):
        errors.append("conditions: a list expected")
        return ()
    found = []
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("text"), str) or not entry["text"]:
            errors.append(f"conditions[{index}].text: required text")
            continue
        due = _parse_date(entry.get("due"), f"conditions[{index}].due", errors, required=False)
        found.append(Condition(entry["text"], due))
    return tuple(found)


def _items_from_files(proposal_file: Path, decision_file: Path) -> list[ExportItem]:
    proposal = _read_proposal(proposal_file)
    try:
        decision, agency, nqf_level_uri = decision_from_dict(_read_json(decision_file))
    except DecisionFileError as error:
        _stop([f"error: {decision_file} is not a valid decision file:", *(f"  {line}" for line in error.errors)])
    return [export_item(proposal, decision, agency, nqf_level_uri=nqf_level_uri)]


def _loader(ctx: click.Context) -> ItemLoader:
    loader = ctx.obj if callable(ctx.obj) else item_loader
    info = ctx.find_object(ScriptInfo)
    if loader is None and info is not None:
        loader = database_loader(info)
    if loader is None:
        _stop(["error: no programme store is connected; export from files with "
               "--from-file PROPOSAL.json --decision-file DECISION.json"])
    return loader


def database_loader(info: ScriptInfo) -> ItemLoader:
    """A loader reading the application's database: what is accredited today, as the public register shows it."""
    from qa_engine.db import db
    from qa_engine.services import export_data

    app = info.load_app()

    def load(programme_id: str | None) -> list[ExportItem]:
        if programme_id is not None and not programme_id.isdigit():
            return []
        with app.app_context(), db.new_session() as session:
            return export_data.items(session, export_data.export_settings(session), today=date.today(),
                                     programme_id=int(programme_id) if programme_id else None)

    return load


def _not_found(programme_id: str) -> NoReturn:
    click.echo(f"error: programme {programme_id} is not in the register: no such programme, or it is not "
               "accredited today", err=True)
    raise SystemExit(EXIT_NOT_FOUND)


@click.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS))
@click.argument("programme_id", metavar="[ID]", required=False)
@click.option("--all", "every", is_flag=True, help="Every accredited programme instead of one ID.")
@click.option("--from-file", "proposal_file", type=_FILE, help="A proposal JSON file to export.")
@click.option("--decision-file", type=_FILE, help="The decision on that proposal (JSON, see docs/exports.md).")
@click.option("--format", "table_format", type=click.Choice(("json", "csv")), default="json", show_default=True,
              help="deqar: JSON or CSV.")
@click.option("--csv", "as_csv", is_flag=True, help="deqar: CSV instead of JSON (the same as --format csv).")
@click.option("--issued-on", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="ob3: the example credential's validFrom, YYYY-MM-DD (default: the decision's valid-from).")
@click.pass_context
def export(ctx: click.Context, fmt: str, programme_id: str | None, every: bool, proposal_file: Path | None,
           decision_file: Path | None, table_format: str, as_csv: bool, issued_on: datetime | None) -> None:
    """Export one programme (ID) or --all accredited ones as ob3, elm or deqar, on standard output.

    Without --from-file the programmes come from the database: those the public register lists today.
    """
    if every and programme_id:
        _stop(["error: give one programme ID or --all, not both"])
    if not every and not programme_id and not proposal_file:
        _stop(["error: give a programme ID or --all"])
    if bool(proposal_file) != bool(decision_file):
        _stop(["error: --from-file and --decision-file go together"])
    if proposal_file and decision_file:
        items = _items_from_files(proposal_file, decision_file)
        if programme_id and items[0].decision.programme_id != programme_id:
            _stop([f"error: {decision_file} is about programme {items[0].decision.programme_id}, not {programme_id}"])
    else:
        items = _loader(ctx)(None if every else programme_id)
    if every:
        items = [item for item in items if item.decision.is_approval]
    elif not items:
        _not_found(programme_id or "")
    try:
        text = render(fmt, items, many=every, as_csv=as_csv or table_format == "csv",
                      issued_on=issued_on.date() if issued_on else None)
    except ExportError as error:
        _stop([f"error: {error}"])
    if fmt == "elm":
        for note in elm.nqf_notes(items):
            click.echo(note, err=True)
    click.echo(text, nl=False)
