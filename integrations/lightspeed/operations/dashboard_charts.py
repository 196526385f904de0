"""Server-rendered SVG charts for the dashboard: no JavaScript, no CDN, readable without colour.

Each chart is a `<svg>` with a title, axes, gridlines, a legend and a `<title>` on every bar or
point, so hovering shows the exact value and screen readers can read them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#2f6fb1", "#e07b24", "#3a9d5d", "#b23a48", "#7b5ea7", "#8c6d31", "#4a9fb5", "#666666")
WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 46, 16, 24, 44


def nice_axis(value: float, *, ticks: int = 4) -> tuple[float, int]:
    """An axis top and its number of gridline steps, on round numbers (1, 2, 5 × 10^n per step)."""
    if value <= 0:
        return 1.0, 1
    rough = value / ticks
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if rough <= m * magnitude)
    steps = max(1, math.ceil(value / step - 1e-9))
    return step * steps, steps


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _frame(
    title: str,
    y_max: float,
    steps: int,
    unit: str,
    categories: Sequence[str],
    body: list[str],
    legend: list[str],
) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="ls-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(steps + 1):
        y = TOP + plot_h - plot_h * i / steps
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#666">'
            f"{_number(y_max * i / steps)}</text>"
        )
    if unit:
        parts.append(f'<text x="{LEFT}" y="{TOP - 10}" font-size="10" fill="#666">{escape(unit)}</text>')
    step = max(1, math.ceil(len(categories) / 7))
    slot = plot_w / max(1, len(categories))
    for i, label in enumerate(categories):
        # Counted from the newest, so the latest period always has its label.
        if (len(categories) - 1 - i) % step == 0:
            x = LEFT + slot * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" font-size="10" '
                f'fill="#666">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#999"/>'
    )
    parts.extend(body)
    x = LEFT
    for i, name in enumerate(legend):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{HEIGHT - 16}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 7}" font-size="11" fill="#333">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, unit: str = ""
) -> SafeString:
    """Stacked bars: one bar per category, one segment per series."""
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    y_max, steps = nice_axis(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(categories))
    bar_w = max(2.0, slot * 0.7)
    body: list[str] = []
    for i, category in enumerate(categories):
        base = 0.0
        for s, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            height = plot_h * value / y_max
            y = TOP + plot_h - plot_h * base / y_max - height
            x = LEFT + slot * i + (slot - bar_w) / 2
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(category)} · {escape(name)}: '
                f"{_number(value)}</title></rect>"
            )
            base += value
    return mark_safe(_frame(title, y_max, steps, unit, categories, body, [name for name, _ in series]))  # noqa: S308 - every value is escaped above


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    unit: str = "",
    y_max: float | None = None,
) -> SafeString:
    """Lines with a dot per known value; None leaves a gap (no data in that period)."""
    values = [v for _, vals in series for v in vals if v is not None]
    y_max, steps = (y_max, 4) if y_max else nice_axis(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(categories))
    body: list[str] = []
    for s, (name, vals) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        segments: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(vals):
            if value is None:
                segments.append([])
                continue
            point = (LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * min(value, y_max) / y_max)
            segments[-1].append(point)
            body.append(
                f'<circle cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(categories[i])} · {escape(name)}: {_number(value)}{escape(unit and ' ' + unit)}"
                "</title></circle>"
            )
        for segment in segments:
            if len(segment) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
                body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return mark_safe(_frame(title, y_max, steps, unit, categories, body, [name for name, _ in series]))  # noqa: S308 - every value is escaped above
