from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.scoring.normalize import Normalized, normalize


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Hello World", "hello world"),
        ("ｆｕｃｋ", "fuck"),  # full-width
        ("𝐟𝐮𝐜𝐤 𝓼𝓱𝓲𝓽", "fuck shit"),  # mathematical alphanumerics
        ("ⓕⓤⓒⓚ", "fuck"),  # circled letters
        ("ﬁne", "fine"),  # ligature
        ("Straße", "strasse"),  # case folding expands
        ("fuсk", "fuck"),  # Cyrillic es
        ("ВІТСН", "bitch"),  # Cyrillic capitals
        ("βιτch", "bitch"),  # Greek
        ("ꜰᴜᴄᴋ", "fuck"),  # small capitals
        ("sh\u200bit", "shit"),  # zero-width space
        ("sh\u00adit", "shit"),  # soft hyphen
        ("f\u200du\u2060c\ufeffk", "fuck"),  # joiner, word joiner, BOM
        ("a\u00a0b", "a b"),  # no-break space
        ("cafe\u0301", "café"),  # combining accent composes
        ("I \u2764\ufe0f it", "i \u2764 it"),  # variation selector dropped
    ],
)
def test_normalizes(original: str, expected: str) -> None:
    assert normalize(original).text == expected


def test_ascii_fast_path_keeps_offsets_identical() -> None:
    n = normalize("Hello, World!")
    assert n.text == "hello, world!"
    assert list(n.offsets) == list(range(14))


@pytest.mark.parametrize(
    ("original", "span", "expected"),
    [
        ("ｆｕｃｋ off", (0, 4), "ｆｕｃｋ"),
        ("so sh\u200bit", (3, 7), "sh\u200bit"),
        ("so sh\u00adit!", (3, 7), "sh\u00adit"),
        ("Straße", (4, 6), "ß"),  # both chars of the expansion map to the one original char
        ("Straße", (4, 5), "ß"),  # half an expansion still covers the original char
        ("ﬁne", (0, 1), "ﬁ"),
        ("fu\u0308ck you", (0, 4), "fu\u0308ck"),  # the accent belongs to its letter
        ("x 𝐟𝐮𝐜𝐤 y", (2, 6), "𝐟𝐮𝐜𝐤"),  # astral characters
    ],
)
def test_original_span_covers_what_produced_the_span(
    original: str, span: tuple[int, int], expected: str
) -> None:
    start, end = normalize(original).original_span(*span)
    assert original[start:end] == expected


def test_original_span_of_empty_span() -> None:
    assert normalize("ab\u200bc").original_span(2, 2) == (3, 3)


@pytest.mark.parametrize("span", [(-1, 2), (2, 1), (0, 99)])
def test_original_span_rejects_bad_spans(span: tuple[int, int]) -> None:
    with pytest.raises(IndexError):
        normalize("abc").original_span(*span)


def test_offsets_length_is_validated() -> None:
    with pytest.raises(ValueError, match="offsets"):
        Normalized("abc", (0, 1, 2))


@given(st.text(max_size=60))
def test_offsets_invariants(original: str) -> None:
    n = normalize(original)
    offsets = list(n.offsets)
    assert len(offsets) == len(n.text) + 1
    assert offsets[-1] == len(original)
    assert offsets == sorted(offsets)
    assert all(0 <= o < len(original) for o in offsets[:-1])
    start, end = n.original_span(0, len(n.text))
    assert (start, end) == ((offsets[0], len(original)) if n.text else (len(original),) * 2)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_is_lowercased_in_place(original: str) -> None:
    n = normalize(original)
    assert n.text == original.lower()
    assert list(n.offsets) == list(range(len(original) + 1))
