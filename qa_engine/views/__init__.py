"""Blueprints: load, authorise, validate, call one service, commit once, redirect or render."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from qa_engine.views import admin, auth, catalogue, consolidation, main, panel, proposals, reviewing, screening

    for module in (main, auth, admin, catalogue, proposals, screening, panel, reviewing, consolidation):
        app.register_blueprint(module.bp)
