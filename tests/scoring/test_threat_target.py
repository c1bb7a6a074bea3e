"""The threat target check: hyperbole about things ("The bill will kill the high street") is
not a threat, and the cap it triggers never reaches a real threat."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation.policy.decide import UNTARGETED, Outcome, decide
from moderation.policy.schema import load_policy
from moderation.scoring.pipeline import Pipeline, build_pipeline
from moderation.scoring.threat_target import FIGURATIVE, ThreatTargets
from moderation.scoring.types import Category, Severity
from moderation.scoring.wordlists import RuleConfigError
from tests.support import ROOT

NOW = datetime(2026, 12, 4, tzinfo=UTC)
POLICY = load_policy(ROOT / "config" / "policy.yaml")
HOLD = POLICY.categories[Category.THREAT].hold

HYPERBOLE = [
    "The bill will kill the high street.",
    "This tax will murder small businesses.",
    "The new stadium is going to destroy the neighbourhood.",
    "Rising rents are killing this town.",
    "That referee's decision killed the match.",
    "I'd kill for a decent bus service.",
    "This heat is killing me.",
    "My feet are killing me.",
    "Kill the bill, save the park. Signed the petition already, everyone should.",
    "Online shopping has murdered the local bookshop.",
    "These parking charges are killing us.",
    "THE BILL WILL KILL THE HIGH STREET!!!",
    "the b1ll w1ll k1ll the high street",
    "Trudeau is wrecking it.",  # a named doer, an abstract object
    "The bill was killed in committee.",  # a passive whose subject is an abstraction
    "The new tax rules are going to strangle small businesses.",
    "Rents are killing this town.",  # a plural first word is no name
    "Trump is killing the economy.",  # a named doer, an abstract object
    # message idioms: the verb sends a message, its "you" is no target
    "I'll shoot you an email tonight.",
    "We'll fire you a quick note with the figures.",
    "Drop me a line after the meeting.",
    "Hit me up when the agenda is out.",
]

THREATS = [
    "I will kill you",
    "I will kill you tonight.",
    "Someone should shoot the mayor",
    "He deserves a bullet",
    "Watch your back",
    "I know where you live",
    "we'll burn their houses down",
    "Kill them all.",
    "Kill the reporter.",
    "I'll kill the journalist who wrote this.",
]

#: Violent words that do name a target, or are not figures of speech: no match, score stands.
TARGETED = [
    "Kill Trump.",  # a capitalised name as the object
    "I'll kill the cat.",  # the commenter as the doer, a living object
    "I'm going to burn the town hall down.",  # the commenter, a building: literal
    "The mayor is killing this town.",  # a person named in the violent sentence
    "They will burn down the church.",  # a third-person pronoun
    "gonna shoot that reporter one day",
    "Rising rents are killing this town, and you know it.",  # the reader addressed
    "This bill will kill the high street, so grab a gun.",  # a weapon named
    "The virus will kill thousands.",
    "This law will kill Muslims.",  # a group
    "Some people deserve to be killed.",
    "Trump believes only Americans should be allowed to kill many.",
    "Time to start killing criminals in the act.",  # an exhortation, people as the object
    "Gotta start shooting these thieves!",
    "May all these worthless fuckers drown.",
    "Omar Khadr should simply have been summarily executed.",  # a passive, a name
    "Trump will destroy those useless commies.",  # a named doer, people as the object
    "Let it burn.",
    "I'll shoot you an email, then I'll shoot you.",  # a violent verb besides the idiom
    "Shoot him a text and then shoot him.",
    "I'll shoot you an email tonight, you idiot.",  # the reader addressed outside it
]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(ROOT / "config", ROOT / "models")


@pytest.fixture(scope="module")
def targets() -> ThreatTargets:
    return ThreatTargets.from_config(ROOT / "config")


def figurative(pipeline: Pipeline, text: str) -> bool:
    return any(m.term == FIGURATIVE for m in pipeline.score(text).matches)


@pytest.mark.parametrize("text", HYPERBOLE)
def test_hyperbole_about_things_is_published(pipeline: Pipeline, text: str) -> None:
    result = pipeline.score(text)
    decision = decide(result, POLICY, now=NOW)
    assert figurative(pipeline, text)
    assert decision.outcome is Outcome.PUBLISH, decision.reasons
    assert decision.scores[Category.THREAT] < HOLD
    if result.scores[Category.THREAT] > POLICY.threat_target.max_untargeted:
        (note,) = [r for r in decision.reasons if r.code == "threat_untargeted"]
        assert note.term == UNTARGETED
        assert note.score == pytest.approx(result.scores[Category.THREAT])


def test_the_check_is_what_publishes_the_hyperbole_the_model_holds(pipeline: Pipeline) -> None:
    """Without the check the shipped model holds some of the hyperbole as threats (the bug
    this fixes; which ones depends on the model); with it, every one is published."""
    bare = Pipeline(pipeline.rules, pipeline.patterns, pipeline.classifier)
    held = []
    for text in HYPERBOLE:
        before = decide(bare.score(text), POLICY, now=NOW)
        if before.outcome is Outcome.HOLD and Category.THREAT in before.categories:
            held.append(text)
            after = decide(pipeline.score(text), POLICY, now=NOW)
            assert after.outcome is Outcome.PUBLISH, text
            assert [r.code for r in after.reasons] == ["threat_untargeted"], text
    assert held, "the model holds no hyperbole: this test no longer shows the check's effect"
    assert "targets" in pipeline.versions


@pytest.mark.parametrize("text", THREATS)
def test_real_threats_keep_their_score(pipeline: Pipeline, text: str) -> None:
    decision = decide(pipeline.score(text), POLICY, now=NOW)
    assert not figurative(pipeline, text)
    assert decision.scores[Category.THREAT] >= HOLD, text
    assert decision.outcome in (Outcome.HOLD, Outcome.REJECT)
    assert all(r.code != "threat_untargeted" for r in decision.reasons)


def test_a_veiled_threat_without_a_violent_verb_is_never_capped(pipeline: Pipeline) -> None:
    """No rule reads this one yet (published before and after this check), but the check
    leaves it alone: it addresses the reader and has no violent verb."""
    text = "Hope your family enjoys the fire"
    assert not figurative(pipeline, text)
    decision = decide(pipeline.score(text), POLICY, now=NOW)
    assert all(r.code != "threat_untargeted" for r in decision.reasons)


@pytest.mark.parametrize("text", TARGETED)
def test_violence_with_a_target_or_a_literal_doer_is_not_figurative(
    pipeline: Pipeline, text: str
) -> None:
    assert not figurative(pipeline, text)


@pytest.mark.parametrize(
    "text", ["The council approved the budget.", "Great match on Saturday.", ""]
)
def test_no_violent_verb_no_match(pipeline: Pipeline, text: str) -> None:
    assert not figurative(pipeline, text)


def test_the_match_covers_the_verb_in_the_original_text(pipeline: Pipeline) -> None:
    text = "Honestly? The bill will KILL the high street."
    (match,) = [m for m in pipeline.score(text).matches if m.term == FIGURATIVE]
    assert text[match.start : match.end] == "KILL"
    assert match.category is Category.THREAT and match.severity is Severity.NONE


def test_a_threat_rule_match_vetoes_the_check(targets: ThreatTargets, pipeline: Pipeline) -> None:
    text = "The bill will kill the high street."
    [(words, norm)] = pipeline.rules.analyze_batch([text])
    assert targets.check(norm, text, words) is not None
    rule = pipeline.patterns.find(*pipeline.rules.analyze_batch(["Kill them all."])[0][::-1])
    assert targets.check(norm, text, [*words, *rule]) is None


def test_a_wall_of_violent_words_is_no_figure_and_is_checked_quickly(
    targets: ThreatTargets, pipeline: Pipeline
) -> None:
    import time

    text = "the bill will kill " * 2000
    norm = pipeline.rules.deobfuscate(text)
    started = time.perf_counter()
    assert targets.check(norm, text, []) is None
    assert time.perf_counter() - started < 0.5


def _config_copy(tmp_path: Path) -> Path:
    (tmp_path / "wordlists").mkdir()
    for name in ("targets.yaml", "patterns.yaml"):
        shutil.copy(ROOT / "config" / "wordlists" / name, tmp_path / "wordlists" / name)
    return tmp_path


def test_a_missing_targets_file_is_named(tmp_path: Path) -> None:
    config = _config_copy(tmp_path)
    (config / "wordlists" / "targets.yaml").unlink()
    with pytest.raises(RuleConfigError, match=r"targets\.yaml: file not found"):
        ThreatTargets.from_config(config)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("verbs: kill\n", "never_figurative"),
        ("- a list\n", "must be a mapping"),
        ("verbs: [\n", "not valid YAML"),
    ],
)
def test_a_bad_targets_file_is_named(tmp_path: Path, content: str, problem: str) -> None:
    config = _config_copy(tmp_path)
    (config / "wordlists" / "targets.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(RuleConfigError, match=problem) as caught:
        ThreatTargets.from_config(config)
    assert "targets.yaml" in str(caught.value)


def test_an_empty_list_is_named(tmp_path: Path) -> None:
    config = _config_copy(tmp_path)
    path = config / "wordlists" / "targets.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nself: ''\n", encoding="utf-8")
    with pytest.raises(RuleConfigError, match="self: must be a non-empty"):
        ThreatTargets.from_config(config)
