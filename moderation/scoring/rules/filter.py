"""The rule filter's public face: :class:`RuleFilter`, built from the word lists.

It normalises a comment (:func:`~moderation.scoring.normalize.normalize`), finds terms with
:class:`~moderation.scoring.rules.spans.TermFinder` and spam signals with
:class:`~moderation.scoring.rules.spam.SpamMatcher`, reports each as a
:class:`~moderation.scoring.types.Match` spanning the original text, and respells the
matched terms for the classifier (:meth:`RuleFilter.deobfuscate`).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from moderation.scoring.names import NameGuard, SiteAllowList, TermInfo, words_of
from moderation.scoring.normalize import Normalized, normalize
from moderation.scoring.rules.compile import CompiledLists
from moderation.scoring.rules.match import TokenMatcher, WorkMeter
from moderation.scoring.rules.spam import SpamMatcher
from moderation.scoring.rules.spans import TermFinder, TermSpan, original_span
from moderation.scoring.types import Category, Match, Severity
from moderation.scoring.wordlists import Wordlists, load_wordlists

__all__ = ["MATCHER_VERSION", "RuleFilter", "validate_config"]

#: Bumped whenever matching semantics change; part of :attr:`RuleFilter.version`.
MATCHER_VERSION = "1.3"

#: Leet digits mapped in unmatched tokens for the classifier ("h3ll0" -> "hello").
_LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_LEET_HINT = re.compile(r"[^\W\d_][013457]+[^\W\d_]")
_ALNUM_RE = re.compile(r"[^\W_]+")


class RuleFilter:
    """Finds listed terms and spam signals in comments. Pure and thread-safe once built.

    Build with :meth:`from_config`; construction reads and compiles the lists (a few hundred
    milliseconds), so build one per process. Per-token results are cached (bounded) to keep
    the common case, a clean comment of words seen before, to a few set operations.
    """

    version: str

    def __init__(self, lists: Wordlists, names: NameGuard | None = None) -> None:
        self._lists = lists
        self._names = names or NameGuard()
        self._compiled = CompiledLists(lists)
        self._term_info = [TermInfo(t.name, t.category, t.severity) for t in self._compiled.terms]
        self._meter = WorkMeter()
        self._terms = TermFinder(
            self._compiled, TokenMatcher(self._compiled, self._meter), self._meter
        )
        self._spam = SpamMatcher(lists.spam)
        fingerprint = self._compiled.fingerprint()
        if names is not None:  # the gazetteer is part of what the rules read
            both = f"{fingerprint}:{self._names.fingerprint}".encode()
            fingerprint = hashlib.sha256(both).hexdigest()[:8]
        self.version = f"rules-{MATCHER_VERSION}+{fingerprint}"

    @classmethod
    def from_config(cls, config_dir: Path) -> RuleFilter:
        """Compile ``config_dir/wordlists/*.yaml`` and better-profanity's list, with the
        gazetteer of names (``names.yaml``).

        Raises :class:`RuleConfigError` (a ``ValueError``) naming the file and key of an
        invalid or inconsistent configuration.
        """
        return cls(load_wordlists(config_dir), NameGuard.from_config(config_dir))

    # -- public API --------------------------------------------------------------------------

    @property
    def work(self) -> int:
        """Work done by this thread's calls so far, in characters examined (instrumentation).

        Counts every character handed to a word matcher, every window of a join or of spaced
        letters considered and every character scanned to set them up; cached answers count
        as if computed. Bounded by a constant times the length of the texts matched, whatever
        they hold: tests assert that bound instead of timing the filter.
        """
        return self._meter.work

    @property
    def entries(self) -> tuple[tuple[str, Category, Severity, bool], ...]:
        """Every reported term: ``(term, category, severity, from better-profanity)``."""
        return tuple(
            (e.name, e.category, e.severity, e.in_better_profanity) for e in self._compiled.terms
        )

    @property
    def allowed(self) -> tuple[str, ...]:
        """The allow-listed phrases and words, as configured."""
        return self._lists.allow

    def analyze(
        self, text: str, allow: SiteAllowList | None = None
    ) -> tuple[list[Match], Normalized]:
        """``(self.find(text), self.deobfuscate(text))``, normalising and matching once.

        The scoring pipeline needs both for every comment. Matches that are proper names
        (:class:`~moderation.scoring.names.NameGuard`, with the site's ``allow`` list) are
        dropped, and the names are respelt "name" for the classifier.
        """
        normalized = normalize(text)
        found, names = self._guard(text, normalized, self._terms.find(normalized.text), allow)
        return self._matches(text, normalized, found), self._respell(normalized, found, names)

    def for_classifier(self, matches: Sequence[Match]) -> list[Match]:
        """``matches`` as the classifier reads them as features: terms listed under
        ``classifier_features`` in terms.yaml carry the severity the shipped model was
        trained with, or are left out (``omit``); every other match as it is. The policy
        still judges the matches themselves."""
        features = self._lists.classifier_features
        if not features:
            return list(matches)
        out: list[Match] = []
        for match in matches:
            if match.term not in features:
                out.append(match)
                continue
            severity = features[match.term]
            if severity is not None:
                out.append(Match(match.term, match.category, severity, match.start, match.end))
        return out

    def find_for_classifier(self, text: str) -> list[Match]:
        """:meth:`find`, then :meth:`for_classifier`: the rule features of one text."""
        return self.for_classifier(self.find(text))

    def analyze_batch(
        self, texts: Sequence[str], allow: SiteAllowList | None = None
    ) -> list[tuple[list[Match], Normalized]]:
        """:meth:`analyze` for each text, in order."""
        return [self.analyze(text, allow) for text in texts]

    def find(
        self, text: str, allow: SiteAllowList | None = None, *, names: bool = True
    ) -> list[Match]:
        """Every term and spam match in ``text``, sorted by start, spans in ``text``.

        Proper names are not matches (see :meth:`analyze`) unless ``names`` is false.
        """
        normalized = normalize(text)
        found = self._terms.find(normalized.text)
        if names:
            found, _ = self._guard(text, normalized, found, allow)
        return self._matches(text, normalized, found)

    def _guard(
        self,
        text: str,
        normalized: Normalized,
        found: list[TermSpan],
        allow: SiteAllowList | None,
    ) -> tuple[list[TermSpan], list[tuple[int, int]]]:
        """``found`` without the matches that are proper names, and those names' spans in
        ``normalized``."""
        if not found:
            return found, []
        words = words_of(text)
        starts = [w.start for w in words]
        kept: list[TermSpan] = []
        names: list[tuple[int, int]] = []
        offsets = normalized.offsets
        for span in found:
            start, end = original_span(text, normalized, span.start, span.end)
            word = self._names.protects(
                words, start, end, self._term_info[span.term_id], allow, starts
            )
            if word is None:
                kept.append(span)
                continue
            first = bisect.bisect_left(offsets, word.start, 0, len(normalized.text))
            last = bisect.bisect_left(offsets, word.end, 0, len(normalized.text))
            names.append((first, last))
        return kept, names

    def _matches(self, text: str, normalized: Normalized, found: list[TermSpan]) -> list[Match]:
        matches = [self._to_match(text, normalized, f) for f in found]
        matches.extend(self._spam.find(text, normalized))
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
        found, names = self._guard(text, normalized, self._terms.find(normalized.text), None)
        return self._respell(normalized, found, names)

    @staticmethod
    def _respell(
        normalized: Normalized, found: list[TermSpan], names: Sequence[tuple[int, int]] = ()
    ) -> Normalized:
        """``normalized`` with the matched terms respelt, leet digits read and proper names
        that hold a listed word written "name" (so the classifier does not read them)."""
        s = normalized.text
        edits = [(f.start, f.end, f.replacement) for f in found]
        edits.extend((start, end, "name") for start, end in names if start < end)
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

    def _to_match(self, text: str, normalized: Normalized, found: TermSpan) -> Match:
        term = self._compiled.terms[found.term_id]
        start, end = original_span(text, normalized, found.start, found.end)
        return Match(term.name, term.category, term.severity, start, end)


def validate_config(config_dir: Path) -> None:
    """Compile the word lists under ``config_dir`` (the other languages' too, ``lang/``);
    raises :class:`RuleConfigError` if invalid."""
    RuleFilter.from_config(config_dir)
    from moderation.scoring.rules.languages import LanguageLists

    LanguageLists.from_config(config_dir)
