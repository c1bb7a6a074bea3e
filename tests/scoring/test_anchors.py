"""Literal anchors: every match of a pattern contains one, so skipping a text without any
never loses a match."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.scoring.anchors import anchors, may_match
from moderation.scoring.patterns import PatternFilter
from moderation.scoring.rules import RuleFilter
from tests.support import ROOT


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bdeserve(?:s|d)?\b", ("deserve",)),
        (r"(?:ab|cd)x", ("ab", "cd")),  # the branch is more selective than "x"
        (r"a?bc", ("bc",)),
        (r"(?:the\s+)?(?:knife|gun)s?", ("gun", "knife")),
        (r"x(?:yz)+", ("yz",)),
        (r"(?:ab|c?)d", ("d",)),  # a branch that may be empty needs nothing
        (r"(?i)abc", None),  # case-insensitive: no anchors
        (r"[abc]+", None),
        (r"x{0,3}", None),
        (r"(?=abc)", None),
    ],
)
def test_anchors_of_small_patterns(pattern: str, expected: tuple[str, ...] | None) -> None:
    assert anchors(re.compile(pattern)) == expected


def test_may_match() -> None:
    assert may_match("anything", None)
    assert may_match("you deserve it", ("deserve",))
    assert not may_match("you earned it", ("deserve", "merit"))


_ATOMS = st.sampled_from(["a", "b", "ab", "ba", "[ab]", ".", r"\b", " "])


@st.composite
def small_patterns(draw: st.DrawFn, depth: int = 0) -> str:
    """Random patterns over a two-letter alphabet: literals, classes, groups, alternations,
    optional and repeated parts."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.booleans()):
            branches = draw(st.lists(small_patterns(depth + 1), min_size=1, max_size=3))
            part = "(?:" + "|".join(branches) + ")"
        else:
            part = draw(_ATOMS)
        if part != r"\b":  # a zero-width assertion cannot be repeated
            part += draw(st.sampled_from(["", "", "?", "+", "*", "{1,2}", "{0,2}"]))
        parts.append(part)
    return "".join(parts)


@settings(max_examples=400, deadline=None)
@given(small_patterns(), st.text(alphabet="ab .", max_size=30))
def test_every_match_contains_an_anchor(pattern: str, text: str) -> None:
    compiled = re.compile(pattern)
    required = anchors(compiled)
    for m in compiled.finditer(text):
        if m.end() > m.start() or required is not None:
            assert may_match(m.group(), required), (pattern, text, required)
    if compiled.search(text) is not None:
        assert may_match(text, required)


def _texts() -> list[str]:
    files = [*sorted((ROOT / "eval").glob("*.jsonl"))]
    files += sorted((ROOT / "moderation" / "training" / "authored").glob("*.jsonl"))
    files += sorted((ROOT / "tests" / "scoring" / "data").glob("*.jsonl"))
    texts = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line)["text"]))
    return texts


def test_the_shipped_patterns_find_the_same_with_and_without_anchors() -> None:
    config = ROOT / "config"
    rules = RuleFilter.from_config(config)
    anchored = PatternFilter.from_config(config)
    assert sum(p.anchors is not None for p in anchored.patterns) >= 30
    plain = PatternFilter.from_config(config)
    plain._acting = [dataclasses.replace(p, anchors=None) for p in plain._acting]
    texts = _texts()
    assert len(texts) >= 3000
    found = 0
    for text, (words, normalized) in zip(texts, rules.analyze_batch(texts), strict=True):
        expected = plain.find(normalized, words)
        assert anchored.find(normalized, words) == expected, text
        found += bool(expected)
    assert found >= 500  # the comparison covers many matching texts, not only clean ones
