"""Matching one token (or one joined window) against the compiled lists.

:class:`TokenMatcher` answers, for a token, which terms it is (:class:`TokenHit`: a whole
word, a stem inside a longer word, a literal) and which phrase parts it could be
(:class:`PhraseFit`), as :class:`TokenFindings`, cached per token (bounded). It also matches
windows of joined pieces and spaced-out letters as whole words. :class:`WorkMeter` counts the
characters examined per thread (see :attr:`RuleFilter.work`) and the budget of guessed windows
per text.
"""

from __future__ import annotations

import bisect
import operator
import re
import threading
from typing import NamedTuple

from moderation.scoring.rules.compile import CompiledLists, WordForm
from moderation.scoring.rules.tokens import (
    AMBIGUOUS,
    LOOKALIKE_CLASSES,
    all_readings,
    collapse_runs,
    compile_wildcard,
    edge_trims,
    fold_token,
    lookalike_skeleton,
    masked_readings,
    reading_covers,
    run_lengths,
    wildcard_classes,
    wildcard_pattern,
)
from moderation.scoring.types import Severity

__all__ = [
    "CACHE_LIMIT",
    "NOTHING_FOUND",
    "PhraseFit",
    "TokenFindings",
    "TokenHit",
    "TokenMatcher",
    "WorkMeter",
]

_RANK = operator.itemgetter(0)


class TokenHit(NamedTuple):
    """A token (or window) read as ``terms[term_id]`` over ``[start:end)``, respelt."""

    term_id: int
    start: int
    end: int
    replacement: str


class PhraseFit(NamedTuple):
    """A token that can be word ``position`` of ``phrases[phrase]``, over ``[start:end)``."""

    phrase: int
    position: int
    start: int
    end: int


class TokenFindings(NamedTuple):
    """Everything one token matches: terms it is, and phrase words it can be."""

    hits: tuple[TokenHit, ...]
    fits: tuple[PhraseFit, ...]


#: The findings of a clean token (compared by identity).
NOTHING_FOUND = TokenFindings((), ())
#: Windows of joins and spaced letters holding hidden letters or edge symbols that are matched
#: per text. Each costs a wildcard search; past this many (only text built to stall the filter
#: gets there) such windows are skipped, and plain-letter ones are still matched.
GUESSED_WINDOWS = 256
CACHE_LIMIT = 200_000


class WorkMeter:
    """Per-thread instrumentation: characters examined, and guessed windows left for a text."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def work(self) -> int:
        return int(getattr(self._local, "work", 0))

    def count(self, amount: int) -> None:
        self._local.work = getattr(self._local, "work", 0) + amount

    def start_text(self) -> None:
        """Reset the budget of guessed windows for the next text."""
        self._local.guesses = GUESSED_WINDOWS

    def guess(self) -> bool:
        """Whether another window with hidden letters may be matched for this text."""
        left = int(getattr(self._local, "guesses", GUESSED_WINDOWS))
        self._local.guesses = left - 1
        return left > 0


class TokenMatcher:
    """Matches tokens and windows against :class:`CompiledLists`. Thread-safe; caches bounded."""

    def __init__(self, lists: CompiledLists, meter: WorkMeter) -> None:
        self._lists = lists
        self._meter = meter
        self._count = meter.count
        self._cache: dict[str, TokenFindings] = {}
        self._spaced_cache: dict[str, tuple[TokenHit, ...]] = {}
        self._join_cache: dict[str, tuple[TokenHit, ...]] = {}

    def joined_word(self, joined: str) -> tuple[TokenHit, ...]:
        """Whole-word matches of tokens joined across ``.-_&'`` (cached; clean ones remembered)."""
        self._count(len(joined))
        hits = self._join_cache.get(joined)
        if hits is None:
            hits = ()
            for text, offset in edge_trims(joined):
                found = self.whole_word(text, spaced=False)
                if found:
                    hits = tuple(
                        h._replace(start=h.start + offset, end=h.end + offset) for h in found
                    )
                    break
            if len(self._join_cache) >= CACHE_LIMIT:
                self._join_cache.clear()
            self._join_cache[joined] = hits
        return hits

    def spaced_word(self, joined: str) -> tuple[TokenHit, ...]:
        self._count(len(joined))
        hits = self._spaced_cache.get(joined)
        if hits is None:
            hits = tuple(self.whole_word(joined, spaced=True))
            if len(self._spaced_cache) >= CACHE_LIMIT:
                self._spaced_cache.clear()
            self._spaced_cache[joined] = hits
        return hits

    def findings(self, token: str) -> TokenFindings:
        self._count(len(token))
        info = self._cache.get(token)
        if info is None:
            info = self._find_in(token)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = info
        return info

    def _find_in(self, token: str) -> TokenFindings:
        hits: list[TokenHit] = []
        fits: dict[tuple[int, int], PhraseFit] = {}
        trims = edge_trims(token)
        if not token.isdigit():
            # Whole words as written first; stems inside the stripped token before the token
            # with its punctuation ("fuck!!!" is "fuck", not a word containing "fuck").
            for finder, order in (
                (self._whole_word_token, trims),
                (self._stems_inside, trims[1:2] + trims[:1] + trims[2:]),
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
            for phrase, position in self._phrase_part_fits(text):
                fits.setdefault(
                    (phrase, position), PhraseFit(phrase, position, offset, offset + len(text))
                )
        if not hits and not fits:
            return NOTHING_FOUND
        return TokenFindings(tuple(hits), tuple(fits.values()))

    def _whole_word_token(self, text: str) -> list[TokenHit]:
        return self.whole_word(text, spaced=False)

    def whole_word(self, text: str, *, spaced: bool) -> list[TokenHit]:
        """The best whole-token match of ``text`` (a token, or spaced letters joined).

        A symbol inside a word ("f@ck", "f!ck") may be a letter's leet (``@`` as a or o) or
        a mask for any vowel: every reading is tried, and a masked one wins when it is a
        strong or severe term worse than the leet reading's, so every spelling of a word reads
        to the same severity ("f@ck!ng" is "fucking", not the milder "facking"; "p@ss" stays
        clean). A leet digit is read as a mask only when its own reading is a term already
        ("f4ck": "fack" -> "fuck"; "sh00t" stays "shoot", which is no term).
        """
        hits = self._whole_word(text, spaced=spaced)
        terms = self._lists.terms
        best = hits
        rank = terms[hits[0].term_id].severity.rank if hits else -1
        for reading in masked_readings(text, digits=bool(hits)):
            found = self._whole_word(reading, spaced=spaced)
            if not found:
                continue
            severity = terms[found[0].term_id].severity
            if severity.rank >= Severity.STRONG.rank and severity.rank > rank:
                best, rank = found, severity.rank
        return best

    def _whole_word(self, text: str, *, spaced: bool) -> list[TokenHit]:
        self._count(len(text))
        folded = fold_token(text)
        key = folded.replace("v", "u")
        candidates: list[tuple[WordForm, bool]] = []  # (form, spelt exactly as the form)
        if "*" in key:
            readings = None
        elif lookalike_skeleton(key) in self._lists.lookalike_keys:
            readings = all_readings(key)
        else:
            readings = []
        if readings is None:
            parts = wildcard_classes(key)
            heads = _first_letters(key)
            indexes = (
                (self._lists.word_lines, self._lists.spaced_lines)
                if spaced
                else (self._lists.word_lines,)
            )
            if parts is not None and all(low == high for _, low, high in parts):
                # No run of a letter, so one length: compare with the forms of that length
                # (what the regex below finds, without compiling one per token).
                classes = [letters for letters, n, _ in parts for _ in range(n)]
                # Look up the forms by one letter known at its place, if any.
                known = next((k for k, c in enumerate(classes) if len(c) == 1), -1)
                probe = (len(classes), known, classes[known] if known >= 0 else "")
                found: list[tuple[int, WordForm]] = []
                for table in (self._lists.word_lines_by_size, self._lists.spaced_lines_by_size)[
                    : len(indexes)
                ]:
                    found.extend(
                        (rank, form)
                        for rank, head, line, form in table.get(probe, ())
                        if (heads is None or head in heads)
                        and all(c in ok for c, ok in zip(line, classes, strict=True))
                    )
                found.sort(key=_RANK)  # the order of the listings, as the regex finds them
                candidates.extend((form, False) for _, form in found)
            elif parts is not None:
                pattern = wildcard_pattern(key)
                # A letter run matches one letter or more, anything else exactly its length.
                shortest = sum(low for _, low, _ in parts)
                compiled: re.Pattern[str] | None = None
                for listings in indexes:
                    for head, (listing, at) in listings.items():
                        if heads is not None and head not in heads:
                            continue
                        sizes = self._lists.line_lengths[head]
                        k = bisect.bisect_left(sizes, shortest)
                        if k == len(sizes) or sizes[k] > len(key):
                            continue  # no form of a length the pattern can match
                        if compiled is None:
                            compiled = compile_wildcard(str(pattern))
                        candidates.extend(
                            (at[m.start()], False) for m in compiled.finditer(listing)
                        )
        else:
            for reading, changed in readings:
                skeleton = collapse_runs(reading)
                for index in (
                    (self._lists.word_forms, self._lists.spaced_forms)
                    if spaced
                    else (self._lists.word_forms,)
                ):
                    forms = index.get(skeleton)
                    if forms:
                        lengths = run_lengths(reading)
                        candidates.extend(
                            (f, f.lengths == lengths)
                            for f in forms
                            if reading_covers(reading, changed, lengths, f.lengths)
                        )
        literal = (
            self._lists.literal_re.fullmatch(text) if self._lists.literal_re is not None else None
        )
        if literal is not None and literal.lastgroup is not None:
            _, term_id, display = self._lists.literals[int(literal.lastgroup[1:])]
            candidates.append((WordForm(term_id, (), display, True), True))
        if not candidates:
            return []
        if text in self._lists.allow_tokens:  # as written: "splc" is allowed, "$plc" is "spic"
            return []
        terms = self._lists.terms
        if readings is None:
            # Wildcards hide letters: "f***ing" is far likelier "fucking" than "fagging", so take
            # the term listed first (the lists run from common swearing to rarer words).
            best, _ = min(
                candidates,
                key=lambda c: (terms[c[0].term_id].order, -terms[c[0].term_id].severity.rank),
            )
        else:
            best, _ = max(
                candidates,
                key=lambda c: (
                    terms[c[0].term_id].severity.rank,
                    c[1],
                    c[0].exact,
                    -terms[c[0].term_id].order,
                ),
            )
        return [TokenHit(best.term_id, 0, len(text), best.display)]

    def _stems_inside(self, text: str) -> list[TokenHit]:
        """Stems inside a longer token ("motherfucking"), unless an allowed word covers them."""
        if self._lists.stem_re is None:
            return []
        folded = fold_token(text)
        if "*" in folded or self._lists.lookalike_stem_re is None:
            return []
        if not self._lists.lookalike_stem_re.search(
            folded.replace("v", "u").translate(LOOKALIKE_CLASSES)
        ):
            return []
        readings = all_readings(folded)
        hits: dict[int, TokenHit] = {}
        self._count(len(text) * len(readings or ()))
        for reading, _ in readings or ():
            key = reading.replace("v", "u")
            allowed = (
                [m.span() for m in self._lists.allow_word_re.finditer(key)]
                if self._lists.allow_word_re is not None
                else []
            )
            for m in self._lists.stem_re.finditer(key):
                if any(a <= m.start() and m.end() <= b for a, b in allowed):
                    continue
                term_id, display = self._lists.stem_by_skeleton[collapse_runs(m.group())]
                if term_id not in hits:
                    respelt = reading[: m.start()] + display + reading[m.end() :]
                    hits[term_id] = TokenHit(term_id, 0, len(text), respelt)
        return list(hits.values())

    def _phrase_part_fits(self, text: str) -> set[tuple[int, int]]:
        if not self._lists.phrase_parts:
            return set()
        self._count(len(text))
        folded = fold_token(text)
        key = folded.replace("v", "u")
        if "*" in key:
            readings = None
        elif lookalike_skeleton(key) in self._lists.lookalike_part_keys:
            readings = all_readings(key)
        else:
            return set()
        if readings is None:
            shape = wildcard_classes(key) or [("aeiou", len(key), len(key))]
            if all(low == high for _, low, high in shape):
                classes = [letters for letters, n, _ in shape for _ in range(n)]
                known = next((k for k, c in enumerate(classes) if len(c) == 1), -1)
                probe = (len(classes), known, classes[known] if known >= 0 else "")
                return {
                    (p.phrase, p.position)
                    for p in self._lists.parts_by_size.get(probe, ())
                    if all(c in ok for c, ok in zip(p.key, classes, strict=True))
                }
            pattern = wildcard_pattern(key) or f"^[aeiou]{{{len(key)}}}$"
            compiled = compile_wildcard(pattern)
            return {
                (p.phrase, p.position)
                for parts in self._lists.phrase_parts.values()
                for p in parts
                if compiled.match(p.key)
            }
        out: set[tuple[int, int]] = set()
        for reading, changed in readings:
            parts = self._lists.phrase_parts.get(collapse_runs(reading))
            if parts:
                lengths = run_lengths(reading)
                out.update(
                    (p.phrase, p.position)
                    for p in parts
                    if reading_covers(reading, changed, lengths, p.lengths)
                )
        return out


def _first_letters(key: str) -> str | None:
    """The letters a form matching ``key`` can start with; None for any."""
    first = key[0]
    if first == "*":
        return None
    return AMBIGUOUS.get(first, first)
