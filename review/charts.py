"""Server-rendered SVG charts for the insights page (issue 24): geometry computed here, drawn by
templates/review/_chart.html. No script and nothing from a CDN (the CSP holds); a series is
told apart by its fill pattern and its label, not by colour alone; every chart's numbers are
in a table beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SERIES = ("solid", "hatched")  # fills, in the order of a chart's series


@dataclass(frozen=True)
class Bar:
    label: str  # the category (a channel, a week, a bucket)
    series: str  # which series (e.g. "submitted")
    fill: str  # one of SERIES
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[str, float, float]]  # (text, x, y) of each category
    series: list[tuple[str, str]]  # (name, fill): the legend
    horizontal: bool
    # the table beside it: (category, (value, link to the drafts it counts or "") per series)
    rows: list[tuple[str, list[tuple]]]


def bars(title: str, rows: list[dict], label: str, series: list[str], *,
         horizontal: bool = True, width: int = 480,
         link: Callable[[int, dict, str], str] | None = None) -> Chart:
    """One bar per row and series: horizontal (a label on the left of each row) or columns
    (a label under each group). Lengths are to scale against the largest value. `link(i,
    row, series)`: where the table's number for it links ("": nowhere)."""
    top = max([float(r[s] or 0) for r in rows for s in series] + [1.0])
    fills = list(zip(series, SERIES, strict=False))
    table = [(str(r[label]), [(r[s], link(i, r, s) if link and r[s] else "") for s in series])
             for i, r in enumerate(rows)]
    out, labels = [], []
    if horizontal:
        left, bar, gap = 130, 16, 10
        span = width - left - 50
        y = 8.0
        for row in rows:
            labels.append((str(row[label]) or "(none)", left - 8, y + bar * len(fills) / 2 + 4))
            for name, fill in fills:
                value = float(row[name] or 0)
                out.append(Bar(str(row[label]), name, fill, value, left, y,
                               max(1.0, span * value / top) if value else 0.0, bar))
                y += bar
            y += gap
        return Chart(title, width, int(y) + 4, out, labels, fills, True, table)
    height, bottom = 200, 40
    group = max(1.0, (width - 20) / max(1, len(rows)))
    bar = min(24.0, group * 0.8 / max(1, len(fills)))
    for i, row in enumerate(rows):
        x = 10 + i * group
        labels.append((str(row[label]), x + bar * len(fills) / 2, height - bottom + 16))
        for j, (name, fill) in enumerate(fills):
            value = float(row[name] or 0)
            h = (height - bottom - 10) * value / top
            out.append(Bar(str(row[label]), name, fill, value, x + j * bar, height - bottom - h,
                           bar - 2, h))
    return Chart(title, width, height, out, labels, fills, False, table)
