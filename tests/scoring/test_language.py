"""Language detection: scripts, transliteration, and English that must stay English."""

from __future__ import annotations

import pytest

from moderation.scoring import language as language_module
from moderation.scoring.language import Language, detect_language, language_name

ENGLISH = [
    # short
    "lol",
    "ok",
    "you suck",
    "ty for the info",
    "da bomb",
    "Yes! Da!",
    "ha ha ha",
    "Thanks!",
    "Go home, you're drunk",
    "What a joke",
    # names and places of the region
    "Pashinyan met Aliyev in Stepanakert",
    "Karabagh",
    "Artsakh",
    "Artsakh is Armenia",
    "Karabakh",
    "Ara Gevorgyan spoke in Yerevan",
    "Aliyev is a dictator and Pashinyan a traitor",
    "Azerbaijan and Armenia signed in Washington",
    "Sen. Menendez is wrong about Baku",
    "Nash equilibrium explains it",
    "The Hayastan All-Armenian Fund raised money in Glendale",
    "Shushi, Hadrut, Martuni and Askeran were shelled by Azerbaijani forces",
    "Kocharyan, Sargsyan and Ter-Petrosyan all failed Artsakh",
    "Putin, Lavrov and Peskov said nothing",
    "The Lachin corridor must reopen now!",
    # links are not words: ".net" is not Russian "net"
    "Earn money online FAST!!! www.fast-money-online.net www.fast-money-online.net/signup",
    "visit http://kak.ru/vot and vy.net @nash #tak",
    # English words that are also common words typed in Latin elsewhere
    "The men had a net gain, his ego and a vat of jam in Jan",
    "Move it an inch, then another inch",
    # an English spelling trick with Cyrillic look-alikes is not Russian
    "уоu аrе а сlоwn",
]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_stays_english(text: str) -> None:
    assert detect_language(text).code == "en"


@pytest.mark.parametrize(
    ("text", "code", "script", "method"),
    [
        ("Դու հիմար ես", "hy", "Armn", "script"),
        ("Ты дурак, Карабах наш", "ru", "Cyrl", "script"),
        ("Как дела?", "ru", "Cyrl", "script"),
        ("Слава Україні", "uk", "Cyrl", "script"),
        ("Sən axmaqsan, get burdan", "az", "Latn", "script"),
        ("Bu gün hava çox gözəldir", "az", "Latn", "script"),
        ("ty durak, Karabakh nash", "ru", "Latn", "transliteration"),
        ("Spasibo, bratan", "ru", "Latn", "transliteration"),
        ("Hayastan, ara inch es anum", "hy", "Latn", "transliteration"),
        ("Shnorhakalutyun, shat lav hodvac e", "hy", "Latn", "transliteration"),
        ("sen axmaqsan", "az", "Latn", "transliteration"),
        ("Ermeniler gedin burdan, Qarabag Azerbaycandir", "az", "Latn", "transliteration"),
        ("ამბობენ რომ ყველაფერი კარგად იქნება", "ka", "Geor", "script"),
        (
            "Il ponte sullo stretto, la maddalena, la new town di L'Aquila, l'expo, le olimpiadi,"
            " gli europei: tutto fatto in fretta e male",
            "it",
            "Latn",
            "model",
        ),
    ],
)
def test_other_languages(text: str, code: str, script: str, method: str) -> None:
    found = detect_language(text)
    assert (found.code, found.script, found.method) == (code, script, method)
    assert 0.0 < found.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "👍👍", "12345 !!!", "…"])
def test_no_letters_is_undetermined(text: str) -> None:
    assert detect_language(text).code == "und"


def test_describe_names_the_language_and_transliteration() -> None:
    assert Language("ru", 0.6, "Cyrl", "script").describe() == "Russian (ru)"
    assert detect_language("ty durak, Karabakh nash").describe() == "Russian (ru, in Latin letters)"
    assert language_name("hy") == "Armenian"
    assert language_name("xx") == "xx"


def test_one_name_like_word_never_decides() -> None:
    """Names inside a sentence do not count as transliterated words."""
    assert detect_language("Then Nash and Tut said Inch by inch").code == "en"


def test_the_model_is_loaded_lazily_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not at import; the first text that needs it loads it, later ones reuse it."""
    monkeypatch.setattr(language_module, "_identifier", None)
    detect_language("Դու հիմար ես")  # script alone decides: no model needed
    assert language_module._identifier is None
    detect_language("Il ponte sullo stretto, la maddalena, la new town di L'Aquila")
    first = language_module._identifier
    assert first is not None
    detect_language("Och alla barn är lika och fungerar på precis samma sätt")
    assert language_module._identifier is first
