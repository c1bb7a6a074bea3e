"""Server-drawn SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from moderation.dashboard.charts import (
    BarRow,
    nice_ceiling,
    stacked_columns,
    stacked_rows,
    tick_count,
)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (420, 500)]
)
def test_nice_ceiling(value: int, expected: int) -> None:
    assert nice_ceiling(value) == expected


@pytest.mark.parametrize(("top", "ticks"), [(1, 1), (2, 2), (5, 5), (10, 5), (20, 5), (200, 5)])
def test_axis_ticks_are_whole_numbers(top: int, ticks: int) -> None:
    assert tick_count(top) == ticks
    assert all(top * step % ticks == 0 for step in range(ticks + 1))


def test_stacked_columns_is_valid_svg_with_escaped_labels() -> None:
    svg = stacked_columns(
        ["<b>11-01</b>", "11-02"],
        {"published": [3, 0], "held": [1, 2]},
        title='Comments "per" day <script>',
        names={"held": "held & waiting"},
    )
    root = ET.fromstring(str(svg))
    assert root.tag.endswith("svg")
    rects = [r for r in root.iter() if r.tag.endswith("rect") and r.get("height") != "10"]
    assert sorted(r.get("class") for r in rects) == [
        "series-held",
        "series-held",
        "series-published",
    ]
    assert "<script>" not in str(svg)
    assert "&lt;b&gt;11-01&lt;/b&gt;" in str(svg)
    assert "held &amp; waiting" in str(svg)


def test_stacked_rows_and_empty_chart() -> None:
    svg = stacked_rows(
        [BarRow("attack", {"held": 2, "rejected": 1}, "3 · 10.0%"), BarRow("spam", {}, "0")],
        title="by category",
    )
    ET.fromstring(str(svg))
    assert "3 · 10.0%" in str(svg)
    empty = stacked_columns(["a"], {"published": [0]}, title="t")
    assert "no data in this period" in str(empty)
