from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation.policy.decide import AuthorContext, AuthorStatus, Outcome, decide
from moderation.policy.schema import Policy
from moderation.scoring.types import Category, Match, ScoreResult, Severity

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def result(scores: dict[str, float] | None = None, matches: tuple[Match, ...] = ()) -> ScoreResult:
    values = {Category(k): v for k, v in (scores or {}).items()}
    return ScoreResult(scores=values, matches=matches, versions={"rules": "r"})


def match(term: str, category: str, severity: str) -> Match:
    return Match(term, Category(category), Severity(severity), 0, len(term))


LINK = match("link", "spam", "none")


@pytest.mark.parametrize(
    ("scores", "matches", "expected", "categories"),
    [
        ({}, (), Outcome.PUBLISH, ()),
        ({"attack": 0.49}, (), Outcome.PUBLISH, ()),
        ({"attack": 0.5}, (), Outcome.HOLD, ("attack",)),
        ({"attack": 0.85}, (), Outcome.REJECT, ("attack",)),
        ({"threat": 0.4, "attack": 0.2}, (), Outcome.HOLD, ("threat",)),
        ({"hate": 0.9, "attack": 0.6}, (), Outcome.REJECT, ("attack", "hate")),
        ({}, (match("damn", "profanity", "mild"),), Outcome.PUBLISH, ()),
        ({}, (match("crap", "profanity", "moderate"),), Outcome.HOLD, ("profanity",)),
        ({}, (match("fuck", "profanity", "strong"),), Outcome.REJECT, ("profanity",)),
        ({}, (match("gay", "hate", "none"),), Outcome.PUBLISH, ()),
        ({}, (LINK, LINK), Outcome.PUBLISH, ()),
        ({}, (LINK, LINK, LINK), Outcome.HOLD, ("spam",)),
        ({}, (match("bit.ly", "spam", "moderate"),), Outcome.HOLD, ("spam",)),
    ],
)
def test_content_decisions(
    policy: Policy,
    scores: dict[str, float],
    matches: tuple[Match, ...],
    expected: Outcome,
    categories: tuple[str, ...],
) -> None:
    decision = decide(result(scores, matches), policy, now=NOW)
    assert decision.outcome is expected
    assert tuple(str(c) for c in decision.categories) == categories
    assert decision.policy_version == policy.version


def test_reason_names_rule_term_threshold_and_source(policy: Policy) -> None:
    decision = decide(
        result({"profanity": 0.3}, (match("fuck", "profanity", "strong"),)), policy, now=NOW
    )
    (reason,) = decision.reasons
    assert reason.to_dict() == {
        "code": "category_score",
        "outcome": "reject",
        "category": "profanity",
        "score": 0.9,
        "threshold": 0.85,
        "source": "rules",
        "term": "fuck",
        "severity": "strong",
    }
    assert decision.scores[Category.PROFANITY] == 0.9


def test_model_score_above_rule_is_the_driver(policy: Policy) -> None:
    decision = decide(
        result({"profanity": 0.95}, (match("crap", "profanity", "moderate"),)), policy, now=NOW
    )
    assert decision.reasons[0].source == "model"
    assert decision.scores[Category.PROFANITY] == 0.95


@pytest.mark.parametrize(
    ("status", "until", "scores", "expected", "code", "strike"),
    [
        (AuthorStatus.BLOCKED, None, {}, Outcome.REJECT, "author_blocked", False),
        (AuthorStatus.BLOCKED, None, {"attack": 0.99}, Outcome.REJECT, "author_blocked", False),
        (
            AuthorStatus.SUSPENDED,
            NOW + timedelta(days=1),
            {},
            Outcome.REJECT,
            "author_suspended",
            False,
        ),
        (
            AuthorStatus.SUSPENDED,
            NOW - timedelta(days=1),
            {},
            Outcome.HOLD,
            "author_watched",
            False,
        ),
        (AuthorStatus.WATCHED, None, {}, Outcome.HOLD, "author_watched", False),
        (AuthorStatus.WATCHED, None, {"attack": 0.9}, Outcome.REJECT, "category_score", True),
        (AuthorStatus.ACTIVE, None, {"attack": 0.9}, Outcome.REJECT, "category_score", True),
    ],
)
def test_author_standing(
    policy: Policy,
    status: AuthorStatus,
    until: datetime | None,
    scores: dict[str, float],
    expected: Outcome,
    code: str,
    strike: bool,
) -> None:
    author = AuthorContext(status=status, status_until=until, comments_before=10)
    decision = decide(result(scores), policy, author=author, now=NOW)
    assert decision.outcome is expected
    assert decision.reasons[0].code == code
    assert (decision.strike is not None) is strike


@pytest.mark.parametrize(
    ("comments_before", "published", "strikes", "score", "expected"),
    [
        (0, 0, 0, 0.35, Outcome.HOLD),  # new author: hold at 0.3
        (2, 0, 0, 0.35, Outcome.HOLD),
        (3, 0, 0, 0.35, Outcome.PUBLISH),  # no longer new
        (60, 50, 0, 0.6, Outcome.PUBLISH),  # trusted: hold at 0.7
        (60, 50, 1, 0.6, Outcome.HOLD),  # a strike removes the trust
        (60, 49, 0, 0.6, Outcome.HOLD),
    ],
)
def test_author_tiers(
    policy: Policy,
    comments_before: int,
    published: int,
    strikes: float,
    score: float,
    expected: Outcome,
) -> None:
    author = AuthorContext(
        comments_before=comments_before, published=published, active_strikes=strikes
    )
    assert decide(result({"attack": score}), policy, author=author, now=NOW).outcome is expected


@pytest.mark.parametrize(
    ("scores", "matches", "category", "weight"),
    [
        ({"attack": 0.9}, (), "attack", 1.0),
        ({"threat": 0.85, "attack": 0.9}, (), "attack", 1.0),
        ({"threat": 0.95, "attack": 0.9}, (), "threat", 2.0),
        ({}, (match("slur", "hate", "severe"),), "hate", 4.0),
    ],
)
def test_strike_category_and_weight(
    policy: Policy,
    scores: dict[str, float],
    matches: tuple[Match, ...],
    category: str,
    weight: float,
) -> None:
    decision = decide(result(scores, matches), policy, now=NOW)
    assert decision.strike is not None
    assert decision.strike.category == category
    assert decision.strike.weight == weight


@pytest.mark.parametrize(
    ("scores", "matches", "severity_score"),
    [
        # a classifier probability, however sure, counts at most as `strong` (0.90)...
        ({"threat": 0.999}, (), 0.90),
        ({"threat": 0.85}, (), 0.85),
        # ...a rule match keeps its grade: only a credible threat (severe) reaches 1.0
        ({"threat": 0.5}, (match("credible-threat", "threat", "severe"),), 1.0),
        ({"threat": 0.999}, (match("stock-threat", "threat", "strong"),), 0.90),
    ],
)
def test_strike_score_is_on_the_severity_scale(
    policy: Policy,
    scores: dict[str, float],
    matches: tuple[Match, ...],
    severity_score: float,
) -> None:
    decision = decide(result(scores, matches), policy, now=NOW)
    assert decision.outcome is Outcome.REJECT
    assert decision.strike is not None
    assert decision.strike.score == pytest.approx(severity_score)


def test_hold_earns_no_strike(policy: Policy) -> None:
    assert decide(result({"attack": 0.6}), policy, now=NOW).strike is None


def test_reasons_name_the_author_tier_whose_threshold_applied(policy: Policy) -> None:
    scores = result({"attack": 0.35, "threat": 0.45})
    new = decide(scores, policy, author=AuthorContext(comments_before=0), now=NOW)
    by_category = {r.category: r.to_dict() for r in new.reasons}
    assert by_category[Category.ATTACK]["threshold"] == 0.3
    assert by_category[Category.ATTACK]["tier"] == "new_authors"
    assert "tier" not in by_category[Category.THREAT]  # the tier lists no threat thresholds
    regular = decide(
        result({"attack": 0.6}), policy, author=AuthorContext(comments_before=5), now=NOW
    )
    assert "tier" not in regular.reasons[0].to_dict()
