"""ELM imports that become database drafts: the designer's upload and `qa-engine import-elm --designer`."""
from __future__ import annotations

import io
import json
from pathlib import Path

from factories import make_user, sign_in
from sqlalchemy import select

from qa_engine.commands.proposals import import_elm
from qa_engine.domain.roles import Role
from qa_engine.models import AuditEntry, Programme

ELM = {
    "@context": ["https://ec.europa.eu/2023/credentials-model/v3"],
    "id": "urn:epass:learningAchievementSpecification:1",
    "type": "LearningAchievementSpecification",
    "title": {"en": "Data Stewardship <b>Basics</b>"},
    "creditPoint": [{"type": "CreditPoint", "framework": {"id": "http://data.europa.eu/snb/education-credit/6fcec5c5af"},
                     "point": "5"}],
    "colour": "green",
}


def test_designer_uploads_an_elm_file_and_gets_a_draft_and_the_unmapped_notes(app, session) -> None:
    designer = make_user(session, Role.DESIGNER)
    session.commit()
    client = app.test_client()
    sign_in(client, app, designer)
    response = client.post_form("/programmes/import", {"file": (io.BytesIO(json.dumps(ELM).encode()), "mc.jsonld")},
                                token_from="/programmes/", content_type="multipart/form-data")
    programme = session.scalars(select(Programme)).one()
    assert response.headers["Location"] == f"/programmes/{programme.id}"
    assert programme.title == "Data Stewardship <b>Basics</b>"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not imported:" in page and "colour" in page
    assert "Data Stewardship &lt;b&gt;Basics&lt;/b&gt;" in page
    details = json.loads(session.scalars(select(AuditEntry.details).where(AuditEntry.action == "programme.create"))
                         .one())
    assert details["source"] == "elm"


def test_elm_upload_that_is_not_json_is_refused_with_a_message(app, session) -> None:
    designer = make_user(session, Role.DESIGNER)
    session.commit()
    client = app.test_client()
    sign_in(client, app, designer)
    response = client.post_form("/programmes/import", {"file": (io.BytesIO(b"[" * 100_000), "deep.json")},
                                token_from="/programmes/", content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This file cannot be imported" in response.get_data(as_text=True)
    assert session.scalars(select(Programme)).all() == []


def test_cli_import_with_designer_creates_a_draft(app, session, tmp_path: Path) -> None:
    designer = make_user(session, Role.DESIGNER, email="dana@example.org")
    session.commit()
    source = tmp_path / "mc.jsonld"
    source.write_text(json.dumps(ELM), encoding="utf-8")
    result = app.test_cli_runner().invoke(import_elm, [str(source), "--designer", "Dana@Example.org"])
    assert result.exit_code == 0, result.output
    programme = session.scalars(select(Programme)).one()
    assert (programme.designer_id, programme.title) == (designer.id, "Data Stewardship <b>Basics</b>")
    assert f"Draft {programme.id} created for Dana@Example.org" in result.stdout
    assert "not imported:" in result.stderr


def test_cli_import_for_an_unknown_or_non_designer_account_creates_nothing(app, session, tmp_path: Path) -> None:
    make_user(session, Role.REVIEWER, email="ravi@example.org")
    session.commit()
    source = tmp_path / "mc.jsonld"
    source.write_text(json.dumps(ELM), encoding="utf-8")
    runner = app.test_cli_runner()
    unknown = runner.invoke(import_elm, [str(source), "--designer", "nobody@example.org"])
    reviewer = runner.invoke(import_elm, [str(source), "--designer", "ravi@example.org"])
    assert (unknown.exit_code, reviewer.exit_code) == (2, 2)
    assert "no active account" in unknown.stderr and "is not a programme designer" in reviewer.stderr
    assert session.scalars(select(Programme)).all() == []
