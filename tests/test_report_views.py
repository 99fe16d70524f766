"""The report routes: who reads which rendering, blind review in the applicant and public PDFs, drafts only once
sent, the register's public report and description sheet, the period summary's dates, bounded queries."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from factories import make_institution, make_submitted, make_user, seat
from register_fixtures import statement_counter
from test_report_data import (
    CANARIES,
    CONSENSUS,
    DEPARTURE,
    INSTITUTIONS,
    RESPONSE,
    TODAY,
    decide,
    pdf_metadata,
    pdf_text,
    reviewed_case,
)

from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.roles import Role
from qa_engine.models import DecisionStatus
from qa_engine.reports import render
from qa_engine.services import proposals

SECRETS = (*CANARIES, *INSTITUTIONS, "canary.example", DEPARTURE, RESPONSE, "Olga Officer", "Carmen Chair")


def _leaks(pdf: bytes) -> list[str]:
    """Anything that would identify a reviewer, or is internal, in the text or the metadata of a PDF."""
    text = pdf_text(pdf) + " " + " ".join(pdf_metadata(pdf).values())
    return [secret for secret in SECRETS if secret in text]


def _pdf(response) -> bytes:  # noqa: ANN001
    assert (response.status_code, response.mimetype) == (200, "application/pdf"), response.get_data(as_text=True)
    return response.data


def test_internal_report_names_the_panel_and_keeps_the_internal_notes(app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decide(session, case)
    session.commit()

    response = client_for(case.officer).get(f"/qa/programmes/{case.programme.id}/report.pdf")

    text = pdf_text(_pdf(response))
    expected = ["Internal: confidential", *CANARIES[:3], INSTITUTIONS[0], "Bruno Canary-Two and I disagree",
                CONSENSUS, "Reviewers' justifications", DEPARTURE, "Members present", "Olga Officer, Carmen Chair",
                RESPONSE, "6 Internal notes", "Decision: Approved with conditions"]
    assert [phrase for phrase in expected if phrase not in text] == []
    assert response.headers["Cache-Control"] == "private, no-store"


def test_applicant_report_in_blind_review_names_no_reviewer_and_shows_nothing_internal(
        app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decide(session, case)
    session.commit()

    pdf = _pdf(client_for(case.designer).get(f"/programmes/{case.programme.id}/report.pdf"))

    text = pdf_text(pdf)
    assert _leaks(pdf) == []
    assert "canary" not in text.lower()
    assert "After discussion a reviewer accepted that the need is evidenced" in text
    assert "Detail the employers' role, as a reviewer asked." in text
    assert "For the applicant and publication" in text
    assert [phrase for phrase in ("Internal notes", "Reviewers' justifications", "Reviewer A") if phrase in text] == []
    metadata = pdf_metadata(pdf)
    assert metadata["/Title"] == "Assessment report: Applied Data Analytics for Business Decisions"
    assert "applicant and public version" in metadata["/Subject"]
    assert "/Author" not in metadata


def test_applicant_report_outside_blind_review_names_the_reviewers_and_their_profiles(
        app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session, blind=False)
    decide(session, case)
    session.commit()

    text = pdf_text(_pdf(client_for(case.designer).get(f"/programmes/{case.programme.id}/report.pdf")))

    assert [name for name in CANARIES[:3] if name not in text] == []
    assert "Student" in text
    assert INSTITUTIONS[0] not in text  # the public names and profiles; institutions stay internal
    assert DEPARTURE not in text


def test_draft_report_reaches_the_designer_only_once_sent(app, session, client_for) -> None:  # noqa: ANN001
    unsent = reviewed_case(session, sent=False)
    sent = reviewed_case(session, title="Sent Draft Programme", people=unsent.people)
    session.commit()

    refused = client_for(unsent.designer).get(f"/programmes/{unsent.programme.id}/report.pdf")
    officer_copy = client_for(unsent.officer).get(f"/programmes/{unsent.programme.id}/report.pdf")
    draft = client_for(sent.designer).get(f"/programmes/{sent.programme.id}/report.pdf")

    assert refused.status_code == 404
    assert "For the applicant and publication" in pdf_text(_pdf(officer_copy))
    text = pdf_text(_pdf(draft))
    assert "Draft: no decision has been taken yet" in text
    assert "No decision has been taken yet. This is a draft report" in text
    assert "point to" not in text  # the recommendation is the committee's business until it decides
    assert _leaks(draft.data) == []


def test_another_providers_designer_gets_404(app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decision = decide(session, case)
    stranger = make_user(session, Role.DESIGNER, institution=make_institution(session))
    session.commit()
    client = client_for(stranger)

    answers = [client.get(url).status_code for url in (
        f"/programmes/{case.programme.id}/report.pdf", f"/decisions/{decision.id}/report.pdf",
        f"/decisions/{decision.id}/letter.pdf")]

    assert answers == [404, 404, 404]


def test_decision_letter_states_the_decision_to_the_provider_without_naming_reviewers(
        app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decision = decide(session, case)
    session.commit()

    pdf = _pdf(client_for(case.designer).get(f"/decisions/{decision.id}/letter.pdf"))

    text = pdf_text(pdf)
    expected = ["Decision letter", "Dear Dr Elena Martín", "Decision: Approved with conditions",
                "Make learning outcome LO4 observable.", "Appeal rights",
                f"The full assessment report is published at http://127.0.0.1:5000/register/{case.programme.id}"]
    assert [phrase for phrase in expected if phrase not in text] == []
    assert _leaks(pdf) == []
    assert pdf_metadata(pdf)["/Title"] == "Decision letter: Applied Data Analytics for Business Decisions"


def test_an_unconditional_approval_states_no_appeal_window(app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decision = decide(session, case, outcome=Outcome.APPROVED)
    session.commit()

    text = pdf_text(_pdf(client_for(case.officer).get(f"/decisions/{decision.id}/letter.pdf")))

    assert "there is nothing to appeal" in text
    assert "may appeal against this decision" not in text


def test_a_proposed_decision_has_no_issued_report(app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decision = decide(session, case, status=DecisionStatus.PROPOSED)
    session.commit()

    answers = [client_for(case.officer).get(f"/decisions/{decision.id}/{name}.pdf").status_code
               for name in ("report", "letter")]

    assert answers == [404, 404]


def test_register_serves_the_public_report_and_description_sheet_of_an_accredited_programme(
        app, session, client) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decide(session, case)
    session.commit()

    report = _pdf(client.get(f"/register/{case.programme.id}/report.pdf"))
    sheet = client.get(f"/register/{case.programme.id}/sheet.pdf")

    assert _leaks(report) == []
    assert "The panel's mark" in pdf_text(report)
    text = pdf_text(_pdf(sheet))
    expected = ["Micro-credential description sheet", "Title of the micro-credential", "Learning outcomes",
                "EQF level 6", "Approved with conditions by Accreditation committee"]
    assert [phrase for phrase in expected if phrase not in text] == []
    assert sheet.headers["Cache-Control"] == "public, max-age=300"


def test_register_has_no_report_of_a_programme_it_does_not_list(app, session, client) -> None:  # noqa: ANN001
    rejected = reviewed_case(session)
    decide(session, rejected, outcome=Outcome.REJECTED)
    undecided = reviewed_case(session, title="Undecided", people=rejected.people)
    session.commit()

    answers = [client.get(f"/register/{programme_id}/{name}.pdf").status_code
               for programme_id in (rejected.programme.id, undecided.programme.id) for name in ("report", "sheet")]

    assert answers == [404, 404, 404, 404]


def test_description_sheet_describes_the_approved_version_not_a_newer_draft(app, session, client) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decide(session, case, outcome=Outcome.APPROVED)
    content = json.loads(proposals.get_version(session, case.programme, 1).content)
    content["identification"]["title"] = "A Newer Submitted Title"
    case.programme.draft = json.dumps(content)
    make_submitted(session, case.programme, case.designer)
    session.commit()

    text = pdf_text(_pdf(client.get(f"/register/{case.programme.id}/sheet.pdf")))

    assert "Applied Data Analytics for Business Decisions" in text
    assert "A Newer Submitted Title" not in text


def test_officer_reads_the_description_sheet_of_a_programme_under_review(app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    session.commit()

    text = pdf_text(_pdf(client_for(case.officer).get(f"/qa/programmes/{case.programme.id}/sheet.pdf")))

    assert "Micro-credential description sheet" in text
    assert "Quality assurance" not in text.split("The European standard elements")[0]  # no decision yet


def test_period_summary_refuses_bad_dates_with_the_reason(app, session, client_for) -> None:  # noqa: ANN001
    officer = make_user(session, Role.QA_OFFICER)
    session.commit()
    client = client_for(officer)

    missing = client.get("/qa/reports/summary.pdf")
    malformed = client.get("/qa/reports/summary.pdf?from=2026-13-01&to=2026-12-31")
    backwards = client.get("/qa/reports/summary.pdf?from=2026-12-31&to=2026-01-01")

    assert [r.status_code for r in (missing, malformed, backwards)] == [400, 400, 400]
    assert "from=YYYY-MM-DD&amp;to=YYYY-MM-DD" in malformed.get_data(as_text=True)
    assert "The period ends before it starts" in backwards.get_data(as_text=True)


def test_period_summary_is_a_pdf_of_the_period(app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decide(session, case)
    session.commit()
    period = f"from={(TODAY - timedelta(days=30)).isoformat()}&to={TODAY.isoformat()}"

    pdf = _pdf(client_for(case.officer).get(f"/qa/reports/summary.pdf?{period}"))

    text = pdf_text(pdf)
    expected = ["Period summary", "1 Decisions", "Approved with conditions", "EQF level 6", "2 Cycle times",
                "3 Reviewers", "4 Conditions open and overdue", "Make learning outcome LO4 observable.", "5 Cost"]
    assert [phrase for phrase in expected if phrase not in text] == []
    assert pdf_metadata(pdf)["/Title"] == (f"Period summary {(TODAY - timedelta(days=30)).isoformat()} "
                                           f"to {TODAY.isoformat()}")


def test_report_pages_issue_the_same_number_of_queries_whatever_the_panel_and_conditions(
        app, session, client_for) -> None:  # noqa: ANN001
    small = reviewed_case(session)
    decide(session, small, outcome=Outcome.APPROVED)
    large = reviewed_case(session, title="Large", people=small.people)
    decide(session, large)
    for _ in range(2):  # two more people declined a seat on the larger panel
        seat(session, large.review, make_user(session, Role.REVIEWER), large.officer, status="declined",
             declared=False)
    session.commit()
    count = statement_counter(app)
    officer = client_for(small.officer)

    counts = [(count(officer, f"/qa/programmes/{case.programme.id}/report.pdf"),
               count(officer, f"/programmes/{case.programme.id}/report.pdf")) for case in (small, large)]

    assert counts[0] == counts[1]
    assert max(counts[0]) <= 30


def test_register_entry_links_its_public_report_and_description_sheet(app, session, client) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decide(session, case)
    session.commit()

    page = client.get(f"/register/{case.programme.id}").get_data(as_text=True)

    assert f'href="/register/{case.programme.id}/report.pdf"' in page
    assert f'href="/register/{case.programme.id}/sheet.pdf"' in page


def test_markup_in_a_proposal_is_printed_as_text_and_fetches_nothing(app, session, client, monkeypatch) -> None:  # noqa: ANN001
    injected = '<img src="file:///etc/passwd">'
    case = reviewed_case(session)
    content = json.loads(proposals.get_version(session, case.programme, 1).content)
    content["identification"]["description"] = f"Data {injected} here"
    case.programme.draft = json.dumps(content)
    make_submitted(session, case.programme, case.designer)
    decision = decide(session, case, add=False)
    decision.version_number = 2
    session.add(decision)
    session.commit()
    fetchers: list[render.StaticFetcher] = []

    class Recording(render.StaticFetcher):
        def __init__(self) -> None:
            super().__init__()
            fetchers.append(self)

    monkeypatch.setattr(render, "StaticFetcher", Recording)

    text = pdf_text(_pdf(client.get(f"/register/{case.programme.id}/sheet.pdf")))

    assert injected in text
    assert "root:" not in text
    assert [(f.requested, f.refused) for f in fetchers] == [([], [])]


def _report_links(page: str) -> list[str]:
    return sorted({href for href in re.findall(r'href="([^"]+)"', page) if href.endswith(".pdf")})


def test_each_reader_finds_the_reports_they_may_read_on_the_programme_and_decision_pages(
        app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session)
    decision = decide(session, case)
    session.commit()
    pid, did = case.programme.id, decision.id
    officer, designer = client_for(case.officer), client_for(case.programme.designer)

    for_officer = _report_links(officer.get(f"/programmes/{pid}").get_data(as_text=True))
    for_designer = _report_links(designer.get(f"/programmes/{pid}").get_data(as_text=True))
    on_decision = _report_links(designer.get(f"/decisions/{did}").get_data(as_text=True))
    analytics = officer.get(f"/qa/analytics?from={TODAY - timedelta(days=30)}&to={TODAY}").get_data(as_text=True)

    assert for_officer == sorted([f"/qa/programmes/{pid}/report.pdf", f"/programmes/{pid}/report.pdf",
                                  f"/decisions/{did}/letter.pdf", f"/qa/programmes/{pid}/sheet.pdf"])
    assert for_designer == sorted([f"/programmes/{pid}/report.pdf", f"/decisions/{did}/letter.pdf"])
    assert on_decision == sorted([f"/decisions/{did}/letter.pdf", f"/decisions/{did}/report.pdf"])
    summary = f"/qa/reports/summary.pdf?from={TODAY - timedelta(days=30)}&amp;to={TODAY}"
    assert summary in analytics
    for link in for_designer + on_decision:
        _pdf(designer.get(link))
    for link in for_officer + [summary.replace("&amp;", "&")]:
        _pdf(officer.get(link))


def test_a_designer_sees_no_report_link_before_the_draft_report_is_sent(app, session, client_for) -> None:  # noqa: ANN001
    case = reviewed_case(session, sent=False)
    session.commit()
    pid = case.programme.id

    for_designer = _report_links(client_for(case.designer).get(f"/programmes/{pid}").get_data(as_text=True))
    for_officer = _report_links(client_for(case.officer).get(f"/programmes/{pid}").get_data(as_text=True))

    assert for_designer == []
    assert for_officer == sorted([f"/qa/programmes/{pid}/report.pdf", f"/programmes/{pid}/report.pdf",
                                  f"/qa/programmes/{pid}/sheet.pdf"])
