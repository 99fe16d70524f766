"""QA Engine: quality assurance and ex-ante accreditation of short learning programmes."""
from __future__ import annotations

from typing import Any

from flask import Flask

from qa_engine import config as configuration
from qa_engine.paths import resource_dir


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, database, extensions, security, blueprints, checks."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(configuration.load(app.instance_path, config))
    app.template_folder = str(app.config.get("TEMPLATES_DIR") or resource_dir("templates"))

    from qa_engine import web
    from qa_engine.db import Database
    from qa_engine.views import register_blueprints

    web.prepare_config(app)
    web.load_catalogue(app)
    Database().init_app(app)
    web.init_extensions(app)
    web.init_security(app)
    register_blueprints(app)
    web.init_errors(app)
    web.check_access_declared(app)
    web.warm_caches(app)
    return app
