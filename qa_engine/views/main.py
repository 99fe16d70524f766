"""The home page: for visitors, a welcome; for each role, what needs attention now."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text

from qa_engine.db import db
from qa_engine.domain.workflow import State
from qa_engine.services import programmes
from qa_engine.views.access import PUBLIC, allow

bp = Blueprint("main", __name__)


@bp.route("/")
@allow(PUBLIC)
def index() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    actor = current_user.actor
    return render_template(
        "main/home.html",
        counts=programmes.counts_by_state(db.session, actor),
        to_screen=programmes.recent(db.session, actor, states=(State.SUBMITTED,)),
        mine=programmes.recent(db.session, actor),
        State=State,
    )


@bp.route("/healthz")
@allow(PUBLIC)
def health() -> ResponseReturnValue:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
