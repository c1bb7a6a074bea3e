# ruff: noqa: RUF001, RUF002  (Cyrillic letters are this module's subject)
"""Word lists of languages other than English (``config/wordlists/lang/<code>.yaml``). Pure.

The English rule filter folds every script to Latin look-alikes, which is right for English
spelling tricks and wrong for Russian or Turkish words. A comment detected to be in another
language (:mod:`moderation.scoring.language`) is matched against that language's list
instead: whole words, lower-cased (``ё`` read as ``е``), or as stems (``stems: true``: the
term matches at the start of a word, so ``пизд`` covers ``пиздец``; a term matches the
words of a phrase in a row). Matches are ordinary :class:`Match` hits with offsets into the original
text, so the policy's ``rule_scores`` decide them as they do English ones: a strong Russian
word rejects a comment that would otherwise only be held for its language.

Each file::

    language: ru              # ISO 639-1 code the list is for
    also: [az]                # further detected languages it applies to (optional)
    source: ...               # where the terms come from (required)
    licence: CC BY 4.0        # their licence (required)
    groups:                   # as in terms.yaml: category, severity, terms, about, stems
      - {category: profanity, severity: strong, stems: true, terms: [...]}

Validated when the service starts: an unknown key, category or severity, a term listed
twice, or a missing source or licence raises :class:`RuleConfigError` naming file and key.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from moderation import yamltext
from moderation.scoring.types import Category, Match, Severity
from moderation.scoring.wordlists import RuleConfigError

__all__ = ["LanguageLists", "LanguageTerm"]

_FILE_KEYS = ("language", "also", "source", "licence", "groups")
_GROUP_KEYS = ("about", "category", "severity", "stems", "terms")
_CODE = re.compile(r"[a-z]{2}")
#: A term: letters of any script, apostrophes, spaces and hyphens between them.
_TERM = re.compile(r"[^\W\d_](?:(?:[^\W\d_]|['’` \-])*[^\W\d_])?")
_LETTER = r"[^\W\d_]"


@dataclass(frozen=True, slots=True)
class LanguageTerm:
    term: str
    category: Category
    severity: Severity
    stem: bool


def _fold(text: str) -> str:
    """Lower-case one character at a time (offsets stay 1:1) and read ё as е."""
    out = []
    for char in text:
        low = char.lower()
        out.append(low if len(low) == 1 else char)
    return "".join(out).replace("ё", "е")


@dataclass(frozen=True, slots=True)
class _Compiled:
    pattern: re.Pattern[str]
    terms: Mapping[str, LanguageTerm]


class LanguageLists:
    """Every language's list, compiled to one regular expression per language."""

    def __init__(self, lists: Mapping[str, tuple[LanguageTerm, ...]], version: str) -> None:
        self.version = version
        self._compiled: dict[str, _Compiled] = {}
        for code, terms in lists.items():
            if not terms:
                continue
            parts: list[str] = []
            # Longest first, so "хуй пинать" wins over "хуй".
            for spec in sorted(terms, key=lambda t: -len(t.term)):
                body = r"[\s\-]+".join(re.escape(w) for w in spec.term.split())
                tail = f"{_LETTER}*" if spec.stem else f"(?!{_LETTER})"
                parts.append(f"(?P<t{len(parts)}>{body}){tail}")
            pattern = re.compile(f"(?<!{_LETTER})(?:{'|'.join(parts)})")
            ordered = sorted(terms, key=lambda t: -len(t.term))
            self._compiled[code] = _Compiled(
                pattern, {f"t{i}": spec for i, spec in enumerate(ordered)}
            )

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._compiled))

    def find(self, text: str, language: str) -> tuple[Match, ...]:
        """Hits of ``language``'s list in ``text`` (none when it has no list)."""
        compiled = self._compiled.get(language)
        if compiled is None:
            return ()
        folded = _fold(unicodedata.normalize("NFC", text))
        if len(folded) != len(text):  # NFC composed something: offsets are approximate
            folded = _fold(text)
        found = []
        for hit in compiled.pattern.finditer(folded):
            group = hit.lastgroup
            if group is None:
                continue
            spec = compiled.terms[group]
            found.append(Match(spec.term, spec.category, spec.severity, hit.start(), hit.end()))
        return tuple(found)

    @classmethod
    def empty(cls) -> LanguageLists:
        return cls({}, "none")

    @classmethod
    def from_config(cls, config_dir: Path) -> LanguageLists:
        """Read ``<config_dir>/wordlists/lang/*.yaml`` (none: no lists)."""
        directory = config_dir / "wordlists" / "lang"
        lists: dict[str, list[LanguageTerm]] = {}
        digest = hashlib.sha256()
        for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
            raw = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw)
            codes, terms = _parse(path, raw)
            for code in codes:
                lists.setdefault(code, []).extend(terms)
        version = digest.hexdigest()[:12] if lists else "none"
        return cls({code: tuple(terms) for code, terms in lists.items()}, version)


def _error(path: Path, key: str, message: str) -> RuleConfigError:
    return RuleConfigError(f"{path}: {key}: {message}")


def _keys(path: Path, value: object, key: str, allowed: Iterable[str]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _error(path, key or "(top level)", "expected a mapping")
    allowed = tuple(allowed)
    for name in value:
        if name not in allowed:
            where = f"{key}.{name}" if key else str(name)
            raise _error(path, where, f"unknown key (expected one of: {', '.join(allowed)})")
    return value


def _parse(path: Path, raw: bytes) -> tuple[list[str], list[LanguageTerm]]:
    try:
        data = yamltext.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleConfigError(f"{path}: invalid YAML: {exc}") from None
    top = _keys(path, data, "", _FILE_KEYS)
    for name in ("language", "source", "licence", "groups"):
        if not top.get(name):
            raise _error(path, name, "missing")
    codes = [top["language"], *(top.get("also") or [])]
    for i, code in enumerate(codes):
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            key = "language" if i == 0 else f"also[{i - 1}]"
            raise _error(path, key, f"{code!r} is not an ISO 639-1 code (two lower-case letters)")
    if not isinstance(top["groups"], list):
        raise _error(path, "groups", "expected a list")
    seen: set[str] = set()
    terms: list[LanguageTerm] = []
    for g, group in enumerate(top["groups"]):
        key = f"groups[{g}]"
        spec = _keys(path, group, key, _GROUP_KEYS)
        try:
            category = Category(str(spec.get("category")))
        except ValueError:
            raise _error(path, f"{key}.category", f"{spec.get('category')!r} is unknown") from None
        try:
            severity = Severity(str(spec.get("severity")))
        except ValueError:
            raise _error(path, f"{key}.severity", f"{spec.get('severity')!r} is unknown") from None
        stem = spec.get("stems", False)
        if not isinstance(stem, bool):
            raise _error(path, f"{key}.stems", "expected true or false")
        items = spec.get("terms")
        if not isinstance(items, list) or not items:
            raise _error(path, f"{key}.terms", "expected a non-empty list")
        for t, item in enumerate(items):
            term = " ".join(_fold(str(item)).split()) if isinstance(item, str) else ""
            if not _TERM.fullmatch(term):
                raise _error(path, f"{key}.terms[{t}]", f"{item!r} is not a valid term")
            if term in seen:
                raise _error(path, f"{key}.terms[{t}]", f"{item!r} is listed twice")
            seen.add(term)
            terms.append(LanguageTerm(term, category, severity, stem))
    return codes, terms
