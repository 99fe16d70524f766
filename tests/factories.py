"""Small factories for test data: plain functions that add rows and flush."""
from __future__ import annotations

import itertools

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from qa_engine.domain.roles import InstitutionKind, Role
from qa_engine.models import Institution, User
from qa_engine.services import auth, users

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_institution(session: Session, *, kind: InstitutionKind = InstitutionKind.PROVIDER, **overrides) -> Institution:
    n = next(_counter)
    values = {"name": f"Institution {n}", "short_name": f"I{n}", "country": "ES", "kind": kind, **overrides}
    return users.create_institution(session, by=None, **values)


def make_user(
    session: Session,
    *roles: Role,
    institution: Institution | None = None,
    password: str | None = PASSWORD,
    **overrides,
) -> User:
    n = next(_counter)
    institution = institution or make_institution(session)
    values = {"email": f"person{n}@example.org", "full_name": f"Person Number{n}", **overrides}
    return users.create_user(session, institution=institution, roles=set(roles or {Role.DESIGNER}),
                             by=None, password=password, **values)


def sign_in(client: FlaskClient, app: Flask, user: User) -> str:
    """Give `client` a live login session for `user` without a sign-in request; returns the token."""
    with app.extensions["qa_engine.db"].transaction() as session:
        token = auth.open_session(session, session.get(User, user.id), ip="127.0.0.1", user_agent="pytest")
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = token
        cookie_session["_fresh"] = True
    return token


# Programme proposals ------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def make_programme(session: Session, designer: User, *, data: dict | None = None, **overrides):  # noqa: ANN201
    """A draft programme of the designer's institution, made through the service (so it is audited)."""
    from qa_engine.services import proposals

    n = next(_counter)
    programme = proposals.create_draft(session, actor=designer,
                                       data=data or {"identification": {"title": f"Programme {n}"}})
    for name, value in overrides.items():
        setattr(programme, name, value)
    session.flush()
    return programme


def make_attachment(session: Session, programme, designer: User, directory, *,  # noqa: ANN001, ANN201
                    filename: str = "syllabus.pdf", content: bytes = PDF_BYTES):
    from qa_engine.domain.proposal import AttachmentKind
    from qa_engine.services import attachments

    return attachments.upload(session, programme, actor=designer, filename=filename, content=content,
                              kind=AttachmentKind.SYLLABUS, description="Syllabus", limits=attachments.UploadLimits(),
                              directory=directory)


def make_submitted(session: Session, programme, designer: User, *, screening: dict | None = None):  # noqa: ANN001, ANN201
    """Freeze the draft as the next version and mark the programme submitted, without screening it."""
    import hashlib
    import json

    from qa_engine.domain.workflow import State
    from qa_engine.models import ProgrammeVersion
    from qa_engine.services import proposals

    content = proposals.canonical(proposals.working_data(programme))
    number = programme.current_version + 1
    result = screening or {"blocking": False, "counts": {"pass": 0, "warn": 0, "fail": 0}, "findings": []}
    version = ProgrammeVersion(programme_id=programme.id, number=number, content=content,
                               content_sha256=hashlib.sha256(content.encode()).hexdigest(),
                               screening=json.dumps(result), submitted_by_id=designer.id)
    session.add(version)
    programme.current_version, programme.draft, programme.state = number, None, State.SUBMITTED
    programme.version += 1
    session.flush()
    return version


def make_in_review(session: Session, programme, officer: User, *, blind: bool = True,  # noqa: ANN001, ANN201
                   due_in_days: int = 28):
    """Move a submitted programme to review and open its round on the default rubric (as accepting does)."""
    from datetime import date, timedelta

    from qa_engine.domain.workflow import State
    from qa_engine.models import Review

    rubric = _catalogue().rubrics.get("slp-ex-ante")
    review = Review(programme_id=programme.id, version_number=programme.current_version, review_type="standard",
                    rubric_key=rubric.key, rubric_sha256=rubric.content_hash, blind=blind,
                    due_on=date.today() + timedelta(days=due_in_days), opened_by_id=officer.id)
    programme.state, programme.version = State.IN_REVIEW, programme.version + 1
    session.add(review)
    session.flush()
    return review


def seat(session: Session, review, reviewer: User, officer: User, *, profile: str = "academic",  # noqa: ANN001, ANN201
         status: str = "accepted", declared: bool = True, chair: bool = False, marks: dict | None = None):
    """Put `reviewer` on the review's panel in `status`; `declared`: the COI declaration is signed."""
    import json

    from qa_engine.db import utcnow
    from qa_engine.domain.panels import MemberStatus, ProfileType
    from qa_engine.models import Assignment

    status = MemberStatus(status)
    now = utcnow()
    assignment = Assignment(
        review_id=review.id, reviewer_id=reviewer.id, profile_type=ProfileType(profile), status=status,
        chair=chair, invited_by_id=officer.id,
        responded_at=None if status is MemberStatus.INVITED else now,
        declared_at=now if declared and status is not MemberStatus.INVITED else None,
        declaration=json.dumps({"conflict": False, "confidentiality": True}) if declared else None,
        marks=json.dumps(marks or {}), submitted_at=now if status is MemberStatus.SUBMITTED else None,
        removed_at=now if status is MemberStatus.REMOVED else None)
    session.add(assignment)
    session.flush()
    session.refresh(review, ["assignments"])
    return assignment


def full_marks(value: int = 3, justification: str = "Well evidenced in the proposal.") -> dict:
    """Stored marks for every criterion of the default rubric, all `value`."""
    rubric = _catalogue().rubrics.get("slp-ex-ante")
    return {c.id: {"value": value, "justification": justification} for c in rubric.criteria}


def _catalogue():  # noqa: ANN202
    from qa_engine import catalogue
    from qa_engine.paths import resource_dir

    global _CATALOGUE
    if _CATALOGUE is None:
        from pathlib import Path

        _CATALOGUE = catalogue.load(Path(resource_dir("rubrics")))
    return _CATALOGUE


_CATALOGUE = None


def sound_proposal() -> dict:
    """The sound example proposal (no check fails), its dates moved to start four months from today."""
    import json
    from datetime import date, timedelta
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "proposals" / "sound-data-analytics.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    start = date.today() + timedelta(days=120)
    data["level"]["start_date"] = start.isoformat()
    data["level"]["end_date"] = (start + timedelta(days=83)).isoformat()
    return data


def section_form_data(data: dict, slug: str) -> dict:
    """The fields a section form posts for the proposal `data` (the inverse of the form's payload)."""
    from qa_engine.forms.proposal import BY_SLUG, keys

    return _form_fields({key: data[key] for key in keys(BY_SLUG[slug].form)}, "")


def _form_fields(value, prefix: str) -> dict:  # noqa: ANN001
    if isinstance(value, dict):
        fields: dict = {}
        for key, item in value.items():
            fields.update(_form_fields(item, f"{prefix}-{key}" if prefix else key))
        return fields
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return {k: v for index, item in enumerate(value) for k, v in _form_fields(item, f"{prefix}-{index}").items()}
    if isinstance(value, list):  # the multiple select of languages, or lines of text
        return {prefix: list(value) if prefix.endswith("-languages") else "\n".join(value)}
    if value is None:
        return {prefix: ""}
    if isinstance(value, bool):
        return {prefix: "yes" if value else "no"}
    return {prefix: str(value)}
