# ruff: noqa: RUF001, RUF002  (look-alike letters are this module's subject)
"""One canonical spelling of a comment for the scorers, with a map back to the original.

:func:`normalize` applies Unicode NFKC (full-width letters, mathematical alphanumerics,
ligatures, circled letters, non-breaking spaces...), case folding, maps look-alike letters of
other scripts to Latin (Cyrillic "с", Greek "ο", small capitals "ᴋ"...) and removes invisible
characters (zero-width spaces and joiners, soft hyphens, bidi controls, variation selectors).
It keeps accents and punctuation; the rule filter folds those itself.

Every character of the result knows which character of the original produced it, so a span
found in the normalised text can be reported against the text the author wrote.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["EMOJI_WORDS", "INVISIBLE", "Normalized", "emoji_letter", "normalize"]

#: Characters that render as nothing and are dropped: zero-width space/non-joiner/joiner,
#: word joiner and invisible operators, BOM, soft hyphen, Mongolian vowel separator,
#: combining grapheme joiner, bidi marks/embeddings/isolates, variation selectors.
INVISIBLE: frozenset[str] = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d"
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067"
    "\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)

# Lower-case look-alikes (after NFKC and case folding) -> the Latin letter they imitate.
# Deliberately only letters that are visually near-identical in common fonts.
_CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "к": "k", "м": "m", "н": "h",
    "о": "o", "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b",
    "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h",
    "ӏ": "l", "ɡ": "g", "ѡ": "w", "ү": "y", "ғ": "f",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
    "ϲ": "c", "ϳ": "j", "ά": "a", "έ": "e", "ή": "n", "ί": "i", "ό": "o", "ύ": "u",
    "ώ": "w",
    # Latin small capitals and other look-alikes NFKC leaves alone
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h",
    "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p",
    "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ɵ": "o", "ǀ": "l",
    # Symbols used as letters: "ƒuck", "fu©k"
    "ƒ": "f", "©": "c",
}  # fmt: skip

#: Emoji letters NFKC leaves alone (it folds circled Ⓐ, squared 🄰, full-width and
#: mathematical letters itself): the first code point of each block of 26, A to Z.
_EMOJI_LETTER_BLOCKS = (
    0x1F110,  # parenthesized 🄐 (NFKC would give "(a)")
    0x1F150,  # negative circled 🅐
    0x1F170,  # negative squared 🅰
    0x1F1E6,  # regional indicators 🇦 (flags are pairs of these)
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Emoji written in place of a word inside a compound ("bull💩", "💩head", "🍑hole"): the word,
#: and the letters that may stand right before or after the emoji for it to be read so. Only
#: compounds with one rude reading: a poop emoji on its own or after any other word ("so
#: good💩") is an emoji, not the word.
EMOJI_WORDS: dict[str, tuple[str, frozenset[str], frozenset[str]]] = {
    "💩": (
        "shit",
        _words("bull horse chicken dip ape bat dog jack holy"),
        _words(
            "head heads hole holes ty tier tiest ter ters bag bags show shows storm face "
            "load loads tard stain stick post posting poster head"
        ),
    ),
    "🍑": (
        "ass",
        _words("dumb jack fat smart bad lard kick wise half hard"),
        _words("hole holes hat hats wipe wipes clown clowns face faces kisser"),
    ),
    "🐓": ("cock", frozenset(), _words("sucker suckers sucking head heads")),
}

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text and, for each of its characters, where it came from.

    ``offsets`` has ``len(text) + 1`` entries: ``offsets[i]`` is the index in the original of
    the character that produced ``text[i]`` (non-decreasing; one original character may
    produce several, e.g. "ß" -> "ss" or "ﬁ" -> "fi"); ``offsets[-1]`` is the length of the
    original.
    """

    text: str
    offsets: Sequence[int]

    def __post_init__(self) -> None:
        if len(self.offsets) != len(self.text) + 1:
            raise ValueError(
                f"offsets must have len(text) + 1 = {len(self.text) + 1} entries, "
                f"got {len(self.offsets)}"
            )

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` to ``(start, end)`` in the original, end exclusive.

        The span covers every original character that produced part of ``text[start:end]``
        (all of an expanded character, a letter's combining accents) and any removed invisible
        characters between its last character and the next kept one. Raises ``IndexError``
        unless ``0 <= start <= end <= len(text)``.
        """
        if not 0 <= start <= end <= len(self.text):
            raise IndexError(f"span ({start}, {end}) outside 0..{len(self.text)}")
        offsets = self.offsets
        if start == end:
            return offsets[start], offsets[start]
        last = offsets[end - 1]
        stop = end
        while offsets[stop] == last:  # ends inside an expansion: take all of it
            stop += 1
        return offsets[start], offsets[stop]


def normalize(text: str) -> Normalized:
    """Normalise ``text`` (see the module docstring). ASCII input takes a fast path."""
    if text.isascii():
        return Normalized(text.lower(), range(len(text) + 1))
    pieces: list[str] = []
    offsets: list[int] = []
    pos = 0
    for run in _NON_ASCII.finditer(text):
        start, end = run.span()
        if start > pos and unicodedata.category(text[start]) in _MARK_CATEGORIES:
            start -= 1  # a combining mark composes with the ASCII letter before it
        if start > pos:
            pieces.append(text[pos:start].lower())
            offsets.extend(range(pos, start))
        _normalize_run(text, start, end, pieces, offsets)
        pos = end
    if pos < len(text):
        pieces.append(text[pos:].lower())
        offsets.extend(range(pos, len(text)))
    offsets.append(len(text))
    return Normalized("".join(pieces), tuple(offsets))


def _normalize_run(text: str, start: int, end: int, pieces: list[str], offsets: list[int]) -> None:
    """Normalise ``text[start:end]`` one grapheme-ish cluster (base + marks) at a time."""
    i = start
    while i < end:
        j = i + 1
        while j < end and unicodedata.category(text[j]) in _MARK_CATEGORIES:
            j += 1
        cluster = text[i:j]
        letter = emoji_letter(cluster[0])
        if letter is None and cluster[0] in EMOJI_WORDS and _in_compound(text, i, j):
            letter = EMOJI_WORDS[cluster[0]][0]
        if letter is not None:
            pieces.append(letter)
            offsets.extend([i] * len(letter))
            i = j
            continue
        if cluster.isascii():
            folded = cluster.lower()
        else:
            folded = unicodedata.normalize("NFKC", cluster).casefold()
        for char in folded:
            if char in INVISIBLE:
                continue
            pieces.append(_CONFUSABLES.get(char, char))
            offsets.append(i)
        i = j


def emoji_letter(char: str) -> str | None:
    """The Latin letter an emoji letter (🅰, 🅐, 🄐, 🇦) shows, lower case; else None."""
    code = ord(char)
    for first in _EMOJI_LETTER_BLOCKS:
        if first <= code < first + 26:
            return chr(ord("a") + code - first)
    return None


def _in_compound(text: str, start: int, end: int) -> bool:
    """The emoji ``text[start:end]`` ends or starts one of its compounds (:data:`EMOJI_WORDS`):
    the letters right before it are a listed prefix, or those right after a listed suffix."""
    _, before_words, after_words = EMOJI_WORDS[text[start]]
    before = start
    while before > 0 and text[before - 1].isalpha():
        before -= 1
    after = end
    while after < len(text) and text[after] in INVISIBLE:
        after += 1
    stop = after
    while stop < len(text) and text[stop].isalpha():
        stop += 1
    return (before < start and text[before:start].casefold() in before_words) or (
        stop > after and text[after:stop].casefold() in after_words
    )
