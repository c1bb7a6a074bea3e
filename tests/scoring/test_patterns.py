"""Phrase patterns: threats, group hate, insults without rude words, spam — and the clean
look-alikes they must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.scoring.patterns import CRITICISM, PatternFilter
from moderation.scoring.rules import RuleFilter
from moderation.scoring.wordlists import RuleConfigError
from tests.support import ROOT


@pytest.fixture(scope="module")
def rules() -> RuleFilter:
    return RuleFilter.from_config(ROOT / "config")


@pytest.fixture(scope="module")
def patterns() -> PatternFilter:
    return PatternFilter.from_config(ROOT / "config")


def found(rules: RuleFilter, patterns: PatternFilter, text: str) -> dict[str, str]:
    """pattern name -> matched original substring."""
    norm = rules.deobfuscate(text)
    return {m.term: text[m.start : m.end] for m in patterns.find(norm, rules.find(text))}


@pytest.mark.parametrize(
    ("text", "name", "category"),
    [
        ("I will shoot you the moment you step on my lawn", "first-person-violence", "threat"),
        ("we're gonna torch your office, wait and see", "first-person-violence", "threat"),
        ("i w1ll sh00t y0u", "first-person-violence", "threat"),
        ("Say it again and I'll smash your teeth in", "harm-to-body", "threat"),
        ("the whole council ought to be lynched", "should-be-harmed", "threat"),
        ("That columnist deserves a bullet", "deserves-harm", "threat"),
        ("somebody should just knife the guy", "someone-should-harm", "threat"),
        ("I really hope somebody shoots the sheriff", "wish-harm", "threat"),
        ("I know where you live, pal.", "knows-where", "threat"),
        ("We know where her kids go to school.", "knows-where", "threat"),
        ("I know where the reporter lives.", "knows-where", "threat"),
        ("I'll break your jaw when I see you at the rally", "credible-threat", "threat"),
        ("i w1ll k1ll y0u t0n1ght", "credible-threat", "threat"),
        ("I know where he works and we're going to shoot him", "credible-threat", "threat"),
        ("Tomorrow we will beat the crap out of him", "credible-threat", "threat"),
        ("we'll turn up at her office with a machete", "credible-threat", "threat"),
        ("keep writing like this and see what happens", "conditional-consequence", "threat"),
        ("Say that again and you'll regret it.", "conditional-consequence", "threat"),
        ("you might just end up at the bottom of the canal", "foretold-harm", "threat"),
        ("You won't be so tough when we meet.", "veiled-warning", "threat"),
        ("Accidents happen to reporters who dig too deep.", "veiled-warning", "threat"),
        (
            "Reporters like you have a way of disappearing around here.",
            "veiled-intimidation",
            "threat",
        ),
        ("Stay quiet if you know what's good for you.", "veiled-intimidation", "threat"),
        ("Say goodbye to your pretty teeth, editor.", "veiled-intimidation", "threat"),
        ("Good luck typing when you can't use your hands.", "veiled-intimidation", "threat"),
        ("You'll find it hard to write with broken fingers.", "veiled-intimidation", "threat"),
        ("Would be a shame if your car got scratched tonight.", "veiled-intimidation", "threat"),
        ("We have your home address, by the way.", "veiled-intimidation", "threat"),
        ("I have friends in Glendale who would love to meet you.", "veiled-intimidation", "threat"),
        ("Come to Baku and say that.", "veiled-intimidation", "threat"),
        ("Write that again and see if you make it home.", "veiled-intimidation", "threat"),
        ("Stay home this Sunday if you're smart.", "veiled-intimidation", "threat"),
        ("Things could get very ugly for you.", "veiled-intimidation", "threat"),
        ("There will be consequences for what you wrote.", "veiled-intimidation", "threat"),
        ("Nobody would notice if you went missing.", "veiled-intimidation", "threat"),
        ("Refugees are nothing but parasites", "group-dehumanised", "hate"),
        ("gay men are all perverts", "group-generalised", "hate"),
        ("Muslims should be deported, every last one", "group-removed", "hate"),
        ("disabled people shouldn't be allowed to have kids", "group-stock", "hate"),
        ("your brain has the attention span of a toddler", "insult-comparison", "attack"),
        ("you obviously can't read a chart", "insult-ability", "attack"),
        ("Sure, Einstein. Whatever you say.", "insult-address", "attack"),
        ("The alderman is a spineless weasel", "insult-person-is", "attack"),
        ("Earn $300 a day from your phone", "money-claim", "spam"),
        ("Buy cheap followers here", "sales-pitch", "spam"),
    ],
)
def test_patterns_catch(
    rules: RuleFilter, patterns: PatternFilter, text: str, name: str, category: str
) -> None:
    hits = found(rules, patterns, text)
    assert name in hits, hits
    norm = rules.deobfuscate(text)
    (match,) = [m for m in patterns.find(norm) if m.term == name][:1]
    assert str(match.category) == category
    assert hits[name].strip() and hits[name] in text


@pytest.mark.parametrize(
    "text",
    [
        "We'll crush them on Saturday, go Tigers!",
        "This tax will kill small businesses downtown.",
        "Shoot me an email if you want the minutes.",
        "We will hang out at the market after the meeting.",
        "You can sleep when you are dead, as my coach said.",
        "Nobody should be getting shot in this city.",
        "Immigrants built this town and still run half of Main Street.",
        "As a gay man I support the new ordinance.",
        "The team got slaughtered 5-0 and deserved it.",
        "The casino on the waterfront is closing, the article says.",
        "Police say the suspect was armed with a gun.",
        "I'm going to beat the traffic by leaving early.",
        "Women are underrepresented on the council.",
        "Liberals are wrong about this bill.",
        "You make a fair point about the budget.",
        # heated but civil, and benign uses of threat phrases (issue 13)
        "Watch your back on the stairs, they're icy.",
        "Watch yourself when crossing Main Street, the lights are out.",
        "Accidents happen, that's why you need insurance.",
        "Let's wait and see what happens at the vote tonight.",
        "This bill will kill the high street.",
        "I could kill for a coffee right now.",
        "I know where you stand on this, and I still disagree.",
        "Keep voting for them and you'll end up with higher taxes.",
        "If you keep ignoring the audit you will regret it at the ballot box.",
        "You won't be so sure when you read the audit.",
        "We'll crush them on Saturday at the game.",
        "I'll see you at the meeting tonight, bring the figures.",
        "The car ended up in a ditch on the bypass last night.",
        "Keep writing stories like this one, it is excellent work.",
        "We'll show up at the council meeting with our placards.",
        "I will beat you at chess on Saturday.",
        "I'll shoot you an email tonight with the figures.",
        "We will execute your order tomorrow.",
        "I'll break your record at the game on Saturday.",
        "The documents could easily disappear from the archive, the auditor warned.",
        "You could easily disappear into the crowd at the festival.",
        "It would be a shame if you missed the concert.",
        "Say goodbye to your pension if this bill passes.",
        "He played the final with broken fingers and still won.",
        "Come to the meeting and say that, the council needs to hear it.",
        "Come to Yerevan and see it for yourself.",
        "Stay home if you're sick, the clinic says.",
        "Things could get ugly for the government at the polls.",
        "There will be consequences for the economy if the port closes.",
        "We have your comment on file and will publish it tomorrow.",
    ],
)
def test_clean_look_alikes_pass(rules: RuleFilter, patterns: PatternFilter, text: str) -> None:
    hits = {k: v for k, v in found(rules, patterns, text).items() if k != CRITICISM}
    assert hits == {}


@pytest.mark.parametrize(
    ("text", "criticism"),
    [
        ("The new zoning plan is absurd and will cost us.", True),
        ("What a laughable excuse for a budget.", True),
        ("The plan is absurd and so are you.", False),  # second person
        # Per sentence: a civil sentence addressing the reader keeps the criticism...
        (
            "The council's plan is idiotic and it will cost us all. "
            "Read the audit before you defend it.",
            True,
        ),
        ("The bill is a farce. Thank you for reporting on it, you did well.", True),
        # ...a sentence insulting the reader, or a harsh word aimed at them, loses it
        ("The council's plan is idiotic. And you are an idiot.", False),
        ("The council's plan is idiotic. You are idiotic too.", False),
        ("The plan is absurd. You are ridiculous.", False),
        ("The plan is absurd! Your plan is worse garbage.", False),
        ("The plan is stupid, you moron.", False),  # an insult too
        ("The plan is shit.", False),  # a strong word-list term
        ("Thanks for the update on the bridge.", False),
    ],
)
def test_impersonal_criticism(
    rules: RuleFilter, patterns: PatternFilter, text: str, criticism: bool
) -> None:
    assert (CRITICISM in found(rules, patterns, text)) is criticism


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("patterns: []\n", "non-empty list"),
        ("patterns:\n  - {name: a, category: threat, severity: strong, regex: '('}\n", "compile"),
        ("patterns:\n  - {name: a, category: rudeness, severity: strong, regex: x}\n", "rudeness"),
        ("patterns:\n  - {name: a, category: threat, severity: awful, regex: x}\n", "awful"),
        ("patterns:\n  - {name: a, category: threat, severity: strong, regex: '{nope}'}\n", "nope"),
        (
            "patterns:\n  - {name: a, category: threat, severity: strong, regex: x, extra: 1}\n",
            "extra",
        ),
        (
            "patterns:\n  - {name: a, category: threat, severity: strong, regex: x}\n"
            "  - {name: a, category: threat, severity: strong, regex: y}\n",
            "unique",
        ),
        (
            "vocab: {v: ''}\n"
            "patterns:\n  - {name: a, category: threat, severity: strong, regex: x}\n",
            "vocab.v",
        ),
    ],
)
def test_invalid_config_names_the_problem(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "wordlists").mkdir()
    (tmp_path / "wordlists" / "patterns.yaml").write_text(content)
    with pytest.raises(RuleConfigError, match=problem) as info:
        PatternFilter.from_config(tmp_path)
    assert "patterns.yaml" in str(info.value)
