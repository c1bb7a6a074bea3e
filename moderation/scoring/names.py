"""Proper names that contain a listed word: when a word-list match is a name, not a word.

"I grew up near Bitchfield.", "We hiked Mount Buggery.", "Sheila Dikshit was Chief Minister
of Delhi." hold a listed word inside a real name. :class:`NameGuard` decides, for each match
of the rule filter and from the text the author wrote (capitals included), whether it is such
a name, from three sources:

* the gazetteer ``config/wordlists/names.yaml`` (see its header): ``words`` protected when
  capitalised or after a place word, ``context_words`` (names that are rude words themselves)
  only when capitalised in a name context, ``phrases`` as written in any case;
* a context heuristic for names not in it: a capitalised word that is not the first of its
  sentence, that contains a profanity term without being it ("Shittington", not "Shit"), after
  a place or title word ("near", "Mount", "Lake", "Mr", "Dr"...) or before a place noun
  ("Road", "Hill", "Creek"...);
* the site's own allow-list (:class:`SiteAllowList`, edited in the dashboard): exact words
  and phrases, in any case.

Never protected: a word addressed to someone ("you dikshit", "You Dikshit!", "you're a
Dikshit") — that is the insult, whatever the spelling — and severe terms (slurs) through the
heuristic. Pure: no I/O after loading.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from moderation import yamltext
from moderation.scoring.types import Category, Severity
from moderation.scoring.wordlists import RuleConfigError

__all__ = [
    "ADDRESS_WORDS",
    "MAX_ALLOW_ENTRIES",
    "MAX_ALLOW_ENTRY_LENGTH",
    "MAX_ALLOW_ENTRY_WORDS",
    "NameGuard",
    "SiteAllowList",
    "Word",
    "allow_entry_words",
    "words_of",
]


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Words before a name that say it is a place or a person's name.
PLACE_WORDS_BEFORE = _wordset(
    "near in at from to around outside visit visited visiting via through past toward towards "
    "mount mt lake loch glen fort port cape river upper lower north south east west great "
    "little old new saint st mr mrs ms miss dr sir dame lady lord prof professor senator "
    "minister judge governor mayor councillor"
)
#: The titles among them: a person's name follows, or a mock title ("Professor Knucklefuck").
TITLE_WORDS = _wordset(
    "mr mrs ms miss dr sir dame lady lord prof professor senator minister judge governor mayor "
    "councillor"
)
#: Words after a name that say it is a place.
PLACE_NOUNS_AFTER = _wordset(
    "road rd street lane avenue ave way close crescent drive hill hills river creek brook lake "
    "park station bay island valley vale farm wood woods common green end bridge falls "
    "mountain range point beach church chapel village town city county parish hall manor "
    "house school airport estate square court junction reservoir forest moor heath"
)
#: Words that address the reader or another commenter: the next word is aimed at them.
ADDRESS_WORDS = _wordset("you ya ye u yer you're youre ur")
_ARTICLES = _wordset("a an the such absolute complete total utter")
_SENTENCE_END = frozenset(".!?\n")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_ENTRY_RE = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")

#: Limits of a site's allow-list: entries are exact names, not patterns.
MAX_ALLOW_ENTRIES = 200
MAX_ALLOW_ENTRY_LENGTH = 60
MAX_ALLOW_ENTRY_WORDS = 4


@dataclass(frozen=True, slots=True)
class Word:
    """A word of the original text: its text and ``[start, end)``."""

    text: str
    start: int
    end: int
    sentence_start: bool = False

    @property
    def key(self) -> str:
        return self.text.casefold().replace("\u2019", "'")

    @property
    def capitalised(self) -> bool:
        """Title case ("Bitchfield"), not all capitals (shouting says nothing about names)."""
        return self.text[0].isupper() and not self.text.isupper()


def words_of(text: str) -> list[Word]:
    """The words of ``text``, each knowing whether it starts a sentence."""
    out: list[Word] = []
    last = 0
    for m in _WORD_RE.finditer(text):
        gap = text[last : m.start()]
        starts = not out or any(c in _SENTENCE_END for c in gap)
        out.append(Word(m.group(), m.start(), m.end(), starts))
        last = m.end()
    return out


def allow_entry_words(entry: str) -> tuple[str, ...]:
    """The words of an allow-list entry, case-folded: what a text must spell to use it.

    Raises ``ValueError`` naming the problem for an entry that is empty, too long (over
    :data:`MAX_ALLOW_ENTRY_LENGTH` characters or :data:`MAX_ALLOW_ENTRY_WORDS` words) or holds
    anything but letters, spaces, hyphens and apostrophes.
    """
    cleaned = " ".join(entry.split())
    if not cleaned:
        raise ValueError("the entry is empty")
    if len(cleaned) > MAX_ALLOW_ENTRY_LENGTH:
        raise ValueError(f"the entry is longer than {MAX_ALLOW_ENTRY_LENGTH} characters")
    parts = cleaned.split(" ")
    if len(parts) > MAX_ALLOW_ENTRY_WORDS:
        raise ValueError(f"the entry has more than {MAX_ALLOW_ENTRY_WORDS} words")
    if not all(_ENTRY_RE.fullmatch(p) for p in parts):
        raise ValueError("an entry may hold only letters, spaces, hyphens and apostrophes")
    words: list[str] = []
    for part in parts:
        words.extend(w.casefold().replace("\u2019", "'") for w in _WORD_RE.findall(part))
    return tuple(words)


@dataclass(frozen=True, slots=True)
class SiteAllowList:
    """A site's allow-listed names: exact words and phrases (case-folded word tuples).

    ``version`` names this list for the decision record (``None`` when empty).
    """

    entries: frozenset[tuple[str, ...]]
    #: Phrase entries by each of their words: a match is compared with the few holding it.
    by_word: dict[str, tuple[tuple[str, ...], ...]] = field(
        init=False, compare=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_word", _phrases_by_word(self.entries))

    @classmethod
    def of(cls, entries: Iterable[str]) -> SiteAllowList:
        """Raises ``ValueError`` for an invalid entry (see :func:`allow_entry_words`)."""
        return cls(frozenset(allow_entry_words(e) for e in entries))

    @property
    def version(self) -> str | None:
        if not self.entries:
            return None
        payload = "\n".join(sorted(" ".join(e) for e in self.entries))
        return "allow-" + hashlib.sha256(payload.encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class TermInfo:
    """What the guard needs to know of the matched term."""

    name: str
    category: Category
    severity: Severity


class NameGuard:
    """Decides whether a word-list match is a proper name. Pure and thread-safe once built."""

    def __init__(
        self,
        words: Iterable[str] = (),
        context_words: Iterable[str] = (),
        phrases: Iterable[str] = (),
        fingerprint: str = "none",
    ) -> None:
        self.words = frozenset(w.casefold() for w in words)
        self.context_words = frozenset(w.casefold() for w in context_words)
        self.phrases = frozenset(tuple(p.casefold().split()) for p in phrases)
        self._phrases_by_word = _phrases_by_word(self.phrases)
        self.fingerprint = fingerprint

    @classmethod
    def from_config(cls, config_dir: Path) -> NameGuard:
        """Read ``config_dir/wordlists/names.yaml`` (none: an empty gazetteer).

        Raises :class:`RuleConfigError` naming the file and key of a malformed entry.
        """
        path = config_dir / "wordlists" / "names.yaml"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        try:
            data = yamltext.safe_load(raw)
        except yaml.YAMLError as exc:
            raise RuleConfigError(f"{path}: not valid YAML: {exc}") from None
        if data is None:
            data = {}
        if not isinstance(data, dict) or set(data) - {"words", "context_words", "phrases"}:
            raise RuleConfigError(
                f"{path}: top level must be a mapping of words, context_words and phrases"
            )
        sections = {key: _section(data, key, str(path)) for key in data}
        for key in ("words", "context_words"):
            for name in sections.get(key, ()):
                if " " in name:
                    raise RuleConfigError(f"{path}: {key}: {name!r} is a phrase: list it there")
        return cls(
            sections.get("words", ()),
            sections.get("context_words", ()),
            sections.get("phrases", ()),
            hashlib.sha256(raw).hexdigest()[:8],
        )

    def protects(
        self,
        words: Sequence[Word],
        start: int,
        end: int,
        term: TermInfo,
        allow: SiteAllowList | None = None,
        starts: Sequence[int] | None = None,
    ) -> Word | None:
        """The word the match ``[start, end)`` of ``term`` lies in, when it is a name; else None.

        ``words`` are :func:`words_of` the original text; ``start``/``end`` index it.
        ``starts`` are the words' start offsets (computed when not given): a caller asking
        about many matches of one text passes them, so each question costs a bisection.
        """
        if term.severity is Severity.NONE:
            return None  # nothing rude to protect ("to God's ear"): the text stays as written
        if starts is None:
            starts = [w.start for w in words]
        # The words the match overlaps: from the last starting at or before its start.
        first = max(bisect.bisect_right(starts, start) - 1, 0)
        inside = []
        for i in range(first, len(words)):
            if words[i].start >= end:
                break
            if words[i].end > start:
                inside.append(i)
            if len(inside) > 1:
                break
        if len(inside) != 1:
            return None  # a match over several words is a phrase term, not inside a name
        i = inside[0]
        word = words[i]
        if _addressed(words, i):
            return None
        key = word.key
        if allow is not None and ((key,) in allow.entries or _in_phrase(words, i, allow.entries)):
            return word
        if _in_phrase(words, i, self.phrases):
            return word
        before = words[i - 1].key if i > 0 and _adjacent(words[i - 1], word) else ""
        after = words[i + 1].key if i + 1 < len(words) and _adjacent(word, words[i + 1]) else ""
        name_context = before in PLACE_WORDS_BEFORE or after in PLACE_NOUNS_AFTER
        if key in self.words and (word.capitalised or before in PLACE_WORDS_BEFORE):
            return word
        if key in self.context_words and word.capitalised and name_context:
            return word
        if (
            term.category is Category.PROFANITY
            and term.severity is not Severity.SEVERE
            # After a title only around milder words: a strong word in a titled "name" is
            # far more often a mock title ("Professor Knucklefuck") than a surname; real
            # ones belong in the gazetteer or the site's allow-list.
            and (
                term.severity in (Severity.MILD, Severity.MODERATE)
                or after in PLACE_NOUNS_AFTER
                or (before in PLACE_WORDS_BEFORE and before not in TITLE_WORDS)
            )
            and word.capitalised
            and name_context
            and not word.sentence_start
            and len(key) > len(term.name) + 1
        ):
            return word
        return None


def _section(data: dict[str, Any], key: str, source: str) -> list[str]:
    section = data.get(key) or {}
    if not isinstance(section, dict) or not all(isinstance(k, str) for k in section):
        raise RuleConfigError(f"{source}: {key}: must be a mapping of name to where it is")
    return [k for k in section]


def _phrases_by_word(
    phrases: Iterable[tuple[str, ...]],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        if len(phrase) > 1:
            for word in set(phrase):
                index.setdefault(word, []).append(phrase)
    return {word: tuple(found) for word, found in index.items()}


def _adjacent(first: Word, second: Word) -> bool:
    """Nothing but spaces (or a comma) between two words: they belong to one name or phrase."""
    return second.start - first.end <= 2


def _in_phrase(words: Sequence[Word], i: int, phrases: Iterable[tuple[str, ...]]) -> bool:
    for phrase in phrases:
        n = len(phrase)
        if n == 1:
            continue
        for first in range(max(0, i - n + 1), min(i, len(words) - n) + 1):
            window = words[first : first + n]
            if tuple(w.key for w in window) == phrase and all(
                _adjacent(a, b) for a, b in itertools.pairwise(window)
            ):
                return True
    return False


def _addressed(words: Sequence[Word], i: int) -> bool:
    """Word ``i`` is aimed at someone: "you X", "you're a X", "you absolute X"."""
    previous = [w.key for w in words[max(0, i - 3) : i]]
    if previous and previous[-1] in ADDRESS_WORDS:
        return True
    while previous and previous[-1] in _ARTICLES:
        previous.pop()
        if previous and previous[-1] in ADDRESS_WORDS | {"are"}:
            return True
    return False
