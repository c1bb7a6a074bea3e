"""Perspective attributes from category scores: mapping, spans, UTF-16 offsets (pure)."""

from __future__ import annotations

import pytest

from moderation.integrations.attributes import (
    ATTRIBUTES,
    base_name,
    category_spans,
    primary_language,
    score_attribute,
    utf16_offsets,
)
from moderation.scoring.types import Category, Evidence, Match, ScoreResult, Severity

C = Category
RULES = {Severity.NONE: 0.0, Severity.MILD: 0.35, Severity.MODERATE: 0.6, Severity.STRONG: 0.9}


def scores(**values: float) -> dict[Category, float]:
    out = dict.fromkeys(Category, 0.0)
    out.update({Category(k): v for k, v in values.items()})
    return out


@pytest.mark.parametrize(
    ("attribute", "given", "expected"),
    [
        ("PROFANITY", scores(profanity=0.7, attack=0.9), 0.7),
        ("INSULT", scores(attack=0.42), 0.42),
        ("THREAT", scores(threat=0.8, hate=0.9), 0.8),
        ("IDENTITY_ATTACK", scores(hate=0.55), 0.55),
        ("SPAM", scores(spam=0.6, profanity=1.0), 0.6),
        # TOXICITY: the highest of the four abusive categories, never spam
        ("TOXICITY", scores(profanity=0.3, attack=0.6, threat=0.2), 0.6),
        ("TOXICITY", scores(spam=0.95), 0.0),
        ("TOXICITY_FAST", scores(hate=0.5), 0.5),
        # SEVERE_TOXICITY: profanity left out, the rest squared
        ("SEVERE_TOXICITY", scores(profanity=1.0), 0.0),
        ("SEVERE_TOXICITY", scores(attack=0.9, profanity=1.0), pytest.approx(0.81)),
        ("SEVERE_TOXICITY", scores(threat=0.6), pytest.approx(0.36)),
    ],
)
def test_summary_scores(attribute: str, given: dict[Category, float], expected: float) -> None:
    assert score_attribute(ATTRIBUTES[attribute], given).summary == expected


def test_severe_toxicity_never_exceeds_toxicity() -> None:
    for value in (0.0, 0.1, 0.35, 0.6, 0.9, 1.0):
        for category in (C.ATTACK, C.THREAT, C.HATE, C.PROFANITY):
            given = scores(**{category.value: value})
            severe = score_attribute(ATTRIBUTES["SEVERE_TOXICITY"], given).summary
            assert severe <= score_attribute(ATTRIBUTES["TOXICITY"], given).summary


@pytest.mark.parametrize(
    ("requested", "base"),
    [("TOXICITY", "TOXICITY"), ("TOXICITY@6", "TOXICITY"), ("insult", "INSULT")],
)
def test_base_name(requested: str, base: str) -> None:
    assert base_name(requested) == base


@pytest.mark.parametrize(
    ("code", "primary"), [("en", "en"), ("en-GB", "en"), ("EN_us", "en"), ("es", "es")]
)
def test_primary_language(code: str, primary: str) -> None:
    assert primary_language(code) == primary


def test_utf16_offsets_count_astral_characters_twice() -> None:
    text = "a😀b€"
    assert utf16_offsets(text) == [0, 1, 3, 4, 5]
    assert len(text.encode("utf-16-le")) // 2 == utf16_offsets(text)[-1]


def test_spans_from_rule_matches_and_classifier_evidence() -> None:
    text = "you idiot, shit"
    result = ScoreResult(
        scores=scores(attack=0.8),
        matches=(
            Match("idiot", C.ATTACK, Severity.MILD, 4, 9),
            Match("shit", C.PROFANITY, Severity.STRONG, 11, 15),
            Match("kill", C.THREAT, Severity.NONE, 0, 3),  # reported only: no span
        ),
        explanations=(
            Evidence(C.ATTACK, 4, 9, 2.0, "idiot"),
            Evidence(C.ATTACK, 0, 3, 0.5, "you"),
        ),
    )
    spans = category_spans(result, RULES)
    assert C.THREAT not in spans
    # the strongest evidence span gets the model score; weaker ones their share of it
    assert sorted(spans[C.ATTACK]) == [(0, 3, pytest.approx(0.2)), (4, 9, pytest.approx(0.8))]
    assert spans[C.PROFANITY] == [(11, 15, 0.9)]
    combined = scores(attack=0.8, profanity=0.9)
    toxicity = score_attribute(ATTRIBUTES["TOXICITY"], combined, spans, utf16_offsets(text))
    assert [(s.begin, s.end) for s in toxicity.spans] == [(0, 3), (4, 9), (11, 15)]
    assert [text[s.begin : s.end] for s in toxicity.spans] == ["you", "idiot", "shit"]
    severe = score_attribute(ATTRIBUTES["SEVERE_TOXICITY"], combined, spans, utf16_offsets(text))
    assert [(s.begin, s.end, round(s.score, 4)) for s in severe.spans] == [
        (0, 3, 0.04),
        (4, 9, 0.64),
    ]


def test_span_offsets_are_utf16() -> None:
    text = "😀😀 shit"
    result = ScoreResult(
        scores=scores(), matches=(Match("shit", C.PROFANITY, Severity.STRONG, 3, 7),)
    )
    spans = category_spans(result, RULES)
    scored = score_attribute(
        ATTRIBUTES["PROFANITY"], scores(profanity=0.9), spans, utf16_offsets(text)
    )
    (span,) = scored.spans
    assert (span.begin, span.end) == (5, 9)
    assert text.encode("utf-16-le")[2 * span.begin : 2 * span.end].decode("utf-16-le") == "shit"


def test_no_spans_unless_asked() -> None:
    assert score_attribute(ATTRIBUTES["TOXICITY"], scores(attack=0.5)).spans == ()
