"""The registry of harm categories: each declared once, and read by everything else.

Scoring (which categories exist, which the classifier scores, which word list feeds them),
training (the categories a model learns), policy validation (every category needs
thresholds), the Perspective mapping (attribute names), review reasons (the dashboard's
reject menu), the dashboard (labels, colours: ``/dashboard/categories.css``) and the label
store all read this module, and so do statements of reasons under the Digital Services Act
(each category's :class:`DsaMapping`). It imports nothing from the rest of the service but
the DSA vocabulary (:mod:`moderation.dsa.vocabulary`, plain data).

The five built-in categories are declared in :data:`BUILTIN` below. A deployment adds its own
in ``<config_dir>/categories.yaml`` (see docs/categories.md): those are *rule-only* — the
classifier has no output for them, so their model score is absent and counts as 0, and
their score is the word-list (rule) score alone, through the policy's ``rule_scores``. A
built-in category the classifier learns (``trained=True``) needs a retrain to score.

:class:`Category` is a ``str`` whose value is a declared name: ``Category("attack")``
returns the one shared instance (so ``is`` comparisons hold) and raises ``ValueError``
for a name the registry does not declare. :data:`CATEGORIES` is a live, ordered view of
the declared names. The registry is set once at start-up by :func:`use` (the app factory
calls it with the config directory); tests that add categories call :func:`use` again to
restore the built-ins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, overload

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import core_schema

from moderation import yamltext
from moderation.dsa import vocabulary as dsa_vocabulary

__all__ = [
    "BUILTIN",
    "CATEGORIES",
    "Category",
    "CategoryError",
    "CategoryInfo",
    "DsaMapping",
    "declared",
    "info",
    "trained",
    "use",
]

#: Names a category may have: short, lower-case, safe in a CSS class, a URL and a metric label.
NAME_RE = re.compile(r"[a-z][a-z0-9_]{1,15}")
#: Perspective attribute names a category may be offered under.
ATTRIBUTE_RE = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
#: Reject-menu codes that are not categories (``services.review``): no category may take them.
RESERVED = frozenset({"off_topic", "other", "any", "none"})


class CategoryError(ValueError):
    """``categories.yaml`` is malformed or declares something invalid; the message names
    the file and the key."""


class _CategoryType(type):
    """``for c in Category`` and ``"x" in Category`` read the registry, as they read an enum."""

    def __iter__(cls) -> Iterator[Category]:
        return iter(CATEGORIES)

    def __len__(cls) -> int:
        return len(_registry)

    def __contains__(cls, value: object) -> bool:
        return isinstance(value, str) and value in _registry


class Category(str, metaclass=_CategoryType):
    """A declared category's name (see the module docstring)."""

    __slots__ = ()

    PROFANITY: ClassVar[Category]
    ATTACK: ClassVar[Category]
    THREAT: ClassVar[Category]
    HATE: ClassVar[Category]
    SPAM: ClassVar[Category]

    def __new__(cls, value: object) -> Category:
        found = _registry.get(value) if isinstance(value, str) else None
        if found is None:
            raise ValueError(f"{value!r} is not a category: use one of {', '.join(_registry)}")
        return found.name

    @property
    def value(self) -> str:
        """The plain string (as an enum member's ``value`` was)."""
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"Category({str.__repr__(self)})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


def _name(value: str) -> Category:
    return str.__new__(Category, value)


@dataclass(frozen=True, slots=True)
class DsaMapping:
    """How a category is reported in a statement of reasons (the DSA Transparency Database).

    ``category`` is a ``STATEMENT_CATEGORY_*`` value and ``keywords`` its
    ``category_specification`` (``KEYWORD_*`` values); ``other`` describes ``KEYWORD_OTHER``
    (``category_specification_other``). ``clause`` names the clause of the site's terms the
    category enforces (``incompatible_content_ground``); None: "Community guidelines:
    <label>".
    """

    category: str = "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
    keywords: tuple[str, ...] = ()
    other: str | None = None
    clause: str | None = None


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """Everything the service needs to know about one category.

    ``perspective`` names the Perspective attributes that include it (``TOXICITY`` and
    ``SEVERE_TOXICITY`` combine several categories; see integrations/attributes.py).
    ``review_reason`` explains the reason in the dashboard's reject menu (the reason's code
    is the category name). ``colour`` marks classifier evidence in the dashboard,
    ``highlight`` the background of word-list matches (None: the default yellow).
    ``wordlist`` is the file under ``<config_dir>/wordlists/`` whose terms feed it.
    ``trained``: the classifier scores it (else rule-only). ``thresholds`` (hold, reject)
    apply when a policy does not list the category (None: every policy must list it).
    ``dsa`` maps it to the DSA Transparency Database's category and keywords (a category a
    site adds without a mapping is reported as "scope of platform service", keyword other).
    """

    name: Category
    label: str
    description: str
    perspective: tuple[str, ...]
    review_reason: str
    colour: str
    highlight: str | None = None
    wordlist: str = "terms.yaml"
    trained: bool = False
    thresholds: tuple[float, float] | None = None
    dsa: DsaMapping | None = None

    def dsa_mapping(self) -> DsaMapping:
        """The declared :attr:`dsa` mapping, or the default for a site-added category."""
        if self.dsa is not None:
            return self.dsa
        return DsaMapping(keywords=("KEYWORD_OTHER",), other=self.label)


BUILTIN: tuple[CategoryInfo, ...] = (
    CategoryInfo(
        _name("profanity"),
        "profanity",
        "profanity, obscenity and other offensive language that is not aimed at an individual",
        ("PROFANITY", "TOXICITY"),
        "profane, obscene or crude language",
        "#d9822b",
        trained=True,
        dsa=DsaMapping(
            "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
            ("KEYWORD_OTHER",),
            "profanity",
            "Community guidelines: no profane, obscene or crude language",
        ),
    ),
    CategoryInfo(
        _name("attack"),
        "personal attack",
        "an insult or demeaning remark aimed at a person: a participant of the "
        "conversation, the author or an identifiable individual",
        ("INSULT", "TOXICITY", "SEVERE_TOXICITY"),
        "insults or demeans a person",
        "#c23b6a",
        "#ffd0df",
        trained=True,
        dsa=DsaMapping(
            "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
            ("KEYWORD_ONLINE_BULLYING_INTIMIDATION",),
            clause="Community guidelines: no personal attacks, insults or demeaning remarks",
        ),
    ),
    CategoryInfo(
        _name("threat"),
        "threat",
        "a threat of violence",
        ("THREAT", "TOXICITY", "SEVERE_TOXICITY"),
        "threatens violence",
        "#8f2fbf",
        "#ead2f7",
        trained=True,
        dsa=DsaMapping(
            "STATEMENT_CATEGORY_VIOLENCE",
            ("KEYWORD_OTHER",),
            "threat of violence",
            "Community guidelines: no threats of violence",
        ),
    ),
    CategoryInfo(
        _name("hate"),
        "hate",
        "an attack on a group for a protected attribute (identity-based attack)",
        ("IDENTITY_ATTACK", "TOXICITY", "SEVERE_TOXICITY"),
        "attacks a group for who they are",
        "#b3261e",
        "#ffcdc9",
        trained=True,
        dsa=DsaMapping(
            "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
            ("KEYWORD_HATE_SPEECH",),
            clause="Community guidelines: no attacks on a group for who they are",
        ),
    ),
    CategoryInfo(
        _name("spam"),
        "spam",
        "advertising, link dropping, shouting and repeated characters (rules only)",
        ("SPAM",),
        "advertising or link spam",
        "#2f7fbf",
        "#cfe5f7",
        wordlist="spam.yaml",
        dsa=DsaMapping(
            "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
            ("KEYWORD_OTHER",),
            "spam or advertising",
            "Community guidelines: no advertising, link dropping or spam",
        ),
    ),
)

Category.PROFANITY, Category.ATTACK, Category.THREAT, Category.HATE, Category.SPAM = (
    c.name for c in BUILTIN
)

_registry: dict[str, CategoryInfo] = {c.name: c for c in BUILTIN}


class _Declared(Sequence[Category]):
    """The declared category names, in declaration order; follows :func:`use`."""

    @overload
    def __getitem__(self, index: int) -> Category: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Category]: ...
    def __getitem__(self, index: int | slice) -> Category | Sequence[Category]:
        return tuple(c.name for c in _registry.values())[index]

    def __len__(self) -> int:
        return len(_registry)

    def __iter__(self) -> Iterator[Category]:
        return iter(tuple(c.name for c in _registry.values()))

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value in _registry

    def __repr__(self) -> str:
        return f"CATEGORIES{tuple(str(c) for c in self)}"


#: Every declared category, built-in first (a live view: it follows :func:`use`).
CATEGORIES: Sequence[Category] = _Declared()


def declared() -> tuple[CategoryInfo, ...]:
    """Every declared category, built-in first."""
    return tuple(_registry.values())


def info(category: str) -> CategoryInfo:
    """The declaration of ``category``; ``KeyError`` when it is not declared."""
    return _registry[category]


def trained() -> tuple[Category, ...]:
    """The built-in categories the classifier learns (a model file lists its own)."""
    return tuple(c.name for c in BUILTIN if c.trained)


# --- categories.yaml ----------------------------------------------------------------------


class _DsaDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"
    keywords: tuple[str, ...] = ()
    other: str | None = Field(default=None, min_length=1, max_length=500)
    clause: str | None = Field(default=None, min_length=1, max_length=300)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value not in dsa_vocabulary.STATEMENT_CATEGORIES:
            raise ValueError(f"{value!r} is not a Transparency Database category")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for keyword in value:
            if keyword not in dsa_vocabulary.KEYWORDS:
                raise ValueError(f"{keyword!r} is not a Transparency Database keyword")
        return value


class _Declaration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=1, max_length=300)
    perspective: tuple[str, ...] = ()
    review_reason: str = Field(min_length=1, max_length=80)
    colour: str = "#6b7280"
    highlight: str | None = None
    wordlist: str = "terms.yaml"
    thresholds: dict[str, float] | None = None
    dsa: _DsaDeclaration | None = None

    @field_validator("perspective")
    @classmethod
    def _attribute_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not ATTRIBUTE_RE.fullmatch(name):
                raise ValueError(f"{name!r} is not an attribute name (A-Z, 0-9 and _)")
        return value

    @field_validator("colour", "highlight")
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is not None and not _COLOUR_RE.fullmatch(value):
            raise ValueError(f"{value!r} is not a colour written #rrggbb")
        return value

    @field_validator("wordlist")
    @classmethod
    def _wordlist(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]+\.yaml", value) or value == "spam.yaml":
            raise ValueError(f"{value!r} is not a word-list file name (name.yaml, not spam.yaml)")
        return value

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        if set(value) != {"hold", "reject"}:
            raise ValueError("give exactly 'hold' and 'reject'")
        if not 0.0 <= value["hold"] <= value["reject"] <= 1.0:
            raise ValueError("need 0 <= hold <= reject <= 1")
        return value


def _parse(path: Path) -> tuple[CategoryInfo, ...]:
    try:
        data = yamltext.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CategoryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise CategoryError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or set(data) - {"categories"}:
        raise CategoryError(f"{path}: expected a mapping with one key, 'categories'")
    entries = data.get("categories") or {}
    if not isinstance(entries, dict):
        raise CategoryError(f"{path}: categories: expected a mapping of name -> declaration")
    out = []
    for name, raw in entries.items():
        key = f"categories.{name}"
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise CategoryError(f"{path}: {key}: a name is 2-16 of a-z, 0-9 and _")
        if name in _BUILTIN_NAMES or name in RESERVED:
            raise CategoryError(f"{path}: {key}: {name!r} is already taken")
        try:
            d = _Declaration.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            raise CategoryError(f"{path}: {key}{'.' + where if where else ''}: {message}") from None
        out.append(
            CategoryInfo(
                _name(name),
                d.label,
                d.description,
                d.perspective,
                d.review_reason,
                d.colour,
                d.highlight,
                d.wordlist,
                trained=False,  # rule-only: see the module docstring
                thresholds=(d.thresholds["hold"], d.thresholds["reject"]) if d.thresholds else None,
                dsa=_dsa_mapping(d.dsa, d.label),
            )
        )
    return tuple(out)


def _dsa_mapping(declared: _DsaDeclaration | None, label: str) -> DsaMapping | None:
    if declared is None:
        return None
    keywords = declared.keywords
    if declared.other is not None and "KEYWORD_OTHER" not in keywords:
        keywords = (*keywords, "KEYWORD_OTHER")
    if "KEYWORD_OTHER" in keywords and declared.other is None:
        return DsaMapping(declared.category, keywords, label, declared.clause)
    return DsaMapping(declared.category, keywords, declared.other, declared.clause)


_BUILTIN_NAMES = frozenset(c.name for c in BUILTIN)


def use(config_dir: Path | None) -> tuple[CategoryInfo, ...]:
    """Declare the built-in categories plus those of ``<config_dir>/categories.yaml`` (if the
    file exists), replacing any declared before; ``None`` restores the built-ins alone.

    Raises :class:`CategoryError` naming the file and key of a bad declaration.
    """
    added: tuple[CategoryInfo, ...] = ()
    if config_dir is not None and (config_dir / "categories.yaml").is_file():
        added = _parse(config_dir / "categories.yaml")
    global _registry
    _registry = {c.name: c for c in (*BUILTIN, *added)}  # one swap: readers never see it half-built
    return declared()
