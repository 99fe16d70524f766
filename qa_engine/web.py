"""Application wiring: configuration checks, extensions, security headers, request ids, error pages."""
from __future__ import annotations

import logging
import secrets
import uuid
from datetime import date
from pathlib import Path

from flask import Flask, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from qa_engine.db import utcnow
from qa_engine.extensions import babel, csrf, limiter, login_manager, select_locale
from qa_engine.services import audit, passwords
from qa_engine.services.reviews import RubricChanged

log = logging.getLogger(__name__)


class StartupError(RuntimeError):
    """The application cannot start; the message says why, one problem a line."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def prepare_config(app: Flask) -> None:
    """Fill in what depends on the instance folder and on HTTPS."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'qa_engine.sqlite3'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if app.config["HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-" + app.config["SESSION_COOKIE_NAME"],
                          PREFERRED_URL_SCHEME="https")
    app.config["RATELIMIT_HEADERS_ENABLED"] = True


def load_catalogue(app: Flask) -> None:
    """Load and check frameworks, rubrics, vocabularies and the review settings; problems stop start-up, all listed."""
    from qa_engine import catalogue
    from qa_engine.domain.datafiles import DataFileError
    from qa_engine.paths import resource_dir
    from qa_engine.services import reviews

    directory = Path(app.config.get("RUBRICS_DIR") or resource_dir("rubrics"))
    try:
        loaded = app.extensions["qa_engine.catalogue"] = catalogue.load(directory)
    except DataFileError as error:
        problems = "\n".join(f"  {line}" for line in error.errors)
        raise StartupError(f"invalid data files in {directory}:\n{problems}") from None
    try:
        app.extensions[reviews.SETTINGS_KEY] = reviews.settings_from_config(app.config, loaded.rubrics)
    except ValueError as error:
        problems = "\n".join(f"  {line}" for line in str(error).splitlines())
        raise StartupError(f"invalid review configuration:\n{problems}") from None


def _instance_secret(path: Path) -> str:
    """A secret key kept in the instance folder, so restarts keep sessions (set one for several servers)."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def warm_caches(app: Flask) -> None:
    """With WARM_CACHES, fill the per-process caches before the worker serves (see config.Defaults)."""
    if not app.config["WARM_CACHES"]:
        return
    from qa_engine.services import analytics, proposals

    with app.extensions["qa_engine.db"].new_session() as session:
        held = proposals.warm_near_duplicates(session)
        log.info("near-duplicate check: %d accredited programmes read", held)
        year = analytics.Period.year_to(date.today())  # what the analytics page shows first
        analytics.refresh(session, year, analytics.cost_settings(app.config), now=utcnow())


def init_extensions(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = None  # our server-side sessions do this job
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    passwords.configure(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"],
                        app.config["ARGON2_PARALLELISM"])
    from qa_engine.domain import permissions
    from qa_engine.services.dashboards import tally

    app.jinja_env.globals.update(permissions=permissions, get_locale=get_locale)
    app.jinja_env.filters["tally"] = tally  # a count, or "1,000+" past what the dashboards count
    if app.config["TRUST_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]


def init_security(app: Flask) -> None:
    from qa_engine.views import access

    app.before_request(_start_request)
    app.before_request(access.enforce)
    app.after_request(_security_headers)


def _start_request() -> None:
    g.request_id = uuid.uuid4().hex
    audit.current_origin.set(audit.Origin(request_id=g.request_id, ip=request.remote_addr))


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if "request_id" in g:
        headers["X-Request-ID"] = g.request_id
    if request.is_secure or current_app.config["HTTPS"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response


ERROR_TEXT = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account does not give you access to this page.")),
    404: (_l("Not found"), _l("There is no such page, or it is not visible to you.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    409: (_l("Changed in the meantime"), _l("Someone else changed this first. Reload the page and try again.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts. Send a smaller file or less text.")),
    429: (_l("Too many attempts"), _l("Too many requests in a short time. Wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Nothing you saved before was lost.")),
}


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> ResponseReturnValue:
        message = _l("This form has expired or was not sent from this site. Reload the page and try again.")
        return render_template("errors/error.html", code=400, title=ERROR_TEXT[400][0], message=message), 400

    @app.errorhandler(RubricChanged)
    def _rubric_changed(error: RubricChanged) -> ResponseReturnValue:
        """A review's pinned rubric version is no longer loaded as it was: nothing can be scored or consolidated."""
        return render_template("errors/error.html", code=409, title=_l("The rubric has changed"),
                               message=str(error)), 409

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        title, message = ERROR_TEXT.get(code, (error.name, error.description))
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, request.path)
        title, message = ERROR_TEXT[500]
        try:
            return render_template("errors/error.html", code=500, title=title, message=message), 500
        except Exception:  # the last resort must not fail: plain text
            log.exception("the error page itself failed")
            return f"{title}. {message}", 500, {"Content-Type": "text/plain; charset=utf-8"}


def check_access_declared(app: Flask) -> None:
    """Refuse to start when a route does not say who may use it."""
    from qa_engine.views.access import undeclared_endpoints

    missing = undeclared_endpoints(app)
    if missing:
        raise StartupError(f"routes without an access policy: {', '.join(missing)}")
