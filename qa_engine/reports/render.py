"""Render the PDF reports: escaped Jinja templates to HTML, then WeasyPrint with a locked-down URL fetcher.

Every PDF is tagged as PDF/UA-1 (WeasyPrint's `pdf_variant="pdf/ua-1"`: a tagged structure tree, PDF 1.7,
the document language and XMP metadata with the PDF/UA identifier), and its metadata is set here on purpose:
title, subject, keywords and the creator, never the name of a person.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import jinja2
import weasyprint
from weasyprint.urls import URLFetcherResponse

from qa_engine import paths
from qa_engine.domain.proposal import Assessment, Proposal
from qa_engine.reports import context, elements
from qa_engine.reports.data import AssessmentReportData, Audience, Branding, DecisionEntry, PeriodSummary

CREATOR = "QA Engine"
PDF_VARIANT = "pdf/ua-1"
STATIC_ROOT = Path(__file__).resolve().parents[1] / "static"
STATIC_TYPES = frozenset({".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp", ".css", ".woff", ".woff2", ".ttf", ".otf"})
_KEYWORDS = ("micro-credential", "short learning programme", "quality assurance")


class RefusedURL(ValueError):
    """The report asked for a resource the fetcher does not serve."""


class StaticFetcher(weasyprint.URLFetcher):
    """Serves `data:` URLs and files inside the app's static folder; refuses every other URL and records it."""

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(timeout=2, allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)
        self.root = (root or STATIC_ROOT).resolve()
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """The resource at `url`. :raises RefusedURL: for anything but `data:` and static files."""
        self.requested.append(url)
        scheme = url.partition(":")[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        path = self.static_path(url) if scheme == "file" else None
        if path is None:
            self.refused.append(url)
            raise RefusedURL(f"refused {url[:200]!r}: reports load only data: URLs and the app's static files")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": media_type})

    def static_path(self, url: str) -> Path | None:
        """The file a `file:` URL names when it lies inside the static folder, with an allowed type; else None."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.query:
            return None
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve()
        except (OSError, ValueError):
            return None
        if not path.is_relative_to(self.root) or path.suffix.lower() not in STATIC_TYPES or not path.is_file():
            return None
        return path


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The reports' own Jinja environment: autoescape on for every template, strict about undefined names."""
    loader = jinja2.FileSystemLoader(paths.resource_dir("templates") / "reports")
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def render_html(template: str, values: Mapping[str, Any]) -> str:
    """Render `template` (a file name in templates/reports/) with `values`, escaping every value."""
    return environment().get_template(template).render(values)


def pdf_from_html(html: str, *, title: str, subject: str, keywords: Sequence[str] = (),
                  created: date | None = None, fetcher: StaticFetcher | None = None) -> bytes:
    """Lay out `html` as a tagged PDF/UA-1 document whose metadata is exactly the given title, subject and keywords."""
    fetcher = fetcher or StaticFetcher()
    # No base URL: the templates name static files by absolute file: URLs, so nothing relative can be fetched, and
    # WeasyPrint does not resolve every internal link (the contents' "#section" anchors) against one.
    document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    metadata = document.metadata
    metadata.title = title
    metadata.description = subject
    metadata.keywords = list(keywords)
    metadata.authors = []
    metadata.generator = CREATOR
    metadata.custom = {}
    metadata.attachments = []
    metadata.created = metadata.modified = created.isoformat() if created else None
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def logo_url(branding: Branding, root: Path | None = None) -> str | None:
    """The `file:` URL of the branding logo inside the static folder, or None when there is no logo.

    :raises ValueError: when the logo is not a PNG or SVG file inside the static folder.
    """
    if not branding.logo:
        return None
    base = (root or STATIC_ROOT).resolve()
    path = (base / branding.logo).resolve()
    if not path.is_relative_to(base) or path.suffix.lower() not in {".png", ".svg"} or not path.is_file():
        raise ValueError(f"logo {branding.logo!r}: must be a PNG or SVG file inside {base}")
    return path.as_uri()


def assessment_html(data: AssessmentReportData, audience: Audience, branding: Branding) -> str:
    """The final HTML of the assessment report for `audience`."""
    values = context.assessment_context(data, audience)
    title = f"Assessment report: {data.proposal.identification.title}"
    return render_html("assessment.html", {**values, **_page(title, branding)})


def render_assessment_report(data: AssessmentReportData, audience: Audience, branding: Branding,
                             *, fetcher: StaticFetcher | None = None) -> bytes:
    """The assessment report as PDF: internal (names, notes), or for the applicant (blind-mode safe, no notes)."""
    html = assessment_html(data, audience, branding)
    version = "internal version" if audience is Audience.INTERNAL else "applicant and public version"
    return pdf_from_html(
        html,
        title=f"Assessment report: {data.proposal.identification.title}",
        subject=f"Ex-ante assessment of a short learning programme by {branding.agency_name} ({version})",
        keywords=(*_KEYWORDS, "assessment report", *_optional(data.rubric.key if data.rubric else ""),
                  *_optional(data.reference)),
        created=data.generated_on, fetcher=fetcher,
    )


def decision_letter_html(data: AssessmentReportData, branding: Branding) -> str:
    """The final HTML of the decision letter to the provider.

    :raises ValueError: when the report data carries no decision yet.
    """
    if data.decision is None:
        raise ValueError("a decision letter needs a decision")
    values = {
        "proposal": data.proposal,
        "decision": context.decision_view(data.decision, context.letter_clean(data)),
        "reference": data.reference,
        "url": data.url,
        "letter": True,  # the letter's opening already says who decided and when
    }
    return render_html("decision_letter.html", {**values, **_page("Decision letter", branding)})


def render_decision_letter(data: AssessmentReportData, branding: Branding,
                           *, fetcher: StaticFetcher | None = None) -> bytes:
    """The decision letter to the provider as PDF; in blind mode reviewer names are scrubbed from its texts.

    :raises ValueError: when the report data carries no decision yet.
    """
    html = decision_letter_html(data, branding)
    return pdf_from_html(
        html,
        title=f"Decision letter: {data.proposal.identification.title}",
        subject=f"Accreditation decision of {branding.agency_name} on a short learning programme",
        keywords=(*_KEYWORDS, "decision letter", *_optional(data.reference)),
        created=data.decision.decided_on if data.decision else None, fetcher=fetcher,
    )


def description_sheet_html(proposal: Proposal, branding: Branding, *, generated_on: date,
                           decision: DecisionEntry | None = None, reference: str = "", url: str = "") -> str:
    """The final HTML of the micro-credential description sheet."""
    values = {
        "proposal": proposal,
        "mandatory_rows": elements.mandatory_rows(proposal),
        "optional_rows": elements.optional_rows(proposal),
        "practical_rows": elements.practical_rows(proposal),
        "assessments": tuple(_assessment_row(a) for a in proposal.assessments),
        "decision": context.decision_view(decision, lambda text: text),
        "reference": reference,
        "url": url,
        "generated_on": elements.long_date(generated_on),
    }
    return render_html("description_sheet.html", {**values, **_page("Micro-credential description", branding)})


def render_description_sheet(proposal: Proposal, branding: Branding, *, generated_on: date,
                             decision: DecisionEntry | None = None, reference: str = "", url: str = "",
                             fetcher: StaticFetcher | None = None) -> bytes:
    """The micro-credential description sheet (Annex I elements) as PDF, for catalogues and learners."""
    html = description_sheet_html(proposal, branding, generated_on=generated_on, decision=decision,
                                  reference=reference, url=url)
    return pdf_from_html(
        html,
        title=f"Micro-credential: {proposal.identification.title}",
        subject=f"Description of a micro-credential offered by {proposal.awarding_body.name}",
        keywords=(*_KEYWORDS, "description sheet", *_optional(proposal.identification.internal_code)),
        created=generated_on, fetcher=fetcher,
    )


def _page(title: str, branding: Branding) -> dict[str, Any]:
    return {"doc_title": title, "branding": branding, "logo_url": logo_url(branding)}


def _assessment_row(assessment: Assessment) -> dict[str, str]:
    weight = f"{elements.number(assessment.weight_percent)}%" if assessment.weight_percent is not None else ""
    return {"title": assessment.title, "weight": weight, "outcomes": ", ".join(assessment.outcome_ids),
            "pass_criteria": assessment.pass_criteria or elements.NOT_STATED}


def _optional(text: str) -> tuple[str, ...]:
    return (text,) if text else ()


def period_summary_html(summary: PeriodSummary, branding: Branding) -> str:
    """The final HTML of the period summary for a QA office."""
    return render_html("period_summary.html", {**context.summary_context(summary),
                                               **_page("Period summary", branding)})


def render_period_summary(summary: PeriodSummary, branding: Branding, *, fetcher: StaticFetcher | None = None) -> bytes:
    """The period summary as PDF: decisions, cycle times, reviewers, open conditions and cost; internal."""
    return pdf_from_html(
        period_summary_html(summary, branding),
        title=f"Period summary {summary.start.isoformat()} to {summary.end.isoformat()}",
        subject=f"Accreditation activity of {branding.agency_name} in the period (internal)",
        keywords=(*_KEYWORDS, "period summary"), created=summary.generated_on, fetcher=fetcher,
    )
