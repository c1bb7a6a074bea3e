"""Issue 13: one threat scale. A credible, specific threat scored by the shipped rules and
model reaches the shipped policy's immediate sanction; hyperbole and veiled threats do not,
and veiled threats are at least held."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from moderation.policy.decide import AuthorStatus, Outcome, decide
from moderation.policy.ladder import next_status
from moderation.policy.schema import PolicyError, load_policy, parse_policy
from moderation.scoring.pipeline import Pipeline, build_pipeline
from moderation.scoring.types import Category, Severity
from tests.policy.conftest import policy_data
from tests.support import ROOT

NOW = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = load_policy(ROOT / "config" / "policy.yaml")


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(ROOT / "config", ROOT / "models")


def _blocked_at_once(pipeline: Pipeline, text: str) -> tuple[Outcome, AuthorStatus | None]:
    decision = decide(pipeline.score(text), POLICY, now=NOW)
    change = next_status(
        status=AuthorStatus.ACTIVE,
        until=None,
        set_by_moderator=False,
        active_strikes=decision.strike.weight if decision.strike else 0.0,
        new_strike=decision.strike,
        rules=POLICY.authors,
        now=NOW,
    )
    return decision.outcome, change.status if change else None


@pytest.mark.parametrize(
    "text",
    [
        "I know where you live and I will kill you tonight",
        "I'll break your jaw when I see you at the rally on Saturday",
        "We are going to burn your house down this weekend.",
        "Tomorrow I'm going to stab him outside his office.",
    ],
)
def test_credible_threat_reaches_the_immediate_block(pipeline: Pipeline, text: str) -> None:
    outcome, status = _blocked_at_once(pipeline, text)
    assert outcome is Outcome.REJECT
    assert status is AuthorStatus.BLOCKED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Keep talking and you will end up in a ditch, I promise you.", {Outcome.REJECT}),
        (
            "I know where the reporter lives. Keep writing stuff like this and see what happens.",
            {Outcome.REJECT},
        ),
        ("You won't be so brave when I find you.", {Outcome.HOLD, Outcome.REJECT}),
        ("I will kill you if you show your face here again.", {Outcome.REJECT}),
    ],
)
def test_veiled_and_plain_threats_are_stopped_but_not_blocked_at_once(
    pipeline: Pipeline, text: str, expected: set[Outcome]
) -> None:
    outcome, status = _blocked_at_once(pipeline, text)
    assert outcome in expected
    assert status is not AuthorStatus.BLOCKED


@pytest.mark.parametrize(
    "text", ["This bill will kill the high street.", "I could kill for a coffee right now."]
)
def test_hyperbole_matches_no_threat_rule(pipeline: Pipeline, text: str) -> None:
    """The rules leave a bare violent word alone (the classifier alone may still hold it)."""
    result = pipeline.score(text)
    threats = [m for m in result.matches if m.category is Category.THREAT]
    assert all(m.severity is Severity.NONE for m in threats), threats
    outcome, status = _blocked_at_once(pipeline, text)
    assert outcome is not Outcome.REJECT
    assert status is None


@pytest.mark.parametrize(
    "text",
    [
        "Watch your back on the stairs, they're icy.",
        "Accidents happen, that's why you need insurance.",
        "Let's wait and see what happens at the vote tonight.",
        "We'll crush them on Saturday at the game.",
    ],
)
def test_hyperbole_and_benign_look_alikes_are_published(pipeline: Pipeline, text: str) -> None:
    decision = decide(pipeline.score(text), POLICY, now=NOW)
    assert decision.outcome is Outcome.PUBLISH, decision.scores
    assert decision.scores[Category.THREAT] < POLICY.categories[Category.THREAT].hold


def test_an_unreachable_immediate_sanction_is_refused() -> None:
    data = policy_data()
    data["rule_scores"]["severe"] = 0.9
    with pytest.raises(PolicyError) as info:
        parse_policy(data, "policy.yaml")
    assert "authors.immediate.threat.min_score" in str(info.value)
