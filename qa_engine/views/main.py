"""The home page: for visitors, a welcome; for each role, its dashboard: the QA office's pipeline and what needs
attention, the designer's programmes with what is expected next, the reviewer's reviews and their decisions."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text

from qa_engine import catalogue
from qa_engine.db import db
from qa_engine.domain import permissions
from qa_engine.domain.roles import Actor
from qa_engine.domain.workflow import State
from qa_engine.services import appeals, dashboards, reviewing, reviews, validity
from qa_engine.views.access import PUBLIC, allow

bp = Blueprint("main", __name__)
EXPIRING_WITHIN = 90  # days: approvals ending this soon need the QA office's attention


@bp.route("/")
@allow(PUBLIC)
def index() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    actor, today = current_user.actor, date.today()
    return render_template("main/home.html", State=State, overseer=_overseer(actor, today),
                           designer=_designer(actor, today), reviewer=_reviewer(actor, today))


def _overseer(actor: Actor, today: date) -> dashboards.Summary | None:
    if not permissions.can_oversee_programmes(actor):
        return None
    return dashboards.summary(db.session, actor, today=today, settings=reviews.current_settings(),
                              within=EXPIRING_WITHIN)


def _designer(actor: Actor, today: date) -> dashboards.Page[dashboards.DesignerRow] | None:
    if not permissions.can_design(actor):
        return None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    return dashboards.designer_page(db.session, actor, today=today, horizon=max(validity.reminder_days(), default=0),
                                    appeal_days=appeals.window_days(), page=page)


def _reviewer(actor: Actor, today: date) -> dashboards.ReviewerBoard | None:
    if not permissions.can_review(actor):
        return None
    desk = reviewing.desk(db.session, current_user.user, settings=reviews.current_settings(),
                          registry=catalogue.current().rubrics, submitted=False)
    return dashboards.reviewer_board(db.session, actor, desk, today=today)


@bp.route("/healthz")
@allow(PUBLIC)
def health() -> ResponseReturnValue:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
