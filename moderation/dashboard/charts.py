"""Small SVG charts drawn on the server, so the overview needs no chart library and no
script. Every label goes through :meth:`markupsafe.Markup.format` (escaped); colours come
from CSS classes (``series-<key>``) because the CSP forbids inline styles. Pure: no Flask.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 720
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 34, 34


def _key(name: str) -> str:
    """A series name as a class-name fragment: lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "other"


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 x 10^n (n >= 0) at or above ``value``; at least 1."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


def tick_count(top: int) -> int:
    """How many intervals divide the axis ``0..top`` into whole numbers (``top`` is nice)."""
    return next(n for n in (5, 2, 1) if top % n == 0)


def _open(title: str, height: int) -> Markup:
    return Markup(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'role="img" aria-label="{}"><title>{}</title>'
    ).format(WIDTH, height, title, title)


def _legend(names: Sequence[tuple[str, str]]) -> Markup:
    parts = []
    x = LEFT
    for key, name in names:
        parts.append(
            Markup(
                '<rect class="series-{}" x="{}" y="10" width="10" height="10"/>'
                '<text class="legend" x="{}" y="19">{}</text>'
            ).format(_key(key), x, x + 14, name)
        )
        x += 24 + 7 * len(name)
    return Markup("").join(parts)


def stacked_columns(
    labels: Sequence[str],
    series: Mapping[str, Sequence[int]],
    *,
    title: str,
    names: Mapping[str, str] | None = None,
) -> Markup:
    """One column per label, stacking each series in the mapping's order."""
    names = names or {}
    count = len(labels)
    totals = [sum(values[i] for values in series.values()) for i in range(count)]
    top = nice_ceiling(max(totals, default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    column = plot_w / max(count, 1)
    bar = max(2.0, column * 0.7)
    parts = [_open(title, HEIGHT)]
    parts.append(_legend([(key, names.get(key, key)) for key in series]))
    ticks = tick_count(top)
    for step in range(ticks + 1):
        value = top * step // ticks
        y = TOP + plot_h - plot_h * step / ticks
        parts.append(
            Markup(
                '<line class="grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/>'
                '<text class="axis" x="{}" y="{:.1f}" text-anchor="end">{}</text>'
            ).format(LEFT, WIDTH - RIGHT, y, y, LEFT - 6, y + 4, value)
        )
    every = max(1, math.ceil(count / 12))
    for i, label in enumerate(labels):
        x = LEFT + column * i + (column - bar) / 2
        base = float(TOP + plot_h)
        for key, values in series.items():
            value = values[i]
            if value <= 0:
                continue
            height = plot_h * value / top
            base -= height
            parts.append(
                Markup(
                    '<rect class="series-{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" '
                    'height="{:.1f}"><title>{}: {} {}</title></rect>'
                ).format(_key(key), x, base, bar, height, label, value, names.get(key, key))
            )
        if (count - 1 - i) % every == 0:  # the latest day always has its label
            parts.append(
                Markup(
                    '<text class="axis" x="{:.1f}" y="{}" text-anchor="middle">{}</text>'
                ).format(x + bar / 2, HEIGHT - BOTTOM + 16, label)
            )
    if not any(totals):
        parts.append(
            Markup('<text class="empty" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                WIDTH / 2, TOP + plot_h / 2, "no data in this period"
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    values: Mapping[str, int]  # series key -> count, stacked left to right
    note: str  # shown at the end of the bar, e.g. "4.2 %"


def stacked_rows(
    rows: Sequence[BarRow],
    *,
    title: str,
    names: Mapping[str, str] | None = None,
) -> Markup:
    """One horizontal bar per row, stacking its series."""
    names = names or {}
    keys = list(dict.fromkeys(key for row in rows for key in row.values))
    label_w, note_w, row_h = 130, 150, 26
    height = TOP + row_h * max(len(rows), 1) + 10
    top = nice_ceiling(max((sum(row.values.values()) for row in rows), default=0))
    plot_w = WIDTH - label_w - note_w
    parts = [_open(title, height), _legend([(key, names.get(key, key)) for key in keys])]
    for i, row in enumerate(rows):
        y = TOP + row_h * i
        parts.append(
            Markup('<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>').format(
                label_w - 8, y + 15, row.label
            )
        )
        x = float(label_w)
        for key in keys:
            value = row.values.get(key, 0)
            if value <= 0:
                continue
            width = plot_w * value / top
            parts.append(
                Markup(
                    '<rect class="series-{}" x="{:.1f}" y="{}" width="{:.1f}" height="18">'
                    "<title>{}: {} {}</title></rect>"
                ).format(_key(key), x, y + 2, width, row.label, value, names.get(key, key))
            )
            x += width
        parts.append(
            Markup('<text class="note" x="{:.1f}" y="{}">{}</text>').format(x + 6, y + 15, row.note)
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    y_range: tuple[float, float] = (0.5, 1.0),
    empty: str = "no data yet",
) -> Markup:
    """One polyline (with a dot per point) for each series of ``(x, y)`` points, e.g. AUC
    against the number of labels; x from 0 to a nice ceiling, y over ``y_range``."""
    low, high = y_range
    points = [p for values in series.values() for p in values]
    top = nice_ceiling(max((x for x, _ in points), default=0))
    low = min([low, *(y for _, y in points)])
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + plot_w * x / top

    def py(y: float) -> float:
        return TOP + plot_h - plot_h * (y - low) / ((high - low) or 1.0)

    parts = [_open(title, HEIGHT), _legend([(key, key) for key in series])]
    for step in range(6):
        y_value = low + (high - low) * step / 5
        y = py(y_value)
        parts.append(
            Markup(
                '<line class="grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/>'
                '<text class="axis" x="{}" y="{:.1f}" text-anchor="end">{:.2f}</text>'
            ).format(LEFT, WIDTH - RIGHT, y, y, LEFT - 6, y + 4, y_value)
        )
    ticks = tick_count(top)
    for step in range(ticks + 1):
        value = top * step // ticks
        parts.append(
            Markup('<text class="axis" x="{:.1f}" y="{}" text-anchor="middle">{}</text>').format(
                px(value), HEIGHT - BOTTOM + 16, value
            )
        )
    for key, values in series.items():
        ordered = sorted(values)
        if len(ordered) > 1:
            coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in ordered)
            parts.append(
                Markup('<polyline class="line series-{}" fill="none" points="{}"/>').format(
                    _key(key), coords
                )
            )
        for x, y in ordered:
            parts.append(
                Markup(
                    '<circle class="series-{}" cx="{:.1f}" cy="{:.1f}" r="3">'
                    "<title>{}: {:.3f} at {} labels</title></circle>"
                ).format(_key(key), px(x), py(y), key, y, int(x))
            )
    if not points:
        parts.append(
            Markup('<text class="empty" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                WIDTH / 2, TOP + plot_h / 2, empty
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
