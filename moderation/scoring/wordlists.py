"""The rule filter's word lists: better-profanity's list plus the project's YAML, validated.

Nothing is read at import time. :func:`load_wordlists` reads ``<config_dir>/wordlists/terms.yaml``
and ``spam.yaml``, the word list of each declared category kept in a file of its own (its
``wordlist`` in moderation/categories.py; ``groups`` only, as in terms.yaml) and
better-profanity's ``profanity_wordlist.txt`` from the installed package,
and raises :class:`RuleConfigError` (a ``ValueError``) naming the file and the key when anything is
missing, malformed or unknown, so the service refuses to start on a bad configuration.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from moderation import yamltext
from moderation.categories import declared
from moderation.scoring.types import Category, Severity

__all__ = [
    "RuleConfigError",
    "SpamRules",
    "TermSpec",
    "Wordlists",
    "better_profanity_terms",
    "load_wordlists",
]

#: Characters a term may contain: letters, digits, separators of multi-word and spaced terms
#: (space . - _) and the leet symbols better-profanity's own list uses.
_TERM_RE = re.compile(r"[a-z0-9](?:[a-z0-9 .\-_'@$!+*]*[a-z0-9.!+*$])?")
_WORD_RE = re.compile(r"[a-z0-9]+")
_DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_TLD_RE = re.compile(r"[a-z]{2,24}")


class RuleConfigError(ValueError):
    """A word-list file is missing, malformed, or has an unknown key or value.

    The message starts with the file and the key path, e.g.
    ``config/wordlists/terms.yaml: groups[2].severity: ...``.
    """


@dataclass(frozen=True, slots=True)
class TermSpec:
    """One term as written in a list, with the category and severity it was given.

    ``explicit`` is false for better-profanity terms that only got the list-wide default.
    ``inflect`` allows regular suffixes (-s, -es, -ed, -er, -ers, -ing, -in, -y).
    """

    term: str
    category: Category
    severity: Severity
    inflect: bool
    explicit: bool
    in_better_profanity: bool
    source: str  # where it was configured, for error messages
    order: int  # position in terms.yaml (unlisted better-profanity terms after all of them)


@dataclass(frozen=True, slots=True)
class SpamRules:
    """Thresholds and severities of the spam rules (``spam.yaml``)."""

    link_severity: Severity
    tlds: tuple[str, ...]
    shortener_severity: Severity
    shorteners: tuple[str, ...]
    repeat_min_run: int
    repeat_severity: Severity
    caps_min_letters: int
    caps_severity: Severity


@dataclass(frozen=True, slots=True)
class Wordlists:
    """Everything the rule filter compiles.

    ``terms`` holds every better-profanity term (lower-cased, in list order) followed by the
    project's extra terms; ``stems`` also match inside longer words; ``literal`` terms match
    only when their digits are written (``s0b`` is not "sob"); ``allow`` phrases are never
    reported, nor is any term inside them.
    """

    terms: tuple[TermSpec, ...]
    stems: frozenset[str]
    literal: frozenset[str]
    allow: tuple[str, ...]
    spam: SpamRules
    better_profanity: tuple[str, ...]
    #: How the classifier reads some terms as features, when not as their severity: the
    #: severity the shipped artefact was trained with, or None (not a feature at all).
    classifier_features: Mapping[str, Severity | None] = field(default_factory=dict)


def better_profanity_terms() -> tuple[str, ...]:
    """better-profanity's word list, lower-cased and de-duplicated, in file order.

    Read from the installed package directory without importing the package (its import
    builds a multi-megabyte censor set). Raises ``RuleConfigError`` when it is not installed.
    """
    spec = importlib.util.find_spec("better_profanity")
    if spec is None or not spec.submodule_search_locations:
        raise RuleConfigError("better_profanity is not installed: its word list is required")
    path = Path(next(iter(spec.submodule_search_locations))) / "profanity_wordlist.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RuleConfigError(f"{path}: cannot read better-profanity's word list: {exc}") from None
    return tuple(dict.fromkeys(line.strip().lower() for line in lines if line.strip()))


def load_wordlists(config_dir: Path) -> Wordlists:
    """Read and validate ``<config_dir>/wordlists/{terms,spam}.yaml`` and better-profanity's list.

    Raises ``RuleConfigError`` naming the file and key of the first problem found.
    """
    directory = config_dir / "wordlists"
    bp_terms = better_profanity_terms()
    terms_file = directory / "terms.yaml"
    spam_file = directory / "spam.yaml"
    # Word lists of declared categories kept in their own file (moderation/categories.py):
    # each holds `groups` only, in terms.yaml's format.
    files = sorted({c.wordlist for c in declared()} - {"terms.yaml", "spam.yaml"})
    extra = [(directory / name, _read_yaml(directory / name)) for name in files]
    data = _read_yaml(terms_file)
    terms, stems, literal, allow = _parse_terms(data, terms_file, bp_terms, extra)
    features = _parse_classifier_features(data, terms_file, {spec.term for spec in terms})
    spam = _parse_spam(_read_yaml(spam_file), spam_file)
    return Wordlists(terms, stems, literal, allow, spam, bp_terms, features)


#: ``classifier_features`` value for a term the classifier does not read at all.
OMIT = "omit"


def _parse_classifier_features(
    data: Mapping[str, Any], path: Path, known: set[str]
) -> dict[str, Severity | None]:
    """``classifier_features: {term: severity | omit}``: terms whose policy severity changed
    after the shipped classifier was trained keep the feature it learnt (or none, for terms
    it never saw), so a word-list change does not silently shift the model's scores."""
    r = _Reader(path)
    raw = data.get("classifier_features") or {}
    if not isinstance(raw, Mapping):
        raise r.error("classifier_features", f"expected a mapping, got {_kind(raw)}")
    out: dict[str, Severity | None] = {}
    for term, value in raw.items():
        key = f"classifier_features.{term}"
        if not isinstance(term, str) or term not in known:
            raise r.error(key, f"{term!r} is not a listed term")
        out[term] = None if value == OMIT else r.enum(value, key, Severity)
    return out


def load_yaml(path: Path) -> Any:
    """The YAML document in ``path`` (any shape: the caller checks it). Raises
    :class:`RuleConfigError` naming the file when it is missing or not valid YAML."""
    try:
        return yamltext.safe_load(path.read_bytes())
    except FileNotFoundError:
        raise RuleConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise RuleConfigError(f"{path}: not valid YAML: {exc}") from None


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleConfigError(f"{path}: cannot read word list: {exc.strerror or exc}") from None
    try:
        data = yamltext.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RuleConfigError(f"{path}: expected a mapping at the top level")
    return data


class _Reader:
    """Typed access to one YAML file's values, with errors that name the file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str, message: str) -> RuleConfigError:
        return RuleConfigError(f"{self.path}: {key}: {message}")

    def mapping(self, value: object, key: str, allowed: Iterable[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a mapping, got {_kind(value)}")
        allowed = tuple(allowed)
        for name in value:
            if name not in allowed:
                raise self.error(
                    f"{key}.{name}" if key else str(name),
                    f"unknown key (expected one of: {', '.join(allowed)})",
                )
        return value

    def require(self, data: Mapping[str, Any], name: str, key: str) -> object:
        if name not in data:
            raise self.error(f"{key}.{name}" if key else name, "missing")
        return data[name]

    def string_list(self, value: object, key: str, pattern: re.Pattern[str]) -> list[str]:
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {_kind(value)}")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(f"{key}[{i}]", f"expected a string, got {_kind(item)}")
            text = " ".join(item.lower().split())
            if not pattern.fullmatch(text):
                raise self.error(f"{key}[{i}]", f"{item!r} is not a valid entry")
            out.append(text)
        return out

    def enum(self, value: object, key: str, kind: type[Category] | type[Severity]) -> Any:
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return kind(value)
        except ValueError:
            choices = ", ".join(str(v) for v in kind)
            raise self.error(key, f"{value!r} is not one of: {choices}") from None

    def integer(self, value: object, key: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"expected an integer >= {minimum}, got {value!r}")
        return value

    def boolean(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


_TOP_KEYS = ("better_profanity", "groups", "stems", "literal", "allow", "classifier_features")
_GROUP_KEYS = ("about", "category", "severity", "inflect", "terms")


def _parse_terms(
    data: Mapping[str, Any],
    path: Path,
    bp_terms: tuple[str, ...],
    extra: Sequence[tuple[Path, Mapping[str, Any]]] = (),
) -> tuple[tuple[TermSpec, ...], frozenset[str], frozenset[str], tuple[str, ...]]:
    r = _Reader(path)
    r.mapping(data, "", _TOP_KEYS)
    for extra_path, extra_data in extra:
        _Reader(extra_path).mapping(extra_data, "", ("groups",))

    bp = r.mapping(r.require(data, "better_profanity", ""), "better_profanity", ("default",))
    default = r.mapping(
        r.require(bp, "default", "better_profanity"),
        "better_profanity.default",
        ("category", "severity"),
    )
    default_category: Category = r.enum(
        r.require(default, "category", "better_profanity.default"),
        "better_profanity.default.category",
        Category,
    )
    default_severity: Severity = r.enum(
        r.require(default, "severity", "better_profanity.default"),
        "better_profanity.default.severity",
        Severity,
    )

    configured: dict[str, tuple[Category, Severity, bool, str]] = {}
    where: dict[str, Path] = {}  # the file each configured term is listed in
    for reader, groups in [
        (r, r.require(data, "groups", "")),
        *((_Reader(p), d.get("groups")) for p, d in extra),
    ]:
        if not isinstance(groups, list):
            raise reader.error("groups", f"expected a list, got {_kind(groups)}")
        _parse_groups(reader, groups, configured, where)

    bp_set = set(bp_terms)
    order = {term: i for i, term in enumerate(configured)}
    specs = [
        TermSpec(
            term,
            *configured[term][:3],
            explicit=True,
            in_better_profanity=True,
            source=f"{where[term]}: {configured[term][3]}",
            order=order[term],
        )
        if term in configured
        else TermSpec(
            term,
            default_category,
            default_severity,
            inflect=False,
            explicit=False,
            in_better_profanity=True,
            source="better-profanity",
            order=len(order) + i,
        )
        for i, term in enumerate(bp_terms)
    ]
    specs.extend(
        TermSpec(
            term,
            category,
            severity,
            inflect,
            explicit=True,
            in_better_profanity=False,
            source=f"{where[term]}: {key}",
            order=order[term],
        )
        for term, (category, severity, inflect, key) in configured.items()
        if term not in bp_set
    )
    known = {spec.term for spec in specs}

    stems = r.string_list(data.get("stems", []), "stems", _WORD_RE)
    for i, stem in enumerate(stems):
        if stem not in known:
            raise r.error(f"stems[{i}]", f"{stem!r} is not a listed term")
    literal = r.string_list(data.get("literal", []), "literal", _TERM_RE)
    for i, term in enumerate(literal):
        if term not in known:
            raise r.error(f"literal[{i}]", f"{term!r} is not a listed term")
        if term.isalpha():
            raise r.error(f"literal[{i}]", f"{term!r} has no digit or symbol to keep literal")
    allow = r.string_list(data.get("allow", []), "allow", _TERM_RE)
    for i, phrase in enumerate(allow):
        if phrase in known:
            raise r.error(
                f"allow[{i}]",
                f"{phrase!r} is itself a term: give it severity none instead of allowing it",
            )
    return tuple(specs), frozenset(stems), frozenset(literal), tuple(dict.fromkeys(allow))


def _parse_groups(
    r: _Reader,
    groups: list[Any],
    configured: dict[str, tuple[Category, Severity, bool, str]],
    where: dict[str, Path],
) -> None:
    for g, raw in enumerate(groups):
        key = f"groups[{g}]"
        group = r.mapping(raw, key, _GROUP_KEYS)
        about = group.get("about", "")
        if not isinstance(about, str):
            raise r.error(f"{key}.about", f"expected a string, got {_kind(about)}")
        category: Category = r.enum(r.require(group, "category", key), f"{key}.category", Category)
        if category is Category.SPAM:
            raise r.error(f"{key}.category", "spam is configured in spam.yaml, not as terms")
        severity: Severity = r.enum(r.require(group, "severity", key), f"{key}.severity", Severity)
        inflect = r.boolean(group.get("inflect", False), f"{key}.inflect")
        terms = r.string_list(r.require(group, "terms", key), f"{key}.terms", _TERM_RE)
        if not terms:
            raise r.error(f"{key}.terms", "empty list")
        for t, term in enumerate(terms):
            if term in configured:
                listed = _place(configured[term][3], where[term], r.path)
                raise r.error(f"{key}.terms[{t}]", f"{term!r} is already listed in {listed}")
            configured[term] = (category, severity, inflect, key)
            where[term] = r.path


def _place(key: str, path: Path, here: Path) -> str:
    return key if path == here else f"{path}: {key}"


_SPAM_KEYS = ("links", "shorteners", "repeated_characters", "capitals")


def _parse_spam(data: Mapping[str, Any], path: Path) -> SpamRules:
    r = _Reader(path)
    r.mapping(data, "", _SPAM_KEYS)
    links = r.mapping(r.require(data, "links", ""), "links", ("severity", "tlds"))
    shorteners = r.mapping(r.require(data, "shorteners", ""), "shorteners", ("severity", "domains"))
    repeated = r.mapping(
        r.require(data, "repeated_characters", ""), "repeated_characters", ("severity", "min_run")
    )
    capitals = r.mapping(r.require(data, "capitals", ""), "capitals", ("severity", "min_letters"))
    tlds = r.string_list(r.require(links, "tlds", "links"), "links.tlds", _TLD_RE)
    domains = r.string_list(
        r.require(shorteners, "domains", "shorteners"), "shorteners.domains", _DOMAIN_RE
    )
    if not tlds:
        raise r.error("links.tlds", "empty list")
    return SpamRules(
        link_severity=r.enum(r.require(links, "severity", "links"), "links.severity", Severity),
        tlds=tuple(dict.fromkeys(tlds)),
        shortener_severity=r.enum(
            r.require(shorteners, "severity", "shorteners"), "shorteners.severity", Severity
        ),
        shorteners=tuple(dict.fromkeys(domains)),
        repeat_min_run=r.integer(
            r.require(repeated, "min_run", "repeated_characters"),
            "repeated_characters.min_run",
            3,
        ),
        repeat_severity=r.enum(
            r.require(repeated, "severity", "repeated_characters"),
            "repeated_characters.severity",
            Severity,
        ),
        caps_min_letters=r.integer(
            r.require(capitals, "min_letters", "capitals"), "capitals.min_letters", 5
        ),
        caps_severity=r.enum(
            r.require(capitals, "severity", "capitals"), "capitals.severity", Severity
        ),
    )
