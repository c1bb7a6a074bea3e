"""Value types shared by the scorers, the pipeline and the policy.

Everything here is plain data: no Flask, no database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# What the posting policy forbids: declared in the registry (moderation/categories.py).
from moderation.categories import CATEGORIES, Category
from moderation.scoring.language import Language

__all__ = ["CATEGORIES", "Category", "Evidence", "Match", "ScoreResult", "Severity"]


class Severity(StrEnum):
    """How bad a rule term is. ``none`` terms are reported but never act on their own
    (identity words such as "gay", everyday words such as "kill" in better-profanity's list)."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    STRONG = "strong"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.NONE: 0,
    Severity.MILD: 1,
    Severity.MODERATE: 2,
    Severity.STRONG: 3,
    Severity.SEVERE: 4,
}


@dataclass(frozen=True, slots=True)
class Match:
    """A rule hit. ``start``/``end`` are offsets into the *original* text (end exclusive)."""

    term: str
    category: Category
    severity: Severity
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "category": str(self.category),
            "severity": str(self.severity),
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the original text that drove a classifier score up.

    ``weight`` is the span's contribution to the category's decision function
    (log-odds units), so spans can be ranked; ``start``/``end`` index the original text.
    """

    category: Category
    start: int
    end: int
    weight: float
    feature: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": str(self.category),
            "start": self.start,
            "end": self.end,
            "weight": round(self.weight, 4),
            "feature": self.feature,
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """What the scoring pipeline says about one text.

    ``scores`` holds a probability-like value in [0, 1] for every category;
    ``versions`` names every scorer that contributed (e.g. ``{"rules": "...", "model": "..."}``);
    ``language`` is the detected language (``None`` where detection was not run).
    """

    scores: dict[Category, float]
    matches: tuple[Match, ...] = ()
    explanations: tuple[Evidence, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)
    language: Language | None = None
