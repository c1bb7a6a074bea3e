"""Perspective attributes from our category scores. Pure: no Flask, no database.

Our pipeline scores the registry's categories (moderation/categories.py: the built-in
profanity, attack, threat, hate, spam, and any a deployment declares); the policy combines
each with the word-list matches (:func:`moderation.policy.decide.decide`). A Perspective
attribute is a function of those combined scores; each category declares the attributes
that include it (``perspective``), which for the built-in ones gives:

==================  =============================================  ==========================
attribute           categories                                     function
==================  =============================================  ==========================
``PROFANITY``       profanity                                      the score
``INSULT``          attack                                         the score
``THREAT``          threat                                         the score
``IDENTITY_ATTACK`` hate                                           the score
``SPAM``            spam                                           the score
``TOXICITY``        profanity, attack, threat, hate                the highest
``SEVERE_TOXICITY`` attack, threat, hate                           the highest, squared
==================  =============================================  ==========================

``TOXICITY`` is the maximum, not a noisy-or: the categories are strongly correlated (an insult
is often profane), so ``1 - Π(1 - s)`` would count the same evidence several times and push
mildly rude comments over thresholds tuned on Perspective. ``SEVERE_TOXICITY`` leaves
profanity out (Perspective's is "much less sensitive to positive uses of curse words") and
squares the rest, so it stays well below ``TOXICITY`` except for clear attacks, threats and
hate (0.9 → 0.81, 0.6 → 0.36, 0.35 → 0.12). ``TOXICITY_FAST`` is answered as ``TOXICITY``.
A declared category offered under a new name (say ``DOXXING``) is answered with its score.

Span scores are the text that drove a score: each word-list match (scored as the policy's
``rule_scores`` of its severity) and each classifier evidence span (the category's model
probability times the span's share of the strongest span's log-odds weight), transformed as
the attribute's summary is. Offsets are UTF-16 code units, as Perspective's are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from moderation import categories
from moderation.scoring.types import Category, ScoreResult, Severity


def _identity(score: float) -> float:
    return score


def _squared(score: float) -> float:
    return score * score


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    categories: tuple[Category, ...]
    transform: Callable[[float], float] = _identity

    def summary(self, scores: Mapping[Category, float]) -> float:
        return self.transform(max((scores.get(c, 0.0) for c in self.categories), default=0.0))


#: How an attribute's combined score is transformed (identity unless listed).
_TRANSFORMS: dict[str, Callable[[float], float]] = {"SEVERE_TOXICITY": _squared}
#: Attributes answered as another (same categories, same transform).
_ALIASES = {"TOXICITY_FAST": "TOXICITY"}


def _attributes() -> dict[str, Attribute]:
    """Each attribute the declared categories name (``CategoryInfo.perspective``, in the
    registry moderation/categories.py), with every category that names it."""
    members: dict[str, list[Category]] = {}
    for declared_category in categories.declared():
        for name in declared_category.perspective:
            members.setdefault(name, []).append(declared_category.name)
    for alias, name in _ALIASES.items():
        if name in members:
            members[alias] = members[name]
    return {
        name: Attribute(name, tuple(cats), _TRANSFORMS.get(_ALIASES.get(name, name), _identity))
        for name, cats in members.items()
    }


class _Attributes(Mapping[str, Attribute]):
    """The attributes offered: follows the registry (a category declared at start-up is
    offered under the attribute names it declares)."""

    def __getitem__(self, name: str) -> Attribute:
        return _attributes()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_attributes())

    def __len__(self) -> int:
        return len(_attributes())


ATTRIBUTES: Mapping[str, Attribute] = _Attributes()

#: Perspective attributes we do not score (conversationai/perspectiveapi ``2-api/models.md``):
#: asked for, they get Perspective's "not supported in this language" error, which clients
#: already handle (or drop with ``dropUnsupportedAttributes``).
PERSPECTIVE_ONLY = frozenset(
    {
        "TOXICITY_EXPERIMENTAL",
        "SEVERE_TOXICITY_EXPERIMENTAL",
        "IDENTITY_ATTACK_EXPERIMENTAL",
        "INSULT_EXPERIMENTAL",
        "PROFANITY_EXPERIMENTAL",
        "THREAT_EXPERIMENTAL",
        "SEXUALLY_EXPLICIT",
        "FLIRTATION",
        "ATTACK_ON_AUTHOR",
        "ATTACK_ON_COMMENTER",
        "INCOHERENT",
        "INFLAMMATORY",
        "LIKELY_TO_REJECT",
        "OBSCENE",
        "UNSUBSTANTIAL",
    }
)

#: Languages we score (BCP-47 primary subtags).
SUPPORTED_LANGUAGES = frozenset({"en"})


def base_name(requested: str) -> str:
    """``TOXICITY@6`` → ``TOXICITY``: a pinned model version is accepted and ignored."""
    return requested.split("@", 1)[0].strip().upper()


def primary_language(code: str) -> str:
    """``en-GB``, ``en_US``, ``EN`` → ``en``."""
    return code.strip().replace("_", "-").split("-", 1)[0].lower()


@dataclass(frozen=True, slots=True)
class Span:
    """``begin``/``end`` in UTF-16 code units of the comment (end exclusive)."""

    begin: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class AttributeScore:
    summary: float
    spans: tuple[Span, ...] = ()


# A span in code points of the original text, with its score.
_RawSpan = tuple[int, int, float]


def category_spans(
    result: ScoreResult, rule_scores: Mapping[Severity, float]
) -> dict[Category, list[_RawSpan]]:
    """Scored spans per category (code-point offsets), the strongest per distinct span."""
    best: dict[Category, dict[tuple[int, int], float]] = {}

    def add(category: Category, start: int, end: int, score: float) -> None:
        if end <= start or score <= 0.0:
            return
        spans = best.setdefault(category, {})
        spans[(start, end)] = max(score, spans.get((start, end), 0.0))

    for match in result.matches:
        add(match.category, match.start, match.end, rule_scores.get(match.severity, 0.0))
    strongest: dict[Category, float] = {}
    for evidence in result.explanations:
        strongest[evidence.category] = max(evidence.weight, strongest.get(evidence.category, 0.0))
    for evidence in result.explanations:
        top = strongest[evidence.category]
        if top > 0.0:
            model = result.scores.get(evidence.category, 0.0)
            add(evidence.category, evidence.start, evidence.end, model * evidence.weight / top)
    return {c: [(s, e, v) for (s, e), v in spans.items()] for c, spans in best.items()}


def utf16_offsets(text: str) -> list[int]:
    """``offsets[i]`` is the UTF-16 offset of code point ``i`` (``len(text) + 1`` entries)."""
    offsets = [0] * (len(text) + 1)
    position = 0
    for i, char in enumerate(text):
        offsets[i] = position
        position += 2 if ord(char) > 0xFFFF else 1
    offsets[len(text)] = position
    return offsets


def score_attribute(
    attribute: Attribute,
    scores: Mapping[Category, float],
    spans: Mapping[Category, Iterable[_RawSpan]] | None = None,
    utf16: list[int] | None = None,
) -> AttributeScore:
    """The attribute's summary score and, when ``spans`` is given, its span scores sorted by
    position; ``utf16`` (from :func:`utf16_offsets`) converts their offsets."""
    summary = attribute.summary(scores)
    if spans is None:
        return AttributeScore(summary)
    merged: dict[tuple[int, int], float] = {}
    for category in attribute.categories:
        for start, end, value in spans.get(category, ()):
            score = attribute.transform(value)
            merged[(start, end)] = max(score, merged.get((start, end), 0.0))
    convert = utf16 or list(range(max((e for _, e in merged), default=0) + 1))
    out = tuple(
        Span(convert[start], convert[end], score) for (start, end), score in sorted(merged.items())
    )
    return AttributeScore(summary, out)
