"""A person signs in, sees their home page and signs out, in real headless Chromium, with axe-core checks."""
from __future__ import annotations

import pytest
from factories import PASSWORD, make_user

from qa_engine.domain.roles import Role

from .conftest import screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser


def test_sign_in_home_and_sign_out(page, session) -> None:  # noqa: ANN001
    user = make_user(session, Role.DESIGNER, Role.REVIEWER, full_name="Dana Designer")
    session.commit()

    page.goto("/")
    page.get_by_role("link", name="Sign in").first.click()
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "login")

    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Hello, Dana Designer").is_visible()
    assert page.get_by_role("heading", name="Your institution's programmes").is_visible()
    assert page.get_by_role("heading", name="Your reviews").is_visible()
    assert serious_accessibility_violations(page) == []
    screenshot(page, "home-designer")

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_text("You have signed out.").is_visible()
    page.goto("/account/password")
    assert page.url.endswith("/login?next=%2Faccount%2Fpassword")


def test_wrong_password_is_announced_on_the_form(page, session) -> None:  # noqa: ANN001
    user = make_user(session)
    session.commit()
    page.goto("/login")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "The e-mail address and password do not match an active account."
    assert serious_accessibility_violations(page) == []
