"""Hand-written SVG charts for the PDF reports: vector shapes and real text, no raster, no dependency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
LABEL_WIDTH = 300
RIGHT_GAP = 40
TOP = 14
ROW = 26
BAR = 16
AXIS_BELOW = 40


@dataclass(frozen=True)
class Bar:
    """One bar: its label and value (None when there is nothing to show, drawn as "not scored")."""

    label: str
    value: float | None


def bar_chart(bars: Sequence[Bar], *, minimum: float, maximum: float, title: str, description: str,
              axis_label: str = "Score", chart_id: str = "chart") -> str:
    """A horizontal bar chart of `bars` on the scale minimum..maximum, as an accessible inline SVG string.

    :raises ValueError: when the scale is empty or a value lies outside it.
    """
    if maximum <= minimum:
        raise ValueError("maximum must be greater than minimum")
    if any(bar.value is not None and not minimum <= bar.value <= maximum for bar in bars):
        raise ValueError(f"values must lie within {minimum}..{maximum}")
    plot = WIDTH - LABEL_WIDTH - RIGHT_GAP
    height = TOP + ROW * len(bars) + AXIS_BELOW

    def x(value: float) -> float:
        return LABEL_WIDTH + plot * (value - minimum) / (maximum - minimum)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    parts += _grid(minimum, maximum, x, TOP, TOP + ROW * len(bars))
    for index, bar in enumerate(bars):
        parts += _bar(bar, TOP + ROW * index, x)
    axis_y = TOP + ROW * len(bars)
    parts.append(f'<text x="{LABEL_WIDTH + plot / 2:.1f}" y="{axis_y + 32}" text-anchor="middle" '
                 f'font-size="12" fill="#334155">{escape(axis_label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _grid(minimum: float, maximum: float, x: Callable[[float], float], top: float, bottom: float) -> list[str]:
    parts = [f'<line x1="{LABEL_WIDTH}" y1="{bottom}" x2="{x(maximum):.1f}" y2="{bottom}" stroke="#334155"/>',
             f'<line x1="{LABEL_WIDTH}" y1="{top - 4}" x2="{LABEL_WIDTH}" y2="{bottom}" stroke="#334155"/>']
    for tick in _ticks(minimum, maximum):
        tx = x(tick)
        if tick > minimum:
            parts.append(f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{bottom}" stroke="#cbd5e1" '
                         f'stroke-dasharray="3 3"/>')
        parts.append(f'<line x1="{tx:.1f}" y1="{bottom}" x2="{tx:.1f}" y2="{bottom + 4}" stroke="#334155"/>')
        parts.append(f'<text x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11" '
                     f'fill="#334155">{_number(tick)}</text>')
    return parts


def _bar(bar: Bar, y: float, x: Callable[[float], float]) -> list[str]:
    middle = y + ROW / 2 + 4
    parts = [f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" font-size="11" '
             f'fill="#0f172a">{escape(_shorten(bar.label, 48))}</text>']
    if bar.value is None:
        parts.append(f'<text x="{LABEL_WIDTH + 6}" y="{middle}" font-size="11" font-style="italic" '
                     f'fill="#64748b">not scored</text>')
        return parts
    top = y + (ROW - BAR) / 2
    width = max(x(bar.value) - LABEL_WIDTH, 1.0)
    parts.append(f'<rect x="{LABEL_WIDTH}" y="{top}" width="{width:.1f}" height="{BAR}" fill="#1e40af"/>')
    parts.append(f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{middle}" font-size="11" '
                 f'fill="#0f172a">{bar.value:.2f}</text>')
    return parts


def _ticks(minimum: float, maximum: float) -> list[float]:
    span = maximum - minimum
    step = 1.0 if span <= 10 else float(round(span / 5))
    ticks, value = [], float(minimum)
    while value <= maximum + 1e-9:
        ticks.append(value)
        value += step
    return ticks


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
