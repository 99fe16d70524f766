"""The designer's pages: drafts edited section by section, screening, submission, versions, revision, withdrawal."""
from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from factories import make_programme, make_submitted, make_user, sound_proposal
from flask import url_for
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from qa_engine.domain.proposal import proposal_from_dict, proposal_to_dict
from qa_engine.domain.proposal_diff import Change
from qa_engine.domain.roles import Role
from qa_engine.domain.workflow import Action, State
from qa_engine.forms.proposal import BY_SLUG, SECTIONS, keys
from qa_engine.models import AuditEntry, Programme, ProgrammeVersion
from qa_engine.services import proposals, workflow

MULTIPLE = {"languages"}


def form_fields(value: Any, prefix: str) -> dict[str, Any]:
    """A fragment of the proposal format as the section forms post it."""
    if isinstance(value, dict):
        fields: dict[str, Any] = {}
        for key, item in value.items():
            fields.update(form_fields(item, f"{prefix}-{key}" if prefix else key))
        return fields
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return {k: v for index, item in enumerate(value) for k, v in form_fields(item, f"{prefix}-{index}").items()}
    if isinstance(value, list):
        return {prefix: list(value) if prefix.rsplit("-", 1)[-1] in MULTIPLE else "\n".join(value)}
    if value is None:
        return {prefix: ""}
    if isinstance(value, bool):
        return {prefix: "yes" if value else "no"}
    return {prefix: str(value)}


def section_post(data: dict, slug: str) -> dict[str, Any]:
    return form_fields({key: data[key] for key in keys(BY_SLUG[slug].form)}, "")


@pytest.fixture
def designer(session):  # noqa: ANN001, ANN201
    user = make_user(session, Role.DESIGNER)
    session.commit()
    return user


def fresh(session) -> None:  # noqa: ANN001
    """See what the requests committed since: end the read transaction and forget loaded rows."""
    session.rollback()
    session.expire_all()


def draft_of(session, programme_id: int) -> dict:  # noqa: ANN001
    fresh(session)
    return json.loads(session.get(Programme, programme_id).draft)


def actions(session, programme_id: int) -> list[str]:  # noqa: ANN001
    fresh(session)
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "programme",
                                                                AuditEntry.object_id == str(programme_id))
                                .order_by(AuditEntry.seq)))


def test_new_programme_creates_an_audited_draft(app, session, designer, client_for) -> None:
    client = client_for(designer)
    response = client.post_form("/programmes/new", {"title": "  Data for Decisions "}, token_from="/")
    programme = session.scalars(select(Programme)).one()
    assert response.headers["Location"] == f"/programmes/{programme.id}/sections/identification"
    assert (programme.title, programme.state, programme.provider_id) == ("Data for Decisions", State.DRAFT,
                                                                         designer.institution_id)
    assert draft_of(session, programme.id)["identification"]["title"] == "Data for Decisions"
    assert actions(session, programme.id) == ["programme.create"]


def test_every_section_posted_through_the_forms_rebuilds_the_whole_proposal(app, session, designer,
                                                                             client_for) -> None:
    programme = make_programme(session, designer)
    session.commit()
    client = client_for(designer)
    data = {**proposal_to_dict(proposal_from_dict(sound_proposal())), "attachments": []}  # uploaded, not typed
    for section in SECTIONS:
        url = f"/programmes/{programme.id}/sections/{section.slug}"
        response = client.post_form(url, {**section_post(data, section.slug), "save": "1"}, token_from=url)
        assert response.status_code == 302, (section.slug, response.get_data(as_text=True)[:3000])
    assert draft_of(session, programme.id) == data
    session.refresh(programme)
    assert (programme.title, float(programme.ects), programme.eqf_level) == (data["identification"]["title"], 6, 6)


def test_invalid_section_shows_errors_next_to_fields_keeps_input_and_saves_nothing(app, session, designer,
                                                                                    client_for) -> None:
    programme = make_programme(session, designer)
    session.commit()
    before = draft_of(session, programme.id)
    url = f"/programmes/{programme.id}/sections/level"
    client = client_for(designer)
    response = client.post_form(url, {"level-ects": "six", "level-eqf_level": "12", "level-nqf_level": "MECES 2",
                                      "level-hours-contact": "nan", "save": "1"}, token_from=url)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="level-ects-error"' in page and "Not a valid float value." in page
    assert 'id="level-eqf_level-error"' in page and "Number must be between 1 and 8." in page
    assert 'id="level-hours-contact-error"' in page and "Give a finite number." in page
    assert 'value="six"' in page and 'value="MECES 2"' in page
    assert draft_of(session, programme.id) == before


def test_rows_are_added_and_removed_without_saving_and_without_losing_input(app, session, designer,
                                                                            client_for) -> None:
    programme = make_programme(session, designer)
    session.commit()
    url = f"/programmes/{programme.id}/sections/outcomes"
    client = client_for(designer)
    rows = {"learning_outcomes-0-id": "LO1", "learning_outcomes-0-text": "Explain the first thing.",
            "learning_outcomes-1-id": "LO2", "learning_outcomes-1-text": "Apply the second thing."}
    added = client.post_form(url, {**rows, "add_row": "1"}, token_from=url).get_data(as_text=True)
    assert 'name="learning_outcomes-2-text"' in added and "Explain the first thing." in added
    removed = client.post_form(url, {**rows, "remove_row-0": "1"}, token_from=url).get_data(as_text=True)
    assert "Explain the first thing." not in removed and "Apply the second thing." in removed
    assert 'name="remove_row-1"' not in removed
    assert draft_of(session, programme.id)["learning_outcomes"] == []
    client.post_form(url, {"learning_outcomes-1-id": "LO2", "learning_outcomes-1-text": "Apply the second thing.",
                           "save": "1"}, token_from=url)
    assert [o["id"] for o in draft_of(session, programme.id)["learning_outcomes"]] == ["LO2"]


def test_screening_panel_shows_fails_warnings_and_passes_with_fields(app, session, designer, client_for) -> None:
    data = sound_proposal()
    data["level"]["ects"] = 90
    programme = make_programme(session, designer, data=data)
    session.commit()
    page = client_for(designer).get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "Automated screening" in page
    assert '<span class="finding finding-fail">Fail</span>' in page
    assert "C2 Size bounds" in page and "<code>level.ects</code>" in page
    assert '<span class="finding finding-pass">Pass</span>' in page


def test_submit_is_blocked_by_failed_checks_with_the_list_to_fix(app, session, designer, client_for) -> None:
    programme = make_programme(session, designer)
    session.commit()
    response = client_for(designer).post_form(f"/programmes/{programme.id}/submit", token_from="/")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The programme was not submitted" in page and "C1 Annex I completeness" in page
    fresh(session)
    assert (session.get(Programme, programme.id).state, session.scalar(select(func.count(ProgrammeVersion.id)))) == (
        State.DRAFT, 0)
    assert actions(session, programme.id)[-1] == "programme.submission_blocked"


def test_submit_creates_version_one_with_its_screening_and_an_audit_entry(app, session, designer,
                                                                          client_for) -> None:
    programme = make_programme(session, designer, data=sound_proposal())
    session.commit()
    draft = draft_of(session, programme.id)
    client = client_for(designer)
    response = client.post_form(f"/programmes/{programme.id}/submit", token_from="/")
    assert response.headers["Location"] == f"/programmes/{programme.id}"
    fresh(session)
    programme = session.get(Programme, programme.id)
    version = session.scalars(select(ProgrammeVersion)).one()
    assert (programme.state, programme.current_version, programme.draft, version.number) == (
        State.SUBMITTED, 1, None, 1)
    assert json.loads(version.content) == draft
    assert json.loads(version.screening)["counts"]["fail"] == 0
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "programme.submit")).one()
    assert json.loads(entry.details)["sha256"] == version.content_sha256
    assert "Submitted as version 1." in client.get(f"/programmes/{programme.id}").get_data(as_text=True)


def test_database_refuses_to_change_or_delete_a_version(app, session, designer) -> None:
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)
    session.commit()
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(update(ProgrammeVersion).values(content="{}"))
    session.rollback()
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(text("DELETE FROM programme_versions"))
    fresh(session)
    assert session.scalar(select(func.count(ProgrammeVersion.id))) == 1


def test_revision_after_return_gives_version_two_and_an_exact_diff(app, session, designer, client_for) -> None:
    programme = make_programme(session, designer, data=sound_proposal())
    session.commit()
    client = client_for(designer)
    client.post_form(f"/programmes/{programme.id}/submit", token_from="/")
    session.execute(update(Programme).values(state=State.RETURNED))  # the QA officer's return comes later
    session.commit()
    response = client.post_form(f"/programmes/{programme.id}/revision", token_from="/")
    assert response.status_code == 302
    first = json.loads(session.scalars(select(ProgrammeVersion.content)).one())
    assert draft_of(session, programme.id) == first
    url = f"/programmes/{programme.id}/sections/identification"
    edited = {**first, "identification": {**first["identification"], "title": "Data Analytics for Managers"}}
    client.post_form(url, {**section_post(edited, "identification"), "save": "1"}, token_from=url)
    assert client.post_form(f"/programmes/{programme.id}/submit", token_from="/").status_code == 302
    fresh(session)
    assert session.get(Programme, programme.id).current_version == 2
    expected = [Change("identification.title", first["identification"]["title"], "Data Analytics for Managers")]
    assert proposals.compare(session, session.get(Programme, programme.id), 1, 2) == expected
    page = client.get(f"/programmes/{programme.id}/compare?a=1&b=2").get_data(as_text=True)
    assert "1 field differs." in page and "<code>identification.title</code>" in page
    assert actions(session, programme.id)[-3:] == ["programme.start_revision", "programme.section_saved",
                                                   "programme.submit"]


def test_withdraw_moves_a_submitted_programme_to_withdrawn(app, session, designer, client_for) -> None:
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)
    session.commit()
    client = client_for(designer)
    response = client.post_form(f"/programmes/{programme.id}/withdraw", {"comment": "Replaced by a new offer"},
                                token_from="/")
    assert response.status_code == 302
    fresh(session)
    assert session.get(Programme, programme.id).state == State.WITHDRAWN
    assert client.post_form(f"/programmes/{programme.id}/withdraw", token_from="/").status_code == 409
    assert actions(session, programme.id)[-2:] == ["programme.withdraw", "programme.transition_refused"]


def test_transition_with_a_stale_version_is_a_conflict_and_is_audited(app, session, designer) -> None:
    programme = make_programme(session, designer, data=sound_proposal())
    session.commit()
    assert programme.version == 1
    # Someone else got there first; this session's programme still says version 1.
    session.execute(update(Programme).values(version=2).execution_options(synchronize_session=False))
    with pytest.raises(workflow.Conflict, match="changed in the meantime"):
        workflow.transition(session, programme, Action.SUBMIT, actor=designer, role=Role.DESIGNER)
    session.commit()
    fresh(session)
    assert session.get(Programme, programme.id).state == State.DRAFT
    assert actions(session, programme.id)[-1] == "programme.transition_refused"


@pytest.mark.parametrize("attempt", range(20))
def test_two_concurrent_submits_exactly_one_wins(app, session, designer, client_for, attempt: int) -> None:
    programme = make_programme(session, designer, data=sound_proposal())
    session.commit()
    clients = [client_for(designer), client_for(designer)]
    tokens = [client.csrf_token("/") for client in clients]
    barrier, statuses = threading.Barrier(2), []

    def submit(client, token) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(f"/programmes/{programme.id}/submit", data={"csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [302, 409]
    assert session.scalar(select(func.count(ProgrammeVersion.id))) == 1


def test_another_institutions_designer_gets_404_on_every_programme_page(app, session, designer,
                                                                         client_for) -> None:
    programme = make_programme(session, designer)
    make_submitted(session, programme, designer)
    session.commit()
    other = make_user(session, Role.DESIGNER)
    session.commit()
    stranger = client_for(other)
    token = stranger.csrf_token("/")
    args = {"programme_id": programme.id, "section": "identification", "number": 1, "attachment_id": 1}
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("proposals.") and "programme_id" in rule.arguments:
            with app.test_request_context():
                url = url_for(rule.endpoint, **{name: args[name] for name in rule.arguments})
            for method in rule.methods & {"GET", "POST"}:
                response = stranger.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
                assert response.status_code == 404, (rule.endpoint, method)
                checked += 1
    assert checked == 12
    assert "Programme" not in stranger.get("/programmes/").get_data(as_text=True).split("<tbody>")[1]


def test_qa_officer_sees_submitted_programmes_but_not_drafts(app, session, designer, client_for) -> None:
    officer = make_user(session, Role.QA_OFFICER)
    draft = make_programme(session, designer)
    submitted = make_programme(session, designer)
    make_submitted(session, submitted, designer)
    session.commit()
    client = client_for(officer)
    assert client.get(f"/programmes/{draft.id}").status_code == 404
    assert client.get(f"/programmes/{submitted.id}").status_code == 200
    assert client.get(f"/programmes/{submitted.id}/versions/1").status_code == 200
    assert client.post_form(f"/programmes/{submitted.id}/withdraw", token_from="/").status_code == 403
