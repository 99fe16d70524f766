"""Demo data: an agency, two providers, one account per role and a few programmes."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.models import Institution, User
from qa_engine.paths import resource_dir
from qa_engine.services import proposals, users

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
]
_USERS = [
    ("admin@nqa.example", "Ada Admin", "NQA", {Role.ADMIN}),
    ("officer@nqa.example", "Olga Officer", "NQA", {Role.QA_OFFICER}),
    ("reviewer@westmoor.example", "Ravi Reviewer", "Westmoor", {Role.REVIEWER}),
    ("designer@eastvale.example", "Dana Designer", "Eastvale", {Role.DESIGNER}),
    ("designer@westmoor.example", "Diego Designer", "Westmoor", {Role.DESIGNER}),
]
# (title, designer, example proposal it starts from, submit it?)
_PROGRAMMES = [
    ("Data Analytics for Public Health", "designer@eastvale.example", "sound-data-analytics.json", True),
    ("Sustainable Construction Site Management", "designer@eastvale.example", "fail-ects-hours.json", False),
    ("Applied Machine Learning for Manufacturing", "designer@westmoor.example", "warn-staff-mix.json", True),
    ("Digital Accessibility in Practice", "designer@westmoor.example", "fail-vague-outcomes.json", False),
]
EXAMPLES = resource_dir("examples") / "proposals"


def is_loaded(session: Session) -> bool:
    """Whether the demo institutions are already there."""
    return bool(session.scalar(select(func.count()).where(Institution.name == _INSTITUTIONS[0][0])))


def load(session: Session, settings: proposals.ScreeningSettings) -> list[DemoLogin]:
    """Create the demo data (call on an empty database) and return the logins to print."""
    institutions = {
        short: users.create_institution(session, name=name, short_name=short, country=country, kind=kind, by=None)
        for name, short, country, kind in _INSTITUTIONS
    }
    people = {
        email: users.create_user(session, email=email, full_name=name, institution=institutions[short],
                                 roles=roles, by=None, password=DEMO_PASSWORD)
        for email, name, short, roles in _USERS
    }
    for title, designer_email, example, submit in _PROGRAMMES:
        designer = people[designer_email]
        data = demo_proposal(example, title=title, provider=designer.institution, today=settings.today)
        programme = proposals.create_draft(session, actor=designer, data=data, source="demo")
        if submit:
            proposals.submit(session, programme, actor=designer, settings=settings)
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
