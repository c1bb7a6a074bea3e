"""The threat target check: violent words with no person or group as their target.

The classifier reads "kill" as a threat wherever it stands, so hyperbole about things ("The
bill will kill the high street", "Rising rents are killing this town", "This heat is killing
me", "I'd kill for a decent bus service") scores like a threat. :meth:`ThreatTargets.check`
reports a ``figurative-violence`` match (category threat, severity none: it never acts on its
own) when every violent verb in the comment is a figure of speech; the policy then caps the
classifier's threat score below the threat hold (``threat_target.max_untargeted``) and
records why. It reports nothing, so the score stands, when:

* a threat or hate rule matched, or a weapon is named anywhere;
* the comment addresses the reader (you, your, u, ya, yourself...) anywhere, except in a
  message idiom ("I'll shoot you an email", "hit me up"), which is no violence at all;
* a sentence with a violent verb names a person or a group: a third-person pronoun, a person
  noun (reporter, mayor, family, people, everyone, anyone...), a group of patterns.yaml, or a
  capitalised name after the verb ("Kill Trump"); a possessive ("the referee's decision")
  names no target;
* a violent verb is not figurative: the commenter is the doer (first person, an imperative
  or an exhortation: "time to start killing...") or a named person is ("Trump will
  destroy..."), and the object is not an abstraction ("I'll kill the cat", "Burn the town
  hall"); a passive's subject is not an abstraction ("X should have been executed"); or the
  verb is one that is never figurative ("rape").

A thing as the doer ("the bill", "rents", "this heat") may hurt any object but a person; the
commenter as the doer may hurt only an abstraction ("kill the bill") or want something
("I'd kill for a bus"). Lists live in ``config/wordlists/targets.yaml`` and patterns.yaml's
vocabularies. Pure: no I/O after loading, thread-safe.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from moderation.scoring.normalize import Normalized
from moderation.scoring.types import Category, Match, Severity
from moderation.scoring.wordlists import RuleConfigError, load_yaml

__all__ = ["FIGURATIVE", "ThreatTargets"]

#: The match term of a comment whose violent words target no person (see the module doc).
FIGURATIVE = "figurative-violence"

#: More violent verbs than this in one comment: the check reports nothing (the score
#: stands), which also bounds its work on long texts.
MAX_VERBS = 12

_LISTS = (
    "verbs",
    "never_figurative",
    "irregular",
    "pronouns",
    "people",
    "commenter",
    "self",
    "abstract",
    "literal",
)
#: patterns.yaml vocabularies read here (the group and person words stay in one place).
_VOCAB = ("violence", "official", "group", "group_one", "group_adj", "group_noun", "insult_noun")
_VOCAB_OPTIONAL = ("thing", "weapon")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SECOND_PERSON = re.compile(
    r"\b(?:you|your|yours|you're|youre|you'll|you'd|you've|yourself|yourselves|u|ur|ya|yer)\b"
)
#: "Shoot you an email", "fire me a text", "hit you up": a violent verb that sends a message.
#: Blanked out before the check reads the comment (its "you" does not address the reader as
#: a target); a comment whose only violent verb is one of these is figurative.
_MESSAGE_IDIOM = re.compile(
    r"\b(?:shoot|shoots|shooting|shot|fire|fires|firing|fired|hit|hits|hitting|drop|drops"
    r"|dropping|dropped)\s+(?:me|you|u|ya|us|him|her|them)\s+(?:(?:an?|the|my|your|our|this"
    r"|that|quick|short|little|brief)\s+){0,2}(?:email|emails|e-mail|mail|message|messages"
    r"|text|texts|note|notes|line|link|links|invite|invitation|photo|photos|picture|pictures"
    r"|dm|dms|pm|pms|reply|question|questions|call|update|updates|file|files|copy)\b"
    r"|\bhit\s+(?:me|you|u|us|him|her|them)\s+up\b"
)
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?]+(?=[^\s.!?]))+[.!?]*")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
_CLAUSE_PUNCT = re.compile("[,;:()\u2014\u2013]|\\s-\\s")
_CONJUNCTIONS = _words(
    "and but or so because while whereas although though if when until unless then"
)
#: Words that say nothing about who does it: auxiliaries, adverbs, negation.
_FUNCTION = _words(
    "will would could should can may might must shall is are was were be been being am "
    "going gonna to has have had does do did not never just really slowly already "
    "actually absolutely literally totally truly simply also still about only even "
    "probably surely certainly definitely basically honestly seriously please now then ll "
    "'ll re 've 'd"
)
#: Words before an imperative verb ("just kill the bill", "let's kill it").
_IMPERATIVE_LEAD = _words("just please go now then so and simply pls let's lets")
#: Prepositions that end the object of a verb ("killing the high street with parking fees").
_OBJECT_END = _words("for with in on at by to from into through over under of")


@dataclass(frozen=True, slots=True)
class _Token:
    word: str
    start: int
    end: int


class ThreatTargets:
    """Compiled word lists. Build with :meth:`from_config`; call :meth:`check`."""

    def __init__(self, lists: dict[str, frozenset[str]]) -> None:
        self._lists = lists
        canonical = repr(sorted((k, sorted(v)) for k, v in lists.items()))
        self.version = f"targets-1.0+{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"
        self._forms = _verb_forms(lists["violence"] | lists["verbs"], lists["irregular"])
        self._never = {f for f, base in self._forms.items() if base in lists["never_figurative"]}
        self._targets = (
            lists["pronouns"]
            | lists["people"]
            | lists["official"]
            | lists["group"]
            | lists["group_one"]
            | lists["insult_noun"]
            | {w + "s" for w in lists["insult_noun"] | lists["official"]}
        )
        self._abstract = lists["abstract"] | lists["thing"]
        weapons = lists["weapon"] | {"bullet", "bullets", "gun", "guns", "bomb", "bombs"}
        self._weapon = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(weapons))) + r")\b")

    @classmethod
    def from_config(cls, config_dir: Path) -> ThreatTargets:
        """Raises :class:`RuleConfigError` naming the file and list when one is missing,
        empty or not a word list."""
        directory = config_dir / "wordlists"
        lists = _word_lists(directory / "targets.yaml", _LISTS, ())
        lists |= _word_lists(directory / "patterns.yaml", _VOCAB, _VOCAB_OPTIONAL, key="vocab")
        return cls(lists)

    def check(
        self, normalized: Normalized, original: str, matches: Iterable[Match]
    ) -> Match | None:
        """A ``figurative-violence`` match over the first violent verb when every violent
        verb of the comment is figurative and aims at no person (module doc), else None.

        ``normalized`` is the rule filter's reading of ``original``; ``matches`` are every
        word-list and pattern match of the comment."""
        acting = (Category.THREAT, Category.HATE)
        if any(m.category in acting and m.severity is not Severity.NONE for m in matches):
            return None
        text = normalized.text.replace("\u2019", "'")
        idioms = [m.span() for m in _MESSAGE_IDIOM.finditer(text)]
        for start, end in idioms:
            text = text[:start] + " " * (end - start) + text[end:]
        if _SECOND_PERSON.search(text) or self._weapon.search(text):
            return None
        first: _Token | None = None
        budget = MAX_VERBS
        for sentence in _SENTENCE.finditer(text):
            tokens = [
                _Token(m.group(), sentence.start() + m.start(), sentence.start() + m.end())
                for m in _TOKEN.finditer(sentence.group())
            ]
            verbs = [i for i, t in enumerate(tokens) if t.word in self._forms]
            budget -= len(verbs)
            if budget < 0:
                return None  # a wall of violent words is no figure of speech (and bounded)
            if not verbs:
                continue
            if any(tokens[i].word in self._never for i in verbs):
                return None
            if self._names_a_target(text, tokens):
                return None
            for i in verbs:
                if not self._figurative(text, normalized, original, tokens, i):
                    return None
            first = first or tokens[verbs[0]]
        if first is None:
            if not idioms:
                return None
            first = _Token("", *idioms[0])  # only message idioms: "shoot you an email"
        start, end = normalized.original_span(first.start, first.end)
        return Match(FIGURATIVE, Category.THREAT, Severity.NONE, start, end)

    def _names_a_target(self, text: str, tokens: Sequence[_Token]) -> bool:
        """A person or group word in the sentence, not as a possessive ("referee's" is
        one token; "journalists' jobs" is followed by an apostrophe)."""
        group_adj, group_noun = self._lists["group_adj"], self._lists["group_noun"]
        for i, token in enumerate(tokens):
            if text[token.end : token.end + 1] == "'":
                continue
            if token.word in self._targets:
                return True
            after = tokens[i + 1].word if i + 1 < len(tokens) else ""
            if token.word in group_adj and after in group_noun:
                return True
        return False

    def _figurative(
        self,
        text: str,
        normalized: Normalized,
        original: str,
        tokens: Sequence[_Token],
        index: int,
    ) -> bool:
        start, end = _clause(text, tokens, index)
        before, after = tokens[start:index], tokens[index + 1 : end]
        base = self._forms[tokens[index].word]
        if self._capitalised_object(normalized, original, tokens, index, after):
            return False
        if base in ("kill", "murder") and after and after[0].word == "for":
            return True  # "I'd kill for a decent bus service": wanting, not harming
        if _passive(before, tokens[index].word):
            # "the bill was killed": the subject is what is hurt; only an abstraction is
            # a figure ("Omar Khadr should have been executed", "the town was destroyed")
            return not self._named(normalized, original, before) and any(
                t.word in self._abstract for t in before
            )
        doer = self._doer(normalized, original, before)
        obj = self._object(after)
        if obj == "self":  # "this heat is killing me"; "I kill me" is no figure
            return doer == "thing"
        if doer == "thing":
            return True
        return obj == "abstract" and base not in self._lists["literal"]

    def _doer(self, normalized: Normalized, original: str, before: Sequence[_Token]) -> str:
        """``commenter`` (first person, an imperative or exhortation, or no subject at all),
        ``person`` (a capitalised name: "Trump will destroy...") or ``thing``."""
        words = [t.word for t in before]
        if any(w in self._lists["commenter"] for w in words):
            return "commenter"
        if self._named(normalized, original, before):
            return "person"
        content = [w for w in words if w not in _FUNCTION and w not in _IMPERATIVE_LEAD]
        return "thing" if content else "commenter"

    def _named(self, normalized: Normalized, original: str, before: Sequence[_Token]) -> bool:
        """A capitalised name before the verb: a capitalised word that is not the first of
        the clause, or a first word not ending in -s followed straight by a singular
        auxiliary or the verb ("Trump will", "Walker did"; not "Rents are", "Rates kill"),
        unless it is an abstraction."""
        for i, token in enumerate(before):
            written = original[slice(*normalized.original_span(token.start, token.end))]
            if not written[:1].isupper() or (written.isupper() and len(written) > 3):
                continue
            if token.word in self._abstract or token.word in _FUNCTION:
                continue
            following = before[i + 1].word if i + 1 < len(before) else ""
            if i > 0 or (following in _SINGULAR and not token.word.endswith("s")):
                return True
        return False

    def _object(self, after: Sequence[_Token]) -> str | None:
        """``self`` (me, us), ``abstract``, ``other``, or None when the verb has none."""
        if not after:
            return None
        if after[0].word in self._lists["self"]:
            return "self"
        for token in after[:5]:
            if token.word in _OBJECT_END:
                break
            if token.word in self._abstract:
                return "abstract"
        return "other"

    def _capitalised_object(
        self,
        normalized: Normalized,
        original: str,
        tokens: Sequence[_Token],
        index: int,
        after: Sequence[_Token],
    ) -> bool:
        """A capitalised word after the verb that is not an abstraction: a name ("Kill
        Trump"). Ignored in a shouted sentence (every word in capitals)."""
        letters = [original[slice(*normalized.original_span(t.start, t.end))] for t in tokens]
        if all(w.isupper() for w in letters if any(c.isalpha() for c in w)):
            return False
        for token in after[:4]:
            if token.word in _OBJECT_END:
                break
            written = original[slice(*normalized.original_span(token.start, token.end))]
            if written[:1].isupper() and token.word not in self._abstract:
                return True
        return False


#: What follows a one-word singular subject ("" is the verb itself: "Trump kills...").
_SINGULAR = {""} | _words(
    "is was has will would did does can could should must might may just really also 's "
    "had isn't wasn't won't"
)
_BE = _words("be been being is are was were get gets got getting isn't aren't wasn't weren't")


def _passive(before: Sequence[_Token], verb: str) -> bool:
    """``verb`` is a past participle after a form of be or get ("was killed", "been
    summarily executed"), an adverb allowed between."""
    if not (verb.endswith("ed") or verb in ("shot", "hung", "burnt", "slain")):
        return False
    words = [t.word for t in before][-2:]
    return bool(words) and (words[-1] in _BE or (len(words) == 2 and words[0] in _BE))


def _clause(text: str, tokens: Sequence[_Token], index: int) -> tuple[int, int]:
    """Token range ``[start, end)`` of the clause around ``tokens[index]``: bounded by
    clause punctuation and conjunctions."""

    def boundary(i: int) -> bool:  # between tokens[i - 1] and tokens[i]
        return bool(_CLAUSE_PUNCT.search(text[tokens[i - 1].end : tokens[i].start]))

    start = index
    while start > 0 and not boundary(start) and tokens[start - 1].word not in _CONJUNCTIONS:
        start -= 1
    end = index + 1
    while end < len(tokens) and not boundary(end) and tokens[end].word not in _CONJUNCTIONS:
        end += 1
    return start, end


def _verb_forms(verbs: frozenset[str], irregular: frozenset[str]) -> dict[str, str]:
    """Every inflected form -> its base: kill/kills/killed/killing, stab/stabbed,
    strangle/strangling, bury/buries/buried; irregular forms map to themselves."""
    forms: dict[str, str] = {w: w for w in irregular}
    for verb in verbs:
        stems = {verb}
        if verb.endswith("e"):
            stems.add(verb[:-1])  # strangl-ing
        if re.search(r"[^aeiou][aeiou][bdgkmnprt]$", verb):
            stems.add(verb + verb[-1])  # stabb-ed
        if verb.endswith("y"):
            forms[verb[:-1] + "ies"] = forms[verb[:-1] + "ied"] = verb
        forms[verb] = verb
        for stem in stems:
            for ending in ("s", "es", "ed", "d", "ing"):
                forms.setdefault(stem + ending, verb)
    return forms


def _word_lists(
    path: Path,
    required: Sequence[str],
    optional: Sequence[str],
    key: str | None = None,
) -> dict[str, frozenset[str]]:
    data = load_yaml(path)
    where = str(path)
    if key is not None:
        data = data.get(key) if isinstance(data, dict) else None
        where = f"{path}: {key}"
    if not isinstance(data, dict):
        raise RuleConfigError(f"{where}: must be a mapping of list name to words")
    out: dict[str, frozenset[str]] = {}
    for name in (*required, *optional):
        words = data.get(name)
        if words is None and name in optional:
            out[name] = frozenset()
            continue
        if not isinstance(words, str) or not words.split():
            raise RuleConfigError(f"{where}: {name}: must be a non-empty space-separated word list")
        out[name] = frozenset(words.split())
    return out
