"""The public register of accredited micro-credentials and the exports of decisions.

An entry's URL argument is `decided_programme_id`: only a programme with a decision that accredits it today has
an entry (the access-matrix world provides one under that name; its programme under review would be a 404).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_engine import catalogue
from qa_engine.db import db
from qa_engine.domain.roles import Role
from qa_engine.exports import committee
from qa_engine.exports.documents import render
from qa_engine.exports.records import ExportItem
from qa_engine.reports import elements
from qa_engine.services import export_data, register, reviews
from qa_engine.views.access import PUBLIC, allow, roles

bp = Blueprint("register", __name__)
OVERSEERS = roles(Role.QA_OFFICER, Role.ADMIN)
PAGE_SIZE = 20


def _filters() -> register.Filters:
    args = request.args
    status = args.get("status", "")
    return register.Filters(
        search=args.get("q", "").strip()[:100], field=args.get("field", "").strip()[:10],
        level=args.get("level", type=int), provider_id=args.get("provider", type=int),
        status=register.RegisterStatus(status) if status in set(register.RegisterStatus) else None,
        page=max(args.get("page", 1, type=int) or 1, 1), per_page=PAGE_SIZE)


def _items(programme_id: int | None = None) -> list[ExportItem]:
    """The export records of one programme accredited today (404 for any other) or of all of them."""
    settings = export_data.export_settings(db.session)
    found = export_data.items(db.session, settings, today=date.today(), programme_id=programme_id)
    if programme_id is not None and not found:
        abort(404)
    return found


def _download(text: str, mimetype: str, filename: str | None = None) -> Response:
    response = Response(text, mimetype=mimetype)
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/register")
@allow(PUBLIC)
def index() -> ResponseReturnValue:
    filters, vocabularies = _filters(), catalogue.current().vocabularies
    facets = register.facets(db.session, today=date.today(), vocabularies=vocabularies)
    found = register.search(db.session, filters, today=date.today(), vocabularies=vocabularies, facets=facets)
    return render_template("register/index.html", page=found, filters=filters, statuses=list(register.RegisterStatus),
                           facets=facets)


@bp.route("/register/<int:decided_programme_id>")
@allow(PUBLIC)
def entry(decided_programme_id: int) -> ResponseReturnValue:
    found = register.entry(db.session, decided_programme_id, today=date.today(), registry=catalogue.current().rubrics,
                           settings=reviews.current_settings()) or abort(404)
    return render_template("register/entry.html", entry=found, mandatory=elements.mandatory_rows(found.proposal),
                           optional=elements.optional_rows(found.proposal))


@bp.route("/register/<int:decided_programme_id>/ob3.json")
@allow(PUBLIC)
def ob3(decided_programme_id: int) -> ResponseReturnValue:
    return _download(render("ob3", _items(decided_programme_id), many=False), "application/json")


@bp.route("/register/<int:decided_programme_id>/elm.jsonld")
@allow(PUBLIC)
def elm(decided_programme_id: int) -> ResponseReturnValue:
    return _download(render("elm", _items(decided_programme_id), many=False), "application/ld+json")


@bp.route("/register/deqar.csv")
@allow(PUBLIC)
def deqar_csv() -> ResponseReturnValue:
    return _download(render("deqar", _items(), many=True, as_csv=True), "text/csv", "deqar.csv")


@bp.route("/register/deqar.json")
@allow(PUBLIC)
def deqar_json() -> ResponseReturnValue:
    return _download(render("deqar", _items(), many=True), "application/json")


@bp.route("/qa/exports/marks.csv")
@allow(OVERSEERS)
def marks_csv() -> ResponseReturnValue:
    period = period_of(request.args)
    if isinstance(period, str):
        return render_template("errors/error.html", code=400, title=_("Which period?"), message=period), 400
    start, end = period
    table = export_data.decided_marks(db.session, current_user.actor, start=start, end=end,
                                      registry=catalogue.current().rubrics, settings=reviews.current_settings())
    return _download(committee.marks_csv(table), "text/csv", f"marks-{start.isoformat()}-{end.isoformat()}.csv")


def period_of(args: Any) -> tuple[date, date] | str:
    """The from/to dates of the query string, or what is wrong with them."""
    try:
        start, end = date.fromisoformat(args.get("from", "")), date.fromisoformat(args.get("to", ""))
    except ValueError:
        return _("Give the period as from=YYYY-MM-DD&to=YYYY-MM-DD, for example from=2026-01-01&to=2026-12-31.")
    if end < start:
        return _("The period ends before it starts: “to” must not be before “from”.")
    return start, end

