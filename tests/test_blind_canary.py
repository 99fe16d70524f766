"""Blind review, end to end: reviewer names and comments planted in real reviews never reach the designer.

Programmes are taken through the real services (the demo's story) by reviewers whose names, e-mail addresses,
institution and comments are distinctive canaries. Then everything the designer can reach is collected: every
page and file linked from their pages (followed link by link, PDFs as text), every e-mail addressed to them,
and the public register, and none may contain a canary. A second run without blind review shows the search
finds names when they are allowed to be there, so the test cannot pass by looking at nothing.
"""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from crawler import crawl
from factories import make_institution, make_user
from sqlalchemy import select

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import OutboxMessage, Programme, ReviewerProfile
from qa_engine.services import demo, demo_story, proposals, reviews

REVIEWERS = {  # the demo panels' e-mail addresses, with canary identities
    "reviewer@westmoor.example": "Zebedee Canaryfield",
    "practitioner@harbour.example": "Philippa Canarywood",
    "student@lakeside.example": "Ottoline Canarybrook",
}
COMMENT = "CANARYCOMMENT-7431"
INSTITUTION = "Canary Institute of Reviewing"
STATES = (State.PROVIDER_RESPONSE, State.CONDITIONS, State.REJECTED)


class CanaryStory(demo_story.Story):
    justification = COMMENT + " {title}"
    dissent = COMMENT + " dissent: outcomes not assessed."
    # The consensus is the panel's text for the designer; whoever writes it may slip a member's name in.
    consensus = "As Zebedee Canaryfield noted, two outcomes are not assessed; partly met."


def canaries() -> list[str]:
    return [COMMENT, INSTITUTION, "Canaryfield", "Canarywood", "Canarybrook", "Zebedee", "Philippa", "Ottoline",
            *REVIEWERS]


def build(app, session, *, blind: bool):  # noqa: ANN001, ANN201
    """Three programmes of one designer through review, decision and appeal, scored by the canary panel."""
    app.extensions[reviews.SETTINGS_KEY] = dataclasses.replace(app.extensions[reviews.SETTINGS_KEY], blind=blind)
    agency = make_institution(session, kind=InstitutionKind.AGENCY, name="Northbridge Quality Agency")
    provider = make_institution(session, name="University of Eastvale", short_name="Eastvale")
    canary_home = make_institution(session, name=INSTITUTION, short_name="Canary")
    people = {
        demo_story.OFFICER: make_user(session, Role.QA_OFFICER, institution=agency, email=demo_story.OFFICER,
                                      full_name="Olga Officer"),
        demo_story.SECOND_OFFICER: make_user(session, Role.QA_OFFICER, institution=agency,
                                             email=demo_story.SECOND_OFFICER, full_name="Oscar Second"),
        **{email: make_user(session, Role.REVIEWER, institution=canary_home, email=email, full_name=name)
           for email, name in REVIEWERS.items()},
    }
    for email, profile in zip(REVIEWERS, ("academic", "professional", "student"), strict=True):
        session.add(ReviewerProfile(user_id=people[email].id, profile_types=f'["{profile}"]'))
    designer = make_user(session, Role.DESIGNER, institution=provider, full_name="Dana Designer")
    session.flush()
    with app.test_request_context():
        screening = proposals.ScreeningSettings({}, proposals.reference_data(), date.today())
        story = CanaryStory(session, people, screening)
        for state in STATES:
            data = demo.demo_proposal("sound-data-analytics.json", title=f"Canary case {state.value}",
                                      provider=provider, today=screening.today)
            programme = proposals.create_draft(session, actor=designer, data=data, source="demo")
            story.take_to(programme, state, appeal=state is State.REJECTED)
    session.commit()
    return designer


def reachable(app, session, client_for, designer) -> dict[str, str]:  # noqa: ANN001
    """Everything the designer can reach, by where it came from: pages and files, e-mails, the public register."""
    ids = session.scalars(select(Programme.id).where(Programme.designer_id == designer.id)).all()
    found = crawl(client_for(designer), ["/", *(f"/programmes/{i}" for i in ids)])
    assert len(found.bodies) > 10, sorted(found.bodies)  # the crawl really went through the programme pages
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == designer.id)).all()
    assert {mail.event for mail in mails} >= {"draft_report", "decision"}
    public = crawl(app.test_client(), ["/register"])
    return {**{f"page {path}": body for path, body in found.bodies.items()},
            **{f"mail {mail.event} #{mail.id}": f"{mail.subject}\n{mail.body_text}\n{mail.body_html}"
               for mail in mails},
            **{f"public {path}": body for path, body in public.bodies.items()}}


def leaks(texts: dict[str, str]) -> dict[str, list[str]]:
    return {canary: sorted(where for where, text in texts.items() if canary.lower() in text.lower())
            for canary in canaries() if any(canary.lower() in text.lower() for text in texts.values())}


@pytest.mark.timeout(600)
def test_in_blind_review_no_reviewer_name_or_comment_reaches_the_designer(app, session, client_for) -> None:
    designer = build(app, session, blind=True)
    texts = reachable(app, session, client_for, designer)
    assert any("/report" in where for where in texts)  # the draft panel report was among what was read
    assert leaks(texts) == {}
    # Nor how many reviewed: a count narrows down who did.
    counted = [where for where, text in texts.items() if "/register/" in where and " review)" in text or
               "/register/" in where and " reviews)" in text]
    assert counted == []


@pytest.mark.timeout(600)
def test_without_blind_review_the_same_search_finds_the_panel(app, session, client_for) -> None:
    designer = build(app, session, blind=False)
    found = leaks(reachable(app, session, client_for, designer))
    # Names may be shown when reviews are open, which proves the search sees what the designer sees; the
    # reviewers' own comments are still never shown to designers (they read the panel's consolidated report).
    assert "Canaryfield" in found
    assert COMMENT not in found
