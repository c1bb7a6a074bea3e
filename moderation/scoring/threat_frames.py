"""Threat frames: threats read from what a comment puts together, not from set phrases.

Real threats are phrased in endless ways ("I know which car is yours... tomorrow night I'm
waiting for you with a bat", "you'll be eating through a straw", "people have disappeared
for less"). :meth:`ThreatFrames.find` looks, in each sentence and in each pair of adjacent
sentences, for the co-occurrence of

* a **target**: the reader (you, your, ya, u...), "the reporter/mayor/judge...", "his/her/
  their" + family, house, car, shop..., him/her/them;
* **harm**: a violent verb aimed at a person ("kill you", "burn his shop down"; never "kill
  the bill", "shoot you an email", "beat you at chess"), a result of violence ("in a ditch",
  "eating through a straw", "dental records", "broken legs"), a weapon; or a softer harm
  ("pay you a visit", "teach you a lesson", "waiting for you", "regret it");
* **intent** (I'll, I'm going to, we're coming, someone should, hope you..., you'll end up),
  a **condition** on the target's behaviour ("keep writing", "if you ... again", "one more
  article"), a **specific** time or place (tonight, on Saturday, outside your office),
  **knowing** (I know where/which..., I've been watching you, your kids walk home alone) or
  an **insinuation** ("would be a shame if", "sleep with one eye open").

It reports one ``threat-frame`` match (category threat) at the worst severity found, on the
scale of docs/categories.md "The threat scale": target + harm + intent/condition/knowing
with a time, place, means or knowledge → severe; without → strong; knowing joined to a
condition, a time or place or an insinuation → strong; a target with an insinuation, with
knowledge alone or with a softer harm intended → moderate. A sentence that reports, condemns
or narrates violence (threatened, police, the suspect, a war, a film, a match...) or denies
it ("I would never hurt you") contributes nothing. The vocabulary lives in
``config/wordlists/threat_frames.yaml``.

Cost: each vocabulary is one compiled alternation run once over the comment (bounded
repetitions only), hits are assigned to sentences by bisection and windows are two
sentences wide, so the work is linear in the comment's length. Pure: no I/O after loading,
thread-safe.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from moderation.scoring.normalize import Normalized
from moderation.scoring.types import Category, Match, Severity
from moderation.scoring.wordlists import RuleConfigError, load_yaml

__all__ = ["FRAME", "ThreatFrames"]

#: The match term of a threat read from its frame.
FRAME = "threat-frame"

#: Vocabularies of threat_frames.yaml: regular-expression alternatives, one per line.
_REGEX_LISTS = (
    "object",
    "figurative_object",
    "harm_result",
    "soft_harm",
    "intent",
    "call",
    "condition",
    "specific",
    "knowing",
    "insinuation",
    "weak_insinuation",
    "ominous",
    "target",
    "reported",
    "blow_result",
)
#: Vocabularies of single words (space separated; ``\s+`` allowed inside an entry).
_WORD_LISTS = ("harm_verb", "blow_verb", "weapon")

_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?]+(?=[^\s.!?]))+[.!?]*")
#: Text beyond this many characters is not read (bounds the work on a huge comment).
MAX_CHARS = 20_000
_FLAGS = ("target", "hard", "weapon", "soft", "intent", "condition", "specific", "knowing")
_INSINUATION = "insinuation"
_WEAK = "weak_insinuation"


@dataclass(slots=True)
class _Sentence:
    flags: set[str] = field(default_factory=set)
    spans: list[tuple[int, int]] = field(default_factory=list)
    reported: bool = False


class ThreatFrames:
    """Compiled vocabularies. Build with :meth:`from_config`; call :meth:`find`."""

    def __init__(self, lists: dict[str, list[str]]) -> None:
        canonical = repr(sorted((k, v) for k, v in lists.items()))
        self.version = f"frames-1.0+{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"

        def alternation(items: Sequence[str]) -> str:
            return "(?:" + "|".join(f"(?:{item})" for item in items) + ")"

        self._re = {
            name: re.compile(rf"(?<![\w']){alternation(lists[name])}(?![\w'])")
            for name in _REGEX_LISTS
            if name not in ("object", "figurative_object", "blow_result")
        }
        verbs = sorted({form for verb in lists["harm_verb"] for form in _forms(verb)})
        self._verb = re.compile(
            r"(?<![\w'])(?:" + "|".join(verbs) + r")\s+"
            r"(?:the\s+(?:hell|crap|shit|living\s+daylights|snot)\s+out\s+of\s+)?"
            r"(?:" + alternation(lists["object"]) + r"(?![\w'])|(?P<name>[a-z]+))"
        )
        blows = sorted({form for verb in lists["blow_verb"] for form in _forms(verb)})
        bare = r"(?:you|ya|u|yourself|him|her|them)"
        owned = [o for o in lists["object"] if not re.fullmatch(r"[a-z|]+", o)]
        self._blow = re.compile(
            r"(?<![\w'])(?:" + "|".join(blows) + r")\s+"
            r"(?:the\s+(?:hell|crap|shit|living\s+daylights|snot)\s+out\s+of\s+"
            + bare
            + r"|"
            + alternation(owned)
            + r"|"
            + bare
            + r"\s+"
            + alternation(lists["blow_result"])
            + r")(?![\w'])"
        )
        self._figurative = re.compile(
            r"\s*" + alternation(lists["figurative_object"]) + r"(?![\w'])"
        )
        weapons = [w.replace(" ", r"\s+") for w in lists["weapon"]]
        self._weapon = re.compile(
            r"(?<![\w'])(?:with|bring|bringing|brought|grab|grabbing|load|loading|loaded|"
            r"carry|carrying|got|have|has|sharpen|sharpening|bought|buy|fetch|holding)\s+"
            r"(?:a\s+|an\s+|my\s+|the\s+|some\s+|our\s+|his\s+)?(?:\w+\s+)?"
            + alternation(weapons)
            + r"(?![\w'])"
        )

    @classmethod
    def from_config(cls, config_dir: Path) -> ThreatFrames:
        """Raises :class:`RuleConfigError` naming the file and list when one is missing,
        empty, not text, or does not compile."""
        path = config_dir / "wordlists" / "threat_frames.yaml"
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise RuleConfigError(f"{path}: must be a mapping of list name to entries")
        lists: dict[str, list[str]] = {}
        for name in (*_REGEX_LISTS, *_WORD_LISTS):
            value = data.get(name)
            if not isinstance(value, str) or not value.split():
                raise RuleConfigError(f"{path}: {name}: must be a non-empty text block")
            entries = value.split() if name in _WORD_LISTS else value.splitlines()
            lists[name] = [e.strip() for e in entries if e.strip()]
            for entry in lists[name]:
                try:
                    re.compile(entry)
                except re.error as exc:
                    raise RuleConfigError(f"{path}: {name}: {entry!r}: {exc}") from None
        return cls(lists)

    def find(self, normalized: Normalized, original: str) -> list[Match]:
        """At most one ``threat-frame`` match (module doc); offsets into ``original``."""
        text = normalized.text[:MAX_CHARS].replace("\u2019", "'")
        bounds = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)]
        if not bounds:
            return []
        starts = [s for s, _ in bounds]
        sentences = [_Sentence() for _ in bounds]

        def mark(flag: str, start: int, end: int) -> None:
            index = bisect.bisect_right(starts, start) - 1
            if index >= 0:
                sentences[index].flags.add(flag)
                sentences[index].spans.append((start, end))

        for m in self._re["reported"].finditer(text):
            index = bisect.bisect_right(starts, m.start()) - 1
            if index >= 0:
                sentences[index].reported = True
        for regex in (self._verb, self._blow):
            for m in regex.finditer(text):
                if self._aims_at_person(normalized, original, m):
                    mark("hard", m.start(), m.end())
                    mark("target", m.start(), m.end())  # the verb's object is one
        for flag, name in (
            ("hard", "harm_result"),
            ("soft", "soft_harm"),
            ("intent", "intent"),
            ("call", "call"),
            ("condition", "condition"),
            ("specific", "specific"),
            ("knowing", "knowing"),
            ("target", "target"),
            (_INSINUATION, "insinuation"),
            (_WEAK, "weak_insinuation"),
            ("ominous", "ominous"),
        ):
            for m in self._re[name].finditer(text):
                mark(flag, m.start(), m.end())
        for m in self._weapon.finditer(text):
            mark("weapon", m.start(), m.end())

        best: tuple[Severity, list[tuple[int, int]]] | None = None
        for i in range(len(sentences)):
            for window in (sentences[i : i + 1], sentences[i : i + 2]):
                live = [s for s in window if not s.reported]
                if len(live) < len(window) and len(window) == 1:
                    continue
                flags = set().union(*(s.flags for s in live)) if live else set()
                severity = _severity(flags)
                if severity is None:
                    continue
                if best is None or severity.rank > best[0].rank:
                    best = (severity, [span for s in live for span in s.spans])
        if best is None:
            return []
        severity, spans = best
        start, end = normalized.original_span(min(s for s, _ in spans), max(e for _, e in spans))
        return [Match(FRAME, Category.THREAT, severity, start, end)]

    def _aims_at_person(self, normalized: Normalized, original: str, m: re.Match[str]) -> bool:
        """The verb's object is a person and the phrase is no figure ("shoot you an email",
        "hurt your chances", "beat you at chess"); a bare word object counts only when it is
        written with a capital not at the start of the text ("kill Smith")."""
        name_start = m.start("name") if "name" in m.re.groupindex else -1
        if name_start >= 0:
            start, end = normalized.original_span(name_start, m.end("name"))
            written = original[start:end]
            at_start = not original[:start].strip() or original[:start].rstrip()[-1:] in ".!?"
            return (
                written[:1].isupper()
                and not written.isupper()
                and not at_start
                and written.lower() not in _NOT_NAMES
            )
        verb_end = m.start() + len(m.group().split()[0])
        text = normalized.text
        if re.search(r"(?:who|that|which)\s+$", text[max(0, m.start() - 8) : m.start()]):
            return False  # "the scum that killed them": a report of someone's act
        return not (self._figurative.match(text, verb_end) or self._figurative.match(text, m.end()))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Capitalised words after a violent verb that are not people.
_NOT_NAMES = _words(
    "i the a an it this that these those my our your his her their its monday tuesday "
    "wednesday thursday friday saturday sunday christmas congress parliament"
)


def _severity(flags: set[str]) -> Severity | None:
    """The threat scale of docs/categories.md from one window's flags."""
    if "target" not in flags:
        # an ultimatum needs no named target: "Delete this or things will get personal"
        ominous = "ominous" in flags or ("condition" in flags and _INSINUATION in flags)
        return Severity.MODERATE if ominous else None
    hard = "hard" in flags or ("weapon" in flags and bool({"intent", "knowing"} & flags))
    insinuation = _INSINUATION in flags
    pressure = bool({"intent", "call", "condition", "knowing"} & flags)
    if hard and pressure:
        concrete = bool({"specific", "knowing", "weapon"} & flags) and "intent" in flags
        return Severity.SEVERE if concrete else Severity.STRONG
    if hard and (insinuation or _WEAK in flags):
        return Severity.STRONG
    if "knowing" in flags and (
        {"condition", "specific", "soft", "weapon"} & flags or insinuation or _WEAK in flags
    ):
        return Severity.STRONG
    if "condition" in flags and ("soft" in flags or insinuation):
        return Severity.STRONG
    if "soft" in flags and {"intent", "call"} & flags:
        if {"specific", "weapon"} & flags:
            return Severity.STRONG
        return Severity.MODERATE
    if "knowing" in flags or insinuation or "ominous" in flags:
        return Severity.MODERATE
    if _WEAK in flags and {"condition", "specific"} & flags:
        return Severity.MODERATE
    return None


def _forms(verb: str) -> set[str]:
    """kill/kills/killed/killing, stab/stabbed/stabbing, burn/burnt, hang/hung..."""
    forms = {verb, verb + "s", verb + "es", verb + "ed", verb + "ing"}
    if verb.endswith("e"):
        forms |= {verb + "d", verb[:-1] + "ing"}
    if re.search(r"[^aeiou][aeiou][bdgkmnprt]$", verb):
        forms |= {verb + verb[-1] + "ed", verb + verb[-1] + "ing"}
    irregular = {
        "shoot": {"shot"},
        "beat": {"beaten"},
        "burn": {"burnt"},
        "hang": {"hung"},
        "break": {"broke", "broken"},
        "cut": {"cutting"},
        "slit": {"slitting"},
        "bury": {"buries", "buried", "burying"},
    }
    return forms | irregular.get(verb, set())
