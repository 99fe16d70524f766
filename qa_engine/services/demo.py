"""Demo data: an agency, two providers, one account per role and a few programmes."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.domain.workflow import State
from qa_engine.models import Institution, Programme, User
from qa_engine.services import audit, users

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
_PROGRAMMES = [
    ("Data Analytics for Public Health", "designer@eastvale.example", "6", 6, State.SUBMITTED),
    ("Sustainable Construction Site Management", "designer@eastvale.example", "10", 5, State.DRAFT),
    ("Applied Machine Learning for Manufacturing", "designer@westmoor.example", "5", 7, State.SUBMITTED),
    ("Digital Accessibility in Practice", "designer@westmoor.example", "3", 6, State.DRAFT),
]


def is_loaded(session: Session) -> bool:
    """Whether the demo institutions are already there."""
    return bool(session.scalar(select(func.count()).where(Institution.name == _INSTITUTIONS[0][0])))


def load(session: Session) -> list[DemoLogin]:
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
    for title, designer_email, ects, eqf, state in _PROGRAMMES:
        designer = people[designer_email]
        programme = Programme(title=title, provider=designer.institution, designer=designer,
                              ects=Decimal(ects), eqf_level=eqf, state=state)
        session.add(programme)
        session.flush()
        audit.record(session, "programme.created", actor=designer, role=Role.DESIGNER,
                     obj=("programme", programme.id), details={"title": title, "state": state, "demo": True})
    return logins(session)


def logins(session: Session) -> list[DemoLogin]:
    """The demo accounts, one line each."""
    emails = [email for email, *_ in _USERS]
    rows = session.scalars(select(User).where(User.email.in_(emails)))
    by_email = {user.email: user for user in rows}
    return [
        DemoLogin(email, ", ".join(r.label for r in sorted(by_email[email].roles)), by_email[email].institution.name)
        for email in emails if email in by_email
    ]
