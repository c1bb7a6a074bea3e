"""Phrase patterns: threats, attacks on groups, insults without rude words, commercial spam.

Word lists catch words; these catch constructions ("I'll break your jaw", "<group> are
vermin", "you have the IQ of a potato", "make $500 a day"). Patterns come from
``config/wordlists/patterns.yaml`` and run on the rule filter's de-obfuscated, normalised
text, so "1'll k1ll y0u" is read as "i'll kill you"; matches are reported with offsets into
the original text. Pure: no I/O after loading, thread-safe.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from moderation import yamltext
from moderation.scoring.anchors import anchors, may_match
from moderation.scoring.normalize import Normalized
from moderation.scoring.types import Category, Match, Severity
from moderation.scoring.wordlists import RuleConfigError

CRITICISM = "impersonal-criticism"
#: Frames that report someone else's words, and words that condemn them: they lower the
#: severity of a hate match (``PatternFilter._lower_reported_hate``); never matches alone.
REPORTED = "reported-speech"
CONDEMNATION = "condemnation"
_FRAMES = frozenset({REPORTED, CONDEMNATION})
SIGNAL = "spam-signal"
SIGNALS = "spam-signals"  # two or more different spam signals (a link counts as one)
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|you're|youre|yourself|u|ur|ya)\b")
# A sentence: text up to a terminator that ends it (followed by a space or the end), so
# "3.5" and "e.g." inside a sentence do not split it. Linear: one pass, no backtracking.
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?]+(?=[^\s.!?]))+[.!?]*")
# The vocabulary of harsh words (patterns.yaml ``vocab.harsh``): a sentence that uses one
# while addressing the reader insults the reader.
HARSH_VOCABULARY = "harsh"
#: Vocabularies of a sentence's targets (patterns.yaml): institutions and classes of people,
#: and officials (a singular official is one person: "the mayor is a clown" is personal).
INSTITUTION_VOCABULARY = "institution"
OFFICIAL_VOCABULARY = "official"
#: Name-calling words: in a sentence aimed only at institutions they are blunt criticism
#: even when no pattern matched ("Politicians are all clowns.").
INSULT_VOCABULARY = "insult_noun"
#: Groups by a protected attribute: a sentence naming one is never "only institutions"
#: ("the Jews running this place" is a trope, not criticism of a council).
GROUP_VOCABULARIES = ("group", "group_one", "group_adj")
# The people in charge of a place, not a person: "the clowns running this place".
_IN_CHARGE = re.compile(
    r"\b(?:running|run|runs|ran|in\s+charge\s+of|in\s+charge\s+at)\s+(?:this|the|that|our)\s+"
    r"(?:place|show|city|town|country|club|council|state|circus|county|department|site)\b"
)
# A single person: third-person pronouns, and the one person at the head of a body ("the
# police chief", "the council leader"), whom an insult attacks personally.
_ONE_PERSON = re.compile(
    r"\b(?:he|she|him|her|his|hers|himself|herself|chief|head|boss|chair|chairman|chairwoman"
    r"|chairperson|leader|director|ceo|spokesman|spokeswoman|spokesperson|secretary|manager"
    r"|superintendent|principal|captain|speaker|premier|chancellor|owner|founder|deputy)\b"
)
_VOCAB_REF = re.compile(r"\{([a-z_]\w*)\}")
_KEYS = {"name", "category", "severity", "about", "regex"}


@dataclass(frozen=True, slots=True)
class Pattern:
    name: str
    category: Category
    severity: Severity
    regex: re.Pattern[str]
    #: words one of which every match contains (:mod:`.anchors`): no scan without one
    anchors: tuple[str, ...] | None = None


class PatternFilter:
    """Compiled phrase patterns. Build with :meth:`from_config`; call :meth:`find`."""

    def __init__(
        self,
        patterns: Sequence[Pattern],
        fingerprint: str,
        harsh: re.Pattern[str] | None = None,
        institutions: re.Pattern[str] | None = None,
        one_official: re.Pattern[str] | None = None,
        name_calling: re.Pattern[str] | None = None,
        groups: re.Pattern[str] | None = None,
    ) -> None:
        self.patterns = tuple(patterns)
        self._harsh = harsh
        self._institutions = institutions
        self._one_official = one_official
        self._name_calling = name_calling
        self._groups = groups
        self.version = f"patterns-1.0+{fingerprint}"
        self._criticism = [p for p in self.patterns if p.name == CRITICISM]
        self._reported = [p for p in self.patterns if p.name == REPORTED]
        self._condemnation = [p for p in self.patterns if p.name == CONDEMNATION]
        self._acting = [p for p in self.patterns if p.name != CRITICISM and p.name not in _FRAMES]

    @classmethod
    def from_config(cls, config_dir: Path) -> PatternFilter:
        """Raises :class:`RuleConfigError` naming the file and pattern when invalid."""
        path = config_dir / "wordlists" / "patterns.yaml"
        try:
            raw = path.read_bytes()
            data = yamltext.safe_load(raw)
        except FileNotFoundError:
            raise RuleConfigError(f"{path}: file not found") from None
        except yaml.YAMLError as exc:
            raise RuleConfigError(f"{path}: not valid YAML: {exc}") from None
        patterns = _compile(data, str(path))
        vocab = _vocabulary(data, str(path))
        harsh_words = vocab.get(HARSH_VOCABULARY)
        harsh = re.compile(rf"\b{harsh_words}\b") if harsh_words else None
        institution_words = vocab.get(INSTITUTION_VOCABULARY)
        institutions = (
            re.compile(rf"\b{institution_words}\b|{_IN_CHARGE.pattern}")
            if institution_words
            else None
        )
        officials = sorted(
            w
            for w in str(data.get("vocab", {}).get(OFFICIAL_VOCABULARY, "")).split()
            if not w.endswith("s")
        )
        one_official = (
            re.compile(r"\b(?:" + "|".join(map(re.escape, officials)) + r")\b")
            if officials
            else None
        )
        insults = [vocab[v] for v in (INSULT_VOCABULARY, HARSH_VOCABULARY) if v in vocab]
        group_words = [vocab[v] for v in GROUP_VOCABULARIES if v in vocab]
        groups = re.compile(r"\b(?:" + "|".join(group_words) + r")\b") if group_words else None
        name_calling = re.compile(r"\b(?:" + "|".join(insults) + r")\b") if insults else None
        return cls(
            patterns,
            hashlib.sha256(raw).hexdigest()[:8],
            harsh,
            institutions,
            one_official,
            name_calling,
            groups,
        )

    def find(self, normalized: Normalized, word_matches: Sequence[Match] = ()) -> list[Match]:
        """Matches of every pattern in ``normalized`` (offsets into the original text).

        Two or more different ``spam-signal`` hits (a link counts as one) add a moderate
        ``spam-signals`` match. The ``impersonal-criticism`` match is reported only when nothing
        in the comment is aimed at a person or rude in itself: no other pattern, no word-list
        term (``word_matches``) worse than mild ("idiotic" alone is blunt opinion), and no
        sentence that addresses the reader (second person) while using a harsh word or a
        word-list term. Judged per sentence: "The plan is idiotic. Read the audit before
        you defend it." keeps it (the second sentence is civil); "The plan is idiotic. You
        are idiotic too." does not.
        """
        text = normalized.text
        found: list[Match] = []
        aimed_at_institutions: list[tuple[int, int]] = []
        sentences = [s.span() for s in _SENTENCE.finditer(text)]
        for pattern in self._acting:
            if not may_match(text, pattern.anchors):
                continue  # none of the words every match needs: nothing to find
            for m in pattern.regex.finditer(text):
                if pattern.category is Category.ATTACK and self._at_institutions_only(
                    text, sentences, m.start()
                ):
                    aimed_at_institutions.append(m.span())
                    continue
                start, end = normalized.original_span(m.start(), m.end())
                found.append(Match(pattern.name, pattern.category, pattern.severity, start, end))
        if self._name_calling is not None and self._institutions is not None:
            aimed_at_institutions.extend(
                hit.span()
                for a, b in sentences
                if self._at_institutions_only(text, sentences, a)
                for hit in [self._name_calling.search(text, a, b)]
                if hit is not None
            )
        found = self._lower_reported_hate(normalized, found)
        signals = {text[m.start : m.end].lower() for m in found if m.term == SIGNAL}
        if any(m.term == "link" for m in word_matches):
            signals.add("<link>")
        if len(signals) >= 2:
            spots = [m for m in found if m.term == SIGNAL] or list(word_matches)
            found.append(
                Match(
                    SIGNALS,
                    Category.SPAM,
                    Severity.MODERATE,
                    min(m.start for m in spots),
                    max(m.end for m in spots),
                )
            )
        rude = any(
            m.severity.rank >= Severity.MODERATE.rank and m.category is not Category.SPAM
            for m in word_matches
        )
        acting = [m for m in found if m.severity is not Severity.NONE and m.term != SIGNAL]
        if (
            self._criticism
            and not acting
            and not rude
            and not self._insults_the_reader(normalized, word_matches)
        ):
            spans = [
                hit.span()
                for hit in (pattern.regex.search(text) for pattern in self._criticism)
                if hit is not None
            ]
            if aimed_at_institutions and self._criticism:
                spans.append(aimed_at_institutions[0])
            if spans:
                start, end = normalized.original_span(*min(spans))
                criticism = self._criticism[0]
                found.append(Match(CRITICISM, criticism.category, criticism.severity, start, end))
        found.sort(key=lambda x: (x.start, x.end))
        return found

    def lower_reported(self, normalized: Normalized, found: list[Match]) -> list[Match]:
        """Another detector's hate matches, lowered as this filter lowers its own when the
        commenter reports or condemns them (:meth:`_lower_reported_hate`)."""
        return self._lower_reported_hate(normalized, list(found))

    def _lower_reported_hate(self, normalized: Normalized, found: list[Match]) -> list[Match]:
        """Hate matches the commenter reports rather than makes, lowered.

        A hate match whose sentence has a ``reported-speech`` frame (``he said``, ``when
        people say``, ``calling refugees``) starting before it is someone else's claim being
        reported or quoted: ``strong``/``severe`` become ``moderate`` (a person reads it,
        nothing is refused), and when the comment also has a ``condemnation`` ("which is
        disgusting", "is antisemitic"), the match becomes ``mild`` (published, shown to
        moderators). The frame itself is reported as a ``none`` match so the decision shows
        why. First-person frames ("I say...") are excluded by the pattern.
        """
        if not self._reported or not any(m.category is Category.HATE for m in found):
            return found
        text = normalized.text
        condemned = any(p.regex.search(text) for p in self._condemnation)
        out: list[Match] = []
        frames: list[Match] = []
        for sentence in _SENTENCE.finditer(text):
            s_start, s_end = normalized.original_span(sentence.start(), sentence.end())
            starts = [
                normalized.original_span(sentence.start() + m.start(), sentence.start() + m.end())
                for p in self._reported
                for m in p.regex.finditer(sentence.group())
            ]
            for match in found:
                if match.category is not Category.HATE or not s_start <= match.start < s_end:
                    continue
                frame = next(((a, b) for a, b in starts if a <= match.start), None)
                if frame is None:
                    continue
                ceiling = Severity.MILD if condemned else Severity.MODERATE
                severity = ceiling if match.severity.rank > ceiling.rank else match.severity
                out.append(Match(match.term, match.category, severity, match.start, match.end))
                if frame not in [(f.start, f.end) for f in frames]:
                    frames.append(Match(REPORTED, Category.HATE, Severity.NONE, *frame))
        lowered = {(m.term, m.start, m.end) for m in out}
        kept = [m for m in found if (m.term, m.start, m.end) not in lowered]
        return [*kept, *out, *frames]

    def _at_institutions_only(
        self, text: str, sentences: Sequence[tuple[int, int]], position: int
    ) -> bool:
        """The sentence holding ``position`` is aimed at institutions or a class of people
        only: it names one (``institution`` vocabulary, "the clowns running this place"),
        and neither addresses the reader nor speaks of one person (he/she, a singular
        official such as "the mayor"), nor names a group by a protected attribute."""
        if self._institutions is None:
            return False
        sentence = next((text[a:b] for a, b in sentences if a <= position < b), "")
        return (
            self._institutions.search(sentence) is not None
            and _SECOND_PERSON.search(sentence) is None
            and _ONE_PERSON.search(sentence) is None
            and (self._groups is None or self._groups.search(sentence) is None)
            and (self._one_official is None or self._one_official.search(sentence) is None)
        )

    def _insults_the_reader(self, normalized: Normalized, word_matches: Sequence[Match]) -> bool:
        """Some sentence addresses the reader and is harsh: it uses a harsh word, an
        impersonal-criticism phrase, or a word-list term (other than spam)."""
        text = normalized.text
        for sentence in _SENTENCE.finditer(text):
            if not _SECOND_PERSON.search(sentence.group()):
                continue
            if self._harsh is None or self._harsh.search(sentence.group()):
                return True  # without the vocabulary, any second person loses the cap
            if any(p.regex.search(sentence.group()) for p in self._criticism):
                return True
            start, end = normalized.original_span(sentence.start(), sentence.end())
            if any(
                m.category is not Category.SPAM and m.start < end and m.end > start
                for m in word_matches
            ):
                return True
        return False


def _vocabulary(data: dict[str, Any], source: str) -> dict[str, str]:
    vocab = data.get("vocab", {})
    if not isinstance(vocab, dict):
        raise RuleConfigError(f"{source}: vocab: must be a mapping of name to words")
    out = {}
    for name, words in vocab.items():
        if not isinstance(words, str) or not words.split():
            raise RuleConfigError(f"{source}: vocab.{name}: must be a space-separated word list")
        alternatives = sorted(set(words.split()), key=len, reverse=True)
        words_re = "|".join(re.escape(w) for w in alternatives)
        out[str(name)] = f"(?:(?:{words_re})(?:s|es|ed|d|ing)?)"
    return out


def _compile(data: Any, source: str) -> list[Pattern]:
    if not isinstance(data, dict) or set(data) - {"vocab", "patterns"}:
        raise RuleConfigError(f"{source}: top level must be a mapping with vocab and patterns")
    vocab = _vocabulary(data, source)
    entries = data.get("patterns")
    if not isinstance(entries, list) or not entries:
        raise RuleConfigError(f"{source}: patterns: must be a non-empty list")
    patterns: list[Pattern] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{source}: patterns[{index}]"
        if not isinstance(entry, dict):
            raise RuleConfigError(f"{where}: must be a mapping")
        unknown = set(entry) - _KEYS
        if unknown:
            raise RuleConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        name = entry.get("name")
        if not isinstance(name, str) or not name or name in seen:
            raise RuleConfigError(f"{where}: name: must be a unique non-empty string")
        seen.add(name)
        where = f"{source}: pattern {name!r}"
        try:
            category = Category(str(entry.get("category")))
            severity = Severity(str(entry.get("severity")))
        except ValueError as exc:
            raise RuleConfigError(f"{where}: {exc}") from None
        body = entry.get("regex")
        if not isinstance(body, str) or not body.strip():
            raise RuleConfigError(f"{where}: regex: must be a non-empty string")

        def expand(m: re.Match[str], where: str = where) -> str:
            if m.group(1) not in vocab:
                raise RuleConfigError(f"{where}: unknown vocabulary {{{m.group(1)}}}")
            return vocab[m.group(1)]

        try:
            regex = re.compile(_VOCAB_REF.sub(expand, body.strip()))
        except re.error as exc:
            raise RuleConfigError(f"{where}: regex does not compile: {exc}") from None
        patterns.append(Pattern(name, category, severity, regex, anchors(regex)))
    return patterns
