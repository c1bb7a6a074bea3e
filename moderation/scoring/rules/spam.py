"""Spam rules: links, link shorteners, runs of one repeated character, long runs of capitals.

Configured by :class:`~moderation.scoring.wordlists.SpamRules` (``config/wordlists``); each
signal is a :class:`~moderation.scoring.types.Match` of category spam spanning the original
text. Pure and thread-safe once built.
"""

from __future__ import annotations

import re

from moderation.scoring.normalize import Normalized
from moderation.scoring.rules.spans import original_span
from moderation.scoring.types import Category, Match
from moderation.scoring.wordlists import SpamRules

__all__ = ["SpamMatcher"]


class SpamMatcher:
    """Finds the spam signals of :class:`SpamRules` in a comment."""

    def __init__(self, spam: SpamRules) -> None:
        self._spam = spam
        self._link_re = _link_pattern(spam)
        self._shorteners = frozenset(spam.shorteners)
        self._repeat_re = re.compile(rf"(.)\1{{{spam.repeat_min_run - 1},}}", re.S)
        # The same without a counted repeat: several times faster to search.
        self._repeat_hint = re.compile("(.)" + r"\1" * (spam.repeat_min_run - 1), re.S)
        self._caps_re = re.compile(
            rf"{_UPPER}(?:{_NOT_LETTER}{{0,3}}{_UPPER}){{{spam.caps_min_letters - 1},}}"
        )

    def find(self, text: str, normalized: Normalized) -> list[Match]:
        """Every spam signal in ``text`` (normalised as ``normalized``), spans in ``text``."""
        spam = self._spam
        s = normalized.text
        out: list[Match] = []
        if "://" in s or "www." in s or _DOT_LETTER.search(s):
            for m in self._link_re.finditer(s):
                start, end = m.span()
                while end > start and s[end - 1] in ".,;:!?)]}'\"":
                    end -= 1
                span = original_span(text, normalized, start, end)
                out.append(Match("link", Category.SPAM, spam.link_severity, *span))
                host = _host(s[start:end])
                shortener = next(
                    (d for d in self._shorteners if host == d or host.endswith("." + d)), None
                )
                if shortener is not None:
                    out.append(Match(shortener, Category.SPAM, spam.shortener_severity, *span))
        ascii_text = text.isascii()
        repeats = self._repeat_re.finditer(s) if self._repeat_hint.search(s) else ()
        for m in repeats:
            if m.group(1).isspace() or m.group(1).isdigit():
                continue
            span = original_span(text, normalized, *m.span())
            out.append(Match("repeated-characters", Category.SPAM, spam.repeat_severity, *span))
        if ascii_text:
            raw = text.encode()
            if len(raw) - len(raw.translate(None, _ASCII_UPPER)) < spam.caps_min_letters:
                return out
        for m in self._caps_re.finditer(text):
            out.append(Match("capitals", Category.SPAM, spam.caps_severity, *m.span()))
        return out


_DOT_LETTER = re.compile(r"\.[a-z]")
_ASCII_UPPER = bytes(range(65, 91))


_UPPER = "[A-Z\u00c0-\u00d6\u00d8-\u00de\u0391-\u03a9\u0410-\u042f]"
_NOT_LETTER = "[^A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff]"


def _link_pattern(spam: SpamRules) -> re.Pattern[str]:
    label = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    tlds = "|".join(sorted(map(re.escape, spam.tlds), key=len, reverse=True))
    shorteners = "|".join(sorted(map(re.escape, spam.shorteners), key=len, reverse=True))
    bare = rf"(?:{label}\.)+(?:{tlds})"
    if shorteners:
        bare = rf"(?:{shorteners}|{bare})"
    return re.compile(
        r"(?:https?://|www\.)[^\s<>\"'`]+"
        rf"|(?<![\w@.\-]){bare}(?![\w\-])(?:[/?#][^\s<>\"'`]*)?"
    )


def _host(link: str) -> str:
    host = link.split("://", 1)[-1]
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host.removeprefix("www.")
