"""Time the assessment report end to end against bare WeasyPrint on the same final HTML (the floor).

Run: .venv/bin/python benchmarks/report_render.py [--runs 7] [--audience internal|applicant] [--out DIR]
The report is the sound example proposal, its screening, the default rubric and a synthetic panel of three
reviewers who justify every mark. The goal is a ratio of at most 1.2.
"""
from __future__ import annotations

import argparse
import gc
import io
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pypdf
import weasyprint

from qa_engine import paths
from qa_engine.domain import screening
from qa_engine.domain.frameworks import load_frameworks
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.proposal import proposal_from_dict
from qa_engine.domain.rubrics import load_rubrics
from qa_engine.domain.scoring import Consensus, Mark, score_panel
from qa_engine.reports import elements, render
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
NAMES = (("Maria Rossi", "Università di Bologna"), ("Jan de Vries", "Universiteit Utrecht"),
         ("Aino Virtanen", "University of Helsinki"))


def sample_report() -> AssessmentReportData:
    """The sound example with a synthetic three-reviewer panel and a decision with two conditions."""
    proposal = proposal_from_dict(json.loads(EXAMPLE.read_text()))
    rubrics_dir = paths.resource_dir("rubrics")
    rubric = load_rubrics(rubrics_dir, load_frameworks(rubrics_dir / "frameworks")).get("slp-ex-ante")
    result = screening.screen(proposal, screening.ScreeningConfig(), elements.vocabularies(),
                              today=date(2026, 11, 1))
    chance = random.Random(7)
    reviewers = []
    for index, (name, institution) in enumerate(NAMES):
        marks = {c.id: Mark(chance.choice((2, 3, 3, 3, 4)), f"{c.title}: the proposal gives evidence in its "
                            f"sections on {c.dimension_id}, which reviewer {index + 1} checked against the "
                            "Annex I elements and the screening findings.") for c in rubric.criteria}
        reviewers.append(ReviewerEntry(index + 1, name, institution, "Academic peer", marks))
    first = rubric.criteria[0].id
    consensus = {first: Consensus(3, "The panel agreed that the elements are complete after discussion.")}
    panel = score_panel(rubric, [r.marks for r in reviewers], consensus)
    decision = DecisionEntry(
        Outcome.APPROVED_WITH_CONDITIONS, "The programme meets the standards, with two fixable shortcomings.",
        date(2026, 12, 10), "Accreditation Committee", ("Publish the RPL procedure in English.",),
        (Condition("Verify identity in the portfolio assessment.", date(2027, 3, 1), "Revised assessment brief"),
         Condition("Set a target for the employment indicator.", date(2027, 6, 1), "Updated QA plan")),
        date(2027, 1, 1), date(2030, 12, 31), 30,
    )
    return AssessmentReportData(proposal, result, rubric, panel, tuple(reviewers), date(2026, 12, 11), decision,
                                (InternalNote("Members present", "The chair wants to see the budget again."),), True,
                                "ACC-2026-042")


def medians(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, tuple[float, float, float]]:
    """Median (wall, CPU) and least CPU seconds of each action over `runs` rounds, interleaved in alternating order
    so that load drift on a shared machine hits every action alike; each pays for collecting its own garbage."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in actions}
    for round_ in range(runs):
        for name in (list(actions) if round_ % 2 else list(reversed(actions))):
            gc.collect()  # start clean, and below pay for one's own garbage, not the previous action's
            wall, cpu = time.perf_counter(), time.process_time()
            actions[name]()
            gc.collect()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {name: (statistics.median(t[0] for t in values), statistics.median(t[1] for t in values),
                   min(t[1] for t in values))
            for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--audience", choices=[a.value for a in Audience], default=Audience.APPLICANT.value)
    parser.add_argument("--out", type=Path, help="Also write the three PDFs into this folder.")
    args = parser.parse_args()
    data, audience = sample_report(), Audience(args.audience)
    branding = Branding("European Agency for Micro-credential Quality", None, "appeals@agency.example.eu")
    final_html = render.assessment_html(data, audience, branding)
    pdf = render.render_assessment_report(data, audience, branding)  # warm-up: fonts, caches
    weasyprint.HTML(string=final_html).write_pdf()
    result = medians({
        "ours": lambda: render.render_assessment_report(data, audience, branding),
        "floor": lambda: weasyprint.HTML(string=final_html).write_pdf(),
        "floor_ua": lambda: weasyprint.HTML(string=final_html).write_pdf(pdf_variant=render.PDF_VARIANT),
    }, args.runs)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    print(f"assessment report ({audience.value}): {pages} pages, {len(pdf) / 1024:.0f} KiB, {args.runs} runs each")
    print("median seconds                                  wall     CPU")
    for name, label in (("ours", "render_assessment_report (end to end)"),
                        ("floor", "bare weasyprint, same final HTML (floor)"),
                        ("floor_ua", f"bare weasyprint + pdf_variant={render.PDF_VARIANT}")):
        print(f"{label:<46} {result[name][0]:6.3f}  {result[name][1]:6.3f}")
    for index, clock in enumerate(("wall", "CPU", "least CPU, the least disturbed by other load")):
        ratio = result["ours"][index] / result["floor"][index]
        tagging = result["floor_ua"][index] / result["floor"][index]
        wrapper = result["ours"][index] / result["floor_ua"][index]
        print(f"ratio ({clock}): {ratio:.2f} (goal <= 1.2); PDF/UA tagging alone: {tagging:.2f}; "
              f"ours over bare weasyprint with the same variant: {wrapper:.2f}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for value in Audience:
            (args.out / f"assessment-{value}.pdf").write_bytes(render.render_assessment_report(data, value, branding))
        (args.out / "decision-letter.pdf").write_bytes(render.render_decision_letter(data, branding))
        sheet = render.render_description_sheet(data.proposal, branding, generated_on=data.generated_on,
                                                decision=data.decision, reference=data.reference)
        (args.out / "description-sheet.pdf").write_bytes(sheet)
        print(f"PDFs written to {args.out}")


if __name__ == "__main__":
    main()
