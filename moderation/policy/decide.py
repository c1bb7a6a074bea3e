"""Turn scores into a publish / hold / reject decision under a policy. Pure: no I/O.

The score of each category is the highest of

* the classifier's probability for it,
* the policy's ``rule_scores[severity]`` of the worst rule match in that category,
* for ``spam``, ``spam.excess_links_score`` when the comment carries more links than allowed,

and the category's thresholds turn that score into an outcome. The worst outcome over all
categories wins; then the author's standing can only make it stricter (blocked or suspended
authors are rejected, watched authors' comments are held).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moderation.policy.schema import AuthorTier, Policy
from moderation.sanctions import for_status
from moderation.scoring.language import UNDETERMINED
from moderation.scoring.patterns import CRITICISM
from moderation.scoring.threat_target import FIGURATIVE
from moderation.scoring.types import CATEGORIES, Category, Match, ScoreResult, Severity
from moderation.statuses import AuthorStatus as AuthorStatus
from moderation.statuses import Outcome as Outcome


@dataclass(frozen=True, slots=True)
class AuthorContext:
    """What the policy needs to know about the author at decision time."""

    status: AuthorStatus = AuthorStatus.ACTIVE
    status_until: datetime | None = None
    comments_before: int = 0
    published: int = 0
    active_strikes: float = 0.0

    def effective_status(self, now: datetime) -> AuthorStatus:
        """A suspension that has run out counts as ``watched`` (probation)."""
        if (
            self.status is AuthorStatus.SUSPENDED
            and self.status_until is not None
            and self.status_until <= now
        ):
            return AuthorStatus.WATCHED
        return self.status


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a decision came out as it did. ``code`` is stable and machine-readable:

    ``category_score`` (a category reached a threshold), ``language_unsupported`` (the
    comment's language is not among the policy's ``languages.supported``; ``language`` is
    its code and ``detail`` says it in words), ``author_blocked``, ``author_suspended``,
    ``author_watched``; and ``threat_untargeted``, a note with no category: the classifier's
    threat ``score`` was capped at ``threshold`` because the violence in the comment targets
    no person (``term`` says so; outcome ``publish``, the threat category's outcome after the
    cap).
    """

    code: str
    outcome: Outcome
    category: Category | None = None
    score: float | None = None
    threshold: float | None = None
    source: str | None = None  # "model", "rules" or "links"
    term: str | None = None
    severity: Severity | None = None
    until: datetime | None = None
    # The author tier whose thresholds applied ("new_authors", "trusted_authors"); None for
    # the policy's default thresholds.
    tier: str | None = None
    language: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "outcome": str(self.outcome)}
        if self.category is not None:
            out["category"] = str(self.category)
        if self.score is not None:
            out["score"] = round(self.score, 4)
        if self.threshold is not None:
            out["threshold"] = self.threshold
        if self.source is not None:
            out["source"] = self.source
        if self.term is not None:
            out["term"] = self.term
        if self.severity is not None:
            out["severity"] = str(self.severity)
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.tier is not None:
            out["tier"] = self.tier
        if self.language is not None:
            out["language"] = self.language
        if self.detail is not None:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True)
class StrikeSpec:
    """The strike a rejected comment earns its author. ``score`` is on the severity scale
    (a classifier probability counts at most as `strong`, see :func:`_severity_score`)."""

    category: Category
    weight: float
    score: float


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    scores: dict[Category, float]
    reasons: tuple[Reason, ...]
    categories: tuple[Category, ...]
    policy_version: str
    strike: StrikeSpec | None = None

    @property
    def risk(self) -> float:
        """Highest category score: the review queue's default sort key."""
        return max(self.scores.values(), default=0.0)


@dataclass(frozen=True, slots=True)
class _Driver:
    score: float
    source: str
    term: str | None = None
    severity: Severity | None = None


def _drivers(result: ScoreResult, policy: Policy) -> dict[Category, _Driver]:
    best: dict[Category, _Driver] = {
        c: _Driver(float(result.scores.get(c, 0.0)), "model") for c in CATEGORIES
    }
    if any(m.term == CRITICISM for m in result.matches):
        capped = min(best[Category.ATTACK].score, policy.criticism.max_attack)
        best[Category.ATTACK] = _Driver(capped, "model")
    if any(m.term == FIGURATIVE for m in result.matches):
        capped = min(best[Category.THREAT].score, policy.threat_target.max_untargeted)
        best[Category.THREAT] = _Driver(capped, "model")
    links = 0
    for match in result.matches:
        if match.category is Category.SPAM and match.term == "link":
            links += 1
        score = policy.rule_scores[match.severity]
        if score > best[match.category].score:
            best[match.category] = _Driver(score, "rules", match.term, match.severity)
    if links > policy.spam.max_links and policy.spam.excess_links_score > best[Category.SPAM].score:
        best[Category.SPAM] = _Driver(
            policy.spam.excess_links_score,
            "links",
            f"{links} links (allowed {policy.spam.max_links})",
        )
    return best


def _severity_score(driver: _Driver, policy: Policy) -> float:
    """The strike's score on the severity scale that ``authors.immediate`` reads.

    A word-list or phrase match is graded (``rule_scores``: a credible, specific threat is
    ``severe``). A classifier probability says how likely the comment is a violation, not how
    grave it is: however sure, it counts at most as ``strong``, so only a rule that recognised
    a credible threat blocks an author at once.
    """
    if driver.source == "model":
        return min(driver.score, policy.rule_scores[Severity.STRONG])
    return driver.score


#: The ``term`` of the ``threat_untargeted`` note.
UNTARGETED = "figurative: no person targeted"


def _untargeted_note(result: ScoreResult, threat: _Driver) -> Reason | None:
    """The note that the threat target cap lowered the classifier's threat score (None
    when it changed nothing)."""
    model = float(result.scores.get(Category.THREAT, 0.0))
    if threat.source != "model" or model <= threat.score:
        return None
    return Reason(
        "threat_untargeted",
        Outcome.PUBLISH,
        score=model,
        threshold=threat.score,
        source="model",
        term=UNTARGETED,
    )


def author_tier(policy: Policy, author: AuthorContext | None) -> AuthorTier | None:
    """The threshold tier for this author: new, trusted, or None for the defaults."""
    if author is None:
        return None
    rules = policy.authors
    if rules.new_authors.comments and author.comments_before < rules.new_authors.comments:
        return rules.new_authors
    trusted = rules.trusted_authors
    if (
        trusted.min_published
        and author.published >= trusted.min_published
        and not author.active_strikes
    ):
        return trusted
    return None


def tier_label(policy: Policy, tier: AuthorTier | None) -> str | None:
    """``new_authors`` / ``trusted_authors`` (the policy keys), or None for the defaults."""
    if tier is None:
        return None
    return "new_authors" if tier is policy.authors.new_authors else "trusted_authors"


def _author_reason(author: AuthorContext | None, now: datetime) -> Reason | None:
    if author is None:
        return None
    sanction = for_status(author.effective_status(now))  # the sanctions registry
    if sanction is None:
        return None
    until = author.status_until if sanction.timed else None
    return Reason(sanction.reason, Outcome(sanction.posting), until=until)


#: Reason code of a comment in a language the policy does not support.
LANGUAGE_UNSUPPORTED = "language_unsupported"


def _language_reason(result: ScoreResult, policy: Policy) -> Reason | None:
    """Why the comment's language alone holds (or rejects) it, under ``policy.languages``."""
    found = result.language
    rules = policy.languages
    if found is None or found.code == UNDETERMINED or found.code in rules.supported:
        return None
    action = Outcome(rules.unsupported)
    if action is Outcome.PUBLISH:
        return None
    return Reason(
        LANGUAGE_UNSUPPORTED,
        action,
        score=found.confidence,
        source=found.method,
        language=found.code,
        detail=f"language not supported: {found.describe()}",
    )


def decide(
    result: ScoreResult,
    policy: Policy,
    *,
    author: AuthorContext | None = None,
    now: datetime,
) -> Decision:
    """Decide one comment. ``author=None`` decides on content alone (offline scoring)."""
    tier = author_tier(policy, author)
    tier_name = tier_label(policy, tier)
    drivers = _drivers(result, policy)
    scores = {c: round(d.score, 6) for c, d in drivers.items()}
    reasons: list[Reason] = []
    outcome = Outcome.PUBLISH
    rejected: list[tuple[Category, _Driver]] = []
    for category in CATEGORIES:
        driver = drivers[category]
        limits = policy.thresholds(category, tier)
        if driver.score >= limits.reject:
            level, threshold = Outcome.REJECT, limits.reject
            rejected.append((category, driver))
        elif driver.score >= limits.hold:
            level, threshold = Outcome.HOLD, limits.hold
        else:
            continue
        reasons.append(
            Reason(
                "category_score",
                level,
                category=category,
                score=driver.score,
                threshold=threshold,
                source=driver.source,
                term=driver.term,
                severity=driver.severity,
                tier=tier_name if category in (tier.categories if tier else {}) else None,
            )
        )
        outcome = max(outcome, level, key=lambda o: o.rank)
    categories = tuple(r.category for r in reasons if r.category is not None)
    language = _language_reason(result, policy)
    if language is not None:
        # On top of the scores, never instead: a word-list reject stays a reject.
        reasons.append(language)
        outcome = max(outcome, language.outcome, key=lambda o: o.rank)
    untargeted = _untargeted_note(result, drivers[Category.THREAT])
    if untargeted is not None:
        reasons.append(untargeted)

    strike = None
    if rejected:
        category, driver = max(rejected, key=lambda item: item[1].score)
        weight = policy.authors.weight(category)
        if driver.severity is Severity.SEVERE:
            weight *= policy.authors.severe_multiplier
        strike = StrikeSpec(category, weight, _severity_score(driver, policy))

    standing = _author_reason(author, now)
    if standing is not None:
        if standing.outcome is Outcome.REJECT:
            # Already sanctioned: the comment is refused, but it earns no further strike.
            strike = None
        if standing.outcome.rank >= outcome.rank:
            outcome = standing.outcome
            reasons.insert(0, standing)
    return Decision(
        outcome=outcome,
        scores=scores,
        reasons=tuple(reasons),
        categories=categories,
        policy_version=policy.version,
        strike=strike,
    )


def outcome_of(reasons: Iterable[Reason]) -> Outcome:
    return max((r.outcome for r in reasons), default=Outcome.PUBLISH, key=lambda o: o.rank)


def matches_to_dicts(matches: Iterable[Match]) -> list[dict[str, Any]]:
    return [m.to_dict() for m in matches]
