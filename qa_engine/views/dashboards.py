"""The QA office's dashboard (pipeline, overdue work, decisions waiting, approvals expiring, the programme list with
its bulk actions) and analytics (stage times, reviewer turnaround, the cost of assurance), with CSV exports.

The designer's and the reviewer's dashboards are their home page (views.main).
"""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from functools import partial

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectChoice

from qa_engine.db import db, utcnow
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.exports.records import csv_cell
from qa_engine.forms.dashboards import DEFAULT_WINDOW, BulkForm, FilterForm, PeriodForm
from qa_engine.reports import charts
from qa_engine.services import analytics, dashboards, programmes, reviews
from qa_engine.services.analytics import Analytics
from qa_engine.services.dashboards import Filters, Table
from qa_engine.views.access import allow, roles

bp = Blueprint("dashboards", __name__, url_prefix="/qa")
OVERSEERS = roles(Role.QA_OFFICER, Role.ADMIN)  # administrators read the dashboard and the analytics
OFFICERS = roles(Role.QA_OFFICER)  # only QA officers send reminders
PAGE_SIZE = 25


# The QA dashboard -----------------------------------------------------------------------------------------------


@bp.route("/dashboard")
@allow(OVERSEERS)
def officer() -> ResponseReturnValue:
    form = _filter_form()
    return _officer_page(form, BulkForm(formdata=None, back=request.full_path), 200 if form.validate() else 422)


def _filter_form() -> FilterForm:
    form = FilterForm(formdata=request.args)
    offered = dashboards.providers(db.session, chosen=request.args.get("provider", type=int))
    form.provider.choices = [SelectChoice("", _("Any provider"))] + [
        SelectChoice(str(i), name) for i, name in offered.listed]
    if offered.more:
        form.provider.description = _("The first %(n)d providers by name: search by a provider's name below, or "
                                      "choose a programme's provider in the list.", n=dashboards.LISTED_PROVIDERS)
    return form


def _officer_page(form: FilterForm, bulk: BulkForm, status: int) -> ResponseReturnValue:
    actor, today = current_user.actor, date.today()
    valid = not form.errors
    filters = form.filters() if valid else Filters()
    within = int(form.within.data) if valid else DEFAULT_WINDOW
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    return render_template(
        "dashboards/officer.html", form=form, bulk=bulk, filters=filters, within=within, today=today,
        pipeline_counts=programmes.counts_by_state(db.session, actor), State=State,
        attention=dashboards.attention(db.session, actor, today=today, settings=reviews.current_settings(),
                                       within=within),
        programmes=dashboards.programme_page(db.session, actor, filters, page=page, per_page=PAGE_SIZE),
        may_remind=actor.has(Role.QA_OFFICER)), status


@bp.route("/dashboard/reminders", methods=["POST"])
@allow(OFFICERS)
def remind() -> ResponseReturnValue:
    bulk = BulkForm()
    if not bulk.validate_on_submit():
        return _officer_page(_filter_form(), bulk, 422)
    done = dashboards.send_reminders(db.session, current_user.user, bulk.programme.data,
                                     settings=reviews.current_settings(), today=date.today())
    db.session.commit()
    if done.sent:
        flash(ngettext("%(num)d reminder sent", "%(num)d reminders sent", len(done.sent)) + " " +
              ngettext("for %(num)d programme.", "for %(num)d programmes.", done.programmes), "success")
    else:
        flash(_("No reminder was due for the selected programmes: they were sent already or are not due yet."),
              "warning")
    return redirect(_back(bulk.back.data))


@bp.route("/dashboard/export", methods=["POST"])
@allow(OVERSEERS)
def export() -> ResponseReturnValue:
    bulk = BulkForm()
    if not bulk.validate_on_submit():
        return _officer_page(_filter_form(), bulk, 422)
    table = dashboards.export(db.session, current_user.actor, bulk.programme.data)
    return _csv(table, f"programmes-{date.today().isoformat()}.csv")


def _back(path: str | None) -> str:
    """The dashboard page the bulk action came from, never anywhere else."""
    home = url_for("dashboards.officer")
    if path and path.startswith(home) and "\\" not in path and not path.startswith("//"):
        return path
    return home


# Analytics -------------------------------------------------------------------------------------------------------


@bp.route("/analytics")
@allow(OVERSEERS)
def analytics_page() -> ResponseReturnValue:
    form = PeriodForm(formdata=request.args)
    if not form.validate():
        return render_template("dashboards/analytics.html", form=form, found=None, charts={}), 422
    period, settings = form.period(date.today()), _cost_settings()
    kept = analytics.snapshot(db.session, current_user.actor, period, settings,
                              max_age=current_app.config["ANALYTICS_MAX_AGE"],
                              stale_for=current_app.config["ANALYTICS_STALE_FOR"], now=utcnow(),
                              fresh=request.args.get("fresh") == "1")
    response = make_response(render_template("dashboards/analytics.html", form=form, found=kept.analytics,
                                             charts=_charts(kept.analytics), tables=analytics.TABLES, kept=kept))
    if kept.refresh_due:
        response.call_on_close(partial(_refresh, current_app._get_current_object(), period, settings))
    return response


def _refresh(app: Flask, period: analytics.Period, settings: analytics.CostSettings) -> None:
    """Compute a period's figures again once the page that showed the old ones is sent (the server closes it)."""
    try:
        with app.app_context(), app.extensions["qa_engine.db"].new_session() as session:
            analytics.refresh(session, period, settings, now=utcnow())
    except Exception:  # the page is already sent: the next view computes them instead
        app.logger.exception("analytics: computing %s to %s again failed", period.start, period.end)


@bp.route("/analytics.csv")
@allow(OVERSEERS)
def analytics_csv() -> ResponseReturnValue:
    form = PeriodForm(formdata=request.args)
    which = request.args.get("table", "programmes")
    if which not in analytics.TABLES:
        abort(404)
    if not form.validate():
        return render_template("dashboards/analytics.html", form=form, found=None, charts={}), 422
    period = form.period(date.today())
    table = analytics.table(db.session, current_user.actor, which, period, _cost_settings())
    return _csv(table, f"{which}-{period.start.isoformat()}-{period.end.isoformat()}.csv")


def _cost_settings() -> analytics.CostSettings:
    return analytics.cost_settings(current_app.config)


def _charts(found: Analytics) -> dict[str, Markup]:
    """The SVG charts of the page: median days per stage, and the cost of each month."""
    drawn = {}
    if found.stages:
        days = [charts.Bar(stage.state.label, round(stage.median_days, 2)) for stage in found.stages]
        drawn["stages"] = Markup(charts.bar_chart(
            days, minimum=0, maximum=_ceiling(max(bar.value or 0 for bar in days)),
            title=_("Median days in each stage"), axis_label=_("Days (median)"), chart_id="stages-chart",
            description=_("For each stage, the median number of days programmes stayed in it.")))
    costs = [charts.Bar(month.month, float(month.cost.total)) for month in found.months]
    drawn["months"] = Markup(charts.bar_chart(
        costs, minimum=0, maximum=_ceiling(max((bar.value or 0 for bar in costs), default=0)),
        title=_("Cost of assurance per month"), axis_label=_("Cost (%(currency)s)", currency=found.settings.currency),
        chart_id="months-chart", description=_("For each month, what reviewers' hours and officers' time cost.")))
    return drawn


def _ceiling(value: float) -> float:
    """A round number at least `value` (1, 2 or 5 times a power of ten), for a chart's scale."""
    scale = Decimal(1)
    while True:
        for step in (1, 2, 5):
            if step * scale >= Decimal(str(value)):
                return float(step * scale)
        scale *= 10


def _csv(table: Table, filename: str) -> Response:
    """The table as RFC 4180 CSV with a header row; cells a spreadsheet would run as formulas are defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows([csv_cell(value) for value in row] for row in table.rows)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})
