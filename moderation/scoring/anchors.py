"""Literal anchors of a regular expression: strings one of which every match contains.

A phrase pattern costs a full regex scan of every comment, though most comments contain none
of the words it needs ("typical", "deserve", "where"...). :func:`anchors` reads the compiled
pattern's syntax tree and returns a set of literal strings such that **every** match
contains at least one of them, or None when it cannot say. A caller may then skip the scan
when no anchor occurs in the text (``str.__contains__`` is a C substring search): the
matches found are exactly the same, only cheaper to find.

How: a sequence needs any one of its elements' requirements (a run of literal characters is
one requirement); an alternation needs the union of its branches' (unknown if one branch's
is); a repetition of at least one needs its body's; groups need their contents'. Anything
else (character classes, optional parts, lookarounds, back-references) requires nothing
known. Of a sequence's candidate sets the most selective is kept: longest shortest string,
then fewest strings. Case-insensitive patterns get no anchors. Pure; uses the standard
library's regular-expression parser (``re._parser``), whose output a test pins.
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

__all__ = ["anchors", "may_match"]

_REPEATS = tuple(
    op for op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)) if op
)


def anchors(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match of ``pattern`` contains (shortest first), or None."""
    if pattern.flags & re.IGNORECASE:
        return None
    found = _sequence(P.parse(pattern.pattern, pattern.flags))
    if not found or "" in found:
        return None
    return tuple(sorted(found, key=lambda s: (len(s), s)))


def may_match(text: str, required: tuple[str, ...] | None) -> bool:
    """False only when ``text`` contains none of ``required`` (so no match is possible)."""
    return required is None or any(word in text for word in required)


def _sequence(items: Any) -> frozenset[str] | None:
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def end_run() -> None:
        if run:
            candidates.append(frozenset(["".join(run)]))
            run.clear()

    for op, arg in items:
        if op is C.LITERAL:
            run.append(chr(arg))
            continue
        end_run()
        needed = _node(op, arg)
        if needed:
            candidates.append(needed)
    end_run()
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(map(len, s)), -len(s)))


def _node(op: Any, arg: Any) -> frozenset[str] | None:
    if op is C.SUBPATTERN:
        return _sequence(arg[-1])
    if op is C.BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            needed = _sequence(branch)
            if needed is None:
                return None
            union |= needed
        return frozenset(union)
    if op in _REPEATS:
        low, _high, body = arg
        return _sequence(body) if low >= 1 else None
    if op is getattr(C, "ATOMIC_GROUP", None):
        return _sequence(arg)
    return None
