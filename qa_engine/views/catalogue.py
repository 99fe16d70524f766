"""Reference data pages: every rubric and framework rendered in full, as reviewers and officers read them."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from qa_engine import catalogue
from qa_engine.domain.roles import Role
from qa_engine.views.access import allow, roles

bp = Blueprint("catalogue", __name__, url_prefix="/reference")
OFFICERS = roles(Role.ADMIN, Role.QA_OFFICER)


@bp.route("/")
@allow(OFFICERS)
def index() -> ResponseReturnValue:
    data = catalogue.current()
    return render_template("catalogue/index.html", rubrics=data.rubrics.all(), frameworks=data.frameworks)


@bp.route("/rubrics/<rubric_id>/v<int:version>")
@allow(OFFICERS)
def rubric(rubric_id: str, version: int) -> ResponseReturnValue:
    try:
        found = catalogue.current().rubrics.get(rubric_id, version)
    except KeyError:
        abort(404)
    return render_template("catalogue/rubric.html", rubric=found,
                           references=catalogue.current().frameworks.references)


@bp.route("/frameworks/eqf")
@allow(OFFICERS)
def eqf() -> ResponseReturnValue:
    frameworks = catalogue.current().frameworks
    return render_template("catalogue/eqf.html", eqf=frameworks.eqf, cycles=frameworks.qf_ehea,
                           ects_default=frameworks.ects_default, ects_countries=frameworks.ects_countries)


@bp.route("/frameworks/nqf/<country>")
@allow(OFFICERS)
def nqf(country: str) -> ResponseReturnValue:
    framework = catalogue.current().frameworks.nqfs.get(country)
    if framework is None:
        abort(404)
    return render_template("catalogue/nqf.html", nqf=framework)
