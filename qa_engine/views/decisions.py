"""Accreditation decisions (four eyes, corrections) and the follow-up of their conditions."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from qa_engine import catalogue
from qa_engine.db import db, utcnow
from qa_engine.domain import permissions
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import State
from qa_engine.forms import decisions as forms
from qa_engine.models import Condition, Decision, DecisionStatus, Programme
from qa_engine.services import conditions, decisions, reviews, workflow
from qa_engine.services.proposals import NotAllowed
from qa_engine.views.access import allow, roles
from qa_engine.views.programme_pages import conflict_page, visible_programme

bp = Blueprint("decisions", __name__)
READERS = roles(Role.QA_OFFICER, Role.ADMIN)  # administrators read decisions and conditions
OFFICERS = roles(Role.QA_OFFICER)  # only QA officers decide, correct and judge
PROGRAMME_READERS = roles(Role.DESIGNER, Role.QA_OFFICER, Role.ADMIN)
DESIGNERS = roles(Role.DESIGNER)


def _settings() -> decisions.DecisionSettings:
    return decisions.settings_from_config(current_app.config)


def _today() -> date:
    return utcnow().date()


def _done(location: str, message: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "success")
    return redirect(location)


def _decision(decision_id: int) -> Decision:
    """A decision of a programme the signed-in person may see (which of them they may read, the services say)."""
    decision = db.session.get(Decision, decision_id)
    if decision is None or not permissions.can_see_programme(
            current_user.actor, provider_id=decision.programme.provider_id, state=State(decision.programme.state)):
        abort(404)
    return decision


def _condition(condition_id: int) -> Condition:
    condition = db.session.get(Condition, condition_id)
    if condition is None:
        abort(404)
    programme = condition.decision.programme
    if not permissions.can_see_programme(current_user.actor, provider_id=programme.provider_id,
                                         state=State(programme.state)):
        abort(404)
    return condition


# The decision ----------------------------------------------------------------------------------------------


def _case_page(programme: Programme, form: forms.DecisionForm | None = None,
               decline_form: forms.DeclineForm | None = None, declining: Decision | None = None,
               status: int = 200) -> ResponseReturnValue:
    settings = _settings()
    try:
        case = decisions.case(db.session, programme, actor=current_user.actor, settings=settings,
                              review_settings=reviews.current_settings(), registry=catalogue.current().rubrics)
    except NotAllowed:
        abort(404)
    if form is None and case.can_decide:
        form = forms.DecisionForm(formdata=None).offer(catalogue.current().vocabularies)
        form.fill_defaults(decisions.default_terms(db.session, programme, settings=settings, today=_today(),
                                                   vocabularies=catalogue.current().vocabularies), settings.body)
    return render_template("decisions/case.html", case=case, programme=programme, form=form,
                           decline_form=decline_form or forms.DeclineForm(formdata=None), declining=declining), status


@bp.route("/qa/programmes/<int:programme_id>/decision")
@allow(READERS)
def case(programme_id: int) -> ResponseReturnValue:
    return _case_page(visible_programme(programme_id))


@bp.route("/qa/programmes/<int:programme_id>/decision", methods=["POST"])
@allow(OFFICERS)
def decide(programme_id: int) -> ResponseReturnValue:
    programme = visible_programme(programme_id)
    form = forms.DecisionForm().offer(catalogue.current().vocabularies)
    if form.add_condition.data:
        form.add_row()
        return _case_page(programme, form)
    if form.validate_on_submit():
        try:
            decision = decisions.decide(db.session, programme, form.statement(), actor=current_user.user,
                                        settings=_settings(), review_settings=reviews.current_settings(),
                                        registry=catalogue.current().rubrics, today=_today())
        except decisions.Invalid as invalid:
            form.show(invalid.errors)
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _done(_case_url(decision), _("The decision is recorded; a second QA officer confirms it.")
                         if decision.status is DecisionStatus.PROPOSED
                         else _("The decision is in effect; the provider and the reviewers are told."))
    return _case_page(programme, form, status=422)


@bp.route("/qa/decisions/<int:decision_id>/confirm", methods=["POST"])
@allow(OFFICERS)
def confirm(decision_id: int) -> ResponseReturnValue:
    decision = _decision(decision_id)
    try:
        decisions.confirm(db.session, decision, actor=current_user.user, settings=_settings(), today=_today())
    except workflow.Conflict as conflict:
        return conflict_page(conflict)
    return _done(_case_url(decision), _("The decision is confirmed and in effect; the provider and the reviewers "
                                        "are told."))


@bp.route("/qa/decisions/<int:decision_id>/decline", methods=["POST"])
@allow(OFFICERS)
def decline(decision_id: int) -> ResponseReturnValue:
    decision = _decision(decision_id)
    form = forms.DeclineForm()
    if form.validate_on_submit():
        try:
            decisions.decline(db.session, decision, actor=current_user.user, reason=form.reason.data)
        except decisions.Invalid as invalid:
            form.reason.errors.extend(invalid.errors.values())
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _done(_case_url(decision), _("The proposed decision is declined; the case is decided afresh."))
    return _case_page(decision.programme, decline_form=form, declining=decision, status=422)


def _case_url(decision: Decision) -> str:
    return url_for("decisions.case", programme_id=decision.programme_id)


@bp.route("/decisions/<int:decision_id>")
@allow(PROGRAMME_READERS)
def show(decision_id: int) -> ResponseReturnValue:
    decision = _decision(decision_id)
    try:
        dossier = decisions.dossier(db.session, decision, actor=current_user.actor, today=_today())
    except NotAllowed:
        abort(404)
    return render_template("decisions/show.html", dossier=dossier, decision=decision, programme=decision.programme)


@bp.route("/qa/decisions/<int:decision_id>/correct", methods=["GET", "POST"])
@allow(OFFICERS)
def correct(decision_id: int) -> ResponseReturnValue:
    decision = _decision(decision_id)
    form = forms.CorrectionForm().offer(catalogue.current().vocabularies)
    if request.method == "GET":
        form.fill(decisions.terms_of(decision))
    elif form.validate_on_submit():
        try:
            correction = decisions.correct(db.session, decision, form.terms(), actor=current_user.user,
                                           reason=form.correction_reason.data, today=_today())
        except decisions.Invalid as invalid:
            form.show(invalid.errors)
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _done(url_for("decisions.show", decision_id=correction.id),
                         _("The correction is recorded; the provider is told."))
    return render_template("decisions/correct.html", decision=decision, programme=decision.programme, form=form,
                           correctable=decisions.correctable(db.session, decision),
                           accredits=decisions.accredits(decision.outcome)), 200 if request.method == "GET" else 422


# Conditions ------------------------------------------------------------------------------------------------


def _conditions_page(programme: Programme, posted: FlaskForm | None = None, posted_for: int | None = None,
                     status: int = 200) -> ResponseReturnValue:
    try:
        follow_up = conditions.follow_up(db.session, programme, actor=current_user.actor, today=_today())
    except NotAllowed:
        abort(404)
    row_forms: dict[int, FlaskForm] = {}
    for row in follow_up.rows:
        condition = row.condition
        kind = forms.EvidenceForm if row.may_submit else forms.JudgementForm if row.may_judge else None
        if kind is None:
            continue
        if isinstance(posted, kind) and posted_for == condition.id:
            row_forms[condition.id] = posted
        else:
            row_forms[condition.id] = kind(formdata=None, prefix=forms.condition_prefix(condition.id),
                                           data={"version": str(condition.version)})
    stray = [] if posted is None or posted_for in row_forms else [
        str(message) for messages in (posted.form_errors, *(f.errors for f in posted)) for message in messages]
    return render_template("decisions/conditions.html", follow_up=follow_up, programme=programme, forms=row_forms,
                           stray=stray), status


@bp.route("/programmes/<int:programme_id>/conditions")
@allow(PROGRAMME_READERS)
def conditions_page(programme_id: int) -> ResponseReturnValue:
    return _conditions_page(visible_programme(programme_id))


@bp.route("/conditions/<int:condition_id>/evidence", methods=["POST"])
@allow(DESIGNERS)
def submit_evidence(condition_id: int) -> ResponseReturnValue:
    condition = _condition(condition_id)
    programme = condition.decision.programme
    form = forms.EvidenceForm(prefix=forms.condition_prefix(condition.id))
    if form.validate_on_submit():
        try:
            conditions.submit_evidence(db.session, condition, actor=current_user.user, text=form.text.data,
                                       version=form.seen_version)
        except NotAllowed:
            abort(404)
        except decisions.Invalid as invalid:
            form.text.errors.extend(invalid.errors.values())
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _done(_condition_url(condition), _("Your evidence is submitted; the QA officer is told."))
    return _conditions_page(programme, form, condition.id, status=422)


@bp.route("/qa/conditions/<int:condition_id>/judge", methods=["POST"])
@allow(OFFICERS)
def judge(condition_id: int) -> ResponseReturnValue:
    condition = _condition(condition_id)
    programme = condition.decision.programme
    form = forms.JudgementForm(prefix=forms.condition_prefix(condition.id))
    if form.validate_on_submit():
        try:
            addendum = conditions.judge(db.session, condition, actor=current_user.user, met=form.met,
                                        comment=form.comment.data, version=form.seen_version, today=_today())
        except decisions.Invalid as invalid:
            form.comment.errors.extend(invalid.errors.values())
        except workflow.Conflict as conflict:
            return conflict_page(conflict)
        else:
            return _done(_condition_url(condition),
                         _("Every condition is met: the approval is now unconditional, and the provider is told.")
                         if addendum else _("Your judgement is recorded; the provider is told."))
    return _conditions_page(programme, form, condition.id, status=422)


def _condition_url(condition: Condition) -> str:
    return url_for("decisions.conditions_page", programme_id=condition.decision.programme_id,
                   _anchor=f"condition-{condition.number}")


@bp.route("/qa/conditions")
@allow(READERS)
def open_conditions() -> ResponseReturnValue:
    found = conditions.open_conditions(db.session, actor=current_user.actor, today=_today())
    return render_template("decisions/open_conditions.html", rows=found)
