"""Finding terms across a whole text, as spans of its normalised form.

:class:`TermFinder` splits a normalised comment into tokens and asks the
:class:`~moderation.scoring.rules.match.TokenMatcher` about the ones not known to be clean; it
extends phrases over following tokens, reads words split by punctuation ("fuc.king") and
letters spelt out ("f u c k") through bounded windows (:class:`SkeletonView`), drops matches
inside allowed phrases and merges nested ones (:class:`TermSpan`). :func:`original_span` maps a
span back to the text the author wrote.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable
from typing import NamedTuple

from moderation.scoring.normalize import INVISIBLE, Normalized
from moderation.scoring.rules.compile import CompiledLists
from moderation.scoring.rules.match import (
    CACHE_LIMIT,
    NOTHING_FOUND,
    PhraseFit,
    TokenFindings,
    TokenHit,
    TokenMatcher,
    WorkMeter,
)
from moderation.scoring.rules.tokens import (
    ASCII_FOLD,
    EDGE_SYMBOLS,
    LOOKALIKE_CLASSES,
    MASKING_DIGITS,
    MASKING_SYMBOLS,
    MAX_EDGE_TRIM,
    ONE_WORD_CHAR,
    TOKEN_RE,
    WORD_CHAR,
    fold_char,
)

__all__ = ["SkeletonView", "TermFinder", "TermSpan", "original_span"]

#: For ASCII text (the fast path): every byte that is not a token character -> space.
_ASCII_SEPARATORS = bytes(
    c if chr(c).isalnum() or chr(c) in "@$!*+|#" else 32 for c in range(128)
) + bytes([32] * 128)
#: Punctuation that may split a word ("fuc.king", "sh-it", "f*&k"); see ``_scan_joined``.
_ASCII_JOIN_VIEW = bytes(c if c in b".-_&'" else _ASCII_SEPARATORS[c] for c in range(256))
#: A run of tokens joined by punctuation. Possessive and anchored at a token start: a long
#: token without a joint is rejected in one pass, not retried from each of its characters.
_JOIN_RE = re.compile(rf"(?<!{WORD_CHAR}){WORD_CHAR}++(?:[.\-_&'\u2018\u2019]{WORD_CHAR}++)+")
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
_SPACED_RE = re.compile(
    rf"(?<!{WORD_CHAR}){_SINGLE}(?:[ \t._\-]{{1,3}}{_SINGLE}){{2,}}(?!{WORD_CHAR})"
)


#: Characters a masked reading may read as a vowel (:func:`masked_readings`).
_MASKING = MASKING_SYMBOLS | MASKING_DIGITS

#: Characters that hide a letter (``*``, ``#``; ``!`` too beside them): a window holding one is
#: matched by wildcard, so its letters after them bound nothing.
_HIDDEN = "\0"
_VIEW_ASCII = {
    c: _HIDDEN
    if chr(c) in "*#!"
    else chr(c).translate(ASCII_FOLD).replace("v", "u").translate(LOOKALIKE_CLASSES)
    for c in range(128)
}


@functools.lru_cache(maxsize=8192)
def _skeleton_char(char: str) -> str:
    """One character as :func:`lookalike_skeleton` sees it before collapsing; "" for a mark."""
    if char.isascii():
        return _VIEW_ASCII[ord(char)]
    return fold_char(char).replace("v", "u").translate(LOOKALIKE_CLASSES)


class SkeletonView(NamedTuple):
    """A joined text as the look-alike skeleton sees it, to bound the windows tried on it.

    ``skeleton`` is the look-alike skeleton of the whole text (hidden letters kept as NUL). The
    skeleton of ``text[a:b]`` is ``skeleton[first[a]:last[b - 1] + 1]``: ``first[p]`` is the run
    of the first kept character at or after ``p``, ``last[p]`` of the last one at or before it
    (they differ only at combining marks, which fold to nothing). At or after ``p``,
    ``hidden[p]`` is the first position of a ``*``, ``#`` or ``!``, ``hashes[p]`` of a
    character other than ``#`` and ``edges[p]`` of a character that is not an edge symbol
    (``EDGE_SYMBOLS``); ``edge_start[p]`` is where the edge symbols ending just before ``p`` start.
    A window ending at ``p`` may be extended up to ``flat[p]`` without changing its skeleton,
    its hidden letters or its edge symbols: whether it could match stays the same. The letters
    after a hidden one must spell part of a form: a window from ``p`` cannot match once it
    reaches ``fail[p]``, where the letters after some hidden one at or after ``p`` stop
    spelling part of any (``infixes``: every substring of a form's look-alike skeleton).
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


def skeleton_view(text: str, infixes: frozenset[str]) -> SkeletonView:
    """The :class:`SkeletonView` of ``text``; linear in its length."""
    chars = (
        list(text.translate(_VIEW_ASCII)) if text.isascii() else [_skeleton_char(c) for c in text]
    )
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
        edges[p] = p if char not in EDGE_SYMBOLS else edges[p + 1]
    edge_start = list(range(n + 1))
    for p in range(1, n + 1):
        if text[p - 1] in EDGE_SYMBOLS:
            edge_start[p] = edge_start[p - 1]
    flat = list(range(n + 1))
    for p in range(n - 1, 0, -1):
        if text[p] not in EDGE_SYMBOLS and last[p] == last[p - 1]:
            flat[p] = flat[p + 1]
    for p in range(1, n + 1):
        if text[p - 1] in EDGE_SYMBOLS:  # its trims change as it is extended
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
    return SkeletonView(joined, first, last, hidden, hashes, edges, edge_start, flat, fail)


class TermSpan(NamedTuple):
    """A term match in normalised-text coordinates."""

    start: int
    end: int
    term_id: int
    replacement: str


def _merge_order(f: TermSpan) -> tuple[int, int, int, bool, str]:
    """Wider first at each start; then a fixed order over every field (joined spelling first)."""
    return (f.start, -f.end, f.term_id, " " in f.replacement, f.replacement)


class WindowKind(str):
    """Why a window is tried: it spells a form's skeleton, or it holds hidden letters or edge
    symbols and only matching can tell."""


SPELT = WindowKind("spelt")
GUESSED = WindowKind("guessed")


class TermFinder:
    """Term matches in a normalised text. Thread-safe; its caches are bounded."""

    def __init__(self, lists: CompiledLists, tokens: TokenMatcher, meter: WorkMeter) -> None:
        self._lists = lists
        self._tokens = tokens
        self._meter = meter
        self._count = meter.count
        self._guess = meter.guess
        self._clean: set[str] = set()
        self._clean_bytes: set[bytes] = set()
        self._join_run_cache: dict[str, tuple[TermSpan, ...]] = {}
        self._clean_joins: set[bytes] = set()

    def find(self, s: str) -> list[TermSpan]:
        """Term matches in normalised text ``s``, allow-listed ones removed, nested ones merged.

        Fast path: split ``s`` into tokens and stop if all of them are known to be clean and
        no run of single letters could spell a word.
        """
        self._count(len(s))
        self._meter.start_text()
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
            dirty = set(TOKEN_RE.findall(s)).difference(self._clean)
            maybe_spaced = maybe_joined = True
        found = self._scan_tokens(s, dirty) if dirty else []
        if maybe_spaced:
            found.extend(self._scan_spaced(s))
        if maybe_joined:
            found.extend(self._scan_joined(s))
        if not found:
            return []
        if self._lists.allow_phrase_re is not None and any(
            s[f.start : f.end] in self._lists.allow_phrase_words for f in found
        ):
            allowed = [m.span() for m in self._lists.allow_phrase_re.finditer(s)]
            if allowed:
                found = [
                    f for f in found if not any(a <= f.start and f.end <= b for a, b in allowed)
                ]
        return self._merge(found)

    def _scan_tokens(self, s: str, dirty: set[str]) -> list[TermSpan]:
        """Matches of the tokens of ``s`` not known to be clean, and phrases they start."""
        interesting: list[tuple[str, TokenFindings]] = []
        present: dict[int, set[int]] = {}
        for token in dirty:
            info = self._tokens.findings(token)
            if info is NOTHING_FOUND:
                self._remember_clean(token)
                continue
            interesting.append((token, info))
            for fit in info.fits:
                present.setdefault(fit.phrase, set()).add(fit.position)
        found: list[TermSpan] = []
        for token, info in interesting:
            starts = [
                fit
                for fit in info.fits
                if fit.position == 0
                and len(present[fit.phrase]) == len(self._lists.phrases[fit.phrase].parts)
            ]
            if not info.hits and not starts:
                continue
            for start in _occurrences(s, token):
                found.extend(
                    TermSpan(start + h.start, start + h.end, h.term_id, h.replacement)
                    for h in info.hits
                )
                for fit in starts:
                    phrase_match = self._extend_phrase(s, start, token, fit)
                    if phrase_match is not None:
                        found.append(phrase_match)
        return found

    def _remember_clean(self, token: str) -> None:
        if len(self._clean) >= CACHE_LIMIT:
            self._clean.clear()
            self._clean_bytes.clear()
        self._clean.add(token)
        if token.isascii():
            self._clean_bytes.add(token.encode())

    def _extend_phrase(self, s: str, start: int, token: str, first: PhraseFit) -> TermSpan | None:
        phrase = self._lists.phrases[first.phrase]
        pos = start + len(token)
        end = start + first.end
        for position in range(1, len(phrase.parts)):
            m = TOKEN_RE.search(s, pos)
            if m is None or m.start() - pos > 3:
                return None
            fit = next(
                (
                    f
                    for f in self._tokens.findings(m.group()).fits
                    if f.phrase == first.phrase and f.position == position
                ),
                None,
            )
            if fit is None:
                return None
            end = m.start() + fit.end
            pos = m.end()
        return TermSpan(start + first.start, end, phrase.term_id, " ".join(phrase.displays))

    def _joined_token_hits(self, joined: bytes) -> bool:
        """Whether an ASCII token still holding ``.-_&'`` spells a word across them."""
        if self._scan_joined(joined.decode()):
            return True
        if len(self._clean_joins) >= CACHE_LIMIT:
            self._clean_joins.clear()
        self._clean_joins.add(joined)
        return False

    def _scan_joined(self, s: str) -> list[TermSpan]:
        """Words split by punctuation inside them: "fuc.king", "a.ss", "sh-it", "f*&k"."""
        found: list[TermSpan] = []
        for run in _JOIN_RE.finditer(s):
            start = run.start()
            found.extend(
                f._replace(start=f.start + start, end=f.end + start)
                for f in self._join_run(run.group())
            )
        return found

    def _join_run(self, run: str) -> tuple[TermSpan, ...]:
        """Matches across the joints of one run of tokens joined by punctuation (cached).

        From each piece, the longest window of pieces that spells a word is taken. Windows are
        extended only while their look-alike skeleton could still spell a listed form
        (:meth:`_join_window`), and span at most :attr:`_max_window` pieces (one per letter of
        the longest form), so the work per piece is bounded whatever the run holds. A window
        whose skeleton can mean nothing worse than its pieces already are is not matched, nor
        are its lengthenings that keep that skeleton ("kkk.kkk.kkk": every window spells
        "kkk" again, and a join counts only when worse than every piece it joins).
        """
        cached = self._join_run_cache.get(run)
        if cached is not None:
            self._count(len(run))
            return cached
        found: list[TermSpan] = []
        pieces = [m.span() for m in TOKEN_RE.finditer(run)]
        text = "".join(run[a:b] for a, b in pieces)
        starts = list(itertools.accumulate((b - a for a, b in pieces), initial=0))
        view = skeleton_view(text, self._lists.join_infixes)
        examined = len(run)
        ranks: list[int] | None = None  # each piece's own worst match, read once per run
        masking = [p for p, char in enumerate(text) if char in _MASKING]
        i = 0
        while i < len(pieces) - 1:
            windows: list[int] = []
            j, limit = i + 1, min(len(pieces), i + self._lists.max_window)
            while j <= limit:
                grow, candidate = self._join_window(view, starts[i], starts[j])
                examined += 1
                if not grow:
                    break
                if candidate is SPELT and j >= i + 2:
                    # A match would be refused if the worst its skeleton can mean is no worse
                    # than its pieces alone; so would the longer windows that only lengthen a
                    # run of the last letter (same skeleton, more pieces). Skip them unmatched,
                    # unless a masked reading ("f@ck") could read it as another skeleton.
                    flat = bisect.bisect_right(starts, view.flat[starts[j]]) - 1
                    if not _masks_inside(masking, starts[i], starts[max(j, flat)]):
                        if ranks is None:
                            ranks = self._piece_ranks(run, pieces)
                        if self._spelt_rank(view, starts[i], starts[j]) <= max(ranks[i:j]):
                            j = max(j, flat) + 1
                            continue
                if candidate:
                    if j >= i + 2 and (candidate is SPELT or self._guess()):
                        windows.append(j)
                    j += 1
                else:  # skip the windows that only lengthen a run of the last letter
                    j = max(j, bisect.bisect_right(starts, view.flat[starts[j]]) - 1) + 1
            for j in reversed(windows):
                hits = self._tokens.joined_word(text[starts[i] : starts[j]])
                if hits and ranks is None:
                    ranks = self._piece_ranks(run, pieces)
                if hits and ranks is not None and max(ranks[i:j]) < self._rank(hits[0]):
                    hit = hits[0]
                    start = _run_position(pieces, starts, starts[i] + hit.start)
                    end = _run_position(pieces, starts, starts[i] + hit.end - 1) + 1
                    found.append(TermSpan(start, end, hit.term_id, hit.replacement))
                    i = j
                    break
            else:
                i += 1
        self._count(examined)
        if len(self._join_run_cache) >= CACHE_LIMIT:
            self._join_run_cache.clear()
        result = self._join_run_cache[run] = tuple(found)
        return result

    def _join_window(
        self, view: SkeletonView, start: int, end: int
    ) -> tuple[bool, WindowKind | None]:
        """``(extend, try)`` for the joined text ``[start:end)`` of a run (:class:`SkeletonView`).

        ``extend`` is False only when neither this window nor any longer one from ``start`` can
        match: no edge trim of it (:func:`edge_trims`) starts, up to its first hidden letter,
        with the look-alike skeleton of a listed form (what
        :meth:`~moderation.scoring.rules.match.TokenMatcher.whole_word` requires of a whole
        word, of a wildcard pattern's known letters and of a literal term), or when the letters
        after one of its hidden letters spell no part of a form (``SkeletonView.fail``). ``try``
        is None when the window itself cannot match (no hidden letters, no edge symbols, and a
        skeleton that is not a form's), ``SPELT`` when it spells a form's skeleton, ``GUESSED``
        otherwise.
        """
        base = min(view.hashes[start], end)
        core = min(view.edges[base], end)
        if core == end:  # "#" and edge symbols only
            return True, GUESSED
        core_end = max(view.edge_start[end], core)
        if view.fail[core] <= core_end:
            return False, None
        skeleton, first, last, hidden = view.skeleton, view.first, view.last, view.hidden
        trims = (
            (core,) if core == base else {*range(base, min(core, base + MAX_EDGE_TRIM) + 1), core}
        )
        for a in trims:
            stop = min(core_end, hidden[a])
            if stop <= a or first[a] > last[stop - 1]:
                break
            if skeleton[first[a] : last[stop - 1] + 1] in self._lists.join_prefixes:
                break
        else:
            return False, None
        if base > start or core > base or core_end < end or hidden[start] < end:
            return True, GUESSED
        return True, SPELT if skeleton[
            first[start] : last[end - 1] + 1
        ] in self._lists.join_keys else None

    def _spelt_rank(self, view: SkeletonView, start: int, end: int) -> int:
        """The worst rank a ``SPELT`` window ``[start:end)`` without masking characters can
        match (:attr:`CompiledLists.join_ranks` of its skeleton): a bound, read without
        matching it."""
        skeleton = view.skeleton[view.first[start] : view.last[end - 1] + 1]
        return self._lists.join_ranks[skeleton]

    def _rank(self, hit: TokenHit) -> int:
        return self._lists.terms[hit.term_id].severity.rank

    def _piece_ranks(self, s: str, pieces: list[tuple[int, int]]) -> list[int]:
        """The rank of each piece's own worst match (-1: none). A join counts only when it is
        worse than every piece it joins: "bitch's" is "bitch", not a new word across the
        apostrophe. Read once per run, not once per window (each window reused them)."""
        return [
            max((self._rank(h) for h in self._tokens.findings(s[a:b]).hits), default=-1)
            for a, b in pieces
        ]

    def _scan_spaced(self, s: str) -> list[TermSpan]:
        """Words spelt with single characters separated by spaces, dots, dashes, underscores.

        From each letter, the longest window of up to 30 letters that spells a word is taken;
        windows are extended only while their look-alike skeleton could still spell a form.
        """
        found: list[TermSpan] = []
        for run in _SPACED_RE.finditer(s):
            positions = [m.start() for m in TOKEN_RE.finditer(s, run.start(), run.end())]
            joined = "".join(s[p] for p in positions)
            view = skeleton_view(joined, self._lists.join_infixes)
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
                        if j >= i + 3 and (candidate is SPELT or self._guess()):
                            windows.append(j)
                        j += 1
                    else:
                        j = max(j, view.flat[j]) + 1
                for j in reversed(windows):
                    hits = self._tokens.spaced_word(joined[i:j])
                    if hits:
                        hit = hits[0]
                        found.append(
                            TermSpan(
                                positions[i], positions[j - 1] + 1, hit.term_id, hit.replacement
                            )
                        )
                        i = j
                        break
                else:
                    i += 1
            self._count(examined)
        return found

    def _spaced_window(
        self, view: SkeletonView, start: int, end: int
    ) -> tuple[bool, WindowKind | None]:
        """:meth:`_join_window` for spaced letters, which are matched without edge trims."""
        if view.fail[start] <= end:
            return False, None
        skeleton, first, last = view.skeleton, view.first, view.last
        stop = min(end, view.hidden[start])
        if (
            stop > start
            and first[start] <= last[stop - 1]
            and skeleton[first[start] : last[stop - 1] + 1] not in self._lists.join_prefixes
        ):
            return False, None
        if stop < end or first[start] > last[end - 1]:
            return True, GUESSED
        return True, SPELT if skeleton[
            first[start] : last[end - 1] + 1
        ] in self._lists.join_keys else None

    def _merge(self, found: list[TermSpan]) -> list[TermSpan]:
        """Drop duplicates and matches nested in a wider match at least as severe.

        One pass in start order: every match kept so far starts at or before the current one,
        so it is nested in one of them when, among those at least as severe, the furthest end
        reaches its end, and is further or starts earlier. Linear in the matches (times the
        few severity ranks), not quadratic.
        """
        # Every field in the key: two readings of one span ("god-damned" as "goddamned" or as
        # "god damned") must resolve the same way in every process, whatever the hash seed.
        found = sorted(set(found), key=_merge_order)
        kept: list[TermSpan] = []
        seen: set[tuple[int, int, int]] = set()
        reach: dict[int, tuple[int, int]] = {}  # rank -> (furthest end, earliest start there)
        for f in found:
            rank = self._lists.terms[f.term_id].severity.rank
            nested = False
            for r, (end, start) in reach.items():
                if r >= rank and (end > f.end or (end == f.end and start < f.start)):
                    nested = True
                    break
            if nested or (f.start, f.end, f.term_id) in seen:
                continue
            seen.add((f.start, f.end, f.term_id))
            kept.append(f)
            end, start = reach.get(rank, (-1, 0))
            if f.end > end:
                reach[rank] = (f.end, f.start)
            elif f.end == end and f.start < start:
                reach[rank] = (end, f.start)
        return kept


def original_span(text: str, normalized: Normalized, start: int, end: int) -> tuple[int, int]:
    """Span in the original, without invisible characters trailing the match."""
    first, last = normalized.original_span(start, end)
    while last > first and text[last - 1] in INVISIBLE:
        last -= 1
    return first, last


def _masks_inside(masking: list[int], start: int, end: int) -> bool:
    """Whether ``[start:end)`` holds a character that a masked reading may read as another
    vowel (:func:`masked_readings`: inside the window, not at its ends): such a window may
    match a term of another skeleton, so its skeleton bounds nothing."""
    k = bisect.bisect_right(masking, start)
    return k < len(masking) and masking[k] < end - 1


def _run_position(pieces: list[tuple[int, int]], starts: list[int], position: int) -> int:
    """Position in a run of the character at ``position`` of its pieces joined."""
    k = bisect.bisect_right(starts, position) - 1
    return pieces[k][0] + position - starts[k]


def _occurrences(s: str, token: str) -> Iterable[int]:
    """Start of every occurrence of ``token`` in ``s`` as a whole token."""
    end = len(token)
    i = s.find(token)
    while i >= 0:
        if (i == 0 or ONE_WORD_CHAR.match(s, i - 1) is None) and ONE_WORD_CHAR.match(
            s, i + end
        ) is None:
            yield i
        i = s.find(token, i + 1)
