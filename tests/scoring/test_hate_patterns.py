"""Issue 13: hate without a slur (group generalisations, tropes, dehumanising comparisons,
calls to drive a group out), insults made of ordinary words, and the heated but civil
political talk of an Armenian-American news site that must stay clean."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from moderation.scoring.patterns import REPORTED, PatternFilter
from moderation.scoring.rules import RuleFilter
from moderation.scoring.types import Category, Match, Severity
from tests.support import ROOT

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def rules() -> RuleFilter:
    return RuleFilter.from_config(ROOT / "config")


@pytest.fixture(scope="module")
def patterns() -> PatternFilter:
    return PatternFilter.from_config(ROOT / "config")


def matches(rules: RuleFilter, patterns: PatternFilter, text: str) -> list[Match]:
    words = rules.find(text)
    return [*patterns.find(rules.deobfuscate(text), words), *words]


def worst(found: list[Match], category: Category) -> Severity:
    return max(
        (m.severity for m in found if m.category is category),
        key=lambda s: s.rank,
        default=Severity.NONE,
    )


@pytest.mark.parametrize(
    ("text", "name", "severity"),
    [
        ("Typical Jews controlling the media again.", "group-typical", "moderate"),
        ("Typical Jews controlling the media again.", "group-trope", "strong"),
        ("typical woman, can't decide anything", "group-typical", "moderate"),
        ("Typical Armenian people, always complaining", "group-typical", "moderate"),
        ("Muslims always lie about everything", "group-always", "moderate"),
        ("Immigrants never work, they take benefits", "group-always", "moderate"),
        ("Those people always cause trouble", "group-always", "moderate"),
        ("Turks are bloodthirsty by nature", "group-nature", "moderate"),
        ("That's what Azerbaijanis do.", "group-nature", "moderate"),
        ("All Armenians are thieves", "group-nature", "moderate"),
        ("Russians are all drunks", "group-nature", "moderate"),
        ("You can't trust a single Georgian", "group-nature", "moderate"),
        ("Azeris are a nation of liars", "group-nature", "moderate"),
        ("Women are too emotional to lead", "group-nature", "moderate"),
        ("Jews run the banks", "group-trope", "strong"),
        ("Kurds control the press here", "group-trope", "strong"),
        ("These migrants are infesting our towns", "group-dehumanised-verb", "strong"),
        ("Muslims multiply like rabbits", "group-dehumanised-verb", "strong"),
        ("Azeris are not even human", "group-dehumanised-verb", "strong"),
        ("Turks are beasts", "group-dehumanised", "strong"),
        ("Armenians are a disease on this region", "group-dehumanised", "strong"),
        ("Exterminate every last Armenian.", "group-violence", "strong"),
        ("Gas the Jews.", "group-violence", "strong"),
        ("We should wipe out the Azerbaijanis", "group-violence", "strong"),
        ("Turks should be wiped off the map", "group-violence", "strong"),
        ("Every refugee should be thrown out", "group-violence", "strong"),
        ("Kick all the Muslims out of the country", "group-violence", "strong"),
        ("Jews should not be allowed to hold office", "group-rights-denied", "moderate"),
        ("I hate these Muslims moving in. They're all the same.", "group-referred", "moderate"),
        ("Disabled people are a drain on the taxpayer", "group-referred", "moderate"),
    ],
)
def test_hate_families(
    rules: RuleFilter, patterns: PatternFilter, text: str, name: str, severity: str
) -> None:
    found = {(m.term, m.category, m.severity.value) for m in matches(rules, patterns, text)}
    assert (name, Category.HATE, severity) in found, found


@pytest.mark.parametrize(
    "text",
    [
        "You are a pathetic little worm.",
        "Nobody cares what a brain-dead muppet like you thinks.",
        "You're a disgrace and an embarrassment.",
        "You're a waste of space.",
        "You're nothing but a clueless loser.",
        "You are the dumbest person on this thread.",
        "You are genuinely the thickest person here.",
        "Shut up, you ignorant clown.",
        "You disgusting creature.",
        "People like you are a cancer on this country.",
        "You are a sad, bitter, pathetic old man.",
        "Keep crying, snowflake.",
        "What a pathetic excuse for a human being.",
        "Your brain must be the size of a pea.",
        "u r a moron",
    ],
)
def test_ordinary_word_insults_at_the_reader(
    rules: RuleFilter, patterns: PatternFilter, text: str
) -> None:
    assert worst(matches(rules, patterns, text), Category.ATTACK).rank >= Severity.MODERATE.rank


@pytest.mark.parametrize(
    "text",
    [
        # criticism of states, governments and leaders is debate, not hate
        "Azerbaijan's government is a dictatorship.",
        "The Turkish state denies the genocide to this day.",
        "Aliyev is a war criminal and should be tried in The Hague.",
        "Turkey tried to exterminate Armenians in 1915 and still denies it.",
        "The Azerbaijani regime wants to wipe out any trace of Armenian culture.",
        "Armenians were expelled from Karabagh in 2023.",
        "Russian peacekeepers stood by while people starved.",
        "Baku's propaganda machine spreads lies about Armenians every day.",
        "Armenians will never forget what happened in 1915.",
        "Armenians always remember their dead on April 24.",
        "Typical Armenian hospitality: we were fed for hours.",
        "The Turkish people are not their government.",
        "Many Azerbaijanis I know want peace.",
        "Armenians are an ancient people with a proud history.",
        "Rats have been spotted near the market.",
        # civil second person
        "You are wrong about the corridor, read the actual treaty.",
        "You're right that the diaspora should stay united.",
        "You are wasting your time arguing with the editor.",
        "You, sir, are confusing Armenia with Artsakh.",
        "The plan is a joke.",
        "Kill the bill, save the park.",
        "Kill the engine before refuelling, please.",
    ],
)
def test_heated_but_civil_is_left_alone(
    rules: RuleFilter, patterns: PatternFilter, text: str
) -> None:
    found = matches(rules, patterns, text)
    for category in (Category.HATE, Category.ATTACK, Category.THREAT):
        assert worst(found, category).rank < Severity.MODERATE.rank, (category, found)


@pytest.mark.parametrize(
    ("text", "most"),
    [
        # reported and condemned: published (mild), at most shown to moderators
        ("He said Armenians are vermin, which is disgusting.", Severity.MILD),
        ("Saying 'typical Jews' is antisemitic and has no place here.", Severity.MILD),
        ("The protesters chanted that Jews control the banks. Shameful.", Severity.MILD),
        # reported without condemnation: held for a person, never refused
        ("When people say immigrants are animals, they prepare the ground.", Severity.MODERATE),
        ("He said Armenians are vermin, and he is right.", Severity.MODERATE),
    ],
)
def test_reported_hate_is_lowered(
    rules: RuleFilter, patterns: PatternFilter, text: str, most: Severity
) -> None:
    found = matches(rules, patterns, text)
    hate = [m for m in found if m.category is Category.HATE and m.term != REPORTED]
    assert hate, found  # the claim is still found...
    assert worst(hate, Category.HATE) is most  # ...at the lowered severity
    assert any(m.term == REPORTED and m.severity is Severity.NONE for m in found)


@pytest.mark.parametrize(
    "text",
    [
        "I say Armenians are vermin.",  # the commenter's own claim
        "Armenians are vermin. He said so too.",  # the frame comes after the claim
    ],
)
def test_own_hate_is_not_lowered(rules: RuleFilter, patterns: PatternFilter, text: str) -> None:
    assert worst(matches(rules, patterns, text), Category.HATE) is Severity.STRONG


@pytest.mark.parametrize("name", ["hate_insult_dev.jsonl", "hate_insult_check.jsonl"])
def test_dev_sets_recall_and_false_positives(
    rules: RuleFilter, patterns: PatternFilter, name: str
) -> None:
    """The rules alone (no classifier) on the hand-written sets: recall per violation kind
    and no clean comment held or refused for hate; quotes never refused."""
    rows = [json.loads(line) for line in (DATA / name).read_text().splitlines() if line]
    caught: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        found = matches(rules, patterns, row["text"])
        if row["label"] == "violation":
            acting = [
                m
                for m in found
                if m.category in (Category.HATE, Category.ATTACK, Category.THREAT)
                and m.severity.rank >= Severity.MODERATE.rank
            ]
            caught[row["kind"]].append(bool(acting))
        elif row["kind"] == "quote":
            assert worst(found, Category.HATE).rank < Severity.STRONG.rank, row["text"]
        else:
            assert worst(found, Category.HATE).rank < Severity.MODERATE.rank, row["text"]
    for kind, hits in caught.items():
        assert sum(hits) / len(hits) >= 0.8, (kind, sum(hits), len(hits))
