"""The compact language identifier answers exactly as py3langid's own, in less memory."""

from __future__ import annotations

from array import array
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.scoring.language_model import ESCAPE, compact

TEXTS = [
    "",
    "a",
    "🙂🙂🙂",
    "The council voted to reopen the library on Saturdays.",
    "Bonjour à tous, je pense que le gouvernement a tort sur ce point.",
    "Ich glaube nicht, dass die Regierung das Problem versteht.",
    "Pienso que el gobierno está equivocado en esto, sinceramente.",
    "Привет, как дела? Это длинный комментарий о выборах в парламент.",
    "Բարեւ, ինչպես ես, սա մեկնաբանություն է Արցախի մասին",
    "Salam, necəsən? Mən bu məqalə ilə razı deyiləm.",
    "Merhaba, bu konuda hükümetin yanlış yaptığını düşünüyorum.",
    "日本語のテキストです。政府の決定について。",
    "这是一个关于选举的评论",
    "مرحبا بكم في هذا المقال عن الانتخابات",
    "Ελληνικά κείμενα εδώ για τις εκλογές",
    "ara inch es anum, sen axmaqsan, ty durak",
    "Здравейте, това е коментар на български език за изборите.",
    "Zdravo, ovo je komentar na hrvatskom jeziku o izborima.",
]


@pytest.fixture(scope="module")
def identifiers() -> tuple[Any, Any]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    stock = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    small = compact(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
    return stock, small


def test_the_transition_table_is_16_bit_with_few_escapes(identifiers: tuple[Any, Any]) -> None:
    stock, small = identifiers
    assert isinstance(small.tk_nextmove, array)
    assert small.tk_nextmove.itemsize == 2
    assert len(small.tk_nextmove) == len(stock.tk_nextmove)
    assert stock.tk_nextmove.itemsize == 4  # what it replaces
    assert 0 < len(small._escape_at) < len(small.tk_nextmove) // 100
    assert all(small.tk_nextmove[at] == ESCAPE for at in small._escape_at[:1000])


def test_the_texts_take_escaped_transitions(identifiers: tuple[Any, Any]) -> None:
    """Otherwise the comparison below would not cover the side table."""
    _, small = identifiers
    escapes = set(small._escape_at)
    taken = 0
    for text in TEXTS:
        state = 0
        for byte in small._encode(text):
            at = small._rowbase[state] + byte
            state = small.tk_nextmove[at]
            if state == ESCAPE:
                assert at in escapes
                taken += 1
                state = small._escape_to[small._escape_at.index(at)]
    assert taken > 0


@pytest.mark.parametrize("text", TEXTS)
def test_ranks_are_identical(identifiers: tuple[Any, Any], text: str) -> None:
    stock, small = identifiers
    assert small.rank(text) == stock.rank(text)
    assert small.classify(text) == stock.classify(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_ranks_are_identical_on_any_text(identifiers: tuple[Any, Any], text: str) -> None:
    stock, small = identifiers
    assert small.rank(text) == stock.rank(text)


def test_detection_uses_the_compact_identifier(monkeypatch: pytest.MonkeyPatch) -> None:
    from moderation.scoring import language as language_module

    monkeypatch.setattr(language_module, "_identifier", None)
    identifier = language_module._model()
    assert identifier.tk_nextmove.itemsize == 2
    assert language_module.detect_language(TEXTS[7]).code == "ru"
