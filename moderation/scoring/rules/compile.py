"""Word-list compilation: listed spellings grouped into terms and indexed for matching.

:class:`CompiledLists` is built once from :class:`~moderation.scoring.wordlists.Wordlists`.
Every listed spelling is classified (a word, a multi-word phrase, letters spelt out, or a
literal matched as written) and folded to its canonical spelling; spellings that fold to the
same key are one :class:`Term` ("fuck", "fvck", "f-u-c-k"). Each term is then indexed by the
forms a token may take (:class:`WordForm`, with regular inflections for ``inflect`` terms)
under their collapsed skeleton, as lines of text per first letter for wildcard tokens, and by
phrase part (:class:`PhrasePart`). The allow list, stem regexes and the look-alike skeletons
that bound windows of joined pieces and spaced letters are compiled here too. Read-only once
built.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from moderation.scoring.rules.tokens import (
    AMBIGUOUS,
    WORD_CHAR,
    collapse_runs,
    letter_runs,
    lookalike_skeleton,
    run_lengths,
)
from moderation.scoring.types import Category, Severity
from moderation.scoring.wordlists import RuleConfigError, TermSpec, Wordlists

__all__ = ["CompiledLists", "FormLines", "Phrase", "PhrasePart", "Term", "WordForm"]

#: Suffixes an ``inflect`` term may take; doubled consonants ("slutty") come from run collapsing.
_SUFFIXES = ("s", "es", "ed", "er", "ers", "ing", "ings", "in", "y", "ier", "iest")
# Terms are written with a few leet spellings too; fold them the same way, ambiguity aside.
_TERM_FOLD = str.maketrans(
    {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "+": "t", "!": "i", "@": "a"}
)
_TERM_SPLIT_RE = re.compile(r"[\s._\-']+")

# Better-profanity's own substitutions, for literal terms ("s0b" also as "$0b").
_BP_ALTERNATIVES = {
    "a": "a@*4", "i": "i*l1!", "o": "o*0@", "u": "u*v", "v": "v*u", "l": "l1",
    "e": "e*3", "s": "s$5", "t": "t7+",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Term:
    """One reported term: all spellings that fold to the same word, and their config."""

    name: str
    category: Category
    severity: Severity
    stem: bool
    in_better_profanity: bool
    spellings: tuple[str, ...]
    order: int  # lower first when one token could be several terms ("f**k": fuck, not feck)


class WordForm(NamedTuple):
    """A spelling a whole token may have to be ``terms[term_id]``, with its letter-run lengths."""

    term_id: int
    lengths: tuple[int, ...]
    display: str  # the canonical spelling (leet resolved, "v" kept), for deobfuscation
    exact: bool  # false for a generated inflection


class PhrasePart(NamedTuple):
    """Word ``position`` of ``phrases[phrase]``: its match key and letter-run lengths."""

    phrase: int
    position: int
    key: str
    lengths: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Phrase:
    """A multi-word spelling of ``terms[term_id]``: its parts' keys and canonical spellings."""

    term_id: int
    parts: tuple[str, ...]  # part keys
    displays: tuple[str, ...]


#: A listed spelling with its shape, its match keys and its canonical spelling(s).
KeyedSpelling = tuple[TermSpec, str, tuple[tuple[str, str], ...], tuple[str, ...]]


#: Per first letter: the keys of an index's forms, one per line, and the form at each offset
#: of that text. Tokens with wildcards or many ambiguous characters are matched against it
#: with one regex search instead of a dictionary lookup per reading.
FormLines = dict[str, tuple[str, dict[int, WordForm]]]


class CompiledLists:
    """The word lists compiled for matching; built once per :class:`RuleFilter`, then read-only.

    ``terms`` are the reported terms, indexed by position (``term_id`` elsewhere). Word and
    spaced-out forms are kept by collapsed skeleton (``word_forms``, ``spaced_forms``) and as
    :data:`FormLines` per first letter (``word_lines``, ``spaced_lines``) with their
    fixed-length index (``*_lines_by_size``); phrase parts likewise.
    """

    def __init__(self, lists: Wordlists) -> None:
        self._lists = lists
        self.terms: list[Term] = []
        self.word_forms: dict[str, list[WordForm]] = {}
        self.spaced_forms: dict[str, list[WordForm]] = {}
        self.phrases: list[Phrase] = []
        self.phrase_parts: dict[str, list[PhrasePart]] = {}
        self.literals: list[tuple[re.Pattern[str], int, str]] = []
        self.stem_forms: dict[str, tuple[int, str]] = {}
        self.stem_by_skeleton: dict[str, tuple[int, str]] = {}
        self.lookalike_keys: set[str] = set()  # look-alike skeletons of all word and spaced forms
        self.lookalike_part_keys: set[str] = set()
        self._compile_terms(lists)
        self.word_lines = _forms_by_first_letter(self.word_forms)
        self.spaced_lines = _forms_by_first_letter(self.spaced_forms)
        self.word_lines_by_size = _forms_by_size(self.word_lines, 0)
        # Phrase parts by (length, position, letter) and (length, -1, ""), as _forms_by_size.
        self.parts_by_size: dict[tuple[int, int, str], list[PhrasePart]] = {}
        for phrase_parts in self.phrase_parts.values():
            for part in phrase_parts:
                size = len(part.key)
                self.parts_by_size.setdefault((size, -1, ""), []).append(part)
                for position, letter in enumerate(part.key):
                    self.parts_by_size.setdefault((size, position, letter), []).append(part)
        lines = sum(listing.count("\n") + 1 for listing, _ in self.word_lines.values())
        self.spaced_lines_by_size = _forms_by_size(self.spaced_lines, lines)
        self.line_lengths: dict[str, list[int]] = {}
        for listings in (self.word_lines, self.spaced_lines):
            for head, (listing, _) in listings.items():
                merged = set(self.line_lengths.get(head, ())) | set(map(len, listing.split("\n")))
                self.line_lengths[head] = sorted(merged)
        self.stem_re = _alternation(
            _run_pattern(key) for key in sorted(self.stem_forms, key=lambda k: (-len(k), k))
        )
        self.lookalike_stem_re = _alternation(
            f"(?<!{re.escape(lookalike_skeleton(key)[0])})"
            + "".join(re.escape(c) + "++" for c in lookalike_skeleton(key))
            for key in self.stem_forms
        )
        self.literal_re = _alternation(
            f"(?P<L{i}>{pattern.pattern})" for i, (pattern, _, _) in enumerate(self.literals)
        )
        allow_words = [p for p in lists.allow if _TERM_SPLIT_RE.search(p) is None]
        allow_phrases = [p for p in lists.allow if _TERM_SPLIT_RE.search(p) is not None]
        self.allow_tokens = frozenset(allow_words)
        self.allow_words = frozenset(_fold_term(w, set()).replace("v", "u") for w in allow_words)
        self.allow_word_re = _alternation(
            re.escape(w) for w in sorted(self.allow_words, key=lambda w: (-len(w), w))
        )
        self.allow_phrase_words = frozenset(
            w for p in allow_phrases for w in _TERM_SPLIT_RE.split(p) if w
        )
        self.allow_phrase_re = (
            re.compile(
                rf"(?<!{WORD_CHAR})(?:"
                + "|".join(
                    r"[\W_]{1,3}".join(re.escape(w) for w in _TERM_SPLIT_RE.split(p) if w)
                    for p in allow_phrases
                )
                + rf")(?!{WORD_CHAR})"
            )
            if allow_phrases
            else None
        )
        # Look-alike skeletons a window of a join or of spaced letters must spell, whole
        # or as a prefix, to match any form: they bound how far such a window is extended.
        join_keys = set(self.lookalike_keys)
        join_keys.update(
            lookalike_skeleton(form.display.replace("v", "u"))
            for index in (self.word_forms, self.spaced_forms)
            for forms in index.values()
            for form in forms
        )
        join_keys.update(
            lookalike_skeleton(display.replace("v", "u")) for _, _, display in self.literals
        )
        self.join_keys = frozenset(join_keys)
        self.join_ranks = self._join_ranks()
        self.join_prefixes = frozenset(k[:i] for k in join_keys for i in range(1, len(k) + 1))
        self.join_infixes = frozenset(
            k[i:j] for k in join_keys for i in range(len(k)) for j in range(i + 1, len(k) + 1)
        )
        #: Most pieces a join window spans: one per letter of the longest form.
        self.max_window = max(map(len, join_keys), default=1)

    def _join_ranks(self) -> dict[str, int]:
        """The worst severity rank a window spelling each of :attr:`join_keys` can be read as.

        A window with neither hidden letters nor edge symbols is matched as a whole word or a
        literal, and any reading of it that matches a form has the form's look-alike skeleton
        (:func:`lookalike_skeleton`): its match is no worse than the worst form or literal
        under its own skeleton. So a join window whose pieces are already that bad alone need
        not be matched ("kkk.kkk": every window spells "kkk" again, and is refused as no worse
        than its pieces). Keyed like :attr:`join_keys` (by a form's key and by its display).
        """
        ranks: dict[str, int] = {}

        def note(skeleton: str, term_id: int) -> None:
            rank = self.terms[term_id].severity.rank
            if rank > ranks.get(skeleton, -1):
                ranks[skeleton] = rank

        for index in (self.word_forms, self.spaced_forms):
            for key, forms in index.items():
                for form in forms:
                    note(lookalike_skeleton(key), form.term_id)
                    note(lookalike_skeleton(form.display.replace("v", "u")), form.term_id)
        for _, term_id, display in self.literals:
            note(lookalike_skeleton(display.replace("v", "u")), term_id)
        return ranks

    def _compile_terms(self, lists: Wordlists) -> None:
        specs = lists.terms
        plain = {s.term.replace("v", "u") for s in specs if s.term.isalpha()}
        keyed: list[KeyedSpelling] = []
        for spec in specs:
            kind, displays = _spelling_shape(spec.term, lists.literal, plain)
            if kind == "literal":
                keys: tuple[tuple[str, str], ...] = (("literal", spec.term),)
            elif kind == "phrase":
                part_keys = tuple(d.replace("v", "u") for d in displays)
                keys = (("phrase", " ".join(part_keys)), ("word", "".join(part_keys)))
            else:
                keys = (("word", displays[0].replace("v", "u")),)
            keyed.append((spec, kind, keys, displays))

        # Spellings that share a key are one term ("fuck", "fvck", "f-u-c-k").
        parent = list(range(len(keyed)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        owner: dict[tuple[str, str], int] = {}
        for i, (_, _, keys, _) in enumerate(keyed):
            for shared in keys:
                if shared in owner:
                    parent[root(i)] = root(owner[shared])
                else:
                    owner[shared] = i
        groups: dict[int, list[int]] = {}
        for i in range(len(keyed)):
            groups.setdefault(root(i), []).append(i)

        # A better-profanity spelling with no settings of its own that contains a stem or a
        # listed word of four letters or more rated moderate or worse takes the settings of the
        # worst one it contains: "fuckface" is as strong as "fuck", "twathead" as "twat".
        stem_settings = {
            collapse_runs(_fold_term(s.term, plain).replace("v", "u")): (
                s.category,
                s.severity,
                s.order,
            )
            for s in specs
            if s.explicit
            and _TERM_SPLIT_RE.search(s.term) is None
            and (
                s.term in lists.stems
                or (s.severity.rank >= Severity.MODERATE.rank and len(s.term) >= 4)
            )
        }
        stem_re = _alternation(
            _run_pattern(k) for k in sorted(stem_settings, key=len, reverse=True)
        )

        def inherited(keys: Iterable[tuple[str, str]]) -> tuple[Category, Severity, int] | None:
            found = [
                stem_settings[collapse_runs(m.group())]
                for kind, key in keys
                if kind == "word" and stem_re is not None
                for m in stem_re.finditer(key)
                if collapse_runs(m.group()) in stem_settings
            ]
            return max(found, key=lambda cso: (cso[1].rank, -cso[2])) if found else None

        for members in sorted(groups.values()):
            term_id = len(self.terms)
            member_specs = [keyed[i] for i in members]
            settings = (
                None
                if any(m[0].explicit for m in member_specs)
                else inherited(k for m in member_specs for k in m[2])
            )
            term = self._make_term(member_specs, lists.stems, settings)
            self.terms.append(term)
            word_keys: dict[str, str] = {}
            spaced_keys: dict[str, str] = {}
            for i in members:
                spec, kind, keys, displays = keyed[i]
                if kind == "literal":
                    self.literals.append((_literal_pattern(spec.term), term_id, displays[0]))
                elif kind == "phrase":
                    parts = keys[0][1].split(" ")
                    # Numbers stay numbers when respelt ("2 girls 1 cup", not "2 girls i cup").
                    written = [p for p in _TERM_SPLIT_RE.split(spec.term) if p]
                    shown = tuple(
                        w if w.isdigit() else d for w, d in zip(written, displays, strict=True)
                    )
                    self._add_phrase(term_id, tuple(parts), shown)
                    word_keys.setdefault(keys[1][1], "".join(shown))
                elif kind == "spaced":
                    spaced_keys.setdefault(keys[0][1], displays[0])
                else:
                    word_keys.setdefault(keys[0][1], displays[0])
                    if spec.term in lists.stems:
                        self.stem_forms[keys[0][1]] = (term_id, displays[0])
                        self.stem_by_skeleton[collapse_runs(keys[0][1])] = (term_id, displays[0])
            inflect = any(keyed[i][0].inflect for i in members)
            for key, display in word_keys.items():
                self._add_form(
                    self.word_forms, key, WordForm(term_id, run_lengths(key), display, True)
                )
                if inflect:
                    for form_key, form_display in _inflections(key, display):
                        if form_key not in word_keys:
                            form = WordForm(term_id, run_lengths(form_key), form_display, False)
                            self._add_form(self.word_forms, form_key, form)
            for key, display in spaced_keys.items():
                if key not in word_keys:
                    form = WordForm(term_id, run_lengths(key), display, True)
                    self._add_form(self.spaced_forms, key, form)

    @staticmethod
    def _make_term(
        members: list[KeyedSpelling],
        stems: frozenset[str],
        settings: tuple[Category, Severity, int] | None,
    ) -> Term:
        specs = [m[0] for m in members]
        explicit = [s for s in specs if s.explicit]
        chosen = explicit or specs
        first = chosen[0]
        for other in chosen[1:]:
            if (other.category, other.severity) != (first.category, first.severity):
                raise RuleConfigError(
                    f"{other.source}: {other.term!r} is a spelling of {first.term!r} "
                    f"({first.source}) but is configured as {other.category}/{other.severity}, "
                    f"not {first.category}/{first.severity}"
                )

        def preference(item: KeyedSpelling) -> tuple[bool, bool, bool, int]:
            spec, kind, _, displays = item
            single = kind in ("word", "literal")
            return (
                not (single and spec.term == displays[0]),
                not (single and spec.term.isalpha()),
                kind != "phrase",
                len(spec.term),
            )

        name = min(members, key=preference)[0].term
        category, severity, order = settings or (
            first.category,
            first.severity,
            min(s.order for s in chosen),
        )
        return Term(
            name=name,
            category=category,
            severity=severity,
            stem=any(s.term in stems for s in specs),
            in_better_profanity=any(s.in_better_profanity for s in specs),
            spellings=tuple(s.term for s in specs),
            order=order,
        )

    def _add_form(self, index: dict[str, list[WordForm]], key: str, form: WordForm) -> None:
        forms = index.setdefault(collapse_runs(key), [])
        if form not in forms:
            forms.append(form)
        self.lookalike_keys.add(lookalike_skeleton(key))

    def _add_phrase(self, term_id: int, parts: tuple[str, ...], displays: tuple[str, ...]) -> None:
        phrase_id = len(self.phrases)
        self.phrases.append(Phrase(term_id, parts, displays))
        for i, key in enumerate(parts):
            part = PhrasePart(phrase_id, i, key, run_lengths(key))
            self.phrase_parts.setdefault(collapse_runs(key), []).append(part)
            self.lookalike_part_keys.add(lookalike_skeleton(key))

    def fingerprint(self) -> str:
        payload = {
            "entries": [
                [e.name, str(e.category), str(e.severity), e.stem, sorted(e.spellings)]
                for e in self.terms
            ],
            "inflections": sorted(
                f"{f.term_id}:{f.display}" for forms in self.word_forms.values() for f in forms
            ),
            "allow": sorted(self._lists.allow),
            "spam": [str(v) for v in dataclasses.astuple(self._lists.spam)],
            "better_profanity": self._lists.better_profanity,
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return digest[:8]


def _spelling_shape(
    term: str, literal: frozenset[str], plain: set[str]
) -> tuple[str, tuple[str, ...]]:
    """Classify a listed spelling and give its canonical spelling(s).

    Returns ``("literal", (term,))``, ``("word", (spelling,))``, ``("spaced", (joined,))``
    for single letters separated by spaces/dots/dashes ("f-u-c-k"), or ``("phrase", parts)``.
    """
    if term in literal:
        return "literal", (_fold_term(term, plain),)
    parts = [p for p in _TERM_SPLIT_RE.split(term) if p]
    if len(parts) == 1:
        return "word", (_fold_term(parts[0], plain),)
    if all(len(p) == 1 for p in parts):
        return "spaced", (_fold_term("".join(parts), plain),)
    return "phrase", tuple(_fold_term(p, plain) for p in parts)


def _fold_term(term: str, plain: set[str]) -> str:
    """A listed spelling with its leet resolved: "sh1t" -> "shit", "he11" -> "hell".

    ``1`` reads as whichever of i/l gives a plain listed word ("i" otherwise); a ``*`` as the
    letter that gives a plain listed word ("masterbat*" -> "masterbate"), else it is dropped.
    """
    text = term.translate(_TERM_FOLD)
    if "1" in text or "|" in text:
        readings = ["".join(p) for p in itertools.product(*(AMBIGUOUS.get(c, c) for c in text))]
        text = next((r for r in readings if r.replace("v", "u") in plain), readings[0])
    if "*" in text:
        pattern = re.compile(re.escape(text).replace(r"\*", "[a-z]"))
        text = next((p for p in sorted(plain) if pattern.fullmatch(p)), text.replace("*", ""))
    return text


def _inflections(key: str, display: str) -> list[tuple[str, str]]:
    """Regular inflections of a word (key and display spelling)."""
    out: list[tuple[str, str]] = []
    for suffix in _SUFFIXES:
        out.append((key + suffix, display + suffix))
        if key.endswith("e") and suffix[0] in "eiy":
            out.append((key[:-1] + suffix, display[:-1] + suffix))
        if key.endswith("y") and suffix[0] in "ei":
            out.append((key[:-1] + "i" + suffix, display[:-1] + "i" + suffix))
    return out


def _forms_by_first_letter(
    index: dict[str, list[WordForm]],
) -> FormLines:
    """Per first letter: all forms of an index one per line, and the form at each offset.

    Tokens with wildcards or many ambiguous characters are matched against these with one
    regex search instead of a dictionary lookup per reading.
    """
    lines: dict[str, list[str]] = {}
    forms: dict[str, dict[int, WordForm]] = {}
    sizes: dict[str, int] = {}
    for skeleton_forms in index.values():
        for form in skeleton_forms:
            key = form.display.replace("v", "u")
            head = key[0]
            forms.setdefault(head, {})[sizes.get(head, 0)] = form
            lines.setdefault(head, []).append(key)
            sizes[head] = sizes.get(head, 0) + len(key) + 1
    return {head: ("\n".join(lines[head]), forms[head]) for head in lines}


def _forms_by_size(
    listings: FormLines, first_rank: int
) -> dict[tuple[int, int, str], list[tuple[int, str, str, WordForm]]]:
    """The lines of :func:`_forms_by_first_letter`, to match fixed-length wildcard keys sans regex.

    Keyed by ``(length, position, letter)`` (and ``(length, -1, "")`` for all of a length):
    ``(rank, first letter, line, form)`` in listing order, ``rank`` counting from ``first_rank``.
    """
    out: dict[tuple[int, int, str], list[tuple[int, str, str, WordForm]]] = {}
    rank = first_rank
    for head, (listing, at) in listings.items():
        offset = 0
        for line in listing.split("\n"):
            item = (rank, head, line, at[offset])
            out.setdefault((len(line), -1, ""), []).append(item)
            for position, letter in enumerate(line):
                out.setdefault((len(line), position, letter), []).append(item)
            rank += 1
            offset += len(line) + 1
    return out


def _run_pattern(key: str) -> str:
    """Regex matching ``key`` with each letter run at least as long ("ass" -> "(?<!a)a++s{2,}+").

    A match starts where a run of its first letter starts and each run is taken whole
    (possessive), which finds the same matches as ``a+s{2,}`` but scans a long run of one letter
    once instead of once per starting character.
    """
    runs = letter_runs(key)
    first = re.escape(runs[0][0])
    return f"(?<!{first})" + "".join(
        re.escape(ch) + ("++" if n == 1 else f"{{{n},}}+") for ch, n in runs
    )


def _alternation(patterns: Iterable[str]) -> re.Pattern[str] | None:
    patterns = list(patterns)
    return re.compile("|".join(patterns)) if patterns else None


def _literal_pattern(term: str) -> re.Pattern[str]:
    """A literal term as written, with better-profanity's substitutions for its letters only."""
    parts = []
    for ch, n in letter_runs(term):
        cls = _BP_ALTERNATIVES.get(ch, ch)
        body = re.escape(ch) if len(cls) == 1 else "[" + re.escape(cls) + "]"
        parts.append(body + ("+" if n == 1 else f"{{{n},}}"))
    return re.compile("".join(parts))
