"""Highlighting evidence in untrusted text: offsets in, escaped HTML out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from moderation.dashboard.highlight import collect_spans, render


def rule(start: int, end: int, term: str = "x", category: str = "attack") -> dict[str, object]:
    return {"term": term, "category": category, "severity": "moderate", "start": start, "end": end}


def test_rule_and_evidence_spans_are_numbered_in_text_order() -> None:
    text = "you idiot, you moron"
    spans = collect_spans(
        text,
        [rule(15, 20, "moron")],
        [
            {"category": "attack", "start": 4, "end": 9, "weight": 2.0, "feature": "idiot"},
            {"category": "attack", "start": 0, "end": 3, "weight": -1.0, "feature": "you"},
        ],
    )
    assert [(s.number, s.source, s.excerpt) for s in spans] == [
        (1, "model", "idiot"),
        (2, "rule", "moron"),
    ]
    html = str(render(text, spans))
    assert html == (
        'you <mark class="hl hl-model cat-attack" title="classifier evidence · attack · weight '
        '+2.00" data-spans="1">idiot</mark><sup class="hl-ref cat-attack" aria-label="evidence 1">'
        '1</sup>, you <mark class="hl hl-rule cat-attack" title="rule &#34;moron&#34; · attack · '
        'moderate" data-spans="2">moron</mark><sup class="hl-ref cat-attack" '
        'aria-label="evidence 2">2</sup>'
    )


PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "' onmouseover='alert(1)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_and_labels_are_escaped(payload: str) -> None:
    text = f"before {payload} after"
    start = text.index(payload)
    spans = collect_spans(
        text,
        [rule(start, start + len(payload), term=payload, category=payload)],
        [
            {
                "category": "hate",
                "start": start + 1,
                "end": start + 4,
                "weight": 1.0,
                "feature": payload,
            }
        ],
    )
    html = str(render(text, spans))
    assert "<script" not in html
    assert "<img" not in html
    assert "<svg" not in html
    assert 'onerror="' not in html
    assert "onload=" not in html.replace("onload=alert", "")
    assert str(escape(payload)) in html or all(str(escape(ch)) in html for ch in payload)
    assert {s.category for s in spans} == {"other", "hate"}  # unknown category: fixed name


@pytest.mark.parametrize(
    ("start", "end"), [(-5, 3), (2, 999), (5, 5), (7, 2), ("1", 3), (None, None)]
)
def test_bad_offsets_are_clipped_or_dropped(start: object, end: object) -> None:
    spans = collect_spans("hello world", [{"start": start, "end": end, "category": "spam"}], [])
    for span in spans:
        assert 0 <= span.start < span.end <= len("hello world")


@given(
    st.text(max_size=60),
    st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70)), max_size=6),
)
def test_rendering_never_loses_or_injects_text(text: str, offsets: list[tuple[int, int]]) -> None:
    spans = collect_spans(text, [rule(a, b) for a, b in offsets], [])
    html = str(render(text, spans))
    import re

    visible = re.sub(r"<sup[^>]*>\d+</sup>", "", html)
    visible = re.sub(r"</?mark[^>]*>", "", visible)
    assert visible == str(escape(text))
