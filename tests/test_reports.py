"""PDF reports checked by content: sections, page numbers, metadata, blind-mode redaction, the locked-down fetcher."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zlib
from datetime import date
from pathlib import Path

import pypdf
import pytest

from qa_engine import paths
from qa_engine.domain import screening
from qa_engine.domain.frameworks import load_frameworks
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.proposal import Proposal, proposal_from_dict
from qa_engine.domain.rubrics import load_rubrics
from qa_engine.domain.scoring import Consensus, Mark, score_panel
from qa_engine.reports import charts, elements, render
from qa_engine.reports.data import (
    AssessmentReportData,
    Audience,
    Branding,
    Condition,
    DecisionEntry,
    InternalNote,
    ReviewerEntry,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "proposals" / "sound-data-analytics.json"
CANARIES = ("Ada Canary-Reviewer", "Bruno Canary-Two", "Chen Canary-Three")
NOTE = "Internal note: the chair doubts the budget figures."
CONSENSUS_REASON = "After discussion Ada Canary-Reviewer accepted that LO4 is observable; the panel agreed on Meets."
INJECTED_IMG = '<img src="file:///etc/passwd">'
INJECTED_CSS = "url(http://127.0.0.1:1/x)"
BRANDING = Branding("Canary Test Agency", None, "appeals@agency.example.eu")


def _proposal() -> Proposal:
    return proposal_from_dict(json.loads(EXAMPLE.read_text()))


def _reviewers() -> tuple[ReviewerEntry, ...]:
    people = ((11, CANARIES[0], "Canary Institute of Technology", "Professor of statistics", "ada@canary.example"),
              (12, CANARIES[1], "Bruno Consulting", "Analytics manager", "bruno@canary.example"),
              (13, CANARIES[2], "Chen University", "Student member", "chen@canary.example"))
    special = {
        (11, "D3.1"): Mark(2, f"LO4 is not observable as written; I share the concern {CANARIES[1]} raised."),
        (12, "D3.1"): Mark(4, f"Unlike {CANARIES[0]}, I find LO4 clear and assessable."),
        (13, "D2.4"): Mark(2, f"Employer letters are generic; {CANARIES[0]} agrees they need detail."),
    }
    rubric = _rubric()
    return tuple(
        ReviewerEntry(aid, name, institution, profile,
                      {c.id: special.get((aid, c.id), Mark(3)) for c in rubric.criteria}, email)
        for aid, name, institution, profile, email in people
    )


def _rubric():
    rubrics = paths.resource_dir("rubrics")
    return load_rubrics(rubrics, load_frameworks(rubrics / "frameworks")).get("slp-ex-ante", 1)


def _decision() -> DecisionEntry:
    return DecisionEntry(
        outcome=Outcome.APPROVED_WITH_CONDITIONS,
        rationale=f"The panel, with {CANARIES[2]} as student member, found the programme sound.",
        decided_on=date(2026, 12, 10), decided_by="Accreditation Committee",
        recommendations=("Publish the recognition of prior learning procedure in English.",),
        conditions=(Condition("Make learning outcome LO4 observable.", date(2027, 3, 1), "Revised outcome list"),
                    Condition("Detail the employers' role in the design.", date(2027, 6, 15), "Signed letters")),
        valid_from=date(2027, 1, 1), valid_to=date(2030, 12, 31), appeal_window_days=30,
    )


@pytest.fixture(scope="module")
def data() -> AssessmentReportData:
    proposal, rubric, reviewers = _proposal(), _rubric(), _reviewers()
    result = screening.screen(proposal, screening.ScreeningConfig(), elements.vocabularies(), today=date(2026, 11, 1))
    panel = score_panel(rubric, [r.marks for r in reviewers], {"D3.1": Consensus(3, CONSENSUS_REASON)})
    return AssessmentReportData(proposal, result, rubric, panel, reviewers, date(2026, 12, 11), _decision(),
                                (InternalNote("Members present", NOTE),), blind_mode=True, reference="ACC-2026-042")


@pytest.fixture(scope="module")
def internal_pdf(data: AssessmentReportData) -> bytes:
    return render.render_assessment_report(data, Audience.INTERNAL, BRANDING)


@pytest.fixture(scope="module")
def applicant_pdf(data: AssessmentReportData) -> bytes:
    return render.render_assessment_report(data, Audience.APPLICANT, BRANDING)


@pytest.fixture(scope="module")
def letter_pdf(data: AssessmentReportData) -> bytes:
    return render.render_decision_letter(data, BRANDING)


@pytest.fixture(scope="module")
def sheet_pdf(data: AssessmentReportData) -> bytes:
    return render.render_description_sheet(data.proposal, BRANDING, generated_on=date(2026, 12, 11),
                                           decision=data.decision)


@pytest.fixture(scope="module")
def internal_text(internal_pdf: bytes) -> str:
    return _text(internal_pdf)


@pytest.fixture(scope="module")
def applicant_text(applicant_pdf: bytes) -> str:
    return _text(applicant_pdf)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    raw = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(raw.replace("-\n", "-").split())  # a line may break after a real hyphen; none are added


def _streams(pdf: bytes) -> bytes:
    """Every stream of the file, inflated where compressed: XMP metadata, object streams, the structure tree."""
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            chunks.append(match.group(1))
    return b"\n".join(chunks)


def _metadata(pdf: bytes) -> dict[str, str]:
    return {key: str(value) for key, value in (pypdf.PdfReader(io.BytesIO(pdf)).metadata or {}).items()}


def test_assessment_report_internal_has_every_section(internal_text: str, data: AssessmentReportData) -> None:
    text = internal_text

    expected = ["Contents", "1 Programme summary", "EU element", "Title of the micro-credential",
                "Notional workload", "6 ECTS credits", "2 Screening findings", "Annex I completeness",
                "3 Assessment by dimension", "Panel score by dimension", *(d.title for d in data.rubric.dimensions),
                "Consensus on D3.1: 3 Meets.", CONSENSUS_REASON, "Disagreement", "4 Decision",
                "Decision: Approved with conditions", "Make learning outcome LO4 observable.", "1 March 2027",
                "Detail the employers' role in the design.", "15 June 2027", "Validity",
                "valid from 1 January 2027 to 31 December 2030", "Appeal rights", "within 30 days",
                "5 Review panel"]
    assert [phrase for phrase in expected if phrase not in text] == []


def test_assessment_report_numbers_pages_x_of_y(internal_pdf: bytes, internal_text: str) -> None:
    pages = len(pypdf.PdfReader(io.BytesIO(internal_pdf)).pages)
    text = internal_text

    assert 4 <= pages <= 30
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text


def test_assessment_report_contents_give_each_page_after_its_entry_with_no_leader_text(internal_pdf: bytes) -> None:
    contents = pypdf.PdfReader(io.BytesIO(internal_pdf)).pages[0].extract_text()

    assert re.search(r"^1 Programme summary 2$", contents, re.M)  # the summary opens page 2
    assert re.search(r"^D1 .+ \d+$", contents, re.M)
    assert "..." not in contents  # the dots are a background drawn as an artifact, not text to tag and read out


def test_assessment_report_metadata_is_set_without_a_person(internal_pdf: bytes) -> None:
    metadata = _metadata(internal_pdf)

    assert metadata["/Title"] == "Assessment report: Applied Data Analytics for Business Decisions"
    assert metadata["/Subject"].startswith("Ex-ante assessment of a short learning programme by Canary Test Agency")
    assert metadata["/Creator"] == "QA Engine"
    assert "/Author" not in metadata


def test_assessment_report_is_tagged_pdf_ua(internal_pdf: bytes) -> None:
    catalog = pypdf.PdfReader(io.BytesIO(internal_pdf)).trailer["/Root"]

    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "en"
    assert b"pdfuaid:part" in _streams(internal_pdf)


def test_assessment_report_tags_every_link_annotation_as_a_link(internal_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(internal_pdf))
    nums = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    parents = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    links = [annotation.get_object() for page in reader.pages for annotation in page.get("/Annots", ())
             if annotation.get_object()["/Subtype"] == "/Link"]

    assert links
    assert {parents[int(link["/StructParent"])]["/S"] for link in links} == {"/Link"}


def test_assessment_report_internal_names_reviewers_and_keeps_notes(internal_text: str) -> None:
    text = internal_text

    assert [name for name in CANARIES if name not in text] == []
    assert "Canary Institute of Technology" in text
    assert NOTE in text
    assert "6 Internal notes" in text


def test_assessment_report_applicant_blind_names_no_reviewer(applicant_pdf: bytes, applicant_text: str) -> None:
    text, everything = applicant_text, _streams(applicant_pdf)
    leaks = [name for name in CANARIES
             if name in text or name.encode() in everything or name.encode("utf-16-be") in everything
             or name in " ".join(_metadata(applicant_pdf).values())]

    assert leaks == []
    assert "Canary" not in text.replace("Canary Test Agency", "")
    assert "After discussion a reviewer accepted that LO4 is observable" in text
    assert "The panel, with a reviewer as student member" in text


def test_assessment_report_applicant_publishes_the_panels_marks_not_the_reviews(applicant_text: str) -> None:
    text = applicant_text

    assert "The panel's mark" in text
    assert "3 Meets (agreed by the panel)" in text
    assert "The panel's reasoning on D3.1." in text
    assert [phrase for phrase in ("Reviewers' justifications", "Reviewer A", "I share the concern", "Unlike",
                                  "Employer letters are generic", "Disagreement") if phrase in text] == []


def test_assessment_report_applicant_has_no_internal_notes(applicant_pdf: bytes, applicant_text: str) -> None:
    text = applicant_text

    assert NOTE not in text
    assert "Internal notes" not in text
    assert "For the applicant and publication" in text
    assert "applicant and public version" in _metadata(applicant_pdf)["/Subject"]


def test_assessment_html_of_a_draft_says_no_decision(data: AssessmentReportData) -> None:
    html = render.assessment_html(dataclasses.replace(data, decision=None), Audience.APPLICANT, BRANDING)

    assert "No decision has been taken yet" in html
    assert "Appeal rights" not in html


def test_assessment_html_names_reviewers_to_the_applicant_outside_blind_mode(data: AssessmentReportData) -> None:
    html = render.assessment_html(dataclasses.replace(data, blind_mode=False), Audience.APPLICANT, BRANDING)

    assert [name for name in CANARIES if name not in html] == []
    assert NOTE not in html


def test_decision_letter_states_outcome_conditions_and_appeal(letter_pdf: bytes) -> None:
    text = _text(letter_pdf)

    expected = ["Decision letter", "Dear Dr Elena Martín", "Decision: Approved with conditions",
                "Make learning outcome LO4 observable.", "1 March 2027", "15 June 2027",
                "valid from 1 January 2027 to 31 December 2030", "Appeal rights", "by 9 January 2027",
                "The panel, with a reviewer as student member"]
    assert [phrase for phrase in expected if phrase not in text] == []
    assert [name for name in CANARIES if name in text] == []
    assert _metadata(letter_pdf)["/Creator"] == "QA Engine"


def test_decision_letter_needs_a_decision(data: AssessmentReportData) -> None:
    with pytest.raises(ValueError, match="needs a decision"):
        render.decision_letter_html(dataclasses.replace(data, decision=None), BRANDING)


def test_description_sheet_lists_the_annex_elements(sheet_pdf: bytes) -> None:
    text = _text(sheet_pdf)

    expected = ["Micro-credential description sheet", "Title of the micro-credential", "Country of the issuer",
                "Spain", "Awarding body", "Learning outcomes", "LO5.", "Notional workload", "EQF level 6",
                "Type of assessment", "Form of participation", "Type of quality assurance",
                "Supervision and identity verification", "Integration and stackability", "How learners are assessed",
                "Approved with conditions by Accreditation Committee", "Page 1 of"]
    assert [phrase for phrase in expected if phrase not in text] == []
    assert _metadata(sheet_pdf)["/Title"] == "Micro-credential: Applied Data Analytics for Business Decisions"


def test_description_sheet_shows_injected_markup_as_text_and_fetches_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
                                       '<rect width="40" height="20" fill="#1e40af"/></svg>')
    monkeypatch.setattr(render, "STATIC_ROOT", tmp_path)
    proposal = _proposal()
    proposal = dataclasses.replace(
        proposal,
        identification=dataclasses.replace(proposal.identification, description=f"Data {INJECTED_IMG} here"),
        further_information=f"<style>body {{ background: {INJECTED_CSS} }}</style> {INJECTED_CSS}",
    )
    fetcher = render.StaticFetcher()

    pdf = render.render_description_sheet(proposal, dataclasses.replace(BRANDING, logo="logo.svg"),
                                          generated_on=date(2026, 12, 11), fetcher=fetcher)

    text = _text(pdf)
    assert INJECTED_IMG in text
    assert INJECTED_CSS in text
    assert "root:" not in text
    assert fetcher.requested == [(tmp_path / "logo.svg").resolve().as_uri()]
    assert fetcher.refused == []


def test_assessment_html_escapes_proposal_text(data: AssessmentReportData) -> None:
    proposal = dataclasses.replace(data.proposal, further_information=INJECTED_IMG)

    html = render.assessment_html(dataclasses.replace(data, proposal=proposal), Audience.INTERNAL, BRANDING)

    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert INJECTED_IMG not in html


def test_pdf_from_html_asks_the_fetcher_which_refuses_local_and_remote_urls() -> None:
    fetcher = render.StaticFetcher()
    html = (f'<html lang="en"><body><p>x</p>{INJECTED_IMG}<div style="background: {INJECTED_CSS}">y</div>'
            '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%221%22 '
            'height=%221%22/%3E" alt=""></body></html>')

    pdf = render.pdf_from_html(html, title="t", subject="s", fetcher=fetcher)

    assert fetcher.refused == ["file:///etc/passwd", "http://127.0.0.1:1/x"]
    assert len(fetcher.requested) == 3
    assert "root:" not in _text(pdf)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://127.0.0.1:1/x",
    "https://example.org/logo.png",
    "ftp://example.org/x",
    "file://evil.example/etc/passwd",
    f"{render.STATIC_ROOT.as_uri()}/../config.py",
    f"{render.STATIC_ROOT.as_uri()}/%2e%2e/paths.py",
    f"{render.STATIC_ROOT.as_uri()}/app.css?x=1",
    f"{render.STATIC_ROOT.as_uri()}/app%00.css",
    "javascript:alert(1)",
])
def test_static_fetcher_refuses(url: str) -> None:
    fetcher = render.StaticFetcher()

    with pytest.raises(render.RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_static_fetcher_serves_data_urls_and_static_files() -> None:
    fetcher = render.StaticFetcher()

    css = fetcher.fetch(f"{render.STATIC_ROOT.as_uri()}/app.css")
    data_url = fetcher.fetch("data:text/plain,hello")

    assert (css.content_type, css.read()) == ("text/css", (render.STATIC_ROOT / "app.css").read_bytes())
    assert data_url.read() == b"hello"
    assert fetcher.refused == []


def test_logo_url_refuses_a_file_outside_static() -> None:
    with pytest.raises(ValueError, match="inside"):
        render.logo_url(Branding("Agency", "../config.py"))


def test_render_html_autoescapes() -> None:
    html = render.render_html("base.html", {"doc_title": "<b>x</b>", "branding": Branding("<i>A</i>"),
                                            "logo_url": None})

    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<i>A</i>" not in html


def test_bar_chart_is_accessible_escaped_svg() -> None:
    svg = charts.bar_chart([charts.Bar("D1 <Design>", 3.5), charts.Bar("D2", None)], minimum=1, maximum=4,
                           title="Scores & marks", description="Two bars", chart_id="c")

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"')
    assert '<title id="c-title">Scores &amp; marks</title>' in svg
    assert '<desc id="c-desc">Two bars</desc>' in svg
    assert "D1 &lt;Design&gt;" in svg
    assert "not scored" in svg
    assert "3.50" in svg


def test_bar_chart_refuses_values_off_the_scale() -> None:
    with pytest.raises(ValueError, match="within 1..4"):
        charts.bar_chart([charts.Bar("D1", 5.0)], minimum=1, maximum=4, title="t", description="d")
