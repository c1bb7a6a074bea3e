"""The policy's ``languages`` key: validation, and what an unsupported language decides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from moderation.policy.decide import LANGUAGE_UNSUPPORTED, Outcome, decide
from moderation.policy.loader import load_policies
from moderation.policy.schema import Policy, PolicyError, load_policy, parse_policy
from moderation.scoring.language import Language
from moderation.scoring.types import Category, Match, ScoreResult, Severity
from tests.policy.conftest import policy_data
from tests.support import ROOT

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
RUSSIAN = Language("ru", 0.6, "Cyrl", "script")
ARMENIAN_LATIN = Language("hy", 0.67, "Latn", "transliteration")
ENGLISH = Language("en", 1.0, "Latn", "default")
NO_LETTERS = Language("und", 0.0, "Zyyy", "default")


def _policy(languages: Any) -> Policy:
    return parse_policy(policy_data(languages=languages), "test.yaml")


def _result(language: Language | None, *matches: Match) -> ScoreResult:
    return ScoreResult(scores=dict.fromkeys(Category, 0.0), matches=matches, language=language)


def test_shipped_policy_supports_english_and_holds_the_rest() -> None:
    policy = load_policy(ROOT / "config" / "policy.yaml")
    assert policy.languages.supported == ("en",)
    assert policy.languages.unsupported == "hold"


def test_default_when_the_key_is_absent() -> None:
    policy = parse_policy(policy_data(), "test.yaml")
    assert (policy.languages.supported, policy.languages.unsupported) == (("en",), "hold")


@pytest.mark.parametrize(
    ("languages", "named"),
    [
        ({"supported": ["en"], "unsupported": "ignore"}, "languages.unsupported"),
        ({"supported": ["english"]}, "languages.supported.0"),
        ({"supported": ["EN"]}, "languages.supported.0"),
        ({"supported": []}, "languages.supported"),
        ({"supported": ["en", "en"]}, "languages.supported"),
        ({"supported": "en"}, "languages.supported"),
        ({"supported": ["en"], "hold": True}, "languages.hold"),
        ("hold", "languages"),
    ],
)
def test_invalid_languages_are_refused_naming_the_key(languages: Any, named: str) -> None:
    with pytest.raises(PolicyError) as caught:
        _policy(languages)
    assert f"test.yaml: invalid policy: {named}" in str(caught.value)


def test_a_site_overrides_the_languages(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text((ROOT / "config" / "policy.yaml").read_text())
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "hetq.yaml").write_text(
        "languages: {supported: [en, hy, ru], unsupported: publish}\n"
    )
    (tmp_path / "sites" / "bad.yaml").write_text("languages: {unsupported: maybe}\n")
    with pytest.raises(PolicyError, match=r"bad\.yaml: invalid policy: languages\.unsupported"):
        load_policies(tmp_path)
    (tmp_path / "sites" / "bad.yaml").unlink()
    policies = load_policies(tmp_path)
    assert policies.for_site("hetq").languages.supported == ("en", "hy", "ru")
    assert policies.for_site("other").languages.unsupported == "hold"


@pytest.mark.parametrize(
    ("unsupported", "language", "expected"),
    [
        ("hold", RUSSIAN, Outcome.HOLD),
        ("hold", ARMENIAN_LATIN, Outcome.HOLD),
        ("reject", RUSSIAN, Outcome.REJECT),
        ("publish", RUSSIAN, Outcome.PUBLISH),
        ("hold", ENGLISH, Outcome.PUBLISH),
        ("hold", NO_LETTERS, Outcome.PUBLISH),
        ("hold", None, Outcome.PUBLISH),
    ],
)
def test_unsupported_language_decides(
    unsupported: str, language: Language | None, expected: Outcome
) -> None:
    policy = _policy({"supported": ["en"], "unsupported": unsupported})
    decision = decide(_result(language), policy, now=NOW)
    assert decision.outcome is expected
    codes = [r.code for r in decision.reasons]
    assert (LANGUAGE_UNSUPPORTED in codes) == (expected is not Outcome.PUBLISH)
    assert decision.strike is None  # a language earns no strike


def test_the_reason_names_the_language() -> None:
    policy = _policy({"supported": ["en"]})
    [reason] = decide(_result(RUSSIAN), policy, now=NOW).reasons
    assert reason.to_dict() == {
        "code": "language_unsupported",
        "outcome": "hold",
        "score": 0.6,
        "source": "script",
        "language": "ru",
        "detail": "language not supported: Russian (ru)",
    }
    [reason] = decide(_result(ARMENIAN_LATIN), policy, now=NOW).reasons
    assert reason.detail == "language not supported: Armenian (hy, in Latin letters)"


def test_a_supported_language_is_not_held() -> None:
    policy = _policy({"supported": ["en", "ru"]})
    assert decide(_result(RUSSIAN), policy, now=NOW).outcome is Outcome.PUBLISH


def test_a_word_list_reject_stays_a_reject() -> None:
    policy = _policy({"supported": ["en"], "unsupported": "hold"})
    strong = Match("сука", Category.ATTACK, Severity.STRONG, 3, 7)
    decision = decide(_result(RUSSIAN, strong), policy, now=NOW)
    assert decision.outcome is Outcome.REJECT
    assert decision.strike is not None and decision.strike.category is Category.ATTACK
    assert [r.code for r in decision.reasons] == ["category_score", LANGUAGE_UNSUPPORTED]


def test_a_backtest_replays_the_recorded_language() -> None:
    """`moderation policy simulate` judges the stored language with the candidate's key."""
    from moderation.policy.backtest import Record, simulate

    records = [
        Record("c1", "ann", NOW, dict.fromkeys(Category, 0.0), (), RUSSIAN),
        Record("c2", "bob", NOW, dict.fromkeys(Category, 0.0), (), ENGLISH),
    ]
    current = _policy({"supported": ["en"], "unsupported": "hold"})
    candidate = _policy({"supported": ["en", "ru"]})
    report = simulate(records, current, candidate)
    assert [(f.comment, str(f.current), str(f.candidate)) for f in report.flips] == [
        ("c1", "hold", "publish")
    ]
