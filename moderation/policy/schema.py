"""The posting policy file (``config/policy.yaml``): its schema and loader.

A policy says, per category, which combined score holds a comment for review and which
rejects it; what score a rule hit of each severity contributes; how many links a comment may
carry; and how rejected comments turn into strikes and strikes into sanctions.

Loading never half-succeeds: any unknown key, wrong type or inconsistent value raises
:class:`PolicyError` whose message names the file and the key path (``categories.attack.hold``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from moderation import sanctions, yamltext
from moderation.categories import declared
from moderation.sanctions import Sanction as Sanction
from moderation.scoring.types import Category, Severity

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class PolicyError(ValueError):
    """A policy file is missing or invalid; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    """Combined score at or above ``hold`` holds for review; at or above ``reject`` rejects."""

    hold: float = Field(ge=0.0, le=1.0)
    reject: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.hold > self.reject:
            raise ValueError(f"hold ({self.hold}) must not exceed reject ({self.reject})")
        return self


class SpamRules(_Strict):
    max_links: int = Field(default=2, ge=0)
    excess_links_score: float = Field(default=0.6, ge=0.0, le=1.0)


class RateLimits(_Strict):
    """Intake limits in the ``limits`` notation ("10/minute;100/hour"); empty = unlimited.

    ``reporter`` limits readers' reports per reporter reference; ``reports`` all reports of
    the site together."""

    site: str = ""
    author: str = ""
    reporter: str = ""
    reports: str = ""

    @field_validator("site", "author", "reporter", "reports")
    @classmethod
    def _parses(cls, value: str) -> str:
        if value:
            from limits import parse_many

            try:
                parse_many(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a rate like '10/minute;100/hour'") from None
        return value


class Criticism(_Strict):
    """Harsh words about a thing, not a person ("the plan is idiotic"), detected by the
    ``impersonal-criticism`` pattern: the attack score is capped at ``max_attack``."""

    max_attack: float = Field(default=1.0, ge=0.0, le=1.0)


#: An ISO 639-1 code, lower case ("en", "ru", "hy").
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class Languages(_Strict):
    """Which languages the scorers are trusted with, and what happens to the others.

    A comment whose detected language (:mod:`moderation.scoring.language`) is not in
    ``supported`` is decided ``unsupported`` (hold: a person reads it) on top of its normal
    scores: a word-list match in its own language still rejects it. Text with no letters
    (``und``) is never held for its language.
    """

    supported: tuple[LanguageCode, ...] = Field(default=("en",), min_length=1)
    unsupported: Literal["publish", "hold", "reject"] = "hold"

    @field_validator("supported")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value


class ThreatTarget(_Strict):
    """Violent words aimed at no person ("the bill will kill the high street"), detected by
    the threat target check (moderation/scoring/threat_target.py): the classifier's threat
    score is capped at ``max_untargeted``. 1.0 (the default) caps nothing."""

    max_untargeted: float = Field(default=1.0, ge=0.0, le=1.0)


class LadderStep(_Strict):
    """At ``strikes`` or more active strike weight, apply ``sanction`` (``days`` for suspend)."""

    strikes: float = Field(gt=0)
    sanction: Sanction
    days: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _days_for_suspend(self) -> Self:
        timed = sanctions.info(self.sanction).timed
        if timed and self.days is None:
            raise ValueError(f"a {self.sanction} step needs 'days'")
        if not timed and self.days is not None:
            raise ValueError(f"'days' only applies to a {_timed()} step")
        return self


def _timed() -> str:
    return " or ".join(s.sanction for s in sanctions.SANCTIONS if s.timed)


class ImmediateSanction(_Strict):
    """Sanction applied at once when a comment of this category is rejected."""

    sanction: Sanction
    days: float | None = Field(default=None, gt=0)
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _days_for_suspend(self) -> Self:
        if sanctions.info(self.sanction).timed and self.days is None:
            raise ValueError(f"a {self.sanction} sanction needs 'days'")
        return self


class AuthorTier(_Strict):
    """Threshold overrides for new or trusted authors (categories not listed keep defaults)."""

    categories: dict[Category, Thresholds] = Field(default_factory=dict)


class NewAuthors(AuthorTier):
    comments: int = Field(default=0, ge=0, description="An author is new for this many comments.")


class TrustedAuthors(AuthorTier):
    min_published: int = Field(default=0, ge=0, description="0 disables the tier.")


class Authors(_Strict):
    strike_window_days: float = Field(default=30, gt=0)
    strike_weights: dict[Category, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    severe_multiplier: float = Field(
        default=2.0, ge=1.0, description="Weight factor when a severe rule term caused it."
    )
    ladder: tuple[LadderStep, ...] = ()
    immediate: dict[Category, ImmediateSanction] = Field(default_factory=dict)
    new_authors: NewAuthors = Field(default_factory=NewAuthors)
    trusted_authors: TrustedAuthors = Field(default_factory=TrustedAuthors)

    @field_validator("ladder")
    @classmethod
    def _ladder_ascending(cls, ladder: tuple[LadderStep, ...]) -> tuple[LadderStep, ...]:
        totals = [step.strikes for step in ladder]
        if totals != sorted(totals) or len(set(totals)) != len(totals):
            raise ValueError("steps must have strictly increasing 'strikes'")
        return ladder

    def weight(self, category: Category) -> float:
        return self.strike_weights.get(category, 1.0)


class Policy(_Strict):
    """A validated posting policy. ``version`` is derived from the content, not declared."""

    name: str = Field(min_length=1, max_length=64)
    categories: dict[Category, Thresholds]
    rule_scores: dict[Severity, Probability]
    spam: SpamRules = Field(default_factory=SpamRules)
    authors: Authors = Field(default_factory=Authors)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    criticism: Criticism = Field(default_factory=Criticism)
    languages: Languages = Field(default_factory=Languages)
    threat_target: ThreatTarget = Field(default_factory=ThreatTarget)

    @field_validator("categories", mode="before")
    @classmethod
    def _registry_defaults(cls, value: Any) -> Any:
        """A category the registry gives default thresholds may be left out of the policy."""
        if not isinstance(value, dict):
            return value
        defaults = {
            str(c.name): {"hold": c.thresholds[0], "reject": c.thresholds[1]}
            for c in declared()
            if c.thresholds is not None and c.name not in value
        }
        return {**value, **defaults}

    @field_validator("categories")
    @classmethod
    def _every_category(cls, value: dict[Category, Thresholds]) -> dict[Category, Thresholds]:
        missing = [str(c) for c in Category if c not in value]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return value

    @field_validator("rule_scores")
    @classmethod
    def _every_severity(cls, value: dict[Severity, float]) -> dict[Severity, float]:
        missing = [str(s) for s in Severity if s not in value]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return value

    @model_validator(mode="after")
    def _criticism_cap_publishes(self) -> Self:
        """A capped criticism score at or above an attack hold threshold would hold the
        very comments the cap protects (for new authors, say): refuse that policy."""
        cap = self.criticism.max_attack
        if cap >= 1.0:
            return self  # no cap
        holds = {"categories": self.categories[Category.ATTACK].hold}
        for name, tier in (
            ("authors.new_authors", self.authors.new_authors),
            ("authors.trusted_authors", self.authors.trusted_authors),
        ):
            if Category.ATTACK in tier.categories:
                holds[name] = tier.categories[Category.ATTACK].hold
        for where, hold in holds.items():
            if cap >= hold:
                raise ValueError(
                    f"criticism.max_attack ({cap:g}) must be below the attack hold threshold "
                    f"of {where} ({hold:g}), or protected criticism is held"
                )
        return self

    @model_validator(mode="after")
    def _threat_cap_publishes(self) -> Self:
        """A capped figurative threat score at or above a threat hold threshold would hold
        the very hyperbole the cap protects: refuse that policy."""
        cap = self.threat_target.max_untargeted
        if cap >= 1.0:
            return self  # no cap
        holds = {"categories": self.categories[Category.THREAT].hold}
        for name, tier in (
            ("authors.new_authors", self.authors.new_authors),
            ("authors.trusted_authors", self.authors.trusted_authors),
        ):
            if Category.THREAT in tier.categories:
                holds[name] = tier.categories[Category.THREAT].hold
        for where, hold in holds.items():
            if cap >= hold:
                raise ValueError(
                    f"threat_target.max_untargeted ({cap:g}) must be below the threat hold "
                    f"threshold of {where} ({hold:g}), or figurative speech is held "
                    "(lower it, or set 1.0 for no cap)"
                )
        return self

    @model_validator(mode="after")
    def _immediate_reachable(self) -> Self:
        """One scale: an immediate sanction's ``min_score`` must be reachable by a rule match
        (the highest ``rule_scores`` value, a severe match), or it can never fire."""
        top = max(self.rule_scores.values())
        for category, rule in self.authors.immediate.items():
            if rule.min_score > top:
                raise ValueError(
                    f"authors.immediate.{category}.min_score ({rule.min_score:g}) is above "
                    f"every rule score (highest {top:g}): the sanction could never fire"
                )
        return self

    @functools.cached_property
    def version(self) -> str:
        """Content hash: two files that validate to the same policy share a version."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return f"{self.name}-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"

    def thresholds(self, category: Category, tier: AuthorTier | None = None) -> Thresholds:
        if tier is not None and category in tier.categories:
            return tier.categories[category]
        return self.categories[category]


def _format_errors(source: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return f"{source}: invalid policy: " + "; ".join(parts)


def parse_policy(data: Any, source: str) -> Policy:
    """Validate already-parsed YAML; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: invalid policy: the top level must be a mapping")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_format_errors(source, exc)) from None


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; raises :class:`PolicyError` naming the file when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: policy file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc}") from None
    try:
        return yamltext.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None


def load_policy(path: Path) -> Policy:
    return parse_policy(read_yaml(path), str(path))
