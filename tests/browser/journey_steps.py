"""Helpers of the whole-path browser journey: one signed-in browser context per person, and a log of what every
page the journey visits gets wrong: axe-core's serious and critical violations (the rest of what axe-core reports is
kept as notes), error responses and console errors (a blocked inline script or style shows up there).

They drive the pages as a person would (labels, roles, link and button names), so that a page that cannot be used
that way fails the journey instead of being worked around.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from factories import PASSWORD
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect

from qa_engine.models import User

from .conftest import BLOCKING_IMPACTS, screenshot

VIEWPORT = {"width": 1280, "height": 900}
MARK_GROUP = re.compile(r"^Your mark for (\S+)$")
#: Browsers ask for /favicon.ico on their own; the app serves none (reported, not a page's error).
IGNORED_PATHS = ("/favicon.ico",)
AXE = Axe()  # reads axe-core's script once


@dataclass
class Journey:
    """The people's browsers and what went wrong on the pages they saw."""

    browser: Browser
    base_url: str
    violations: list[str] = field(default_factory=list)  # axe-core: serious and critical
    notes: list[str] = field(default_factory=list)  # axe-core: moderate and minor, and what it could not decide
    errors: list[str] = field(default_factory=list)  # error responses and console errors
    visited: list[str] = field(default_factory=list)

    def sign_in(self, user: User) -> Page:
        """A new browser context for `user`, signed in through the login page and showing their home page."""
        context = self.browser.new_context(base_url=self.base_url, viewport=VIEWPORT)
        page = context.new_page()
        page.on("response", lambda response: self._response(user, response))
        page.on("console", lambda message: self._console(user, page, message))
        page.goto("/")
        page.get_by_role("link", name="Sign in").first.click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        self.check(page, f"{user.full_name}: login")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name=f"Hello, {user.full_name}")).to_be_visible()
        self.check(page, f"{user.full_name}: home")
        return page

    def visitor(self) -> Page:
        """A browser context of someone who is not signed in."""
        context = self.browser.new_context(base_url=self.base_url, viewport=VIEWPORT)
        page = context.new_page()
        page.on("response", lambda response: self._response(None, response))
        page.on("console", lambda message: self._console(None, page, message))
        return page

    def check(self, page: Page, label: str, shot: str | None = None) -> None:
        """Run axe-core on the page now shown (and save its screenshot under `shot`); what it finds is collected."""
        self.visited.append(f"{label}: {page.url}")
        results = AXE.run(page).response
        for kind, found in (("violation", results["violations"]), ("needs review", results.get("incomplete", []))):
            for rule in found:
                line = (f"{label} ({page.url}): {kind} {rule['id']} ({rule['impact']}): {rule['help']} at "
                        f"{[node['target'] for node in rule['nodes']][:5]}")
                blocking = kind == "violation" and rule["impact"] in BLOCKING_IMPACTS
                (self.violations if blocking else self.notes).append(line)
        if shot:
            screenshot(page, shot)

    def _response(self, user: User | None, response: Response) -> None:
        if response.status >= 400 and not response.url.split("?")[0].endswith(IGNORED_PATHS):
            who = user.full_name if user else "visitor"
            self.errors.append(f"{who}: {response.request.method} {response.url} answered {response.status}")

    def _console(self, user: User | None, page: Page, message: ConsoleMessage) -> None:
        # A resource that failed to load is reported by _response, with its address.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            who = user.full_name if user else "visitor"
            self.errors.append(f"{who}: console error on {page.url}: {message.text}")


def go_home(page: Page) -> None:
    """The home page, through the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Hello, "))).to_be_visible()


def open_programme(page: Page, title: str) -> None:
    """A designer's way to a programme: home, then its row in the institution's programmes."""
    go_home(page)
    programmes = page.get_by_role("region", name="Your institution's programmes")
    programmes.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def open_programme_in_state(journey: Journey, page: Page, title: str, state: str) -> None:
    """A QA officer's way to a programme: home, the pipeline's count of `state` (a state label), then the
    programme in the QA dashboard's list of that state."""
    go_home(page)
    page.get_by_role("link", name=re.compile(rf"^\d+ {re.escape(state)}$")).first.click()
    expect(page.get_by_role("heading", level=1, name="QA dashboard")).to_be_visible()
    journey.check(page, f"officer: QA dashboard, {state}")
    page.get_by_role("region", name="Programmes").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def mark_every_criterion(page: Page, *, default: str, different: dict[str, tuple[str, str]]) -> list[str]:
    """Fill the scoring form generated from the rubric: the `default` level (a radio label such as "3 · Meets") for
    every criterion the page shows, except those in `different` ({criterion: (level label, justification)}).
    Returns the criteria found on the page."""
    groups = page.get_by_role("group", name=MARK_GROUP)
    criteria = []
    for index in range(groups.count()):
        group = groups.nth(index)
        criterion = MARK_GROUP.match(group.locator("legend").inner_text().strip()).group(1)
        level, justification = different.get(criterion, (default, ""))
        group.get_by_label(level, exact=True).check()
        if justification:
            page.locator(f'[id="crit-{criterion}"]').get_by_label("Justification").fill(justification)
        criteria.append(criterion)
    return criteria
