"""Every designer form, fuzzed: never a server error, nothing saved from an invalid post, stored text escaped."""
from __future__ import annotations

import io
import json

import pytest
from factories import PDF_BYTES, make_programme, make_user, section_form_data, sign_in, sound_proposal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from wtforms import FieldList, FormField

from qa_engine.domain.roles import Role
from qa_engine.forms import proposal as forms
from qa_engine.models import Programme

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NASTY = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "\x00", "a\x00b", "\x1b[31m",
    "nan", "inf", "-1", "1e309", "9" * 5000, "", " ", "2027-02-30", "0001-01-01", "LO1, LO2", "yes", "no",
    "knowledge", "blended", "en", "0688", "employer_letter", "supervised_with_id", "6", "6.5", "１２", "A" * 20_000,
]
scalars = st.one_of(st.text(max_size=60), st.sampled_from(NASTY), st.integers().map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(str))
values = st.one_of(scalars, st.lists(scalars, min_size=2, max_size=3))  # a list: the wrong shape for most fields


def leaf_names(form) -> list[str]:  # noqa: ANN001
    names = []
    for field in form:
        if isinstance(field, FormField):
            names.extend(leaf_names(field.form))
        elif isinstance(field, FieldList):
            names.extend(name for entry in field.entries for name in leaf_names(entry.form))
        elif field.name not in forms.CONTROL_KEYS:
            names.append(field.name)
    return names


@pytest.fixture
def fuzz_target(app, session):  # noqa: ANN001, ANN201
    designer = make_user(session, Role.DESIGNER)
    programme = make_programme(session, designer, data=sound_proposal())
    session.commit()
    client = app.test_client()
    sign_in(client, app, designer)
    return app, session, client, programme, client.csrf_token(f"/programmes/{programme.id}/sections/identification")


def stored_draft(session, programme_id: int) -> str:  # noqa: ANN001
    session.rollback()
    session.expire_all()
    return session.get(Programme, programme_id).draft


def field_names(app, slug: str) -> list[str]:  # noqa: ANN001
    with app.test_request_context():
        return leaf_names(forms.section_form(forms.BY_SLUG[slug], sound_proposal()))


def assert_escaped(page: str) -> None:
    lowered = page.lower()
    assert "<script" not in lowered and "<img" not in lowered and 'href="javascript:' not in lowered


def fuzz_section(target, slug: str, data: st.DataObject) -> None:  # noqa: ANN001
    app, session, client, programme, token = target
    names = field_names(app, slug)
    # A valid post with some fields replaced by fuzz, or dropped: some posts save, most do not.
    post = section_form_data(sound_proposal(), slug)
    post.update(data.draw(st.dictionaries(st.sampled_from(names), values, max_size=4), label="fuzzed"))
    for name in data.draw(st.lists(st.sampled_from(names), max_size=3), label="dropped"):
        post.pop(name, None)
    button = data.draw(st.sampled_from(["save", "save", "add_row", "remove_row-0", "remove_row-99", None]),
                       label="button")
    if button:
        post[button] = "1"
    before = stored_draft(session, programme.id)
    url = f"/programmes/{programme.id}/sections/{slug}"
    response = client.post(url, data={**post, "csrf_token": token})
    assert response.status_code < 500
    if response.status_code != 302:
        assert stored_draft(session, programme.id) == before
        assert_escaped(response.get_data(as_text=True))
        return
    json.loads(stored_draft(session, programme.id))
    pages = (url, f"/programmes/{programme.id}", "/programmes/") if slug == "identification" else (
        url, f"/programmes/{programme.id}")
    for page in pages:
        shown = client.get(page)
        assert shown.status_code == 200, page
        assert_escaped(shown.get_data(as_text=True))


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_identification(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "identification", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_level(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "level", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_classification(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "classification", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_outcomes(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "outcomes", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_assessments(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "assessments", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_admission(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "admission", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_delivery(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "delivery", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_staff(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "staff", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_resources(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "resources", data)


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_fuzz_quality(fuzz_target, data) -> None:  # noqa: ANN001
    fuzz_section(fuzz_target, "quality", data)


@pytest.mark.slow
@FUZZ
@given(title=values)
def test_fuzz_new_programme(fuzz_target, title) -> None:  # noqa: ANN001
    app, session, client, _, token = fuzz_target
    before = session.scalar(select(func.count(Programme.id)))
    response = client.post("/programmes/new", data={"title": title, "csrf_token": token})
    assert response.status_code < 500
    session.rollback()
    created = session.scalar(select(func.count(Programme.id))) - before
    assert created == (1 if response.status_code == 302 else 0)
    assert_escaped(client.get("/programmes/").get_data(as_text=True))


@pytest.mark.slow
@FUZZ
@given(kind=values, description=values, name=scalars)
def test_fuzz_attachment_upload(fuzz_target, kind, description, name) -> None:  # noqa: ANN001
    app, session, client, programme, token = fuzz_target
    before = stored_draft(session, programme.id)
    url = f"/programmes/{programme.id}/attachments"
    response = client.post(url, data={"file": (io.BytesIO(PDF_BYTES + name.encode()), name or "x"), "kind": kind,
                                      "description": description, "csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code < 500
    if response.status_code != 302:
        assert stored_draft(session, programme.id) == before
    assert_escaped(client.get(url).get_data(as_text=True))
