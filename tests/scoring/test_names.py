"""Proper names holding a listed word: the gazetteer, the context heuristic, the site's
allow-list, and the insults that must still count (issue 13, "Obfuscation and names")."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.clock import utcnow
from moderation.policy.decide import decide
from moderation.policy.loader import load_policy_file
from moderation.policy.schema import Policy
from moderation.scoring.names import (
    MAX_ALLOW_ENTRY_LENGTH,
    NameGuard,
    SiteAllowList,
    allow_entry_words,
)
from moderation.scoring.pipeline import Pipeline, build_pipeline
from moderation.scoring.rules import RuleConfigError, RuleFilter
from moderation.scoring.types import Category
from moderation.statuses import Outcome

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


@pytest.fixture(scope="module")
def rules() -> RuleFilter:
    return RuleFilter.from_config(CONFIG)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline(CONFIG, ROOT / "models")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy_file(CONFIG / "policy.yaml")


def terms(rules: RuleFilter, text: str, allow: SiteAllowList | None = None) -> list[str]:
    return [m.term for m in rules.find(text, allow) if m.category is not Category.SPAM]


NAMES_IN_SENTENCES = [
    "I grew up near Bitchfield.",
    "We hiked Mount Buggery last spring.",
    "Sheila Dikshit was Chief Minister of Delhi.",
    "The bus from Scunthorpe was late again.",
    "Penistone market is on Thursdays.",
    "We walked from Clitheroe to Whalley.",
    "My sister moved to Lightwater in Surrey.",
    "The ford at Shitterton floods every winter.",
    "Cockburn is a common Scottish surname.",
    "Dickson scored twice for the visitors.",
    "The TT races at Assen were brilliant.",
    "The sign for Fucking, Austria, was stolen so often they renamed it.",
    "The bus stops at Twatt on Orkney.",
    "Cuntis has a lovely spa.",
    "i live near bitchfield",  # a place word before a listed name: lower case is fine
    "Buggery Creek was dry this year.",
    "We stayed at Shittington Farm for a week.",  # not listed: name context
    "I drove through Dildo on the way to St. John's.",
    "Sandeep Dikshit spoke in parliament today.",
]


@pytest.mark.parametrize("text", NAMES_IN_SENTENCES)
def test_names_and_places_are_not_matches(rules: RuleFilter, text: str) -> None:
    assert terms(rules, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I grew up near Bitchfield.",
        "We hiked Mount Buggery last spring.",
        "Sheila Dikshit was Chief Minister of Delhi.",
        "Cuntis has a lovely spa.",
        "We stayed at Shittington Farm for a week.",
    ],
)
def test_names_and_places_are_published(pipeline: Pipeline, policy: Policy, text: str) -> None:
    result = pipeline.score(text)
    assert decide(result, policy, now=utcnow()).outcome is Outcome.PUBLISH
    assert max(result.scores.values()) < 0.35  # the classifier does not read the name either


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("you dikshit", "shit"),  # lower case, addressed: the insult
        ("You Dikshit!", "shit"),  # capitalised but addressed
        ("you're a Dikshit", "shit"),
        ("what a dildo", "dildo"),  # a context word without a name context
        ("Mr Shit", "shit"),  # the heuristic never protects the term itself
        ("Shit, we missed the bus.", "shit"),
        ("I live near Bitchville, you bitch.", "bitch"),
        ("Fucking hell, that was close.", "fucking"),  # "Fucking" alone is not the village
        ("up Shit Creek without a paddle", "shit"),
        # A mock title is an insult, not a surname: a strong word after a title counts.
        ("Thanks for explaining, Professor Knucklefuck.", "fuck"),
        ("Sure thing, Mr Shitstain.", "shit"),
    ],
)
def test_insults_and_swearing_still_count(rules: RuleFilter, text: str, term: str) -> None:
    assert term in terms(rules, text)


def test_harmless_matches_are_left_as_written(rules: RuleFilter) -> None:
    """A match that is not rude (severity none, such as "god") has nothing to protect: the
    classifier reads the text as written, not "name"."""
    text = "From your mouth to God's ear."
    assert "name" not in rules.deobfuscate(text).text.split()


def test_severe_terms_are_never_names_by_heuristic(rules: RuleFilter) -> None:
    severe = next(t for t, c, s, _ in rules.entries if c is Category.HATE and s.rank >= 4)
    text = f"We stayed at {severe.capitalize()}ville Farm."
    assert rules.find(text) == rules.find(text.replace("Farm", "farm"))


def test_site_allow_list_protects_exact_names_only(rules: RuleFilter) -> None:
    allow = SiteAllowList.of(["Bitchford", "Lake Shitwater"])
    assert terms(rules, "The Bitchford team won.") == ["bitch"]
    assert terms(rules, "The Bitchford team won.", allow) == []
    assert terms(rules, "the bitchford team won", allow) == []  # any case
    assert terms(rules, "We swam in Lake Shitwater.", allow) == []
    assert terms(rules, "Shitwater again.", allow) == ["shit"]  # the phrase, not a part
    assert terms(rules, "what a bitch", allow) == ["bitch"]  # never a part of an entry
    assert terms(rules, "you bitchford", allow) == ["bitch"]  # addressed: still the insult


def test_allow_list_version_names_its_entries() -> None:
    assert SiteAllowList.of([]).version is None
    one = SiteAllowList.of(["Bitchford"]).version
    assert one is not None and one.startswith("allow-")
    assert SiteAllowList.of(["bitchford"]).version == one
    assert SiteAllowList.of(["Bitchford", "Dikshit"]).version != one


def test_allow_list_reaches_the_decision_versions(pipeline: Pipeline) -> None:
    allow = SiteAllowList.of(["Bitchford"])
    result = pipeline.score("The Bitchford team won.", allow=allow)
    assert result.versions["allowlist"] == allow.version
    assert not any(m.category is Category.PROFANITY for m in result.matches)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * (MAX_ALLOW_ENTRY_LENGTH + 1), "longer"),
        ("one two three four five", "more than 4 words"),
        ("f*ck", "only letters"),
        ("bitch.*", "only letters"),
        ("<script>", "only letters"),
        ("Lake 42", "only letters"),
    ],
)
def test_allow_entries_are_exact_names(entry: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        allow_entry_words(entry)


def test_allow_entry_words_fold_case_and_apostrophes() -> None:
    assert allow_entry_words("  St  Dikshit’s  ") == ("st", "dikshit's")
    assert allow_entry_words("Stoke-on-Trent") == ("stoke", "on", "trent")


def test_gazetteer_changes_the_rule_version(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(CONFIG, tmp_path / "config")
    before = RuleFilter.from_config(tmp_path / "config").version
    names = tmp_path / "config" / "wordlists" / "names.yaml"
    names.write_text(names.read_text() + "  bitchington: a test place\n")
    # appended under `phrases`; still valid, a new fingerprint
    assert RuleFilter.from_config(tmp_path / "config").version != before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("words: [a, b]\n", "mapping of name"),
        ("towns: {}\n", "top level"),
        ("words:\n  mount buggery: x\n", "is a phrase"),
        ("words: {a: [\n", "not valid YAML"),
    ],
)
def test_malformed_gazetteer_is_refused(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "wordlists").mkdir()
    (tmp_path / "wordlists" / "names.yaml").write_text(content)
    with pytest.raises(RuleConfigError, match=problem):
        NameGuard.from_config(tmp_path)
