"""Comment text with its evidence highlighted, as HTML built from character offsets.

The text is attacker-controlled. It is cut at span boundaries and *every* piece is escaped
(:func:`markupsafe.escape`); the only markup is the fixed ``<mark>``/``<sup>`` tags this
module writes, whose class names come from a fixed list. Spans may overlap (a rule match and
classifier evidence on the same word): a piece covered by several spans is one ``<mark>``
naming all of them. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from markupsafe import Markup, escape

from moderation.scoring.types import CATEGORIES

Source = Literal["rule", "model"]
KNOWN_CATEGORIES = CATEGORIES  # the registry's (moderation/categories.py), live
MAX_RULE_SPANS = 100
MAX_EVIDENCE_SPANS = 12


@dataclass(frozen=True, slots=True)
class Span:
    """One highlighted piece of evidence; ``number`` is its reference mark in the text."""

    number: int
    start: int
    end: int
    source: Source
    category: str  # one of KNOWN_CATEGORIES or "other": safe as a class name
    label: str  # plain text (escaped when rendered)
    excerpt: str  # the highlighted text itself (plain text)


def _offsets(item: Mapping[str, Any], length: int) -> tuple[int, int] | None:
    start, end = item.get("start"), item.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    start, end = max(0, start), min(length, end)
    return (start, end) if start < end else None


def _category(value: object) -> str:
    return str(value) if str(value) in KNOWN_CATEGORIES else "other"


def collect_spans(
    text: str,
    matches: Iterable[Mapping[str, Any]],
    explanations: Iterable[Mapping[str, Any]],
    *,
    max_evidence: int = MAX_EVIDENCE_SPANS,
) -> list[Span]:
    """Every rule match, and the classifier's strongest positive evidence, in text order.

    Offsets outside the text are clipped; empty or malformed spans are dropped."""
    found: list[tuple[int, int, Source, str, str]] = []
    rules = [m for m in matches if isinstance(m, Mapping)]
    for match in rules[:MAX_RULE_SPANS]:
        offsets = _offsets(match, len(text))
        if offsets is None:
            continue
        category = _category(match.get("category"))
        label = f'rule "{match.get("term", "")}" · {category} · {match.get("severity", "?")}'
        found.append((*offsets, "rule", category, label))
    evidence = [
        e
        for e in explanations
        if isinstance(e, Mapping) and isinstance(e.get("weight"), int | float) and e["weight"] > 0
    ]
    evidence.sort(key=lambda e: float(e["weight"]), reverse=True)
    for item in evidence[:max_evidence]:
        offsets = _offsets(item, len(text))
        if offsets is None:
            continue
        category = _category(item.get("category"))
        label = f"classifier evidence · {category} · weight {float(item['weight']):+.2f}"
        found.append((*offsets, "model", category, label))
    found.sort(key=lambda f: (f[0], -f[1], f[2]))
    return [
        Span(n, start, end, source, category, label, text[start:end])
        for n, (start, end, source, category, label) in enumerate(found, start=1)
    ]


def render(text: str, spans: list[Span]) -> Markup:
    """``text`` as HTML with each span marked and numbered where it ends."""
    cuts = sorted({0, len(text)} | {s.start for s in spans} | {s.end for s in spans})
    ending: dict[int, list[Span]] = {}
    for span in spans:
        ending.setdefault(span.end, []).append(span)
    out: list[Markup] = []
    for start, end in pairwise(cuts):
        piece = escape(text[start:end])
        covering = [s for s in spans if s.start <= start and s.end >= end]
        if covering:
            sources = sorted({s.source for s in covering})
            strongest = covering[0] if len(covering) == 1 else _first_rule(covering)
            classes = " ".join(["hl", *(f"hl-{s}" for s in sources), f"cat-{strongest.category}"])
            out.append(
                Markup('<mark class="{}" title="{}" data-spans="{}">{}</mark>').format(
                    classes,
                    "; ".join(s.label for s in covering),
                    " ".join(str(s.number) for s in covering),
                    piece,
                )
            )
        else:
            out.append(piece)
        for span in ending.get(end, []):
            out.append(
                Markup('<sup class="hl-ref cat-{}" aria-label="evidence {}">{}</sup>').format(
                    span.category, span.number, span.number
                )
            )
    return Markup("").join(out)


def _first_rule(spans: list[Span]) -> Span:
    return next((s for s in spans if s.source == "rule"), spans[0])
