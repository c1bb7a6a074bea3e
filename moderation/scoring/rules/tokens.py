"""How the rule filter reads a token: characters, folding, readings and skeletons.

A token is a run of letters, digits and leet symbols (:data:`TOKEN_RE`). Before it is looked
up it is *folded* (:func:`fold_token`: accents stripped, unambiguous leet read), every
*reading* of its ambiguous characters is tried (:func:`readings`: "1" as i or l, "@" as a or
o), and it is compared by its *letter runs* (:func:`letter_runs`, :func:`run_lengths`): a
token matches a term when both collapse to the same letters (:func:`collapse_runs`) and each
run of the token is at least as long as the term's (:func:`runs_cover`). The
:func:`lookalike_skeleton` merges look-alike classes (a/o, i/l) too: a cheap filter before
trying readings. Tokens hiding letters behind ``*`` are matched by character classes
(:func:`wildcard_classes`), and edge symbols ("shit!!!", "*fuck*") may be trimmed
(:func:`edge_trims`). Pure functions and constants; no state.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import unicodedata

__all__ = [
    "AMBIGUOUS",
    "ASCII_FOLD",
    "EDGE_SYMBOLS",
    "LOOKALIKE_CLASSES",
    "MASKING_DIGITS",
    "MASKING_SYMBOLS",
    "MAX_EDGE_TRIM",
    "ONE_WORD_CHAR",
    "TOKEN_RE",
    "WORD_CHAR",
    "all_readings",
    "collapse_runs",
    "compile_wildcard",
    "edge_trims",
    "fold_char",
    "fold_token",
    "letter_runs",
    "lookalike_skeleton",
    "masked_readings",
    "reading_covers",
    "run_lengths",
    "runs_cover",
    "wildcard_classes",
    "wildcard_pattern",
]

#: One token character: a letter or digit of any script, a leet symbol, or a combining mark.
WORD_CHAR = (
    r"(?:[^\W_]|[@$!*+|#\u20ac\u00a2"
    r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])"
)
TOKEN_RE = re.compile(WORD_CHAR + "+")
ONE_WORD_CHAR = re.compile(WORD_CHAR)
#: Edge symbols a token may lose when it does not match as written ("shit!!!", "*fuck*").
EDGE_SYMBOLS = frozenset("!@$*#+|")
MAX_EDGE_TRIM = 3

ASCII_FOLD = str.maketrans(
    {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "+": "t", "!": "i", "#": "*"}
)
#: Characters that may stand for either of two letters (better-profanity reads "l" as "i").
AMBIGUOUS = {"1": "il", "|": "li", "@": "ao", "l": "li"}
_MAX_AMBIGUOUS = 6
_RUN_RE = re.compile(r"(.)\1*", re.S)
_DOUBLE_RE = re.compile(r"(.)\1+", re.S)
_FIRST_GROUP = operator.itemgetter(1)
_FIRST = operator.itemgetter(0)
#: Characters merged by :func:`lookalike_skeleton`: each ambiguous character with both its readings.
LOOKALIKE_CLASSES = str.maketrans("oi1|@", "allla")
_EXTRA_FOLD = {
    "\u20ac": "e", "\u00a2": "c", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ð": "d",
}  # fmt: skip
_MARKS = frozenset({"Mn", "Mc", "Me"})


@functools.lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    """Fold one non-ASCII token character: accents stripped, marks dropped, others kept."""
    if char in _EXTRA_FOLD:
        return _EXTRA_FOLD[char]
    if unicodedata.category(char) in _MARKS:
        return ""
    base = unicodedata.normalize("NFD", char)[0]
    if base.isascii() and base.isalpha():
        return base.lower()
    return char


def fold_token(token: str) -> str:
    """Read a token's leet and accents: "sh1t" -> "sh1t" (ambiguous 1 kept), "fück" -> "fuck".

    In a token that already hides letters behind ``*``/``#``, a ``!`` hides one too ("f*!k").
    """
    if "!" in token and ("*" in token or "#" in token):
        token = token.replace("!", "*")
    if token.isascii():
        return token.translate(ASCII_FOLD)
    return "".join(
        char.translate(ASCII_FOLD) if char.isascii() else fold_char(char) for char in token
    )


#: Symbols that, inside a word, may mask a vowel rather than stand for their own leet letter:
#: "f@ck" and "f!ck" are "fuck" more often than "fack" and "fick".
MASKING_SYMBOLS = frozenset("@!")
#: Leet digits that may mask a vowel too, but only where their own reading is already a
#: listed term ("f4ck": "fack" or "fuck"); "sh00t" reads "shoot", not "shit".
MASKING_DIGITS = frozenset("0134")
_MASKED_VOWELS = "aeiou"
_MAX_MASKED = 2
_MIN_LETTERS = 3


def masked_readings(token: str, *, digits: bool) -> list[str]:
    """``token`` with its masking characters inside the word read as each vowel.

    Masking characters are :data:`MASKING_SYMBOLS`, and :data:`MASKING_DIGITS` when
    ``digits``; the first and last characters are kept (an edge "!" is punctuation). Empty
    when there is no such character, more than two, or fewer than three letters besides
    ("n@g" is not read as "nig"). A token that hides letters behind ``*`` or ``#`` is read
    that way instead.
    """
    if len(token) < 4 or "*" in token or "#" in token:
        return []
    masking = MASKING_SYMBOLS | MASKING_DIGITS if digits else MASKING_SYMBOLS
    positions = [i for i in range(1, len(token) - 1) if token[i] in masking]
    if not positions or len(positions) > _MAX_MASKED:
        return []
    if sum(1 for c in token if c.isalpha()) < _MIN_LETTERS:
        return []
    out = []
    chars = list(token)
    for vowels in itertools.product(_MASKED_VOWELS, repeat=len(positions)):
        for i, vowel in zip(positions, vowels, strict=True):
            chars[i] = vowel
        out.append("".join(chars))
    return out


def all_readings(key: str) -> list[tuple[str, tuple[int, ...]]] | None:
    """Every reading of the ambiguous characters of a key, or None if there are over 64.

    Each reading comes with the positions read as another character ("1" as "i", "l" as "i").
    """
    positions = [i for i, char in enumerate(key) if char in AMBIGUOUS]
    if not positions:
        return [(key, ())]
    if len(positions) > _MAX_AMBIGUOUS:
        return None
    chars = list(key)
    out = []
    for choice in itertools.product(*(AMBIGUOUS[key[i]] for i in positions)):
        for i, char in zip(positions, choice, strict=True):
            chars[i] = char
        changed = tuple(i for i, char in zip(positions, choice, strict=True) if key[i] != char)
        out.append(("".join(chars), changed))
    return out


def letter_runs(key: str) -> tuple[tuple[str, int], ...]:
    return tuple((m.group(1), len(m.group())) for m in _RUN_RE.finditer(key))


def collapse_runs(key: str) -> str:
    """``key`` with every run of a letter collapsed to one ("fuuuck" -> "fuck")."""
    return _DOUBLE_RE.sub(_FIRST_GROUP, key) if _DOUBLE_RE.search(key) else key


def lookalike_skeleton(key: str) -> str:
    """Skeleton with look-alike classes merged (a/o, i/l): a cheap filter before readings.

    If any reading of a token matches a form, both have the same look-alike skeleton.
    """
    return collapse_runs(key.translate(LOOKALIKE_CLASSES))


def run_lengths(key: str) -> tuple[int, ...]:
    return tuple(len(m.group()) for m in _RUN_RE.finditer(key))


def runs_cover(token_lengths: tuple[int, ...], term_lengths: tuple[int, ...]) -> bool:
    return all(t >= r for t, r in zip(token_lengths, term_lengths, strict=True))


def reading_covers(
    reading: str, changed: tuple[int, ...], lengths: tuple[int, ...], term_lengths: tuple[int, ...]
) -> bool:
    """Runs cover the term's; a run holding a character read as another must match exactly.

    So "bo@bs" is "boobs", but "holiest" (l read as i: "hoiiest") is not "hoiest".
    """
    if not changed:
        return runs_cover(lengths, term_lengths)
    start = 0
    for length, term_length in zip(lengths, term_lengths, strict=True):
        strict = any(start <= i < start + length for i in changed)
        if length < term_length or (strict and length != term_length):
            return False
        start += length
    return True


def wildcard_classes(key: str) -> list[tuple[str, int, int]] | None:
    """A key with wildcards or many ambiguous characters as ``(letters, min, max)`` runs.

    None if too vague. A ``*`` stands for one vowel (better-profanity's ``*``) when the token
    has at least one other character; for any letter when the token starts with a letter, has
    two or more and no more than one wildcard more than it has letters ("f**k", "b***h",
    "sh**"; not "f***", "****ing" or the lone trailing "*" of "white*"). Runs of a letter
    match shorter runs, as everywhere; runs of ambiguous characters match exactly.
    """
    wild = key.count("*")
    known = len(key) - wild
    if known == 0:
        return None
    any_letter = key[0] != "*" and known >= 2 and wild <= known + 1
    runs = letter_runs(key)
    parts = []
    for i, (char, n) in enumerate(runs):
        if char == "*":
            # A lone "*" at either end is more often a footnote mark ("white*") than a letter.
            edge = i in (0, len(runs) - 1) and n == 1
            letters = _ALPHABET if any_letter and not edge else "aeiou"
            parts.append((letters, n, n))
        elif char in AMBIGUOUS:
            parts.append((AMBIGUOUS[char], n, n))
        else:
            parts.append((char, 1, n))
    return parts


def wildcard_pattern(key: str) -> str | None:
    """Regex for :func:`wildcard_classes` of ``key``, matching a whole line."""
    parts = wildcard_classes(key)
    if parts is None:
        return None
    out = []
    for letters, low, high in parts:
        body = (
            "[a-z]"
            if letters == _ALPHABET
            else (re.escape(letters) if len(letters) == 1 else f"[{letters}]")
        )
        out.append(
            f"{body}{{{low}}}" if low == high and len(letters) > 1 else f"{body}{{{low},{high}}}"
        )
    return "^" + "".join(out) + "$"


_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


@functools.lru_cache(maxsize=4096)
def compile_wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.M)


def edge_trims(token: str) -> list[tuple[str, int]]:
    """``token`` and versions without leading/trailing symbols, most likely first."""
    stripped = token.lstrip("#")  # a hashtag marker, never a wildcard
    base = len(token) - len(stripped)
    if not stripped:
        return []
    lead = 0
    while lead < len(stripped) and stripped[lead] in EDGE_SYMBOLS:
        lead += 1
    trail = 0
    while trail < len(stripped) - lead and stripped[-1 - trail] in EDGE_SYMBOLS:
        trail += 1
    if not lead and not trail:
        return [(stripped, base)]
    # Edges of "*"/"#" only ("*fuck*", "fuck*") are more often emphasis than letters.
    stars = set(stripped[:lead] + stripped[len(stripped) - trail :]) <= {"*", "#"}
    order = [(lead, trail), (0, 0)] if stars else [(0, 0), (lead, trail)]
    order += sorted(
        (
            (i, j)
            for i in range(min(lead, MAX_EDGE_TRIM) + 1)
            for j in range(min(trail, MAX_EDGE_TRIM) + 1)
        ),
        key=lambda ij: (ij[0] + ij[1], ij[0]),
    )
    out: list[tuple[str, int]] = []
    for i, j in dict.fromkeys(order):
        text = stripped[i : len(stripped) - j]
        if text:
            out.append((text, base + i))
    return out
