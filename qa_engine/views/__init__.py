"""Blueprints: load, authorise, validate, call one service, commit once, redirect or render."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from qa_engine.views import admin, auth, catalogue, main, proposals, screening

    for module in (main, auth, admin, catalogue, proposals, screening):
        app.register_blueprint(module.bp)
