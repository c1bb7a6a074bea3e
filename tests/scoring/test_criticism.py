"""The criticism cap holds for a comment whose only targets are institutions, public bodies,
people as a class or plans, even beside a civil sentence to the reader; never for an insult
aimed at the reader, at one person or at a protected group (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.clock import utcnow
from moderation.policy.decide import decide
from moderation.policy.loader import load_policy_file
from moderation.policy.schema import Policy
from moderation.scoring.patterns import CRITICISM
from moderation.scoring.pipeline import Pipeline, build_pipeline
from moderation.scoring.types import Category, Severity
from moderation.statuses import Outcome

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(CONFIG, ROOT / "models")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy_file(CONFIG / "policy.yaml")


CRITICISM_OF_INSTITUTIONS = [
    "What a bunch of clowns running this place. Vote them all out.",
    "You make a fair point. The council are a bunch of clowns.",
    "Politicians are all clowns.",
    "The council are a bunch of clowns and the budget is a joke.",
    "Thanks for the article. The government are clueless idiots on housing.",
    "The committee are a bunch of fools. Good piece, you covered it well.",
    "The council's plan is idiotic.",
]


@pytest.mark.parametrize("text", CRITICISM_OF_INSTITUTIONS)
def test_criticism_of_institutions_is_capped_and_published(
    pipeline: Pipeline, policy: Policy, text: str
) -> None:
    result = pipeline.score(text)
    assert any(m.term == CRITICISM for m in result.matches)
    assert not any(
        m.category is Category.ATTACK and m.severity.rank >= Severity.MODERATE.rank
        for m in result.matches
    ), result.matches
    decision = decide(result, policy, now=utcnow())
    assert decision.outcome is Outcome.PUBLISH
    assert decision.scores[Category.ATTACK] <= policy.criticism.max_attack


INSULTS_AT_PEOPLE = [
    "you clown",
    "The council are a bunch of clowns. You are a clown too.",
    "You make a fair point, you clown. The council are clowns.",
    "The mayor is a lying weasel.",  # one official is a person
    "The police chief is an incompetent buffoon.",  # the head of a body is a person
    "The council leader is a clown.",
    "The government is full of idiots and he is the worst clown.",
    "Politicians are idiots and you are one too.",
    "The muslims running this place are clowns.",  # a group, not an institution
    "What a bunch of clowns.",  # no institution named: maybe the other commenters
]


@pytest.mark.parametrize("text", INSULTS_AT_PEOPLE)
def test_insults_at_people_are_not_capped(pipeline: Pipeline, text: str) -> None:
    result = pipeline.score(text)
    assert not any(m.term == CRITICISM for m in result.matches), result.matches
