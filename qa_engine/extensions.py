"""Flask extensions, created once and bound to each app in create_app."""
from flask import current_app, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], strategy="fixed-window")
babel = Babel()


def select_locale() -> str | None:
    """The best of the configured languages for this request (the default outside requests)."""
    if not has_request_context():
        return None
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])
