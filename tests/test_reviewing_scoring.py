"""The reviewer's documents and scoring form: the pinned version and rubric, drafts, validation, submission,
and the panel's reviews after one's own."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from factories import PDF_BYTES, full_marks, make_user, seat
from sql_counts import count_statements
from test_reviewing import (
    actions,
    build_case,
    entries,
    form_data,
    fresh,
    mails,
    seat_of,
    snapshot,
    text_of,
)

from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.roles import Role
from qa_engine.domain.scoring import Mark
from qa_engine.domain.workflow import State
from qa_engine.models import Assignment, Programme, Review
from qa_engine.services import reviewing

NO_NA = "D1.1"  # N/A is not allowed
NA_ALLOWED = "D4.2"  # N/A is allowed, with a justification


def score_url(case) -> str:  # noqa: ANN001
    return f"/reviews/{case.seat.id}/score"


def post_score(client, case, data: dict):  # noqa: ANN001, ANN201
    return client.post_form(score_url(case), data, token_from="/")


# The documents --------------------------------------------------------------------------------------------


def test_proposal_page_shows_the_pinned_version_read_only_with_its_attachments(app, session, client_for) -> None:
    case = build_case(app, session)
    page = text_of(client_for(case.reviewer).get(f"/reviews/{case.seat.id}/proposal"))
    assert "The proposal under review" in page and "Version 1" in page
    assert "Applied Data Analytics for Business Decisions" in page and "Automated screening" in page
    assert f'href="/reviews/{case.seat.id}/attachments/{case.attachment.id}"' in page
    main = page.split("<main")[1]
    assert "<form" not in main.split('aria-label="This review"')[1] and "/programmes/" not in main
    assert main.index('id="section-identification"') < main.index('id="section-learning_outcomes"') < main.index(
        'id="section-quality_assurance"')


def test_proposal_shows_the_reviewed_version_not_a_later_draft(app, session, client_for) -> None:
    case = build_case(app, session)
    programme = session.get(Programme, case.programme.id)
    programme.draft = json.dumps({"identification": {"title": "A Later Draft Title"}})
    session.commit()
    page = text_of(client_for(case.reviewer).get(f"/reviews/{case.seat.id}/proposal"))
    assert "A Later Draft Title" not in page and "Applied Data Analytics for Business Decisions" in page


def test_attachment_downloads_through_the_seat(app, session, client_for) -> None:
    case = build_case(app, session)
    response = client_for(case.reviewer).get(f"/reviews/{case.seat.id}/attachments/{case.attachment.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert 'attachment; filename=syllabus.pdf' in response.headers["Content-Disposition"]
    response.close()


def test_attachments_not_cited_by_the_reviewed_version_are_404(app, session, client_for) -> None:
    case = build_case(app, session)
    elsewhere = build_case(app, session)
    client = client_for(case.reviewer)
    assert client.get(f"/reviews/{case.seat.id}/attachments/{elsewhere.attachment.id}").status_code == 404
    assert client.get(f"/reviews/{case.seat.id}/attachments/999999").status_code == 404


# The scoring form -----------------------------------------------------------------------------------------


def test_the_form_is_built_from_the_pinned_rubric_with_the_evidence_beside_each_criterion(app, session,
                                                                                       client_for) -> None:
    case = build_case(app, session, marks={"D1.2": {"value": 2, "justification": "The title says Expert."}})
    page = text_of(client_for(case.reviewer).get(score_url(case)))
    rubric = app.extensions["qa_engine.catalogue"].rubrics.get("slp-ex-ante", 1)
    for criterion in rubric.criteria:
        assert f'id="crit-{criterion.id}"' in page
        assert f'name="justification-{criterion.id}"' in page
        # Thirty "Justification" labels on one page: each tells a screen reader which criterion it is for.
        assert (f'<label for="justification-{criterion.id}">Justification<span class="visually-hidden"> '
                f'({criterion.id})</span></label>') in page
        assert (f'id="mark-{criterion.id}-4"' in page) is criterion.na_allowed
    assert page.count('value="na"') == sum(c.na_allowed for c in rubric.criteria)
    learning = page.split('id="crit-D3.1"')[1].split("</article>")[0]
    assert "What the proposal says" in learning and "<summary>Learning outcomes</summary>" in learning
    assert "Explain the principles of descriptive, diagnostic and predictive analytics" in learning
    assert rubric.criterion("D3.1").guidance.split()[0] in learning
    assert rubric.criterion("D3.1").level_descriptors[4][:40] in learning
    assert "References:" in learning
    level = page.split('id="crit-D1.3"')[1].split("</article>")[0]
    assert "<summary>Level</summary>" in level  # "level_and_size" in the rubric
    saved = page.split('id="crit-D1.2"')[1].split("</article>")[0]
    assert 'checked id="mark-D1.2-2"' in saved and "The title says Expert." in saved
    assert 'name="hours"' in page and 'name="version" type="hidden" value="1"' in page


def test_saving_a_draft_keeps_the_marks_and_the_hours_and_audits_lightly(app, session, client_for) -> None:
    case = build_case(app, session)
    marks = {"D1.1": {"value": 3, "justification": ""}, "D1.2": {"value": 1, "justification": "Misleading."},
             NA_ALLOWED: {"value": None, "justification": "No placements."}}
    response = post_score(client_for(case.reviewer), case, form_data(marks, version=1, hours="2.25"))
    assert response.headers["Location"] == score_url(case)
    found = seat_of(session, case.seat.id)
    assert (found.status, found.version, found.hours) == (MemberStatus.ACCEPTED, 2, Decimal("2.3"))
    assert json.loads(found.marks) == marks
    entry = entries(session, "review.draft_saved")[-1]
    assert json.loads(entry.details) == {"review": case.review.id, "assignment": case.seat.id, "marked": 3,
                                         "problems": 0}


BAD = {
    "D1.2": ({"mark-D1.2": "2"}, "justification-D1.2", "A justification is required for a mark below 3 (Meets)."),
    "D1.3": ({"mark-D1.3": "7"}, "mark-D1.3", "7 is not a value of the scale (4, 3, 2, 1)."),
    "D1.4": ({"mark-D1.4": "na", "justification-D1.4": "Does not apply."}, "mark-D1.4",
             "N/A is not allowed for this criterion."),
    NA_ALLOWED: ({f"mark-{NA_ALLOWED}": "na"}, f"justification-{NA_ALLOWED}", "A justification is required for N/A."),
    "D2.1": ({"mark-D2.1": "three"}, "mark-D2.1", "Choose one of the marks shown."),
    "D2.2": ({"justification-D2.2": "Strong employer letters."}, "mark-D2.2",
             "Choose a mark for this justification, or clear it."),
    "D2.3": ({"mark-D2.3": "2", "justification-D2.3": "x" * 4001}, "justification-D2.3",
             "Field cannot be longer than 4000 characters."),
}


@pytest.mark.parametrize("criterion", list(BAD))
def test_each_kind_of_bad_mark_is_explained_next_to_its_field_and_the_rest_is_saved(app, session, client_for,
                                                                                    criterion: str) -> None:
    case = build_case(app, session, marks={criterion: {"value": 3, "justification": "Earlier."}})
    posted, field, message = BAD[criterion]
    data = {**form_data({"D1.1": {"value": 4, "justification": ""}}, version=1), **posted}
    response = post_score(client_for(case.reviewer), case, data)
    page = text_of(response)
    assert response.status_code == 422
    assert f'<small id="{field}-error" class="field-error" role="alert">{message}</small>' in page
    assert f'href="#crit-{criterion}"' in page.split('aria-label="Marks to correct"')[1].split("</nav>")[0]
    assert "Saved what was valid." in page
    found = seat_of(session, case.seat.id)
    assert json.loads(found.marks) == {"D1.1": {"value": 4, "justification": ""},
                                       criterion: {"value": 3, "justification": "Earlier."}}
    assert f'name="version" type="hidden" value="{found.version}"' in page  # the next save goes through


@pytest.mark.parametrize("hours", ["abc", "-1", "1000", "NaN", "sNaN", "Infinity", "1e400"])
def test_bad_hours_are_explained_and_the_saved_hours_kept(app, session, client_for, hours: str) -> None:
    case = build_case(app, session)
    client = client_for(case.reviewer)
    post_score(client, case, form_data({}, version=1, hours="4"))
    response = post_score(client, case, form_data({"D1.1": {"value": 3}}, version=2, hours=hours))
    assert response.status_code == 422
    assert "Give a number of hours between 0 and 999, like 6.5." in text_of(response)
    found = seat_of(session, case.seat.id)
    assert (found.hours, json.loads(found.marks)) == (Decimal("4.0"), {"D1.1": {"value": 3, "justification": ""}})


def test_the_service_reports_unknown_criteria_and_does_not_store_them(app, session) -> None:
    case = build_case(app, session)
    rubric = app.extensions["qa_engine.catalogue"].rubrics.get("slp-ex-ante", 1)
    found = session.get(Assignment, case.seat.id)
    sheet = reviewing.Scoresheet({"Z9": Mark(3), "D1.1": Mark(4)})
    errors = reviewing.save_draft(session, found, sheet, actor=case.reviewer, rubric=rubric, expected_version=1)
    session.commit()
    assert errors == {"Z9": "unknown criterion"}
    assert json.loads(seat_of(session, case.seat.id).marks) == {"D1.1": {"value": 4, "justification": ""}}


def test_a_stale_form_from_another_tab_is_refused_and_the_newer_draft_kept(app, session, client_for) -> None:
    case = build_case(app, session)
    first, second = client_for(case.reviewer), client_for(case.reviewer)
    post_score(first, case, form_data({"D1.1": {"value": 4}}, version=1))
    response = post_score(second, case, form_data({"D1.1": {"value": 1, "justification": "Old tab."}}, version=1))
    assert response.status_code == 409
    assert "changed in another window or tab since you opened it" in text_of(response)
    assert json.loads(seat_of(session, case.seat.id).marks) == {"D1.1": {"value": 4, "justification": ""}}


def test_a_post_without_the_form_version_is_refused_and_changes_nothing(app, session, client_for) -> None:
    case = build_case(app, session)
    before = snapshot(session)
    response = client_for(case.reviewer).post_form(score_url(case), {"mark-D1.1": "3", "save": "x"}, token_from="/")
    assert response.status_code == 422 and "This form is incomplete." in text_of(response)
    assert snapshot(session) == before


# Submitting -----------------------------------------------------------------------------------------------


def test_submitting_an_incomplete_review_names_what_is_missing_and_changes_nothing(app, session,
                                                                                  client_for) -> None:
    case = build_case(app, session)
    marks = dict(list(full_marks().items())[:-2])
    before = snapshot(session)
    response = post_score(client_for(case.reviewer), case, form_data(marks, version=1, submit=True))
    page = text_of(response)
    assert response.status_code == 422
    assert "The review was not submitted" in page
    assert page.count("A mark is required.") == 2
    assert snapshot(session) == before


def test_submitting_without_hours_is_refused(app, session, client_for) -> None:
    case = build_case(app, session)
    before = snapshot(session)
    response = post_score(client_for(case.reviewer), case, form_data(full_marks(), version=1, hours="", submit=True))
    assert response.status_code == 422
    assert '<small id="hours-error" class="field-error" role="alert">Say how many hours' in text_of(response)
    assert snapshot(session) == before


def test_submitting_locks_the_review_audits_its_hash_and_shows_it_read_only(app, session, client_for) -> None:
    case = build_case(app, session)
    other = make_user(session, Role.REVIEWER)
    seat(session, case.review, other, case.officer, profile="student")  # the panel is not complete yet
    session.commit()
    client = client_for(case.reviewer)
    marks = full_marks()
    marks["D1.2"] = {"value": 2, "justification": "The title overstates the level."}
    response = post_score(client, case, form_data(marks, version=1, hours="7.5", submit=True))
    assert response.headers["Location"] == f"/reviews/{case.seat.id}/panel"
    found = seat_of(session, case.seat.id)
    assert (found.status, found.hours, found.submitted_at is not None) == (
        MemberStatus.SUBMITTED, Decimal("7.5"), True)
    entry = entries(session, "review.submitted")[-1]
    details = json.loads(entry.details)
    assert details["marks_sha256"] == hashlib.sha256(found.marks.encode()).hexdigest()
    assert (details["rubric"], details["hours"], entry.actor_role) == ("slp-ex-ante@1", "7.5", "reviewer")
    fresh(session)
    assert session.get(Programme, case.programme.id).state is State.IN_REVIEW
    page = text_of(client.get(score_url(case)))
    assert "your review is locked" in page and f'action="{score_url(case)}"' not in page
    assert "The title overstates the level." in page and 'type="radio"' not in page
    again = post_score(client, case, form_data(marks, version=found.version, submit=True))
    assert again.status_code == 409 and "This review has already been submitted." in text_of(again)
    assert len(entries(session, "review.submitted")) == 1


def test_the_last_submission_moves_the_programme_to_consolidation_and_tells_the_officer(app, session,
                                                                                       client_for) -> None:
    case = build_case(app, session, blind=True)
    for profile in ("professional", "student"):
        seat(session, case.review, make_user(session, Role.REVIEWER), case.officer, profile=profile,
             status="submitted", marks=full_marks())
    session.commit()
    client = client_for(case.reviewer)
    response = post_score(client, case, form_data(full_marks(), version=1, submit=True))
    assert response.status_code == 302
    fresh(session)
    assert session.get(Programme, case.programme.id).state is State.CONSOLIDATION
    complete = entries(session, "programme.complete_reviews")
    assert [(e.actor_id, e.actor_role) for e in complete] == [(case.reviewer.id, "reviewer")]
    (mail,) = mails(session, "reviews_complete")
    assert mail.recipient_id == case.officer.id and case.programme.title in mail.subject
    assert f"/qa/programmes/{case.programme.id}/consolidation" in mail.body_text
    assert all(m.recipient_id != case.designer.id for m in mails(session))
    flashed = text_of(client.get(f"/reviews/{case.seat.id}/panel"))
    assert "Every review is now in" in flashed


# The rubric the round is pinned to ------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["hash", "missing"])
def test_a_changed_or_missing_rubric_shows_a_clear_error_and_accepts_no_marks(app, session, client_for,
                                                                             change: str) -> None:
    case = build_case(app, session)
    review = session.get(Review, case.review.id)
    if change == "hash":
        review.rubric_sha256 = "0" * 64
    else:
        review.rubric_key = "slp-ex-ante@99"
    session.commit()
    client = client_for(case.reviewer)
    page = client.get(score_url(case))
    assert page.status_code == 409 and "The rubric has changed" in text_of(page)
    expected = "changed since this review started" if change == "hash" else "is no longer loaded"
    assert expected in text_of(page) and 'type="radio"' not in text_of(page)
    before = snapshot(session)
    posted = post_score(client, case, form_data(full_marks(), version=1, submit=True))
    assert posted.status_code == 409 and expected in text_of(posted)
    assert snapshot(session) == before


# Others' marks --------------------------------------------------------------------------------------------


def test_others_marks_stay_hidden_until_the_reviewer_has_submitted(app, session, client_for) -> None:
    case = build_case(app, session)
    colleague = make_user(session, Role.REVIEWER, full_name="Carl Colleague")
    marks = full_marks()
    marks["D2.1"] = {"value": 1, "justification": "Colleague's secret reasoning."}
    seat(session, case.review, colleague, case.officer, profile="student", status="submitted", marks=marks)
    seat(session, case.review, make_user(session, Role.REVIEWER, full_name="Dora Drafting"), case.officer,
         profile="professional", marks={"D1.1": {"value": 1, "justification": "Draft thoughts."}})
    session.commit()
    client = client_for(case.reviewer)
    before = text_of(client.get(f"/reviews/{case.seat.id}/panel"))
    assert "once you have submitted your own review" in before
    assert "secret reasoning" not in before and "Carl Colleague" not in before
    assert "secret reasoning" not in text_of(client.get(score_url(case)))
    post_score(client, case, form_data(full_marks(), version=1, submit=True))
    after = text_of(client.get(f"/reviews/{case.seat.id}/panel"))
    assert "Carl Colleague" in after and "Colleague&#39;s secret reasoning." in after
    assert "Dora Drafting" not in after and "Draft thoughts." not in after  # not submitted: not shown
    assert after.index("Other submitted reviews") < after.index("Your review</h2>")


def test_the_panel_page_issues_the_same_number_of_statements_for_2_and_4_reviews(app, session,
                                                                                client_for) -> None:
    case = build_case(app, session, status="submitted", marks=full_marks())
    client = client_for(case.reviewer)
    url = f"/reviews/{case.seat.id}/panel"
    client.get(url)
    seat(session, case.review, make_user(session, Role.REVIEWER), case.officer, profile="student",
         status="submitted", marks=full_marks())
    session.commit()
    at_2 = count_statements(app, client, url)
    for profile in ("professional", "employer"):
        seat(session, case.review, make_user(session, Role.REVIEWER), case.officer, profile=profile,
             status="submitted", marks=full_marks())
    session.commit()
    assert count_statements(app, client, url) == at_2


# The programme moved on -----------------------------------------------------------------------------------


def test_once_the_programme_left_review_the_form_is_read_only_and_posts_are_refused(app, session,
                                                                                   client_for) -> None:
    case = build_case(app, session, marks={"D1.1": {"value": 4, "justification": ""}})
    programme = session.get(Programme, case.programme.id)
    programme.state = State.WITHDRAWN
    session.commit()
    client = client_for(case.reviewer)
    page = text_of(client.get(score_url(case)))
    assert "no longer under review" in page and 'type="radio"' not in page
    before = snapshot(session)
    response = post_score(client, case, form_data(full_marks(), version=1, submit=True))
    assert response.status_code == 409 and "The programme is no longer under review" in text_of(response)
    assert snapshot(session) == before
    assert actions(session, case.programme.id, "review.") == []
