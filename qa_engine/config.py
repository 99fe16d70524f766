"""Configuration: defaults here, then instance/config.py, then QA_ENGINE_* environment variables."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

ENV_PREFIX = "QA_ENGINE_"


class Defaults:
    """Values used when neither the instance file nor the environment says otherwise."""

    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None: SQLite file in the instance folder
    # Flask-Login and sessions: our own server-side session records; the cookie only carries its id.
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "qa_session"
    PREFERRED_URL_SCHEME = "http"
    # Over HTTPS: Secure + __Host- cookies and HSTS. Set QA_ENGINE_HTTPS=true behind TLS.
    HTTPS = False
    REMEMBER_COOKIE_DURATION = timedelta(0)
    # Request limits (Flask's own knobs; MAX_CONTENT_LENGTH is unset by default in Flask).
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    MAX_FORM_PARTS = 1000
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which has its own timeouts
    # Login throttling: per IP (Flask-Limiter) and per account (database, shared by all servers).
    LOGIN_RATE_LIMIT = "10 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT = timedelta(minutes=15)
    INVITATION_LIFETIME = timedelta(hours=72)
    PASSWORD_MIN_LENGTH = 12
    # Argon2id parameters (RFC 9106 low-memory profile). Tests lower them.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en",)
    AGENCY_NAME = "QA Engine"
    TRUST_PROXY = False  # True behind one reverse proxy: honour X-Forwarded-For/Proto
    # True for a production worker: read the accredited programmes for the near-duplicate check (C13) before serving,
    # so that no designer's first draft page waits for thousands of them (seconds at 50,000 programmes).
    WARM_CACHES = False
    TEMPLATES_DIR: str | None = None
    # Programme proposals: attachments (stored in UPLOADS_DIR, default instance/uploads) and screening
    # thresholds (SCREENING overrides fields of domain.screening.ScreeningConfig, e.g. {"ects_range": [1, 59]}).
    UPLOADS_DIR: str | None = None
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    ATTACHMENT_MAX_FILES = 20
    SCREENING: dict[str, Any] = {}  # read only
    RUBRICS_DIR: str | None = None
    # External review. REVIEW_TYPES maps a review type to its panel policy (domain.panels.policy_from_mapping:
    # size_min, size_max, requirements); the ESG 2.4 default needs an academic, a professional or employer and
    # a student. A review pins REVIEW_RUBRIC (id or id@version; the latest released version when no version).
    REVIEW_TYPES: dict[str, Any] = {"standard": {}}
    DEFAULT_REVIEW_TYPE = "standard"
    REVIEW_RUBRIC = "slp-ex-ante"
    BLIND_REVIEW = True  # designers never learn who reviewed
    REVIEW_DUE_DAYS = 28  # calendar days from the start of a review round to the reviews' due date
    INVITATION_ANSWER_DAYS = 5  # days a reviewer has to answer an invitation before reminders start
    DISAGREEMENT_THRESHOLD = 2  # scale points between the highest and lowest mark that call for consensus
    RESPONSE_WINDOW_DAYS = 20  # working days the provider has to answer the draft panel report
    HOLIDAYS: list[str] = []  # ISO dates that are not working days
    # Reminders (qa-engine remind): per kind, days before / after the due date and escalation to the QA officer.
    REMINDERS: dict[str, Any] = {}
    # Mail: messages go to the outbox in the same transaction as the change; `qa-engine worker` sends them.
    MAIL_FROM = "QA Engine <no-reply@localhost>"
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    MAIL_MAX_ATTEMPTS = 8
    BASE_URL = "http://127.0.0.1:5000"  # where links in e-mails point
    # Decisions: a second QA officer confirms each decision when FOUR_EYES is on.
    FOUR_EYES = False
    DECISION_BODY = "Accreditation committee"
    DECISION_VALIDITY_YEARS = 3
    APPEAL_WINDOW_DAYS = 30
    EXPIRY_REMINDER_DAYS: list[int] = [180, 90, 30]
    # The agency in exports (ELM, Open Badges, DEQAR): its URI and website, country (default: its institution's),
    # and its DEQAR identifier.
    AGENCY_URI: str | None = None
    AGENCY_COUNTRY: str | None = None
    AGENCY_WEBSITE: str | None = None
    AGENCY_DEQAR_ID = ""
    # The cost of assurance (analytics): hourly rates, and officer minutes per audited step over the defaults of
    # services.analytics.DEFAULT_OFFICER_MINUTES.
    REVIEWER_HOURLY_RATE = 50
    OFFICER_HOURLY_RATE = 45
    COST_CURRENCY = "EUR"
    OFFICER_MINUTES: dict[str, int] = {}
    # How old the analytics page's figures may be: a year at 50,000 programmes takes the database 0.3 to 0.7 s to
    # read, so each worker keeps a period's figures this long (the page says when they were computed and offers to
    # recompute them). 0 computes them at every view. For ANALYTICS_STALE_FOR past that age a page still shows them,
    # saying newer ones are on their way, and the worker computes them again once that page is sent; later, the
    # page waits for new figures. The CSV tables and the period summary are always computed.
    ANALYTICS_MAX_AGE = timedelta(minutes=5)
    ANALYTICS_STALE_FOR = timedelta(hours=1)
    # PDF reports: REPORT_LOGO is a PNG or SVG inside the static folder (e.g. "img/logo.svg"), REPORT_CONTACT the
    # address for appeals and questions printed on letters; REPORTS_DIR (default instance/reports) keeps the reports
    # issued with decisions, as issued: back it up with the database.
    REPORT_LOGO: str | None = None
    REPORT_CONTACT = ""
    REPORTS_DIR: str | None = None
    # ELM exports: the QDR concept URI of each NQF level, by country, e.g. {"ES": {"6": "http://data.europa.eu/..."}}.
    NQF_LEVEL_URIS: dict[str, dict[str, str]] = {}


def load(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The effective configuration: defaults, instance/config.py, environment, then explicit overrides."""
    config = {key: getattr(Defaults, key) for key in dir(Defaults) if key.isupper()}
    config.update(_from_instance_file(Path(instance_path) / "config.py"))
    config.update(_from_environment(os.environ))
    config.update(overrides or {})
    return {key: _coerce(value, getattr(Defaults, key, None)) for key, value in config.items()}


def _coerce(value: Any, default: Any) -> Any:
    """Durations may be given in seconds (environment variables cannot carry a timedelta)."""
    if isinstance(default, timedelta) and isinstance(value, int | float):
        return timedelta(seconds=value)
    return value


def _from_instance_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    namespace: dict[str, Any] = {"__file__": str(path)}
    exec(compile(path.read_bytes(), str(path), "exec"), namespace)  # noqa: S102 - the operator's own file
    return {key: value for key, value in namespace.items() if key.isupper()}


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """QA_ENGINE_X=value sets X; values that parse as JSON (numbers, true/false, lists) are parsed."""
    config: dict[str, Any] = {}
    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and not name.startswith(ENV_PREFIX + "TEST_"):
            config[name.removeprefix(ENV_PREFIX)] = _parse(raw)
    return config


def _parse(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
