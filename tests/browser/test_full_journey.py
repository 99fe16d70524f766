"""The whole accreditation path in headless Chromium, as the three kinds of user walk it (issue #6).

A designer submits; the QA officer screens and composes a two-member panel from the suggestions; both reviewers
accept, sign the declaration and score (disagreeing on one criterion); the officer records the panel's consensus
and sends the draft report; the designer answers it; the officer approves with one condition; the designer sends
evidence and the officer judges the condition met; the programme is approved and its entry opens in the public
register. Only the people, the reviewer pool and the draft proposal are made with factories: every step after
that is clicks and typing, each person in their own browser. axe-core checks every page the journey shows, and
screenshots of the key pages go to test-artifacts/journey-NN-*.png.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from factories import make_institution, make_programme, make_user, sound_proposal
from playwright.sync_api import Page, expect

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.extensions import limiter
from qa_engine.models import Programme, ReviewerProfile, User

from .conftest import ARTIFACTS
from .journey_steps import Journey, mark_every_criterion, open_programme, open_programme_in_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A panel of two is enough: one academic, one professional or employer.
TWO_REVIEWERS = {"standard": {"size_min": 2, "size_max": 3, "requirements": [
    {"label": "Academic", "profiles": ["academic"]},
    {"label": "Professional or employer", "profiles": ["professional", "employer"]},
]}}
DISPUTED = "D2.1"  # the one criterion the reviewers disagree on (4 against 2: the threshold is 2 points)
MEETS, EXCEEDS, WITH_CONDITIONS = "3 · Meets", "4 · Exceeds", "2 · Meets with conditions"
CONDITION = "Map every learning outcome to at least one assessment and publish the map to learners."
WITH_CONDITIONS_OUTCOME = "Approved with conditions"


@dataclass(frozen=True)
class Cast:
    """The people of the journey and the programme they work on."""

    designer: User
    officer: User
    academic: User
    practitioner: User
    programme_id: int
    title: str


@pytest.fixture
def app(make_app):  # noqa: ANN001, ANN201
    """The application with a two-member panel policy."""
    application = make_app(REVIEW_TYPES=TWO_REVIEWERS)
    limiter.reset()
    return application


@pytest.fixture
def cast(session) -> Cast:  # noqa: ANN001
    """An agency with a QA officer, a provider with a designer and a draft of the sound proposal, and two
    reviewers in the pool whose profiles match the proposal (so the panel page suggests them)."""
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="National Quality Agency")
    officer = make_user(session, Role.QA_OFFICER, institution=agency, full_name="Olga Officer")
    provider = make_institution(session, name="Universidad de Almagro", short_name="UAL")
    designer = make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer")
    academic = _reviewer(session, "Alba Academic", "academic")
    practitioner = _reviewer(session, "Pedro Practitioner", "professional")
    data = sound_proposal()
    programme = make_programme(session, designer, data=data)
    session.commit()
    return Cast(designer, officer, academic, practitioner, programme.id, data["identification"]["title"])


def _reviewer(session, name: str, profile: str) -> User:  # noqa: ANN001
    """An external reviewer in the pool, expert in the proposal's field (ISCED-F 0688) and language."""
    person = make_user(session, Role.REVIEWER, full_name=name)
    session.add(ReviewerProfile(user_id=person.id, profile_types=json.dumps([profile]), expertise=json.dumps(["0688"]),
                                keywords=json.dumps(["data analytics"]), languages=json.dumps(["en"])))
    session.flush()
    return person


@pytest.fixture
def journey(page: Page, live_server: str) -> Iterator[Journey]:
    """The browsers of the journey; what the pages got wrong is also written to test-artifacts/journey-findings.txt."""
    found = Journey(page.context.browser, live_server)
    yield found
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "journey-findings.txt").write_text("\n".join(
        ["Pages visited:", *found.visited, "", "Serious and critical accessibility violations:", *found.violations,
         "", "Other axe-core findings (not blocking):", *found.notes, "", "Errors:", *found.errors]) + "\n",
        encoding="utf-8")


def test_whole_path_from_submission_to_the_public_register(journey: Journey, cast: Cast, session) -> None:  # noqa: ANN001
    designer = designer_submits(journey, cast)
    officer = officer_screens_and_accepts(journey, cast)
    officer_invites_the_panel(journey, officer, cast)
    reviewer_scores(journey, cast, cast.academic, mark=EXCEEDS, last=False)
    reviewer_scores(journey, cast, cast.practitioner, mark=WITH_CONDITIONS, last=True)
    officer_consolidates(journey, officer, cast)
    designer_answers_the_report(journey, designer, cast)
    officer_decides_with_a_condition(journey, officer, cast)
    designer_meets_the_condition(journey, designer, cast)
    officer_judges_the_condition_met(journey, officer, cast)
    the_register_lists_it(journey, cast)

    session.expire_all()
    assert session.get(Programme, cast.programme_id).state is State.APPROVED
    assert journey.errors == [], "\n".join(journey.errors)
    assert journey.violations == [], "\n".join(journey.violations)


# The steps ------------------------------------------------------------------------------------------------


def designer_submits(journey: Journey, cast: Cast) -> Page:
    page = journey.sign_in(cast.designer)
    open_programme(page, cast.title)
    journey.check(page, "designer: draft programme")
    page.get_by_role("button", name="Submit for accreditation").click()
    expect(page.get_by_text("Submitted as version 1.")).to_be_visible()
    journey.check(page, "designer: submitted programme")
    return page


def officer_screens_and_accepts(journey: Journey, cast: Cast) -> Page:
    page = journey.sign_in(cast.officer)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Screening queue").click()
    expect(page.get_by_role("heading", name="Screening queue")).to_be_visible()
    journey.check(page, "officer: screening queue", shot="journey-01-queue")
    page.get_by_role("link", name=cast.title).click()
    page.get_by_role("button", name="Take for screening").click()
    expect(page.get_by_text("You are screening this programme.")).to_be_visible()
    journey.check(page, "officer: programme in screening")
    page.get_by_role("button", name="Accept for review").click()
    expect(page.get_by_text("Accepted for review.")).to_be_visible()
    journey.check(page, "officer: programme in review")
    return page


def officer_invites_the_panel(journey: Journey, page: Page, cast: Cast) -> None:
    page.get_by_role("link", name="Panel", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Review panel")).to_be_visible()
    journey.check(page, "officer: empty panel")
    for person, profile in ((cast.academic, "Academic"), (cast.practitioner, "Professional")):
        suggestion = page.locator("#suggestions tr").filter(has=page.get_by_role("link", name=person.full_name))
        suggestion.get_by_role("button", name=f"Invite as {profile}").click()
        expect(page.get_by_text(f"{person.full_name} is invited")).to_be_visible()
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("row", name=cast.academic.full_name)).to_contain_text("Invited")
    expect(members.get_by_role("row", name=cast.practitioner.full_name)).to_contain_text("Invited")
    journey.check(page, "officer: panel with two invited", shot="journey-02-panel")


def reviewer_scores(journey: Journey, cast: Cast, reviewer: User, *, mark: str, last: bool) -> None:
    """The reviewer accepts, signs the declaration and scores: `mark` on the disputed criterion, "Meets" elsewhere."""
    page = journey.sign_in(reviewer)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My reviews").click()
    expect(page.get_by_role("heading", level=1, name="Your reviews")).to_be_visible()
    journey.check(page, f"{reviewer.full_name}: my reviews")
    page.get_by_role("region", name="Invitations to answer").get_by_role("link", name=cast.title).click()
    expect(page.get_by_role("heading", level=1, name="Invitation to review")).to_be_visible()
    journey.check(page, f"{reviewer.full_name}: invitation")
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.get_by_role("heading", level=1, name="Conflict of interest and confidentiality")).to_be_visible()
    journey.check(page, f"{reviewer.full_name}: declaration")
    statements = page.get_by_role("group", name="I declare that").get_by_role("checkbox")
    for index in range(statements.count()):
        statements.nth(index).check()
    page.get_by_role("button", name="Sign the declaration").click()
    expect(page.get_by_text("Declaration signed. The proposal is open to you.")).to_be_visible()
    journey.check(page, f"{reviewer.full_name}: proposal")
    page.get_by_role("navigation", name="This review").get_by_role("link", name="Scoring").click()
    expect(page.get_by_role("heading", level=1, name="Your review")).to_be_visible()
    journey.check(page, f"{reviewer.full_name}: scoring form", shot=None if last else "journey-03-scoring")
    justification = "" if mark in (MEETS, EXCEEDS) else "The need is asserted, not evidenced: no labour-market data."
    criteria = mark_every_criterion(page, default=MEETS, different={DISPUTED: (mark, justification)})
    assert len(criteria) == 30 and DISPUTED in criteria
    page.get_by_label("Hours spent on this review").fill("6.5")
    page.get_by_role("button", name="Submit the review").click()
    expect(page.get_by_text("Your review is submitted. Thank you.")).to_be_visible()
    if last:
        expect(page.get_by_text("Every review is now in: the panel moves on to consolidation.")).to_be_visible()
    journey.check(page, f"{reviewer.full_name}: the panel's reviews")


def officer_consolidates(journey: Journey, page: Page, cast: Cast) -> None:
    open_programme_in_state(journey, page, cast.title, "Consolidation")
    journey.check(page, "officer: programme in consolidation")
    page.get_by_role("link", name="Consolidation", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Consolidation of the reviews")).to_be_visible()
    expect(page.locator("#to-discuss")).to_contain_text(DISPUTED)
    journey.check(page, "officer: consolidation board", shot="journey-04-consolidation")
    form = page.locator("details.consensus-form").filter(
        has_text=f"Record the panel's consensus on {DISPUTED}")
    form.get_by_label("The panel's mark").select_option(label="2 – Meets with conditions")
    form.get_by_label("The panel's reasoning").fill("The need is plausible but the provider should show data.")
    form.get_by_role("button", name="Record the consensus").click()
    expect(page.get_by_text(f"The panel's consensus on {DISPUTED} is recorded.")).to_be_visible()
    expect(page.locator("#to-discuss")).to_have_text("Every flagged criterion has the panel's consensus.")
    journey.check(page, "officer: consolidation with consensus")
    page.get_by_role("button", name="Send the draft report to the provider").click()
    expect(page.get_by_text("The draft panel report was sent to the provider.")).to_be_visible()
    journey.check(page, "officer: draft report sent")


def designer_answers_the_report(journey: Journey, page: Page, cast: Cast) -> None:
    open_programme(page, cast.title)
    journey.check(page, "designer: programme awaiting response")
    page.get_by_role("link", name="Read the draft panel report").click()
    expect(page.get_by_role("heading", level=1, name="Draft panel report")).to_be_visible()
    journey.check(page, "designer: draft report", shot="journey-05-draft-report")
    page.get_by_label("Your response").fill("Thank you. Labour-market data from the regional observatory is in "
                                            "annex 3 of the proposal.")
    page.get_by_role("button", name="Send the response").click()
    expect(page.get_by_text("Your response was sent.")).to_be_visible()
    journey.check(page, "designer: report answered")


def officer_decides_with_a_condition(journey: Journey, page: Page, cast: Cast) -> None:
    open_programme_in_state(journey, page, cast.title, "Decision pending")
    journey.check(page, "officer: programme waiting for the decision")
    page.get_by_role("button", name="Take the decision").click()
    expect(page.get_by_role("heading", level=1, name="Decision")).to_be_visible()
    journey.check(page, "officer: decision page", shot="journey-06-decision")
    page.get_by_role("radio", name=WITH_CONDITIONS_OUTCOME).check()
    if page.locator("#recommendation dd strong").first.inner_text() != WITH_CONDITIONS_OUTCOME:
        page.get_by_label("Why the decision departs from the recommended outcome").fill(
            "The provider's response settles the panel's doubt on the need; one condition remains.")
    page.get_by_label("Rationale").fill("The programme is sound; the assessment map must be published.")
    row = page.get_by_role("group", name="Condition 1", exact=True)
    row.get_by_label("What the provider must do").fill(CONDITION)
    row.get_by_label("Evidence required").fill("The published assessment map.")
    row.get_by_label("Due on").fill((date.today() + timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("The decision is in effect; the provider and the reviewers are told.")).to_be_visible()
    journey.check(page, "officer: decision in effect")


def designer_meets_the_condition(journey: Journey, page: Page, cast: Cast) -> None:
    open_programme(page, cast.title)
    journey.check(page, "designer: programme approved with conditions")
    page.get_by_role("link", name="Follow the conditions up").click()
    expect(page.get_by_role("heading", level=1, name="Conditions")).to_be_visible()
    journey.check(page, "designer: conditions", shot="journey-07-conditions")
    page.get_by_label("New evidence").fill("The assessment map is published on the course page, section 4.")
    page.get_by_role("button", name="Submit the evidence").click()
    expect(page.get_by_text("Your evidence is submitted; the QA officer is told.")).to_be_visible()
    journey.check(page, "designer: evidence submitted")


def officer_judges_the_condition_met(journey: Journey, page: Page, cast: Cast) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conditions").click()
    expect(page.get_by_role("heading", level=1, name="Open conditions")).to_be_visible()
    journey.check(page, "officer: open conditions")
    page.get_by_role("link", name=cast.title).click()
    expect(page.get_by_role("heading", level=1, name="Conditions")).to_be_visible()
    journey.check(page, "officer: condition with evidence")
    page.get_by_role("group", name="Judgement").get_by_label("Met", exact=True).check()
    page.get_by_label("Comment").fill("The map is published and covers every outcome.")
    page.get_by_role("button", name="Record the judgement").click()
    expect(page.get_by_text("Every condition is met: the approval is now unconditional")).to_be_visible()
    journey.check(page, "officer: condition met", shot="journey-08-condition-met")


def the_register_lists_it(journey: Journey, cast: Cast) -> None:
    page = journey.visitor()
    page.goto("/")
    journey.check(page, "visitor: welcome")
    page.get_by_role("link", name="Public register").click()
    expect(page.get_by_role("heading", level=1, name="Register of accredited micro-credentials")).to_be_visible()
    journey.check(page, "visitor: register", shot="journey-09-register")
    page.get_by_role("link", name=cast.title).click()
    expect(page.get_by_role("heading", level=1, name=cast.title)).to_be_visible()
    expect(page.locator("#decision")).to_contain_text(CONDITION)
    expect(page.locator("#decision")).to_contain_text("Every condition of the decision is met")
    journey.check(page, "visitor: register entry", shot="journey-10-register-entry")
