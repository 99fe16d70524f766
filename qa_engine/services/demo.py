"""Demo data: an agency, providers, accounts for every role, a reviewer pool, and programmes in every state."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Institution, ReviewerProfile, User
from qa_engine.paths import resource_dir
from qa_engine.services import demo_story, proposals, users

DEMO_PASSWORD = "micro-credential-demo"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    institution: str


_INSTITUTIONS = [
    ("Northbridge Quality Agency", "NQA", "ES", InstitutionKind.AGENCY),
    ("University of Eastvale", "Eastvale", "ES", InstitutionKind.PROVIDER),
    ("Westmoor Institute of Technology", "Westmoor", "IE", InstitutionKind.PROVIDER),
    ("Lakeside University", "Lakeside", "PT", InstitutionKind.PROVIDER),
    ("Harbour Engineering Group", "Harbour", "ES", InstitutionKind.PROVIDER),
]
_USERS = [
    ("admin@nqa.example", "Ada Admin", "NQA", {Role.ADMIN}),
    ("officer@nqa.example", "Olga Officer", "NQA", {Role.QA_OFFICER}),
    ("officer2@nqa.example", "Oscar Second", "NQA", {Role.QA_OFFICER}),
    ("reviewer@westmoor.example", "Ravi Reviewer", "Westmoor", {Role.REVIEWER}),
    ("academic@lakeside.example", "Lucia Academic", "Lakeside", {Role.REVIEWER}),
    ("student@lakeside.example", "Sam Student", "Lakeside", {Role.REVIEWER}),
    ("practitioner@harbour.example", "Pablo Practitioner", "Harbour", {Role.REVIEWER}),
    ("designer@eastvale.example", "Dana Designer", "Eastvale", {Role.DESIGNER}),
    ("designer@westmoor.example", "Diego Designer", "Westmoor", {Role.DESIGNER}),
]
# The reviewer pool: profile types, ISCED-F expertise, keywords, languages.
_PROFILES = {
    "reviewer@westmoor.example": (["academic"], ["0588", "0613"], ["data analytics", "statistics"], ["en"]),
    "academic@lakeside.example": (["academic", "international"], ["0613", "0715"], ["machine learning"],
                                  ["en", "es", "pt"]),
    "student@lakeside.example": (["student"], ["0613"], ["learning analytics"], ["en", "pt"]),
    "practitioner@harbour.example": (["professional", "employer"], ["0715", "0732"], ["manufacturing", "safety"],
                                     ["en", "es"]),
}
# (title, designer, example proposal it starts from, the state the demo leaves it in)
_PROGRAMMES = [
    ("Data Analytics for Public Health", "designer@eastvale.example", "sound-data-analytics.json", State.APPROVED),
    ("Applied Machine Learning for Manufacturing", "designer@westmoor.example", "warn-staff-mix.json",
     State.CONDITIONS),
    ("Sustainable Construction Site Management", "designer@eastvale.example", "fail-ects-hours.json", State.DRAFT),
    ("Digital Accessibility in Practice", "designer@westmoor.example", "fail-vague-outcomes.json", State.DRAFT),
    ("Cybersecurity Essentials for Small Firms", "designer@eastvale.example", "sound-data-analytics.json",
     State.SUBMITTED),
    ("Green Hydrogen Safety", "designer@westmoor.example", "sound-data-analytics.json", State.SCREENING),
    ("Clinical Data Management", "designer@eastvale.example", "sound-data-analytics.json", State.RETURNED),
    ("Industrial Robotics Maintenance", "designer@westmoor.example", "sound-data-analytics.json", State.IN_REVIEW),
    ("Health Informatics Leadership", "designer@eastvale.example", "sound-data-analytics.json",
     State.CONSOLIDATION),
    ("Circular Economy in Manufacturing", "designer@westmoor.example", "sound-data-analytics.json",
     State.PROVIDER_RESPONSE),
    ("Epidemiological Surveillance Methods", "designer@eastvale.example", "sound-data-analytics.json",
     State.DECISION_PENDING),
    ("Predictive Maintenance with IoT", "designer@westmoor.example", "sound-data-analytics.json",
     State.REVISE_AND_RESUBMIT),
    ("Public Health Communication", "designer@eastvale.example", "sound-data-analytics.json", State.REJECTED),
    ("Lean Production Fundamentals", "designer@westmoor.example", "sound-data-analytics.json", State.EXPIRED),
    ("Biostatistics Refresher", "designer@eastvale.example", "sound-data-analytics.json",
     State.APPROVAL_WITHDRAWN),
    ("Quality Management for Laboratories", "designer@westmoor.example", "sound-data-analytics.json",
     State.WITHDRAWN),
]
#: The programme whose rejection is under appeal.
UNDER_APPEAL = "Public Health Communication"
EXAMPLES = resource_dir("examples") / "proposals"


def is_loaded(session: Session) -> bool:
    """Whether the demo institutions are already there."""
    return bool(session.scalar(select(func.count()).where(Institution.name == _INSTITUTIONS[0][0])))


def load(session: Session, settings: proposals.ScreeningSettings) -> list[DemoLogin]:
    """Create the demo data (call on an empty database, in an application context) and return the logins to print.

    Every programme is taken to its state through the same services the pages use, so its history, e-mails and
    audit trail are those of a real case.
    """
    institutions = {
        short: users.create_institution(session, name=name, short_name=short, country=country, kind=kind, by=None)
        for name, short, country, kind in _INSTITUTIONS
    }
    people = {
        email: users.create_user(session, email=email, full_name=name, institution=institutions[short],
                                 roles=roles, by=None, password=DEMO_PASSWORD)
        for email, name, short, roles in _USERS
    }
    for email, (types, expertise, keywords, languages) in _PROFILES.items():
        session.add(ReviewerProfile(user_id=people[email].id, profile_types=json.dumps(types),
                                    expertise=json.dumps(expertise), keywords=json.dumps(keywords),
                                    languages=json.dumps(languages), max_load=6))
    session.flush()
    story = demo_story.Story(session, people, settings)
    for title, designer_email, example, state in _PROGRAMMES:
        designer = people[designer_email]
        data = demo_proposal(example, title=title, provider=designer.institution, today=settings.today)
        programme = proposals.create_draft(session, actor=designer, data=data, source="demo")
        story.take_to(programme, state, appeal=title == UNDER_APPEAL)
    return logins(session)


def demo_proposal(example: str, *, title: str, provider: Institution, today: date) -> dict[str, Any]:
    """An example proposal retitled for `provider`, its dates moved so that it starts four months from now."""
    data = json.loads((EXAMPLES / example).read_text())
    data["identification"]["title"] = title
    data["awarding_body"].update(name=provider.name, country=provider.country)
    level = data["level"]
    start, end = date.fromisoformat(level["start_date"]), date.fromisoformat(level["end_date"])
    level["start_date"] = (today + timedelta(days=120)).isoformat()
    level["end_date"] = (today + timedelta(days=120) + (end - start)).isoformat()
    return data


def logins(session: Session) -> list[DemoLogin]:
    """The demo accounts, one line each."""
    emails = [email for email, *_ in _USERS]
    rows = session.scalars(select(User).where(User.email.in_(emails)))
    by_email = {user.email: user for user in rows}
    return [
        DemoLogin(email, ", ".join(r.label for r in sorted(by_email[email].roles)), by_email[email].institution.name)
        for email in emails if email in by_email
    ]
