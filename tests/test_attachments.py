"""Attachments: PDF, DOCX or ODT by name and by content, within limits, stored safely, downloaded safely."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from factories import PDF_BYTES, make_attachment, make_programme, make_submitted, make_user, sign_in
from sqlalchemy import func, select

from qa_engine.domain import uploads
from qa_engine.domain.roles import Role
from qa_engine.domain.uploads import FileRejected, UploadLimits
from qa_engine.models import Attachment, Programme


def zipped(members: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX_BYTES = zipped([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
ODT_BYTES = zipped([("mimetype", uploads.ODT.encode()), ("content.xml", b"<office:document-content/>")],
                   compression=zipfile.ZIP_STORED)


@pytest.fixture
def setup(app, session):  # noqa: ANN001, ANN201
    designer = make_user(session, Role.DESIGNER)
    programme = make_programme(session, designer)
    session.commit()
    client = app.test_client()
    sign_in(client, app, designer)
    return designer, programme, client


def upload(client, programme, filename: str, content: bytes, kind: str = "syllabus"):  # noqa: ANN001, ANN201
    url = f"/programmes/{programme.id}/attachments"
    return client.post_form(url, {"file": (io.BytesIO(content), filename), "kind": kind, "description": "d"},
                            token_from=url, content_type="multipart/form-data")


def uploads_dir(app) -> Path:  # noqa: ANN001
    return Path(app.instance_path) / "uploads"


@pytest.mark.parametrize(("filename", "content", "media_type"), [
    ("syllabus.pdf", PDF_BYTES, uploads.PDF),
    ("Brief.DOCX", DOCX_BYTES, uploads.DOCX),
    ("letter.odt", ODT_BYTES, uploads.ODT),
])
def test_allowed_types_are_stored_under_a_uuid_with_their_sha256(app, session, setup, filename, content,
                                                                  media_type) -> None:
    _, programme, client = setup
    response = upload(client, programme, filename, content)
    assert response.headers["Location"] == f"/programmes/{programme.id}/attachments"
    row = session.scalars(select(Attachment)).one()
    assert (row.filename, row.media_type, row.size, row.sha256) == (filename, media_type, len(content),
                                                                     hashlib.sha256(content).hexdigest())
    assert (uploads_dir(app) / row.stored_name).read_bytes() == content
    assert row.stored_name != filename and len(row.stored_name) == 36
    session.refresh(session.get(Programme, programme.id))
    draft = json.loads(session.get(Programme, programme.id).draft)
    assert draft["attachments"] == [{"kind": "syllabus", "filename": filename, "sha256": row.sha256,
                                     "description": "d"}]


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("syllabus.pdf", b"<html><script>alert(1)</script></html>", "is not a PDF file, whatever its name says"),
    ("brief.docx", b"%PDF-1.4 not a zip", "is not a DOCX file"),
    ("brief.docx", b"PK\x03\x04 broken zip", "is not a DOCX file"),
    ("letter.odt", DOCX_BYTES, "is not a ODT file"),
    ("page.html", b"<html></html>", "Only PDF, DOCX and ODT files are accepted."),
    ("../../etc/passwd.pdf", PDF_BYTES, "The file name is not allowed"),
    ("..\\secret.pdf", PDF_BYTES, "The file name is not allowed"),
    (".hidden.pdf", PDF_BYTES, "The file name is not allowed"),
    ("empty.pdf", b"", "The file is empty."),
])
def test_bad_files_are_refused_with_a_clear_message(app, session, setup, filename, content, message) -> None:
    _, programme, client = setup
    response = upload(client, programme, filename, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Attachment.id))) == 0
    assert not uploads_dir(app).exists() or list(uploads_dir(app).iterdir()) == []


@pytest.mark.parametrize("name", ["a/b.pdf", "a\\b.pdf", "..pdf", "x\x00.pdf", "line\nbreak.pdf", "\x7f.pdf",
                                  "x" * 197 + ".pdf", "noextension", ".pdf"])
def test_path_like_and_control_character_names_are_refused(name: str) -> None:
    with pytest.raises(FileRejected):
        uploads.check_name(name)


def test_zip_bombs_are_refused_before_anything_is_inflated() -> None:
    many = zipped([("[Content_Types].xml", b"x"), *((f"word/{n}.xml", b"") for n in range(1001))])
    with pytest.raises(FileRejected, match="more than 1000 parts"):
        uploads.media_type("many.docx", many, UploadLimits())
    huge = zipped([("[Content_Types].xml", b"x"), ("word/document.xml", b"\0" * (100 * 1024 * 1024 + 1))])
    assert len(huge) < 1024 * 1024
    with pytest.raises(FileRejected, match="more than 100 MiB"):
        uploads.media_type("huge.docx", huge, UploadLimits())


def test_size_limit_is_exact_and_configurable(app, make_app, session) -> None:
    small = make_app(ATTACHMENT_MAX_BYTES=1000)
    designer = make_user(session, Role.DESIGNER)
    programme = make_programme(session, designer)
    session.commit()
    client = small.test_client()
    sign_in(client, small, designer)
    at_limit = PDF_BYTES + b"%" * (1000 - len(PDF_BYTES))
    assert upload(client, programme, "ok.pdf", at_limit).status_code == 302
    response = upload(client, programme, "big.pdf", at_limit + b"%")
    assert response.status_code == 422 and "larger than" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Attachment.id))) == 1


def test_default_limit_is_ten_mebibytes() -> None:
    limit = 10 * 1024 * 1024
    at_limit = PDF_BYTES + b"%" * (limit - len(PDF_BYTES))
    assert uploads.media_type("ok.pdf", at_limit, UploadLimits()) == uploads.PDF
    with pytest.raises(FileRejected, match="larger than 10 MiB"):
        uploads.media_type("big.pdf", at_limit + b"%", UploadLimits())


def test_count_limit_refuses_one_file_too_many(make_app, session) -> None:
    app = make_app(ATTACHMENT_MAX_FILES=2)
    designer = make_user(session, Role.DESIGNER)
    programme = make_programme(session, designer)
    session.commit()
    client = app.test_client()
    sign_in(client, app, designer)
    for n in range(2):
        assert upload(client, programme, f"f{n}.pdf", PDF_BYTES + bytes([n])).status_code == 302
    response = upload(client, programme, "third.pdf", PDF_BYTES + b"3")
    assert response.status_code == 422 and "at most 2 attachments" in response.get_data(as_text=True)


def test_download_is_an_attachment_with_safe_headers(app, session, setup) -> None:
    designer, programme, client = setup
    row = make_attachment(session, programme, designer, uploads_dir(app), filename="Sílabo \"final\".pdf")
    session.commit()
    response = client.get(f"/programmes/{programme.id}/attachments/{row.id}")
    body = response.get_data()
    response.close()
    assert body == PDF_BYTES
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''S%C3%ADlabo%20_final_.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"


def test_other_institutions_designer_and_officers_on_drafts_get_404(app, session, setup) -> None:
    designer, programme, _ = setup
    row = make_attachment(session, programme, designer, uploads_dir(app))
    stranger = make_user(session, Role.DESIGNER)
    officer = make_user(session, Role.QA_OFFICER)
    session.commit()
    url = f"/programmes/{programme.id}/attachments/{row.id}"
    for person in (stranger, officer):
        client = app.test_client()
        sign_in(client, app, person)
        assert client.get(url).status_code == 404
    make_submitted(session, programme, designer)
    session.commit()
    response = client.get(url)  # the officer, once the programme is submitted
    body = response.get_data()
    response.close()
    assert body == PDF_BYTES


def test_removing_a_file_cited_by_a_version_keeps_it_for_that_version(app, session, setup) -> None:
    designer, programme, client = setup
    cited = make_attachment(session, programme, designer, uploads_dir(app))
    make_submitted(session, programme, designer)
    programme.state = "returned"
    session.commit()
    assert client.post_form(f"/programmes/{programme.id}/revision", token_from="/").status_code == 302
    response = client.post_form(f"/programmes/{programme.id}/attachments/{cited.id}/delete",
                                token_from=f"/programmes/{programme.id}/attachments")
    assert response.status_code == 302
    session.rollback()
    session.expire_all()
    assert json.loads(session.get(Programme, programme.id).draft)["attachments"] == []
    assert session.get(Attachment, cited.id) is not None and (uploads_dir(app) / cited.stored_name).exists()
    page = client.get(f"/programmes/{programme.id}/versions/1").get_data(as_text=True)
    assert f"/programmes/{programme.id}/attachments/{cited.id}" in page


def test_removing_an_uncited_file_deletes_row_and_file(app, session, setup) -> None:
    designer, programme, client = setup
    row = make_attachment(session, programme, designer, uploads_dir(app))
    session.commit()
    path = uploads_dir(app) / row.stored_name
    response = client.post_form(f"/programmes/{programme.id}/attachments/{row.id}/delete",
                                token_from=f"/programmes/{programme.id}/attachments")
    assert response.status_code == 302
    assert session.scalar(select(func.count(Attachment.id))) == 0
    assert not path.exists()
