"""Charts and QR codes drawn on the server as SVG.

A phone gets a few kilobytes of markup rather than a chart library and its script: nothing to
download, nothing to run, nothing from a CDN, and the page works with scripts off. Each chart
carries a text summary for screen readers; the page adds the figures as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
import math

import pyqrcode  # type: ignore[import-untyped]

from .figures import Bar

# Drawn small and scaled up: the labels stay readable on a phone (about 9 px at 390 px wide)
# and not huge on a desktop (the page caps a chart at 600 px).
WIDTH = 360
HEIGHT = 140
AXIS_W = 30  # room for the kWh labels on the left
LABEL_H = 16  # room for the dates below
BAR_COLOR = "#1565c0"  # 5.9:1 against white
TODAY_COLOR = "#e65100"  # the period in progress, 3.8:1 against white (a graphic object)
GRID_COLOR = "#d0d7de"
TEXT_COLOR = "#333"


def _nice_top(value: float) -> float:
    """A round ceiling for the axis: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    power: float = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 5.0, 10.0) if step * power >= value)


def bar_chart(
    bars: Sequence[Bar],
    *,
    summary: str,
    label: Callable[[Bar], str],
    value_text: Callable[[float], str],
    label_every: int,
) -> str:
    """Bars from the left (oldest) to the right (the period in progress, in another colour)."""
    top = _nice_top(max((bar.kwh for bar in bars), default=0.0))
    plot_w = WIDTH - AXIS_W
    plot_h = HEIGHT - LABEL_H - 8
    slot = plot_w / max(1, len(bars))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(summary)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = 8 + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{AXIS_W}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
            f'<text x="{AXIS_W - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{TEXT_COLOR}">{escape(value_text(top * fraction))}</text>'
        )
    for index, bar in enumerate(bars):
        height = plot_h * bar.kwh / top
        x = AXIS_W + index * slot + slot * 0.15
        color = TODAY_COLOR if index == len(bars) - 1 else BAR_COLOR
        parts.append(
            f'<rect x="{x:.1f}" y="{8 + plot_h - height:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height:.1f}" fill="{color}"><title>{escape(label(bar))}: '
            f"{escape(value_text(bar.kwh))} kWh</title></rect>"
        )
        last = len(bars) - 1
        if index == last or (index % label_every == 0 and last - index >= label_every / 2):
            # The last label ends at the chart's edge rather than running past it.
            at, anchor = (WIDTH, "end") if index == last else (x + slot * 0.35, "middle")
            parts.append(
                f'<text x="{at:.1f}" y="{HEIGHT - 4}" text-anchor="{anchor}" '
                f'font-size="11" fill="{TEXT_COLOR}">{escape(label(bar))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def qr_code(text: str) -> str:
    """A QR code of ``text`` (error correction M: a scratched sticker still reads)."""
    matrix: list[list[int]] = pyqrcode.create(text, error="M", mode="binary").code
    quiet = 4  # the standard's quiet zone, in modules
    side = len(matrix) + 2 * quiet
    path = "".join(
        f"M{x + quiet} {y + quiet}h1v1h-1z"
        for y, row in enumerate(matrix)
        for x, module in enumerate(row)
        if module
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'width="{side * 8}" height="{side * 8}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )
