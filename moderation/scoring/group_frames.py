"""Group frames: hate without a slur read from a group and what a clause says it is.

The hate patterns of ``patterns.yaml`` list constructions ("typical X", "X are all ...").
:meth:`GroupFrames.find` generalises them: in one clause, a **group** by a protected
attribute (patterns.yaml ``group``, "<group_adj> <group_noun>": "black people", "Muslim
men"; "these/those people" before a dehumanising word) followed by a **negative essential
predicate**:

* a dehumanising noun (patterns.yaml ``dehumanising``: vermin, animals, parasites,
  savages, subhuman...) after are/is/like → ``strong``;
* a verb of invasion, breeding or ruin ("breed like", "invading", "infesting", "taking
  over", "ruining our country"), exclusion ("don't belong", "should be deported / banned /
  removed", "go back to", "have no place") → ``strong``;
* a vice as their nature (patterns.yaml ``group_slur_claim`` after "are", "always",
  "never", "all": "are all liars", "can't be trusted", "always lie") → ``moderate``.

A clause that negates ("are not", "aren't", "not all"), or that names a state, a government
or its officials (regime, government, army, ministry, authorities, president...) is
political criticism, not hate, and reports nothing. The pattern filter's reported-speech
lowering applies to these matches as to its own (the pipeline passes them through it).
Vocabulary: ``config/wordlists/threat_frames.yaml`` ``group_predicate`` and ``group_block``
plus the patterns.yaml vocabularies. Linear: one pass of each regex per comment. Pure.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from moderation.scoring.normalize import Normalized
from moderation.scoring.types import Category, Match, Severity
from moderation.scoring.wordlists import RuleConfigError, load_yaml

__all__ = ["GROUP_FRAME", "GroupFrames"]

GROUP_FRAME = "group-frame"
_CLAUSE = re.compile(r"[^.!?;:,\n()\u2014\u2013]+")
MAX_CHARS = 20_000


class GroupFrames:
    """Compiled vocabularies. Build with :meth:`from_config`; call :meth:`find`."""

    def __init__(self, vocab: dict[str, str], lists: dict[str, list[str]]) -> None:
        canonical = repr((sorted(vocab.items()), sorted(lists.items())))
        self.version = f"groups-1.0+{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"

        def words(name: str) -> str:
            return "|".join(map(re.escape, vocab[name].split()))

        def alternation(items: list[str]) -> str:
            return "(?:" + "|".join(f"(?:{item})" for item in items) + ")"

        named = rf"(?:{words('group')}|(?:{words('group_adj')})\s+(?:{words('group_noun')}))"
        group = rf"(?:{named}|(?:these|those)\s+people)"
        gap = r"(?:\s+[\w'-]+){0,4}?"
        self._strong = re.compile(
            rf"(?<![\w']){group}{gap}\s+(?:(?:are|is|r|like|as)\b{gap}\s+"
            rf"(?:{words('dehumanising')})|{alternation(lists['group_predicate_strong'])})"
            r"(?![\w'])"
        )
        self._moderate = re.compile(
            rf"(?<![\w']){named}{gap}\s+(?:(?:are|r)\s+(?:all|always|just|mostly|nothing\s+but"
            rf"|born|naturally|inherently|such|so)\b{gap}\s+(?:{words('group_slur_claim')})"
            rf"|{alternation(lists['group_predicate_moderate'])})(?![\w'])"
        )
        self._block = re.compile(rf"(?<![\w']){alternation(lists['group_block'])}(?![\w'])")

    @classmethod
    def from_config(cls, config_dir: Path) -> GroupFrames:
        """Raises :class:`RuleConfigError` naming the file and list when one is missing."""
        directory = config_dir / "wordlists"
        patterns = load_yaml(directory / "patterns.yaml")
        vocab_data = patterns.get("vocab") if isinstance(patterns, dict) else None
        if not isinstance(vocab_data, dict):
            raise RuleConfigError(f"{directory / 'patterns.yaml'}: vocab: must be a mapping")
        vocab: dict[str, str] = {}
        for name in ("group", "group_adj", "group_noun", "dehumanising", "group_slur_claim"):
            value = vocab_data.get(name)
            if not isinstance(value, str) or not value.split():
                raise RuleConfigError(f"{directory / 'patterns.yaml'}: vocab: {name}: missing")
            vocab[name] = value
        frames = load_yaml(directory / "threat_frames.yaml")
        lists: dict[str, list[str]] = {}
        for name in ("group_predicate_strong", "group_predicate_moderate", "group_block"):
            value = frames.get(name) if isinstance(frames, dict) else None
            if not isinstance(value, str) or not value.split():
                raise RuleConfigError(
                    f"{directory / 'threat_frames.yaml'}: {name}: must be a non-empty text block"
                )
            lists[name] = [line.strip() for line in value.splitlines() if line.strip()]
            for entry in lists[name]:
                try:
                    re.compile(entry)
                except re.error as exc:
                    raise RuleConfigError(
                        f"{directory / 'threat_frames.yaml'}: {name}: {entry!r}: {exc}"
                    ) from None
        return cls(vocab, lists)

    def find(self, normalized: Normalized) -> list[Match]:
        """At most one ``group-frame`` hate match per clause (offsets into the original)."""
        text = normalized.text[:MAX_CHARS].replace("\u2019", "'")
        out: list[Match] = []
        for clause in _CLAUSE.finditer(text):
            body = clause.group()
            if self._block.search(body):
                continue
            for regex, severity in (
                (self._strong, Severity.STRONG),
                (self._moderate, Severity.MODERATE),
            ):
                m = regex.search(body)
                if m is not None:
                    start, end = normalized.original_span(
                        clause.start() + m.start(), clause.start() + m.end()
                    )
                    out.append(Match(GROUP_FRAME, Category.HATE, severity, start, end))
                    break
        return out
