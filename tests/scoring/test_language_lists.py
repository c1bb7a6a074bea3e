"""The other languages' word lists (config/wordlists/lang/): loading, matching, credits."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from moderation.scoring.pipeline import build_pipeline
from moderation.scoring.rules.languages import LanguageLists
from moderation.scoring.wordlists import RuleConfigError
from tests.support import ROOT


@pytest.fixture(scope="module")
def lists() -> LanguageLists:
    return LanguageLists.from_config(ROOT / "config")


def test_shipped_lists_and_their_credits() -> None:
    for path in sorted((ROOT / "config" / "wordlists" / "lang").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["source"] and data["licence"], path
    ru = yaml.safe_load((ROOT / "config/wordlists/lang/ru.yaml").read_text(encoding="utf-8"))
    assert "LDNOOBW" in ru["source"] and "CC BY 4.0" in ru["licence"]


@pytest.mark.parametrize(
    ("text", "language", "found"),
    [
        ("Ты сука, иди нахуй", "ru", ["сука", "нахуй"]),
        ("хуёвый день", "ru", ["хуёвый"]),
        ("Вы ЁБАНЫЕ", "ru", ["ЁБАНЫЕ"]),
        ("ty suka blyat", "ru", ["suka", "blyat"]),
        ("Привет, как дела, Карабах наш", "ru", []),
        ("Դու բոզ ես", "hy", ["բոզ"]),
        ("Հայաստան", "hy", []),
        ("sen axmaqsan", "az", ["axmaqsan"]),
        ("siktir git orospu", "az", ["siktir", "orospu"]),  # tr.yaml applies to az too
        ("siktir git orospu", "tr", ["siktir", "orospu"]),
        ("Ты сука", "en", []),  # only the detected language's list
        ("сукно и сук", "ru", []),  # whole words unless a stem
    ],
)
def test_matching(lists: LanguageLists, text: str, language: str, found: list[str]) -> None:
    assert [text[m.start : m.end] for m in lists.find(text, language)] == found


def test_pipeline_reads_the_detected_language_with_its_list() -> None:
    pipeline = build_pipeline(ROOT / "config", ROOT / "models")
    result = pipeline.score("Ты сука, иди отсюда")
    assert result.language is not None and result.language.code == "ru"
    assert any(m.term == "сука" and m.severity.value == "strong" for m in result.matches)
    assert "language_rules" in result.versions
    english = pipeline.score("Pashinyan met Aliyev in Stepanakert")
    assert english.language is not None and english.language.code == "en"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("language: ru\nsource: s\nlicence: l\ngroups: []\n", "groups: missing"),
        ("source: s\nlicence: l\ngroups: [{category: profanity}]\n", "language: missing"),
        ("language: ru\nlicence: l\ngroups: [{terms: [a]}]\n", "source: missing"),
        (
            "language: russian\nsource: s\nlicence: l\n"
            "groups: [{category: profanity, severity: mild, terms: [a]}]\n",
            "language: 'russian' is not an ISO 639-1 code",
        ),
        (
            "language: ru\nsource: s\nlicence: l\n"
            "groups: [{category: rude, severity: mild, terms: [a]}]\n",
            "groups[0].category",
        ),
        (
            "language: ru\nsource: s\nlicence: l\n"
            "groups: [{category: profanity, severity: awful, terms: [a]}]\n",
            "groups[0].severity",
        ),
        (
            "language: ru\nsource: s\nlicence: l\n"
            "groups: [{category: profanity, severity: mild, terms: [дура, Дура]}]\n",
            "groups[0].terms[1]: 'Дура' is listed twice",
        ),
        (
            "language: ru\nsource: s\nlicence: l\n"
            "groups: [{category: profanity, severity: mild, terms: [a], colour: red}]\n",
            "groups[0].colour: unknown key",
        ),
    ],
)
def test_invalid_lists_are_refused_naming_file_and_key(
    tmp_path: Path, body: str, named: str
) -> None:
    directory = tmp_path / "wordlists" / "lang"
    directory.mkdir(parents=True)
    (directory / "ru.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(RuleConfigError) as caught:
        LanguageLists.from_config(tmp_path)
    assert "ru.yaml: " in str(caught.value)
    assert named in str(caught.value)
