"""The rule filter: word lists and spam rules compiled into a fast, pure matcher.

Built once per process from better-profanity's word list and ``config/wordlists/*.yaml``
(:mod:`moderation.scoring.wordlists`); better-profanity itself is never called per comment.

How a comment is matched, after :func:`~moderation.scoring.normalize.normalize`:

* It is split into tokens (letters, digits and the leet symbols ``@ $ ! + | * #``).
  Each token is folded: accents stripped, ``0 3 4 5 7 $ + !`` read as ``o e a s t s t i``,
  ``1``/``|`` as i or l, ``@`` as a or o, ``l`` also as i and ``v`` as u (the substitutions
  better-profanity generates), ``*``/``#`` inside a token as one unknown letter.
* A token matches a term when both collapse to the same letters and every run of a repeated
  letter in the token is at least as long as in the term ("fuuuck" is "fuck"; "as" is not
  "ass"). Terms flagged ``inflect`` also match with regular suffixes (-s, -ed, -er, -ing, -y...);
  the few ``stems`` also match inside longer words ("motherfucking", "bullshit") unless an
  allowed word covers them ("Scunthorpe"). Other terms match whole tokens only, so "classic",
  "therapist" or "cocktail" never match.
* Multi-word terms match consecutive tokens ("blow job", "2 girls 1 cup"); runs of single
  letters spaced, dotted or dashed out ("f u c k", "s.h.i.t", "f-u-c-k") are read as one
  word, and so are pieces split by punctuation inside a word ("fuc.king", "sh-it") when
  together they spell a term worse than any piece alone ("bitch's" stays "bitch").
* Allowed phrases ("Dick Cheney") suppress every term inside them.

Spam rules report each link (term ``link``, the policy counts them), link-shortener domains,
runs of one repeated character and long runs of capitals. Every :class:`Match` spans the
offending text in the *original* comment.

Speed: a comment whose tokens have all been seen before and found clean costs a normalisation,
a byte-level split and a set comparison; per-token analyses are cached (bounded), so the
filter gets faster as it warms up. better-profanity's ``contains_profanity`` is ~1000x slower.

Worst case: the work per character is bounded whatever the text holds (:attr:`RuleFilter.work`
counts it). Windows of joined pieces and spaced letters grow only while their coarse skeleton
can still spell a listed form and span at most one piece per letter of the longest form (a
word split into more pieces than that, "f.u.u.u.u...", is not read across them); windows
holding hidden letters or edge symbols are matched at most 256 per text. ``bench/rules.py``
prints the worst case beside the typical one.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import hashlib
import itertools
import json
import operator
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from moderation.scoring.normalize import INVISIBLE, Normalized, normalize
from moderation.scoring.types import Category, Match, Severity
from moderation.scoring.wordlists import (
    RuleConfigError,
    SpamRules,
    TermSpec,
    Wordlists,
    load_wordlists,
)

__all__ = ["MATCHER_VERSION", "RuleConfigError", "RuleFilter", "validate_config"]

#: Bumped whenever matching semantics change; part of :attr:`RuleFilter.version`.
MATCHER_VERSION = "1.2"

# ---------------------------------------------------------------------------------------------
# Tokens and folding

#: One token character: a letter or digit of any script, a leet symbol, or a combining mark.
_TC = (
    r"(?:[^\W_]|[@$!*+|#\u20ac\u00a2"
    r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])"
)
_TOKEN_RE = re.compile(_TC + "+")
_TC_ONE = re.compile(_TC)
#: For ASCII text (the fast path): every byte that is not a token character -> space.
_ASCII_SEPARATORS = bytes(
    c if chr(c).isalnum() or chr(c) in "@$!*+|#" else 32 for c in range(128)
) + bytes([32] * 128)
#: Punctuation that may split a word ("fuc.king", "sh-it", "f*&k"); see ``_scan_joined``.
_ASCII_JOIN_VIEW = bytes(c if c in b".-_&'" else _ASCII_SEPARATORS[c] for c in range(256))
#: A run of tokens joined by punctuation. Possessive and anchored at a token start: a long
#: token without a joint is rejected in one pass, not retried from each of its characters.
_JOIN_RE = re.compile(rf"(?<!{_TC}){_TC}++(?:[.\-_&'\u2018\u2019]{_TC}++)+")
#: Common non-ASCII punctuation -> ASCII of the same length and role, so that text whose only
#: non-ASCII characters are curly quotes or dashes takes the ASCII fast path.
_ASCII_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": " ",
        "\u2014": " ",
        "\u2022": " ",
        "\u00b4": " ",
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
#: Three single characters in a row (after the mapping above): maybe spaced-out letters.
_SPACED_HINT = re.compile(rb" [^ ] +[^ ] +[^ ] ")
_SINGLE = r"(?:[^\W_]|[@$!*+|#])"
#: Three or more single characters separated by spaces, dots, dashes or underscores.
_SPACED_RE = re.compile(rf"(?<!{_TC}){_SINGLE}(?:[ \t._\-]{{1,3}}{_SINGLE}){{2,}}(?!{_TC})")
#: Edge symbols a token may lose when it does not match as written ("shit!!!", "*fuck*").
_EDGE = frozenset("!@$*#+|")
_MAX_EDGE = 3

_ASCII_FOLD = str.maketrans(
    {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "+": "t", "!": "i", "#": "*"}
)
#: Characters that may stand for either of two letters (better-profanity reads "l" as "i").
_AMBIGUOUS = {"1": "il", "|": "li", "@": "ao", "l": "li"}
_MAX_AMBIGUOUS = 6
_RUN_RE = re.compile(r"(.)\1*", re.S)
_DOUBLE_RE = re.compile(r"(.)\1+", re.S)
_FIRST_GROUP = operator.itemgetter(1)
_FIRST = operator.itemgetter(0)
#: Characters merged by :func:`_coarse`: each ambiguous character with both its readings.
_COARSE = str.maketrans("oi1|@", "allla")
_EXTRA_FOLD = {
    "\u20ac": "e", "\u00a2": "c", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ð": "d",
}  # fmt: skip
_MARKS = frozenset({"Mn", "Mc", "Me"})

#: Suffixes an ``inflect`` term may take; doubled consonants ("slutty") come from run collapsing.
_SUFFIXES = ("s", "es", "ed", "er", "ers", "ing", "ings", "in", "y", "ier", "iest")

#: Leet digits mapped in unmatched tokens for the classifier ("h3ll0" -> "hello").
_LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_LEET_HINT = re.compile(r"[^\W\d_][013457]+[^\W\d_]")
_ALNUM_RE = re.compile(r"[^\W_]+")

# Terms are written with a few leet spellings too; fold them the same way, ambiguity aside.
_TERM_FOLD = str.maketrans(
    {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "+": "t", "!": "i", "@": "a"}
)
_TERM_SPLIT_RE = re.compile(r"[\s._\-']+")

# Better-profanity's own substitutions, for literal terms ("s0b" also as "$0b").
_BP_ALTERNATIVES = {
    "a": "a@*4", "i": "i*l1!", "o": "o*0@", "u": "u*v", "v": "v*u", "l": "l1",
    "e": "e*3", "s": "s$5", "t": "t7+",
}  # fmt: skip


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """Fold one non-ASCII token character: accents stripped, marks dropped, others kept."""
    if char in _EXTRA_FOLD:
        return _EXTRA_FOLD[char]
    if unicodedata.category(char) in _MARKS:
        return ""
    base = unicodedata.normalize("NFD", char)[0]
    if base.isascii() and base.isalpha():
        return base.lower()
    return char


def _fold(token: str) -> str:
    """Read a token's leet and accents: "sh1t" -> "sh1t" (ambiguous 1 kept), "fück" -> "fuck".

    In a token that already hides letters behind ``*``/``#``, a ``!`` hides one too ("f*!k").
    """
    if "!" in token and ("*" in token or "#" in token):
        token = token.replace("!", "*")
    if token.isascii():
        return token.translate(_ASCII_FOLD)
    return "".join(
        char.translate(_ASCII_FOLD) if char.isascii() else _fold_char(char) for char in token
    )


def _readings(key: str) -> list[tuple[str, tuple[int, ...]]] | None:
    """Every reading of the ambiguous characters of a key, or None if there are over 64.

    Each reading comes with the positions read as another character ("1" as "i", "l" as "i").
    """
    positions = [i for i, char in enumerate(key) if char in _AMBIGUOUS]
    if not positions:
        return [(key, ())]
    if len(positions) > _MAX_AMBIGUOUS:
        return None
    chars = list(key)
    out = []
    for choice in itertools.product(*(_AMBIGUOUS[key[i]] for i in positions)):
        for i, char in zip(positions, choice, strict=True):
            chars[i] = char
        changed = tuple(i for i, char in zip(positions, choice, strict=True) if key[i] != char)
        out.append(("".join(chars), changed))
    return out


def _runs(key: str) -> tuple[tuple[str, int], ...]:
    return tuple((m.group(1), len(m.group())) for m in _RUN_RE.finditer(key))


def _skeleton(key: str) -> str:
    """``key`` with every run of a letter collapsed to one ("fuuuck" -> "fuck")."""
    return _DOUBLE_RE.sub(_FIRST_GROUP, key) if _DOUBLE_RE.search(key) else key


def _coarse(key: str) -> str:
    """Skeleton with look-alike classes merged (a/o, i/l): a cheap filter before readings.

    If any reading of a token matches a form, both have the same coarse skeleton.
    """
    return _skeleton(key.translate(_COARSE))


#: Characters that hide a letter (``*``, ``#``; ``!`` too beside them): a window holding one is
#: matched by wildcard, so its letters after them bound nothing.
_HIDDEN = "\0"
_VIEW_ASCII = {
    c: _HIDDEN
    if chr(c) in "*#!"
    else chr(c).translate(_ASCII_FOLD).replace("v", "u").translate(_COARSE)
    for c in range(128)
}


@functools.lru_cache(maxsize=8192)
def _view_char(char: str) -> str:
    """One character as :func:`_coarse` sees it before collapsing; "" for a dropped mark."""
    if char.isascii():
        return _VIEW_ASCII[ord(char)]
    return _fold_char(char).replace("v", "u").translate(_COARSE)


class _View(NamedTuple):
    """A joined text as the coarse skeleton sees it, to bound the windows tried on it.

    ``skeleton`` is the coarse skeleton of the whole text (hidden letters kept as NUL). The
    skeleton of ``text[a:b]`` is ``skeleton[first[a]:last[b - 1] + 1]``: ``first[p]`` is the run
    of the first kept character at or after ``p``, ``last[p]`` of the last one at or before it
    (they differ only at combining marks, which fold to nothing). At or after ``p``,
    ``hidden[p]`` is the first position of a ``*``, ``#`` or ``!``, ``hashes[p]`` of a
    character other than ``#`` and ``edges[p]`` of a character that is not an edge symbol
    (``_EDGE``); ``edge_start[p]`` is where the edge symbols ending just before ``p`` start.
    A window ending at ``p`` may be extended up to ``flat[p]`` without changing its skeleton,
    its hidden letters or its edge symbols: whether it could match stays the same. The letters
    after a hidden one must spell part of a form: a window from ``p`` cannot match once it
    reaches ``fail[p]``, where the letters after some hidden one at or after ``p`` stop
    spelling part of any (``infixes``: every substring of a form's coarse skeleton).
    """

    skeleton: str
    first: list[int]
    last: list[int]
    hidden: list[int]
    hashes: list[int]
    edges: list[int]
    edge_start: list[int]
    flat: list[int]
    fail: list[int]


def _view(text: str, infixes: frozenset[str]) -> _View:
    """The :class:`_View` of ``text``; linear in its length."""
    chars = list(text.translate(_VIEW_ASCII)) if text.isascii() else [_view_char(c) for c in text]
    skeleton: list[str] = []
    last: list[int] = []
    previous = ""
    for char in chars:
        if char and char != previous:
            skeleton.append(char)
            previous = char
        last.append(len(skeleton) - 1)
    first = last
    if "" in chars:
        first = [0] * len(chars)
        following = len(skeleton)
        for p in range(len(chars) - 1, -1, -1):
            if chars[p]:
                following = last[p]
            first[p] = following
    n = len(text)
    hidden = [n] * (n + 1)
    hashes = [n] * (n + 1)
    edges = [n] * (n + 1)
    for p in range(n - 1, -1, -1):
        char = text[p]
        hidden[p] = p if char in "*#!" else hidden[p + 1]
        hashes[p] = p if char != "#" else hashes[p + 1]
        edges[p] = p if char not in _EDGE else edges[p + 1]
    edge_start = list(range(n + 1))
    for p in range(1, n + 1):
        if text[p - 1] in _EDGE:
            edge_start[p] = edge_start[p - 1]
    flat = list(range(n + 1))
    for p in range(n - 1, 0, -1):
        if text[p] not in _EDGE and last[p] == last[p - 1]:
            flat[p] = flat[p + 1]
    for p in range(1, n + 1):
        if text[p - 1] in _EDGE:  # its trims change as it is extended
            flat[p] = p
    joined = "".join(skeleton)
    fail = [n + 1] * (n + 1)
    for h in range(n - 1, -1, -1):
        fail[h] = fail[h + 1]
        if text[h] not in "*#!":
            continue
        q, stop = h + 1, hidden[h + 1]
        while q < stop and (
            first[h + 1] > last[q] or joined[first[h + 1] : last[q] + 1] in infixes
        ):
            q += 1
        if q < stop:
            fail[h] = min(fail[h], q + 1)
    return _View(joined, first, last, hidden, hashes, edges, edge_start, flat, fail)


def _lengths(key: str) -> tuple[int, ...]:
    return tuple(len(m.group()) for m in _RUN_RE.finditer(key))


def _covers(token_lengths: tuple[int, ...], term_lengths: tuple[int, ...]) -> bool:
    return all(t >= r for t, r in zip(token_lengths, term_lengths, strict=True))


def _covers_read(
    reading: str, changed: tuple[int, ...], lengths: tuple[int, ...], term_lengths: tuple[int, ...]
) -> bool:
    """Runs cover the term's; a run holding a character read as another must match exactly.

    So "bo@bs" is "boobs", but "holiest" (l read as i: "hoiiest") is not "hoiest".
    """
    if not changed:
        return _covers(lengths, term_lengths)
    start = 0
    for length, term_length in zip(lengths, term_lengths, strict=True):
        strict = any(start <= i < start + length for i in changed)
        if length < term_length or (strict and length != term_length):
            return False
        start += length
    return True


def _class_parts(key: str) -> list[tuple[str, int, int]] | None:
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
    runs = _runs(key)
    parts = []
    for i, (char, n) in enumerate(runs):
        if char == "*":
            # A lone "*" at either end is more often a footnote mark ("white*") than a letter.
            edge = i in (0, len(runs) - 1) and n == 1
            letters = _ALPHABET if any_letter and not edge else "aeiou"
            parts.append((letters, n, n))
        elif char in _AMBIGUOUS:
            parts.append((_AMBIGUOUS[char], n, n))
        else:
            parts.append((char, 1, n))
    return parts


def _class_pattern(key: str) -> str | None:
    """Regex for :func:`_class_parts` of ``key``, matching a whole line."""
    parts = _class_parts(key)
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
def _compile_class(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.M)


def _edge_trims(token: str) -> list[tuple[str, int]]:
    """``token`` and versions without leading/trailing symbols, most likely first."""
    stripped = token.lstrip("#")  # a hashtag marker, never a wildcard
    base = len(token) - len(stripped)
    if not stripped:
        return []
    lead = 0
    while lead < len(stripped) and stripped[lead] in _EDGE:
        lead += 1
    trail = 0
    while trail < len(stripped) - lead and stripped[-1 - trail] in _EDGE:
        trail += 1
    if not lead and not trail:
        return [(stripped, base)]
    # Edges of "*"/"#" only ("*fuck*", "fuck*") are more often emphasis than letters.
    stars = set(stripped[:lead] + stripped[len(stripped) - trail :]) <= {"*", "#"}
    order = [(lead, trail), (0, 0)] if stars else [(0, 0), (lead, trail)]
    order += sorted(
        ((i, j) for i in range(min(lead, _MAX_EDGE) + 1) for j in range(min(trail, _MAX_EDGE) + 1)),
        key=lambda ij: (ij[0] + ij[1], ij[0]),
    )
    out: list[tuple[str, int]] = []
    for i, j in dict.fromkeys(order):
        text = stripped[i : len(stripped) - j]
        if text:
            out.append((text, base + i))
    return out


# ---------------------------------------------------------------------------------------------
# Compiled lists


@dataclass(frozen=True, slots=True)
class _Entry:
    """One reported term: all spellings that fold to the same word, and their config."""

    name: str
    category: Category
    severity: Severity
    stem: bool
    in_better_profanity: bool
    spellings: tuple[str, ...]
    order: int  # lower first when one token could be several terms ("f**k": fuck, not feck)


class _Form(NamedTuple):
    entry: int
    lengths: tuple[int, ...]
    display: str  # the canonical spelling (leet resolved, "v" kept), for deobfuscation
    exact: bool  # false for a generated inflection


class _Part(NamedTuple):
    phrase: int
    position: int
    key: str
    lengths: tuple[int, ...]


class _Hit(NamedTuple):
    entry: int
    start: int
    end: int
    replacement: str


class _Fit(NamedTuple):
    phrase: int
    position: int
    start: int
    end: int


class _Info(NamedTuple):
    hits: tuple[_Hit, ...]
    fits: tuple[_Fit, ...]


class _Found(NamedTuple):
    """A term match in normalised-text coordinates."""

    start: int
    end: int
    entry: int
    replacement: str


def _merge_order(f: _Found) -> tuple[int, int, int, bool, str]:
    """Wider first at each start; then a fixed order over every field (joined spelling first)."""
    return (f.start, -f.end, f.entry, " " in f.replacement, f.replacement)


@dataclass(frozen=True, slots=True)
class _Phrase:
    entry: int
    parts: tuple[str, ...]  # part keys
    displays: tuple[str, ...]


#: A listed spelling with its shape, its match keys and its canonical spelling(s).
_Keyed = tuple[TermSpec, str, tuple[tuple[str, str], ...], tuple[str, ...]]

_NO_INFO = _Info((), ())
#: Windows of joins and spaced letters holding hidden letters or edge symbols that are matched
#: per text. Each costs a wildcard search; past this many (only text built to stall the filter
#: gets there) such windows are skipped, and plain-letter ones are still matched.
_GUESSED_WINDOWS = 256
_CACHE_LIMIT = 200_000


class _Try(str):
    """Why a window is tried: it spells a form's skeleton, or it holds hidden letters or edge
    symbols and only matching can tell."""


_TRY = _Try("spelt")
_GUESS = _Try("guessed")


class RuleFilter:
    """Finds listed terms and spam signals in comments. Pure and thread-safe once built.

    Build with :meth:`from_config`; construction reads and compiles the lists (a few hundred
    milliseconds), so build one per process. Per-token results are cached (bounded) to keep
    the common case, a clean comment of words seen before, to a few set operations.
    """

    version: str

    def __init__(self, lists: Wordlists) -> None:
        self._lists = lists
        self._entries: list[_Entry] = []
        self._words: dict[str, list[_Form]] = {}
        self._spaced: dict[str, list[_Form]] = {}
        self._phrases: list[_Phrase] = []
        self._parts: dict[str, list[_Part]] = {}
        self._literals: list[tuple[re.Pattern[str], int, str]] = []
        self._stem_forms: dict[str, tuple[int, str]] = {}
        self._stem_by_skeleton: dict[str, tuple[int, str]] = {}
        self._coarse_keys: set[str] = set()  # coarse skeletons of all word and spaced forms
        self._coarse_parts: set[str] = set()
        self._compile_terms(lists)
        self._blobs = _blobs(self._words)
        self._spaced_blobs = _blobs(self._spaced)
        self._sized = _sized(self._blobs, 0)
        # Phrase parts by (length, position, letter) and (length, -1, ""), as _sized.
        self._parts_by_size: dict[tuple[int, int, str], list[_Part]] = {}
        for phrase_parts in self._parts.values():
            for part in phrase_parts:
                size = len(part.key)
                self._parts_by_size.setdefault((size, -1, ""), []).append(part)
                for position, letter in enumerate(part.key):
                    self._parts_by_size.setdefault((size, position, letter), []).append(part)
        lines = sum(blob.count("\n") + 1 for blob, _ in self._blobs.values())
        self._spaced_sized = _sized(self._spaced_blobs, lines)
        self._blob_lengths: dict[str, list[int]] = {}
        for blobs in (self._blobs, self._spaced_blobs):
            for head, (blob, _) in blobs.items():
                merged = set(self._blob_lengths.get(head, ())) | set(map(len, blob.split("\n")))
                self._blob_lengths[head] = sorted(merged)
        self._stem_re = _alternation(
            _run_pattern(key) for key in sorted(self._stem_forms, key=lambda k: (-len(k), k))
        )
        self._coarse_stem_re = _alternation(
            f"(?<!{re.escape(_coarse(key)[0])})"
            + "".join(re.escape(c) + "++" for c in _coarse(key))
            for key in self._stem_forms
        )
        self._literal_re = _alternation(
            f"(?P<L{i}>{pattern.pattern})" for i, (pattern, _, _) in enumerate(self._literals)
        )
        allow_words = [p for p in lists.allow if _TERM_SPLIT_RE.search(p) is None]
        allow_phrases = [p for p in lists.allow if _TERM_SPLIT_RE.search(p) is not None]
        self._allow_tokens = frozenset(allow_words)
        self._allow_words = frozenset(_fold_term(w, set()).replace("v", "u") for w in allow_words)
        self._allow_word_re = _alternation(
            re.escape(w) for w in sorted(self._allow_words, key=lambda w: (-len(w), w))
        )
        self._allow_phrase_words = frozenset(
            w for p in allow_phrases for w in _TERM_SPLIT_RE.split(p) if w
        )
        self._allow_phrase_re = (
            re.compile(
                rf"(?<!{_TC})(?:"
                + "|".join(
                    r"[\W_]{1,3}".join(re.escape(w) for w in _TERM_SPLIT_RE.split(p) if w)
                    for p in allow_phrases
                )
                + rf")(?!{_TC})"
            )
            if allow_phrases
            else None
        )
        self._spam = lists.spam
        self._link_re = _link_pattern(lists.spam)
        self._shorteners = frozenset(lists.spam.shorteners)
        self._repeat_re = re.compile(rf"(.)\1{{{lists.spam.repeat_min_run - 1},}}", re.S)
        # The same without a counted repeat: several times faster to search.
        self._repeat_hint = re.compile("(.)" + r"\1" * (lists.spam.repeat_min_run - 1), re.S)
        self._caps_re = re.compile(
            rf"{_UPPER}(?:{_NOT_LETTER}{{0,3}}{_UPPER}){{{lists.spam.caps_min_letters - 1},}}"
        )
        # Coarse skeletons (see _coarse) a window of a join or of spaced letters must spell, whole
        # or as a prefix, to match any form: they bound how far such a window is extended.
        join_keys = set(self._coarse_keys)
        join_keys.update(
            _coarse(form.display.replace("v", "u"))
            for index in (self._words, self._spaced)
            for forms in index.values()
            for form in forms
        )
        join_keys.update(_coarse(display.replace("v", "u")) for _, _, display in self._literals)
        self._join_keys = frozenset(join_keys)
        self._join_prefixes = frozenset(k[:i] for k in join_keys for i in range(1, len(k) + 1))
        self._join_infixes = frozenset(
            k[i:j] for k in join_keys for i in range(len(k)) for j in range(i + 1, len(k) + 1)
        )
        #: Most pieces a join window spans: one per letter of the longest form.
        self._max_window = max(map(len, join_keys), default=1)
        self._local = threading.local()
        self._cache: dict[str, _Info] = {}
        self._spaced_cache: dict[str, tuple[_Hit, ...]] = {}
        self._clean: set[str] = set()
        self._clean_bytes: set[bytes] = set()
        self._join_cache: dict[str, tuple[_Hit, ...]] = {}
        self._join_run_cache: dict[str, tuple[_Found, ...]] = {}
        self._clean_joins: set[bytes] = set()
        self.version = f"rules-{MATCHER_VERSION}+{self._fingerprint()}"

    @classmethod
    def from_config(cls, config_dir: Path) -> RuleFilter:
        """Compile ``config_dir/wordlists/*.yaml`` and better-profanity's list.

        Raises :class:`RuleConfigError` (a ``ValueError``) naming the file and key of an
        invalid or inconsistent configuration.
        """
        return cls(load_wordlists(config_dir))

    # -- public API --------------------------------------------------------------------------

    @property
    def work(self) -> int:
        """Work done by this thread's calls so far, in characters examined (instrumentation).

        Counts every character handed to a word matcher, every window of a join or of spaced
        letters considered and every character scanned to set them up; cached answers count
        as if computed. Bounded by a constant times the length of the texts matched, whatever
        they hold: tests assert that bound instead of timing the filter.
        """
        return int(getattr(self._local, "work", 0))

    def _count(self, amount: int) -> None:
        self._local.work = getattr(self._local, "work", 0) + amount

    def _guess(self) -> bool:
        """Whether another window with hidden letters may be matched for this text."""
        left = int(getattr(self._local, "guesses", _GUESSED_WINDOWS))
        self._local.guesses = left - 1
        return left > 0

    @property
    def entries(self) -> tuple[tuple[str, Category, Severity, bool], ...]:
        """Every reported term: ``(term, category, severity, from better-profanity)``."""
        return tuple((e.name, e.category, e.severity, e.in_better_profanity) for e in self._entries)

    @property
    def allowed(self) -> tuple[str, ...]:
        """The allow-listed phrases and words, as configured."""
        return self._lists.allow

    def analyze(self, text: str) -> tuple[list[Match], Normalized]:
        """``(self.find(text), self.deobfuscate(text))``, normalising and matching once.

        The scoring pipeline needs both for every comment.
        """
        normalized = normalize(text)
        found = self._term_hits(normalized.text)
        return self._matches(text, normalized, found), self._respell(normalized, found)

    def analyze_batch(self, texts: Sequence[str]) -> list[tuple[list[Match], Normalized]]:
        """:meth:`analyze` for each text, in order."""
        return [self.analyze(text) for text in texts]

    def find(self, text: str) -> list[Match]:
        """Every term and spam match in ``text``, sorted by start, spans in ``text``."""
        normalized = normalize(text)
        return self._matches(text, normalized, self._term_hits(normalized.text))

    def _matches(self, text: str, normalized: Normalized, found: list[_Found]) -> list[Match]:
        matches = [self._to_match(text, normalized, f) for f in found]
        matches.extend(self._spam_matches(text, normalized))
        matches.sort(key=lambda m: (m.start, m.end, m.category, m.term))
        return matches

    def find_batch(self, texts: Sequence[str]) -> list[list[Match]]:
        """:meth:`find` for each text, in order."""
        return [self.find(text) for text in texts]

    def deobfuscate(self, text: str) -> Normalized:
        """Normalised ``text`` with obfuscated terms respelt, for the classifier.

        Every matched token is replaced by its canonical spelling ("f*ck", "sh1t", "f u c k",
        "fuuuuck" -> "fuck"), leet digits inside other alphabetic tokens are read as letters
        ("h3ll0" -> "hello"), and offsets still point into ``text``.
        """
        normalized = normalize(text)
        return self._respell(normalized, self._term_hits(normalized.text))

    @staticmethod
    def _respell(normalized: Normalized, found: list[_Found]) -> Normalized:
        """``normalized`` with the matched terms respelt and leet digits read."""
        s = normalized.text
        edits = [(f.start, f.end, f.replacement) for f in found]
        if _LEET_HINT.search(s):
            edits.extend(
                (m.start(), m.end(), m.group().translate(_LEET_DIGITS))
                for m in _ALNUM_RE.finditer(s)
                if _LEET_HINT.search(m.group())
            )
        edits = [e for e in edits if s[e[0] : e[1]] != e[2]]
        if not edits:
            return normalized
        edits.sort(key=lambda e: (e[0], -e[1]))
        offsets = normalized.offsets
        pieces: list[str] = []
        new_offsets: list[int] = []
        pos = 0
        for start, end, replacement in edits:
            if start < pos:
                continue  # overlaps an earlier edit
            pieces.append(s[pos:start])
            new_offsets.extend(offsets[pos:start])
            pieces.append(replacement)
            width = end - start
            new_offsets.extend(
                offsets[start + i * width // len(replacement)] for i in range(len(replacement))
            )
            pos = end
        pieces.append(s[pos:])
        new_offsets.extend(offsets[pos:])
        return Normalized("".join(pieces), tuple(new_offsets))

    # -- compiling ---------------------------------------------------------------------------

    def _compile_terms(self, lists: Wordlists) -> None:
        specs = lists.terms
        plain = {s.term.replace("v", "u") for s in specs if s.term.isalpha()}
        keyed: list[_Keyed] = []
        for spec in specs:
            kind, displays = _shape(spec.term, lists.literal, plain)
            if kind == "literal":
                keys: tuple[tuple[str, str], ...] = (("literal", spec.term),)
            elif kind == "phrase":
                part_keys = tuple(d.replace("v", "u") for d in displays)
                keys = (("phrase", " ".join(part_keys)), ("word", "".join(part_keys)))
            else:
                keys = (("word", displays[0].replace("v", "u")),)
            keyed.append((spec, kind, keys, displays))

        # Spellings that share a key are one entry ("fuck", "fvck", "f-u-c-k").
        parent = list(range(len(keyed)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        owner: dict[tuple[str, str], int] = {}
        for i, (_, _, keys, _) in enumerate(keyed):
            for shared in keys:
                if shared in owner:
                    parent[root(i)] = root(owner[shared])
                else:
                    owner[shared] = i
        groups: dict[int, list[int]] = {}
        for i in range(len(keyed)):
            groups.setdefault(root(i), []).append(i)

        # A better-profanity spelling with no settings of its own that contains a stem or a
        # listed word of four letters or more rated moderate or worse takes the settings of the
        # worst one it contains: "fuckface" is as strong as "fuck", "twathead" as "twat".
        stem_settings = {
            _skeleton(_fold_term(s.term, plain).replace("v", "u")): (
                s.category,
                s.severity,
                s.order,
            )
            for s in specs
            if s.explicit
            and _TERM_SPLIT_RE.search(s.term) is None
            and (
                s.term in lists.stems
                or (s.severity.rank >= Severity.MODERATE.rank and len(s.term) >= 4)
            )
        }
        stem_re = _alternation(
            _run_pattern(k) for k in sorted(stem_settings, key=len, reverse=True)
        )

        def inherited(keys: Iterable[tuple[str, str]]) -> tuple[Category, Severity, int] | None:
            found = [
                stem_settings[_skeleton(m.group())]
                for kind, key in keys
                if kind == "word" and stem_re is not None
                for m in stem_re.finditer(key)
                if _skeleton(m.group()) in stem_settings
            ]
            return max(found, key=lambda cso: (cso[1].rank, -cso[2])) if found else None

        for members in sorted(groups.values()):
            entry_id = len(self._entries)
            member_specs = [keyed[i] for i in members]
            settings = (
                None
                if any(m[0].explicit for m in member_specs)
                else inherited(k for m in member_specs for k in m[2])
            )
            entry = self._make_entry(member_specs, lists.stems, settings)
            self._entries.append(entry)
            word_keys: dict[str, str] = {}
            spaced_keys: dict[str, str] = {}
            for i in members:
                spec, kind, keys, displays = keyed[i]
                if kind == "literal":
                    self._literals.append((_literal_pattern(spec.term), entry_id, displays[0]))
                elif kind == "phrase":
                    parts = keys[0][1].split(" ")
                    # Numbers stay numbers when respelt ("2 girls 1 cup", not "2 girls i cup").
                    written = [p for p in _TERM_SPLIT_RE.split(spec.term) if p]
                    shown = tuple(
                        w if w.isdigit() else d for w, d in zip(written, displays, strict=True)
                    )
                    self._add_phrase(entry_id, tuple(parts), shown)
                    word_keys.setdefault(keys[1][1], "".join(shown))
                elif kind == "spaced":
                    spaced_keys.setdefault(keys[0][1], displays[0])
                else:
                    word_keys.setdefault(keys[0][1], displays[0])
                    if spec.term in lists.stems:
                        self._stem_forms[keys[0][1]] = (entry_id, displays[0])
                        self._stem_by_skeleton[_skeleton(keys[0][1])] = (entry_id, displays[0])
            inflect = any(keyed[i][0].inflect for i in members)
            for key, display in word_keys.items():
                self._add_form(self._words, key, _Form(entry_id, _lengths(key), display, True))
                if inflect:
                    for form_key, form_display in _inflections(key, display):
                        if form_key not in word_keys:
                            form = _Form(entry_id, _lengths(form_key), form_display, False)
                            self._add_form(self._words, form_key, form)
            for key, display in spaced_keys.items():
                if key not in word_keys:
                    form = _Form(entry_id, _lengths(key), display, True)
                    self._add_form(self._spaced, key, form)

    @staticmethod
    def _make_entry(
        members: list[_Keyed],
        stems: frozenset[str],
        settings: tuple[Category, Severity, int] | None,
    ) -> _Entry:
        specs = [m[0] for m in members]
        explicit = [s for s in specs if s.explicit]
        chosen = explicit or specs
        first = chosen[0]
        for other in chosen[1:]:
            if (other.category, other.severity) != (first.category, first.severity):
                raise RuleConfigError(
                    f"{other.source}: {other.term!r} is a spelling of {first.term!r} "
                    f"({first.source}) but is configured as {other.category}/{other.severity}, "
                    f"not {first.category}/{first.severity}"
                )

        def preference(item: _Keyed) -> tuple[bool, bool, bool, int]:
            spec, kind, _, displays = item
            single = kind in ("word", "literal")
            return (
                not (single and spec.term == displays[0]),
                not (single and spec.term.isalpha()),
                kind != "phrase",
                len(spec.term),
            )

        name = min(members, key=preference)[0].term
        category, severity, order = settings or (
            first.category,
            first.severity,
            min(s.order for s in chosen),
        )
        return _Entry(
            name=name,
            category=category,
            severity=severity,
            stem=any(s.term in stems for s in specs),
            in_better_profanity=any(s.in_better_profanity for s in specs),
            spellings=tuple(s.term for s in specs),
            order=order,
        )

    def _add_form(self, index: dict[str, list[_Form]], key: str, form: _Form) -> None:
        forms = index.setdefault(_skeleton(key), [])
        if form not in forms:
            forms.append(form)
        self._coarse_keys.add(_coarse(key))

    def _add_phrase(self, entry: int, parts: tuple[str, ...], displays: tuple[str, ...]) -> None:
        phrase_id = len(self._phrases)
        self._phrases.append(_Phrase(entry, parts, displays))
        for i, key in enumerate(parts):
            part = _Part(phrase_id, i, key, _lengths(key))
            self._parts.setdefault(_skeleton(key), []).append(part)
            self._coarse_parts.add(_coarse(key))

    def _fingerprint(self) -> str:
        payload = {
            "entries": [
                [e.name, str(e.category), str(e.severity), e.stem, sorted(e.spellings)]
                for e in self._entries
            ],
            "inflections": sorted(
                f"{f.entry}:{f.display}" for forms in self._words.values() for f in forms
            ),
            "allow": sorted(self._lists.allow),
            "spam": [str(v) for v in dataclasses.astuple(self._lists.spam)],
            "better_profanity": self._lists.better_profanity,
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return digest[:8]

    # -- matching ----------------------------------------------------------------------------

    def _term_hits(self, s: str) -> list[_Found]:
        """Term matches in normalised text ``s``, allow-listed ones removed, nested ones merged.

        Fast path: split ``s`` into tokens and stop if all of them are known to be clean and
        no run of single letters could spell a word.
        """
        self._count(len(s))
        self._local.guesses = _GUESSED_WINDOWS
        view = s if s.isascii() else s.translate(_ASCII_PUNCTUATION)
        if view.isascii():
            raw = view.encode()
            spaced_out = raw.translate(_ASCII_SEPARATORS)
            words = spaced_out.split()
            if self._clean_bytes.issuperset(words):
                dirty: set[str] = set()
            else:
                dirty = {w.decode() for w in set(words).difference(self._clean_bytes)}
            maybe_spaced = _SPACED_HINT.search(b" " + spaced_out + b" ") is not None
            # Tokens still joined by ".-_&'" ("fuc.king", "don't"): known clean, or look closer.
            joined = set(raw.translate(_ASCII_JOIN_VIEW).split()).difference(words)
            maybe_joined = not self._clean_joins.issuperset(joined) and any(
                self._joined_token_hits(j) for j in joined.difference(self._clean_joins)
            )
        else:
            dirty = set(_TOKEN_RE.findall(s)).difference(self._clean)
            maybe_spaced = maybe_joined = True
        found = self._scan(s, dirty) if dirty else []
        if maybe_spaced:
            found.extend(self._scan_spaced(s))
        if maybe_joined:
            found.extend(self._scan_joined(s))
        if not found:
            return []
        if self._allow_phrase_re is not None and any(
            s[f.start : f.end] in self._allow_phrase_words for f in found
        ):
            allowed = [m.span() for m in self._allow_phrase_re.finditer(s)]
            if allowed:
                found = [
                    f for f in found if not any(a <= f.start and f.end <= b for a, b in allowed)
                ]
        return self._merge(found)

    def _scan(self, s: str, dirty: set[str]) -> list[_Found]:
        """Matches of the tokens of ``s`` not known to be clean, and phrases they start."""
        interesting: list[tuple[str, _Info]] = []
        present: dict[int, set[int]] = {}
        for token in dirty:
            info = self._info(token)
            if info is _NO_INFO:
                self._remember_clean(token)
                continue
            interesting.append((token, info))
            for fit in info.fits:
                present.setdefault(fit.phrase, set()).add(fit.position)
        found: list[_Found] = []
        for token, info in interesting:
            starts = [
                fit
                for fit in info.fits
                if fit.position == 0
                and len(present[fit.phrase]) == len(self._phrases[fit.phrase].parts)
            ]
            if not info.hits and not starts:
                continue
            for start in _occurrences(s, token):
                found.extend(
                    _Found(start + h.start, start + h.end, h.entry, h.replacement)
                    for h in info.hits
                )
                for fit in starts:
                    phrase_match = self._extend_phrase(s, start, token, fit)
                    if phrase_match is not None:
                        found.append(phrase_match)
        return found

    def _remember_clean(self, token: str) -> None:
        if len(self._clean) >= _CACHE_LIMIT:
            self._clean.clear()
            self._clean_bytes.clear()
        self._clean.add(token)
        if token.isascii():
            self._clean_bytes.add(token.encode())

    def _extend_phrase(self, s: str, start: int, token: str, first: _Fit) -> _Found | None:
        phrase = self._phrases[first.phrase]
        pos = start + len(token)
        end = start + first.end
        for position in range(1, len(phrase.parts)):
            m = _TOKEN_RE.search(s, pos)
            if m is None or m.start() - pos > 3:
                return None
            fit = next(
                (
                    f
                    for f in self._info(m.group()).fits
                    if f.phrase == first.phrase and f.position == position
                ),
                None,
            )
            if fit is None:
                return None
            end = m.start() + fit.end
            pos = m.end()
        return _Found(start + first.start, end, phrase.entry, " ".join(phrase.displays))

    def _join_hits(self, joined: str) -> tuple[_Hit, ...]:
        """Whole-word matches of tokens joined across ``.-_&'`` (cached; clean ones remembered)."""
        self._count(len(joined))
        hits = self._join_cache.get(joined)
        if hits is None:
            hits = ()
            for text, offset in _edge_trims(joined):
                found = self._whole(text, spaced=False)
                if found:
                    hits = tuple(
                        h._replace(start=h.start + offset, end=h.end + offset) for h in found
                    )
                    break
            if len(self._join_cache) >= _CACHE_LIMIT:
                self._join_cache.clear()
            self._join_cache[joined] = hits
        return hits

    def _joined_token_hits(self, joined: bytes) -> bool:
        """Whether an ASCII token still holding ``.-_&'`` spells a word across them."""
        if self._scan_joined(joined.decode()):
            return True
        if len(self._clean_joins) >= _CACHE_LIMIT:
            self._clean_joins.clear()
        self._clean_joins.add(joined)
        return False

    def _scan_joined(self, s: str) -> list[_Found]:
        """Words split by punctuation inside them: "fuc.king", "a.ss", "sh-it", "f*&k"."""
        found: list[_Found] = []
        for run in _JOIN_RE.finditer(s):
            start = run.start()
            found.extend(
                f._replace(start=f.start + start, end=f.end + start)
                for f in self._join_run(run.group())
            )
        return found

    def _join_run(self, run: str) -> tuple[_Found, ...]:
        """Matches across the joints of one run of tokens joined by punctuation (cached).

        From each piece, the longest window of pieces that spells a word is taken. Windows are
        extended only while their coarse skeleton could still spell a listed form
        (:meth:`_join_window`), and span at most :attr:`_max_window` pieces (one per letter of
        the longest form), so the work per piece is bounded whatever the run holds.
        """
        cached = self._join_run_cache.get(run)
        if cached is not None:
            self._count(len(run))
            return cached
        found: list[_Found] = []
        pieces = [m.span() for m in _TOKEN_RE.finditer(run)]
        text = "".join(run[a:b] for a, b in pieces)
        starts = list(itertools.accumulate((b - a for a, b in pieces), initial=0))
        view = _view(text, self._join_infixes)
        examined = len(run)
        i = 0
        while i < len(pieces) - 1:
            windows: list[int] = []
            j, limit = i + 1, min(len(pieces), i + self._max_window)
            while j <= limit:
                grow, candidate = self._join_window(view, starts[i], starts[j])
                examined += 1
                if not grow:
                    break
                if candidate:
                    if j >= i + 2 and (candidate is _TRY or self._guess()):
                        windows.append(j)
                    j += 1
                else:  # skip the windows that only lengthen a run of the last letter
                    j = max(j, bisect.bisect_right(starts, view.flat[starts[j]]) - 1) + 1
            for j in reversed(windows):
                hits = self._join_hits(text[starts[i] : starts[j]])
                if hits and not self._piece_as_bad(run, pieces[i:j], hits[0]):
                    hit = hits[0]
                    start = _run_position(pieces, starts, starts[i] + hit.start)
                    end = _run_position(pieces, starts, starts[i] + hit.end - 1) + 1
                    found.append(_Found(start, end, hit.entry, hit.replacement))
                    i = j
                    break
            else:
                i += 1
        self._count(examined)
        if len(self._join_run_cache) >= _CACHE_LIMIT:
            self._join_run_cache.clear()
        result = self._join_run_cache[run] = tuple(found)
        return result

    def _join_window(self, view: _View, start: int, end: int) -> tuple[bool, _Try | None]:
        """``(extend, try)`` for the joined text ``[start:end)`` of a run (see :class:`_View`).

        ``extend`` is False only when neither this window nor any longer one from ``start`` can
        match: no edge trim of it (:func:`_edge_trims`) starts, up to its first hidden letter,
        with the coarse skeleton of a listed form (what :meth:`_whole` requires of a whole word,
        of a wildcard pattern's known letters and of a literal term), or when the letters after
        one of its hidden letters spell no part of a form (``_View.fail``). ``try`` is None when
        the window itself cannot match (no hidden letters, no edge symbols, and a skeleton that
        is not a form's), ``_TRY`` when it spells a form's skeleton, ``_GUESS`` otherwise.
        """
        base = min(view.hashes[start], end)
        core = min(view.edges[base], end)
        if core == end:  # "#" and edge symbols only
            return True, _GUESS
        core_end = max(view.edge_start[end], core)
        if view.fail[core] <= core_end:
            return False, None
        skeleton, first, last, hidden = view.skeleton, view.first, view.last, view.hidden
        trims = (core,) if core == base else {*range(base, min(core, base + _MAX_EDGE) + 1), core}
        for a in trims:
            stop = min(core_end, hidden[a])
            if stop <= a or first[a] > last[stop - 1]:
                break
            if skeleton[first[a] : last[stop - 1] + 1] in self._join_prefixes:
                break
        else:
            return False, None
        if base > start or core > base or core_end < end or hidden[start] < end:
            return True, _GUESS
        return True, _TRY if skeleton[first[start] : last[end - 1] + 1] in self._join_keys else None

    def _piece_as_bad(self, s: str, pieces: list[tuple[int, int]], hit: _Hit) -> bool:
        """Whether a piece of a join already matches as badly ("bitch's" is "bitch")."""
        rank = self._entries[hit.entry].severity.rank
        return any(
            self._entries[h.entry].severity.rank >= rank
            for a, b in pieces
            for h in self._info(s[a:b]).hits
        )

    def _scan_spaced(self, s: str) -> list[_Found]:
        """Words spelt with single characters separated by spaces, dots, dashes, underscores.

        From each letter, the longest window of up to 30 letters that spells a word is taken;
        windows are extended only while their coarse skeleton could still spell a form.
        """
        found: list[_Found] = []
        for run in _SPACED_RE.finditer(s):
            positions = [m.start() for m in _TOKEN_RE.finditer(s, run.start(), run.end())]
            joined = "".join(s[p] for p in positions)
            view = _view(joined, self._join_infixes)
            examined = run.end() - run.start()
            i = 0
            while i <= len(joined) - 3:
                windows: list[int] = []
                j, limit = i + 1, min(len(joined), i + 30)
                while j <= limit:
                    grow, candidate = self._spaced_window(view, i, j)
                    examined += 1
                    if not grow:
                        break
                    if candidate:
                        if j >= i + 3 and (candidate is _TRY or self._guess()):
                            windows.append(j)
                        j += 1
                    else:
                        j = max(j, view.flat[j]) + 1
                for j in reversed(windows):
                    hits = self._spaced_hits(joined[i:j])
                    if hits:
                        hit = hits[0]
                        found.append(
                            _Found(positions[i], positions[j - 1] + 1, hit.entry, hit.replacement)
                        )
                        i = j
                        break
                else:
                    i += 1
            self._count(examined)
        return found

    def _spaced_window(self, view: _View, start: int, end: int) -> tuple[bool, _Try | None]:
        """:meth:`_join_window` for spaced letters, which are matched without edge trims."""
        if view.fail[start] <= end:
            return False, None
        skeleton, first, last = view.skeleton, view.first, view.last
        stop = min(end, view.hidden[start])
        if (
            stop > start
            and first[start] <= last[stop - 1]
            and skeleton[first[start] : last[stop - 1] + 1] not in self._join_prefixes
        ):
            return False, None
        if stop < end or first[start] > last[end - 1]:
            return True, _GUESS
        return True, _TRY if skeleton[first[start] : last[end - 1] + 1] in self._join_keys else None

    def _spaced_hits(self, joined: str) -> tuple[_Hit, ...]:
        self._count(len(joined))
        hits = self._spaced_cache.get(joined)
        if hits is None:
            hits = tuple(self._whole(joined, spaced=True))
            if len(self._spaced_cache) >= _CACHE_LIMIT:
                self._spaced_cache.clear()
            self._spaced_cache[joined] = hits
        return hits

    def _info(self, token: str) -> _Info:
        self._count(len(token))
        info = self._cache.get(token)
        if info is None:
            info = self._analyze(token)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = info
        return info

    def _analyze(self, token: str) -> _Info:
        hits: list[_Hit] = []
        fits: dict[tuple[int, int], _Fit] = {}
        trims = _edge_trims(token)
        if not token.isdigit():
            # Whole words as written first; stems inside the stripped token before the token
            # with its punctuation ("fuck!!!" is "fuck", not a word containing "fuck").
            for finder, order in (
                (self._whole_token, trims),
                (self._stems, trims[1:2] + trims[:1] + trims[2:]),
            ):
                for text, offset in order:
                    found = finder(text)
                    if found:
                        hits = [
                            h._replace(start=h.start + offset, end=h.end + offset) for h in found
                        ]
                        break
                if hits:
                    break
        for text, offset in trims:
            for phrase, position in self._part_fits(text):
                fits.setdefault(
                    (phrase, position), _Fit(phrase, position, offset, offset + len(text))
                )
        if not hits and not fits:
            return _NO_INFO
        return _Info(tuple(hits), tuple(fits.values()))

    def _whole_token(self, text: str) -> list[_Hit]:
        return self._whole(text, spaced=False)

    def _whole(self, text: str, *, spaced: bool) -> list[_Hit]:
        """The best whole-token match of ``text`` (a token, or spaced letters joined)."""
        self._count(len(text))
        folded = _fold(text)
        key = folded.replace("v", "u")
        candidates: list[tuple[_Form, bool]] = []  # (form, spelt exactly as the form)
        if "*" in key:
            readings = None
        elif _coarse(key) in self._coarse_keys:
            readings = _readings(key)
        else:
            readings = []
        if readings is None:
            parts = _class_parts(key)
            heads = _heads(key)
            indexes = (self._blobs, self._spaced_blobs) if spaced else (self._blobs,)
            if parts is not None and all(low == high for _, low, high in parts):
                # No run of a letter, so one length: compare with the forms of that length
                # (what the regex below finds, without compiling one per token).
                classes = [letters for letters, n, _ in parts for _ in range(n)]
                # Look up the forms by one letter known at its place, if any.
                known = next((k for k, c in enumerate(classes) if len(c) == 1), -1)
                probe = (len(classes), known, classes[known] if known >= 0 else "")
                found: list[tuple[int, _Form]] = []
                for table in (self._sized, self._spaced_sized)[: len(indexes)]:
                    found.extend(
                        (rank, form)
                        for rank, head, line, form in table.get(probe, ())
                        if (heads is None or head in heads)
                        and all(c in ok for c, ok in zip(line, classes, strict=True))
                    )
                found.sort(key=_FIRST)  # the order of the blobs, as the regex finds them
                candidates.extend((form, False) for _, form in found)
            elif parts is not None:
                pattern = _class_pattern(key)
                # A letter run matches one letter or more, anything else exactly its length.
                shortest = sum(low for _, low, _ in parts)
                compiled: re.Pattern[str] | None = None
                for blobs in indexes:
                    for head, (blob, at) in blobs.items():
                        if heads is not None and head not in heads:
                            continue
                        sizes = self._blob_lengths[head]
                        k = bisect.bisect_left(sizes, shortest)
                        if k == len(sizes) or sizes[k] > len(key):
                            continue  # no form of a length the pattern can match
                        if compiled is None:
                            compiled = _compile_class(str(pattern))
                        candidates.extend((at[m.start()], False) for m in compiled.finditer(blob))
        else:
            for reading, changed in readings:
                skeleton = _skeleton(reading)
                for index in (self._words, self._spaced) if spaced else (self._words,):
                    forms = index.get(skeleton)
                    if forms:
                        lengths = _lengths(reading)
                        candidates.extend(
                            (f, f.lengths == lengths)
                            for f in forms
                            if _covers_read(reading, changed, lengths, f.lengths)
                        )
        literal = self._literal_re.fullmatch(text) if self._literal_re is not None else None
        if literal is not None and literal.lastgroup is not None:
            _, entry, display = self._literals[int(literal.lastgroup[1:])]
            candidates.append((_Form(entry, (), display, True), True))
        if not candidates:
            return []
        if text in self._allow_tokens:  # as written: "splc" is allowed, "$plc" is "spic"
            return []
        entries = self._entries
        if readings is None:
            # Wildcards hide letters: "f***ing" is far likelier "fucking" than "fagging", so take
            # the term listed first (the lists run from common swearing to rarer words).
            best, _ = min(
                candidates,
                key=lambda c: (entries[c[0].entry].order, -entries[c[0].entry].severity.rank),
            )
        else:
            best, _ = max(
                candidates,
                key=lambda c: (
                    entries[c[0].entry].severity.rank,
                    c[1],
                    c[0].exact,
                    -entries[c[0].entry].order,
                ),
            )
        return [_Hit(best.entry, 0, len(text), best.display)]

    def _stems(self, text: str) -> list[_Hit]:
        """Stems inside a longer token ("motherfucking"), unless an allowed word covers them."""
        if self._stem_re is None:
            return []
        folded = _fold(text)
        if "*" in folded or self._coarse_stem_re is None:
            return []
        if not self._coarse_stem_re.search(folded.replace("v", "u").translate(_COARSE)):
            return []
        readings = _readings(folded)
        hits: dict[int, _Hit] = {}
        self._count(len(text) * len(readings or ()))
        for reading, _ in readings or ():
            key = reading.replace("v", "u")
            allowed = (
                [m.span() for m in self._allow_word_re.finditer(key)]
                if self._allow_word_re is not None
                else []
            )
            for m in self._stem_re.finditer(key):
                if any(a <= m.start() and m.end() <= b for a, b in allowed):
                    continue
                entry, display = self._stem_by_skeleton[_skeleton(m.group())]
                if entry not in hits:
                    respelt = reading[: m.start()] + display + reading[m.end() :]
                    hits[entry] = _Hit(entry, 0, len(text), respelt)
        return list(hits.values())

    def _part_fits(self, text: str) -> set[tuple[int, int]]:
        if not self._parts:
            return set()
        self._count(len(text))
        folded = _fold(text)
        key = folded.replace("v", "u")
        if "*" in key:
            readings = None
        elif _coarse(key) in self._coarse_parts:
            readings = _readings(key)
        else:
            return set()
        if readings is None:
            shape = _class_parts(key) or [("aeiou", len(key), len(key))]
            if all(low == high for _, low, high in shape):
                classes = [letters for letters, n, _ in shape for _ in range(n)]
                known = next((k for k, c in enumerate(classes) if len(c) == 1), -1)
                probe = (len(classes), known, classes[known] if known >= 0 else "")
                return {
                    (p.phrase, p.position)
                    for p in self._parts_by_size.get(probe, ())
                    if all(c in ok for c, ok in zip(p.key, classes, strict=True))
                }
            pattern = _class_pattern(key) or f"^[aeiou]{{{len(key)}}}$"
            compiled = _compile_class(pattern)
            return {
                (p.phrase, p.position)
                for parts in self._parts.values()
                for p in parts
                if compiled.match(p.key)
            }
        out: set[tuple[int, int]] = set()
        for reading, changed in readings:
            parts = self._parts.get(_skeleton(reading))
            if parts:
                lengths = _lengths(reading)
                out.update(
                    (p.phrase, p.position)
                    for p in parts
                    if _covers_read(reading, changed, lengths, p.lengths)
                )
        return out

    def _merge(self, found: list[_Found]) -> list[_Found]:
        """Drop duplicates and matches nested in a wider match at least as severe.

        One pass in start order: every match kept so far starts at or before the current one,
        so it is nested in one of them when, among those at least as severe, the furthest end
        reaches its end, and is further or starts earlier. Linear in the matches (times the
        few severity ranks), not quadratic.
        """
        # Every field in the key: two readings of one span ("god-damned" as "goddamned" or as
        # "god damned") must resolve the same way in every process, whatever the hash seed.
        found = sorted(set(found), key=_merge_order)
        kept: list[_Found] = []
        seen: set[tuple[int, int, int]] = set()
        reach: dict[int, tuple[int, int]] = {}  # rank -> (furthest end, earliest start there)
        for f in found:
            rank = self._entries[f.entry].severity.rank
            nested = False
            for r, (end, start) in reach.items():
                if r >= rank and (end > f.end or (end == f.end and start < f.start)):
                    nested = True
                    break
            if nested or (f.start, f.end, f.entry) in seen:
                continue
            seen.add((f.start, f.end, f.entry))
            kept.append(f)
            end, start = reach.get(rank, (-1, 0))
            if f.end > end:
                reach[rank] = (f.end, f.start)
            elif f.end == end and f.start < start:
                reach[rank] = (end, f.start)
        return kept

    def _to_match(self, text: str, normalized: Normalized, found: _Found) -> Match:
        entry = self._entries[found.entry]
        start, end = _original_span(text, normalized, found.start, found.end)
        return Match(entry.name, entry.category, entry.severity, start, end)

    # -- spam ----------------------------------------------------------------------------------

    def _spam_matches(self, text: str, normalized: Normalized) -> list[Match]:
        spam = self._spam
        s = normalized.text
        out: list[Match] = []
        if "://" in s or "www." in s or _DOT_LETTER.search(s):
            for m in self._link_re.finditer(s):
                start, end = m.span()
                while end > start and s[end - 1] in ".,;:!?)]}'\"":
                    end -= 1
                span = _original_span(text, normalized, start, end)
                out.append(Match("link", Category.SPAM, spam.link_severity, *span))
                host = _host(s[start:end])
                shortener = next(
                    (d for d in self._shorteners if host == d or host.endswith("." + d)), None
                )
                if shortener is not None:
                    out.append(Match(shortener, Category.SPAM, spam.shortener_severity, *span))
        ascii_text = text.isascii()
        repeats = self._repeat_re.finditer(s) if self._repeat_hint.search(s) else ()
        for m in repeats:
            if m.group(1).isspace() or m.group(1).isdigit():
                continue
            span = _original_span(text, normalized, *m.span())
            out.append(Match("repeated-characters", Category.SPAM, spam.repeat_severity, *span))
        if ascii_text:
            raw = text.encode()
            if len(raw) - len(raw.translate(None, _ASCII_UPPER)) < spam.caps_min_letters:
                return out
        for m in self._caps_re.finditer(text):
            out.append(Match("capitals", Category.SPAM, spam.caps_severity, *m.span()))
        return out


# ---------------------------------------------------------------------------------------------
# Helpers


def validate_config(config_dir: Path) -> None:
    """Compile the word lists under ``config_dir``; raises :class:`RuleConfigError` if invalid."""
    RuleFilter.from_config(config_dir)


def _original_span(text: str, normalized: Normalized, start: int, end: int) -> tuple[int, int]:
    """Span in the original, without invisible characters trailing the match."""
    first, last = normalized.original_span(start, end)
    while last > first and text[last - 1] in INVISIBLE:
        last -= 1
    return first, last


def _shape(term: str, literal: frozenset[str], plain: set[str]) -> tuple[str, tuple[str, ...]]:
    """Classify a listed spelling and give its canonical spelling(s).

    Returns ``("literal", (term,))``, ``("word", (spelling,))``, ``("spaced", (joined,))``
    for single letters separated by spaces/dots/dashes ("f-u-c-k"), or ``("phrase", parts)``.
    """
    if term in literal:
        return "literal", (_fold_term(term, plain),)
    parts = [p for p in _TERM_SPLIT_RE.split(term) if p]
    if len(parts) == 1:
        return "word", (_fold_term(parts[0], plain),)
    if all(len(p) == 1 for p in parts):
        return "spaced", (_fold_term("".join(parts), plain),)
    return "phrase", tuple(_fold_term(p, plain) for p in parts)


def _fold_term(term: str, plain: set[str]) -> str:
    """A listed spelling with its leet resolved: "sh1t" -> "shit", "he11" -> "hell".

    ``1`` reads as whichever of i/l gives a plain listed word ("i" otherwise); a ``*`` as the
    letter that gives a plain listed word ("masterbat*" -> "masterbate"), else it is dropped.
    """
    text = term.translate(_TERM_FOLD)
    if "1" in text or "|" in text:
        readings = ["".join(p) for p in itertools.product(*(_AMBIGUOUS.get(c, c) for c in text))]
        text = next((r for r in readings if r.replace("v", "u") in plain), readings[0])
    if "*" in text:
        pattern = re.compile(re.escape(text).replace(r"\*", "[a-z]"))
        text = next((p for p in sorted(plain) if pattern.fullmatch(p)), text.replace("*", ""))
    return text


def _inflections(key: str, display: str) -> list[tuple[str, str]]:
    """Regular inflections of a word (key and display spelling)."""
    out: list[tuple[str, str]] = []
    for suffix in _SUFFIXES:
        out.append((key + suffix, display + suffix))
        if key.endswith("e") and suffix[0] in "eiy":
            out.append((key[:-1] + suffix, display[:-1] + suffix))
        if key.endswith("y") and suffix[0] in "ei":
            out.append((key[:-1] + "i" + suffix, display[:-1] + "i" + suffix))
    return out


def _blobs(index: dict[str, list[_Form]]) -> dict[str, tuple[str, dict[int, _Form]]]:
    """Per first letter: all forms of an index one per line, and the form at each offset.

    Tokens with wildcards or many ambiguous characters are matched against these with one
    regex search instead of a dictionary lookup per reading.
    """
    lines: dict[str, list[str]] = {}
    forms: dict[str, dict[int, _Form]] = {}
    sizes: dict[str, int] = {}
    for skeleton_forms in index.values():
        for form in skeleton_forms:
            key = form.display.replace("v", "u")
            head = key[0]
            forms.setdefault(head, {})[sizes.get(head, 0)] = form
            lines.setdefault(head, []).append(key)
            sizes[head] = sizes.get(head, 0) + len(key) + 1
    return {head: ("\n".join(lines[head]), forms[head]) for head in lines}


def _run_position(pieces: list[tuple[int, int]], starts: list[int], position: int) -> int:
    """Position in a run of the character at ``position`` of its pieces joined."""
    k = bisect.bisect_right(starts, position) - 1
    return pieces[k][0] + position - starts[k]


def _sized(
    blobs: dict[str, tuple[str, dict[int, _Form]]], first_rank: int
) -> dict[tuple[int, int, str], list[tuple[int, str, str, _Form]]]:
    """The lines of :func:`_blobs`, for matching a fixed-length wildcard key without a regex.

    Keyed by ``(length, position, letter)`` (and ``(length, -1, "")`` for all of a length):
    ``(rank, first letter, line, form)`` in blob order, ``rank`` counting from ``first_rank``.
    """
    out: dict[tuple[int, int, str], list[tuple[int, str, str, _Form]]] = {}
    rank = first_rank
    for head, (blob, at) in blobs.items():
        offset = 0
        for line in blob.split("\n"):
            item = (rank, head, line, at[offset])
            out.setdefault((len(line), -1, ""), []).append(item)
            for position, letter in enumerate(line):
                out.setdefault((len(line), position, letter), []).append(item)
            rank += 1
            offset += len(line) + 1
    return out


def _heads(key: str) -> str | None:
    """The letters a form matching ``key`` can start with; None for any."""
    first = key[0]
    if first == "*":
        return None
    return _AMBIGUOUS.get(first, first)


def _occurrences(s: str, token: str) -> Iterable[int]:
    """Start of every occurrence of ``token`` in ``s`` as a whole token."""
    end = len(token)
    i = s.find(token)
    while i >= 0:
        if (i == 0 or _TC_ONE.match(s, i - 1) is None) and _TC_ONE.match(s, i + end) is None:
            yield i
        i = s.find(token, i + 1)


def _run_pattern(key: str) -> str:
    """Regex matching ``key`` with each letter run at least as long ("ass" -> "(?<!a)a++s{2,}+").

    A match starts where a run of its first letter starts and each run is taken whole
    (possessive), which finds the same matches as ``a+s{2,}`` but scans a long run of one letter
    once instead of once per starting character.
    """
    runs = _runs(key)
    first = re.escape(runs[0][0])
    return f"(?<!{first})" + "".join(
        re.escape(ch) + ("++" if n == 1 else f"{{{n},}}+") for ch, n in runs
    )


def _alternation(patterns: Iterable[str]) -> re.Pattern[str] | None:
    patterns = list(patterns)
    return re.compile("|".join(patterns)) if patterns else None


def _literal_pattern(term: str) -> re.Pattern[str]:
    """A literal term as written, with better-profanity's substitutions for its letters only."""
    parts = []
    for ch, n in _runs(term):
        cls = _BP_ALTERNATIVES.get(ch, ch)
        body = re.escape(ch) if len(cls) == 1 else "[" + re.escape(cls) + "]"
        parts.append(body + ("+" if n == 1 else f"{{{n},}}"))
    return re.compile("".join(parts))


_DOT_LETTER = re.compile(r"\.[a-z]")
_ASCII_UPPER = bytes(range(65, 91))


_UPPER = "[A-Z\u00c0-\u00d6\u00d8-\u00de\u0391-\u03a9\u0410-\u042f]"
_NOT_LETTER = "[^A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff]"


def _link_pattern(spam: SpamRules) -> re.Pattern[str]:
    label = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    tlds = "|".join(sorted(map(re.escape, spam.tlds), key=len, reverse=True))
    shorteners = "|".join(sorted(map(re.escape, spam.shorteners), key=len, reverse=True))
    bare = rf"(?:{label}\.)+(?:{tlds})"
    if shorteners:
        bare = rf"(?:{shorteners}|{bare})"
    return re.compile(
        r"(?:https?://|www\.)[^\s<>\"'`]+"
        rf"|(?<![\w@.\-]){bare}(?![\w\-])(?:[/?#][^\s<>\"'`]*)?"
    )


def _host(link: str) -> str:
    host = link.split("://", 1)[-1]
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host.removeprefix("www.")
