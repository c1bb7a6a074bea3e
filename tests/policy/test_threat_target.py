"""The threat target cap (``threat_target.max_untargeted``): a ``figurative-violence`` match
caps the classifier's threat score below the threat hold and the decision says why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from moderation.policy.decide import UNTARGETED, AuthorContext, Outcome, decide
from moderation.policy.schema import Policy, parse_policy
from moderation.scoring.threat_target import FIGURATIVE
from moderation.scoring.types import Category, Match, ScoreResult, Severity
from tests.policy.conftest import policy_data

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
FIG = Match(FIGURATIVE, Category.THREAT, Severity.NONE, 9, 13)


@pytest.fixture
def capped() -> Policy:
    return parse_policy(policy_data(threat_target={"max_untargeted": 0.35}), "capped")


def result(threat: float, *matches: Match, attack: float = 0.0) -> ScoreResult:
    return ScoreResult(scores={Category.THREAT: threat, Category.ATTACK: attack}, matches=matches)


@pytest.mark.parametrize("threat", [0.4, 0.79, 0.99])
def test_figurative_violence_is_published_with_a_note(capped: Policy, threat: float) -> None:
    decision = decide(result(threat, FIG), capped, now=NOW)
    assert decision.outcome is Outcome.PUBLISH
    assert decision.scores[Category.THREAT] == 0.35
    assert decision.categories == ()
    (note,) = decision.reasons
    assert note.to_dict() == {
        "code": "threat_untargeted",
        "outcome": "publish",
        "score": round(threat, 4),
        "threshold": 0.35,
        "source": "model",
        "term": UNTARGETED,
    }
    assert UNTARGETED == "figurative: no person targeted"


def test_without_the_match_the_threat_score_stands(capped: Policy) -> None:
    decision = decide(result(0.79), capped, now=NOW)
    assert decision.outcome is Outcome.HOLD
    assert decision.categories == (Category.THREAT,)


def test_without_the_policy_key_nothing_is_capped(policy: Policy) -> None:
    assert decide(result(0.79, FIG), policy, now=NOW).outcome is Outcome.HOLD


def test_a_score_already_below_the_cap_gets_no_note(capped: Policy) -> None:
    decision = decide(result(0.2, FIG), capped, now=NOW)
    assert decision.reasons == ()
    assert decision.scores[Category.THREAT] == 0.2


def test_a_threat_rule_match_is_never_capped(capped: Policy) -> None:
    rule = Match("first-person-violence", Category.THREAT, Severity.STRONG, 0, 10)
    decision = decide(result(0.79, FIG, rule), capped, now=NOW)
    assert decision.outcome is Outcome.REJECT
    assert all(r.code != "threat_untargeted" for r in decision.reasons)


def test_the_note_rides_along_when_another_category_holds(capped: Policy) -> None:
    decision = decide(result(0.79, FIG, attack=0.6), capped, now=NOW)
    assert decision.outcome is Outcome.HOLD
    assert decision.categories == (Category.ATTACK,)
    assert [r.code for r in decision.reasons] == ["category_score", "threat_untargeted"]


def test_new_authors_get_the_cap_too(capped: Policy) -> None:
    new = AuthorContext(comments_before=0)
    assert decide(result(0.79, FIG), capped, author=new, now=NOW).outcome is Outcome.PUBLISH
