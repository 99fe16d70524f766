"""Blueprints: load, authorise, validate, call one service, commit once, redirect or render."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from qa_engine.views import (
        admin,
        appeals,
        auth,
        catalogue,
        consolidation,
        dashboards,
        decisions,
        main,
        panel,
        proposals,
        register,
        reports,
        reviewing,
        screening,
    )

    for module in (main, auth, admin, catalogue, proposals, screening, panel, reviewing, consolidation, decisions,
                   appeals, register, dashboards, reports):
        app.register_blueprint(module.bp)
