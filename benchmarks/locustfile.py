"""Locust users for the load run (issue #7): QA officers, external reviewers and programme designers.

Run through benchmarks/load.py, which seeds the database, sets the passwords, starts gunicorn and writes the
credentials file named by QA_LOAD_CREDENTIALS (JSON: the password, the accounts of each role with the pages they may
open, sample programmes, states, search words and the period of the data). By hand, against a running server:

    QA_LOAD_CREDENTIALS=/tmp/credentials.json .venv/bin/locust -f benchmarks/locustfile.py --headless \
        -u 50 -r 10 -t 3m --host http://127.0.0.1:8000

Weights 10 : 20 : 20 (of 50 users: 10 officers, 20 reviewers, 20 designers). Each user signs in once (GET the form,
POST it with its csrf_token) and then opens GET pages only, waiting 1 to 3 seconds (uniform) between requests.
Requests are named by page kind, so the statistics group by page and not by URL. A request fails on any status
other than 2xx (after redirects) or when the page lacks its expected marker (its <title> or heading). A designer's
programme page is named by whether the programme is a draft (screened live at every view) or submitted. With
QA_LOAD_SAMPLES set, every request is also written to that file as a JSON line [name, ms, failed, unix time at its end].
"""
from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from locust import HttpUser, between, events, task

THINK_TIME = (1, 3)  # seconds between two requests of one user, uniform
_CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]*)"')


def _credentials() -> dict[str, Any]:
    with open(os.environ["QA_LOAD_CREDENTIALS"], encoding="utf-8") as file:
        return json.load(file)


CREDENTIALS = _credentials()
_SAMPLES = open(os.environ["QA_LOAD_SAMPLES"], "w", encoding="utf-8") if os.environ.get("QA_LOAD_SAMPLES") else None


@events.request.add_listener
def _record(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
    """One line per request (name, ms, failed, when it ended) for benchmarks/load.py's exact percentiles."""
    if _SAMPLES is not None:
        _SAMPLES.write(json.dumps([name, round(response_time, 1), exception is not None, round(time.time(), 3)]) + "\n")


@events.quitting.add_listener
def _close(**_: Any) -> None:
    if _SAMPLES is not None:
        _SAMPLES.close()


def csrf_token(page: str) -> str | None:
    """The csrf_token hidden field's value in an HTML page, if there is one."""
    tag = _CSRF_INPUT.search(page)
    value = _VALUE.search(tag.group(0)) if tag else None
    return html.unescape(value.group(1)) if value else None


class _Role(HttpUser):
    abstract = True
    wait_time = between(*THINK_TIME)
    role = ""
    _counter = itertools.count()  # replaced per class: the next account to hand out

    def on_start(self) -> None:
        accounts = CREDENTIALS[self.role]
        self.account = accounts[next(self._counter) % len(accounts)]
        self.data = CREDENTIALS
        self.sign_in(self.account["email"])

    def sign_in(self, email: str) -> None:
        with self.client.get("/login", name="login form", catch_response=True) as response:
            token = csrf_token(response.text) if response.ok else None
            if token is None:
                response.failure(f"{_status(response)}, no csrf_token")
                return
        form = {"csrf_token": token, "email": email, "password": self.data["password"]}
        with self.client.post("/login", data=form, name="login", catch_response=True) as response:
            if not response.ok or "Sign out" not in response.text:
                response.failure(f"{_status(response)}, not signed in")

    def page(self, url: str, name: str, marker: str) -> None:
        """GET `url`, counted under `name`; a failure unless 2xx and `marker` is in the page."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if not 200 <= response.status_code < 300:
                response.failure(_status(response))
            elif marker not in response.text:
                response.failure(f"page without {marker!r}")

    def word(self) -> str:
        return random.choice(self.data["search"])

    def home(self) -> None:
        self.page("/", f"home ({self.role[:-1]})", "<title>Home ")


class Officer(_Role):
    """The QA office: dashboards, analytics, the register, programme pages and the screening queue."""

    weight = 10
    role = "officers"
    _counter = itertools.count()

    @task(3)
    def dashboard_home(self) -> None:
        self.home()

    @task(4)
    def qa_dashboard(self) -> None:
        query = {"state": random.choice(self.data["states"]), "page": random.randint(1, 3)}
        if random.random() < 0.5:
            query["q"] = self.word()
        self.page("/qa/dashboard?" + _query(query), "qa dashboard (state, search, page)", "<title>QA dashboard ")

    @task(2)
    def analytics(self) -> None:
        start, end = _period(self.data["period"])
        self.page(f"/qa/analytics?from={start}&to={end}", "qa analytics (period)", "<title>Analytics ")

    @task(2)
    def register_search(self) -> None:
        self.page("/register?" + _query({"q": self.word()}), "register (search)", "<title>Register ")

    @task(4)
    def programme(self) -> None:
        programme_id = random.choice(self.data["programmes"])
        self.page(f"/programmes/{programme_id}", "programme page (officer)", 'id="timeline-heading"')

    @task(2)
    def screening_queue(self) -> None:
        self.page("/qa/queue", "screening queue", "<title>Screening queue ")


class Reviewer(_Role):
    """External reviewers: their home page, their desk and the pages of their live seats."""

    weight = 20
    role = "reviewers"
    _counter = itertools.count()

    @task(3)
    def dashboard_home(self) -> None:
        self.home()

    @task(2)
    def desk(self) -> None:
        self.page("/reviews", "review desk", "<title>Your reviews ")

    @task(1)
    def invitation(self) -> None:
        seat = random.choice(self.account["seats"])
        self.page(f"/reviews/{seat}", "review invitation", "<title>Invitation to review ")

    @task(3)
    def proposal(self) -> None:
        seat = random.choice(self.account["seats"])
        self.page(f"/reviews/{seat}/proposal", "review proposal", "<title>Proposal ")

    @task(2)
    def scoresheet(self) -> None:
        seat = random.choice(self.account["seats"])
        self.page(f"/reviews/{seat}/score", "review scoring form", "<title>Scoring ")

    @task(2)
    def panel(self) -> None:
        seat = random.choice(self.account["seats"])
        self.page(f"/reviews/{seat}/panel", "review panel", "<title>The panel")


class Designer(_Role):
    """Programme designers: their home page, their programme list, programme pages with the history, the register."""

    weight = 20
    role = "designers"
    _counter = itertools.count()

    @task(3)
    def dashboard_home(self) -> None:
        self.home()

    @task(2)
    def programme_list(self) -> None:
        self.page("/programmes/", "programme list (designer)", "<title>Programmes ")

    @task(4)
    def programme(self) -> None:
        programme_id = random.choice(self.account["programmes"])
        kind = "draft" if programme_id in self.account["drafts"] else "submitted"  # a draft is screened live
        self.page(f"/programmes/{programme_id}", f"programme page, {kind} (designer)", 'id="timeline-heading"')

    @task(1)
    def register(self) -> None:
        self.page("/register", "register", "<title>Register ")


def _status(response: Any) -> str:
    """The status, or the connection error when there was no answer (status 0); no URL, so failures group by page."""
    return f"HTTP {response.status_code}" if response.status_code else f"no answer: {type(response.error).__name__}"


def _query(values: dict[str, Any]) -> str:
    return urlencode(values)


def _period(bounds: dict[str, str]) -> tuple[date, date]:
    """A random period of 3, 6 or 12 months ending within the span of the seeded data."""
    first, last = date.fromisoformat(bounds["from"]), date.fromisoformat(bounds["to"])
    end = last - timedelta(days=random.randint(0, max((last - first).days - 365, 0)))
    return end - timedelta(days=random.choice((91, 182, 364))), end
