"""Threshold advice from a site's labels. Pure: scores and labels in, advice out.

For each category with enough positive labels, the advised ``hold`` threshold is the lowest
score at which at most ``rate / k`` of the site's clean comments reach it (``k`` = number of
categories advised), which maximises that category's recall under its share of the budget.
By the union bound, clean comments held or rejected by any advised category stay at or below
``rate``; the achieved overall figure is reported too. ``reject`` is kept, or raised to the
new ``hold`` when it would fall below it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from moderation.policy.schema import Policy
from moderation.scoring.types import Category

#: A category is advised only with at least this many positive labels.
MIN_POSITIVES = 10


@dataclass(frozen=True)
class CategoryAdvice:
    category: Category
    positives: int
    current_hold: float
    current_recall: float
    current_clean_rate: float
    hold: float
    reject: float
    recall: float
    clean_rate: float
    advised: bool  # False: too few positives, thresholds kept


@dataclass(frozen=True)
class Advice:
    rate: float
    clean: int
    rows: tuple[CategoryAdvice, ...]
    clean_rate_current: float  # clean comments held or rejected by any category, now
    clean_rate_advised: float  # ... under the advice
    #: A lowered ``criticism.max_attack`` when the advised attack hold would fall to or below
    #: the policy's cap (the policy would then hold the very criticism the cap protects);
    #: None when the cap is kept.
    criticism_cap: float | None = None
    #: The same for ``threat_target.max_untargeted`` and the advised threat hold.
    threat_cap: float | None = None

    def table(self) -> str:
        head = (
            f"{'category':<10} {'pos':>5} {'hold now':>9} {'recall':>7} {'clean':>7}  "
            f"{'advised':>8} {'recall':>7} {'clean':>7}"
        )
        lines = [f"{self.clean} clean comments; budget: {self.rate:.1%} of them held", head]
        for r in self.rows:
            advised = f"{r.hold:>8.3f}" if r.advised else f"{'(kept)':>8}"
            lines.append(
                f"{r.category!s:<10} {r.positives:>5} {r.current_hold:>9.3f} "
                f"{r.current_recall:>7.1%} {r.current_clean_rate:>7.1%}  {advised} "
                f"{r.recall:>7.1%} {r.clean_rate:>7.1%}"
            )
        lines.append(
            f"clean comments held or rejected: {self.clean_rate_current:.1%} now, "
            f"{self.clean_rate_advised:.1%} advised"
        )
        if self.criticism_cap is not None:
            cap = "removed" if self.criticism_cap >= 1.0 else f"lowered to {self.criticism_cap:g}"
            lines.append(
                f"criticism.max_attack {cap}: it must stay below every attack hold threshold"
            )
        if self.threat_cap is not None:
            cap = "removed" if self.threat_cap >= 1.0 else f"lowered to {self.threat_cap:g}"
            lines.append(
                f"threat_target.max_untargeted {cap}: it must stay below every threat hold "
                "threshold"
            )
        return "\n".join(lines)

    def overrides(self) -> dict[str, object]:
        """The candidate policy's keys that differ (for ``policy simulate``)."""
        keys: dict[str, object] = {
            "categories": {
                str(r.category): {"hold": round(r.hold, 4), "reject": round(r.reject, 4)}
                for r in self.rows
                if r.advised
            }
        }
        if self.criticism_cap is not None:
            keys["criticism"] = {"max_attack": self.criticism_cap}
        if self.threat_cap is not None:
            keys["threat_target"] = {"max_untargeted": self.threat_cap}
        return keys


def _share(values: Sequence[float], threshold: float) -> float:
    return sum(v >= threshold for v in values) / len(values) if values else 0.0


def advise(
    scores: Sequence[Mapping[Category, float]],
    positive: Mapping[Category, Sequence[bool]],
    clean: Sequence[bool],
    policy: Policy,
    rate: float,
) -> Advice:
    """Advice for ``policy`` from per-comment combined ``scores``, per-category positive flags
    and clean flags (all aligned). Raises ``ValueError`` for a rate outside (0, 1) or no clean
    comment."""
    if not 0.0 < rate < 1.0:
        raise ValueError("the rate must be between 0 and 1")
    clean_rows = [s for s, c in zip(scores, clean, strict=True) if c]
    if not clean_rows:
        raise ValueError("no clean (approved) labels: nothing to keep the rate on")
    wanted = [c for c in policy.categories if sum(positive.get(c, ())) >= MIN_POSITIVES]
    budget = rate / len(wanted) if wanted else rate
    rows = []
    for category, limits in policy.categories.items():
        flags = positive.get(category, [False] * len(scores))
        pos_scores = [s.get(category, 0.0) for s, p in zip(scores, flags, strict=True) if p]
        clean_scores = sorted((s.get(category, 0.0) for s in clean_rows), reverse=True)
        hold, reject = limits.hold, limits.reject
        if category in wanted:
            allowed = math.floor(budget * len(clean_scores))
            # the lowest threshold that flags at most `allowed` clean comments
            if allowed >= len(clean_scores):
                hold = 0.0
            else:
                hold = min(1.0, math.nextafter(clean_scores[allowed], math.inf))
            reject = max(reject, hold)
        rows.append(
            CategoryAdvice(
                category=category,
                positives=len(pos_scores),
                current_hold=limits.hold,
                current_recall=_share(pos_scores, limits.hold),
                current_clean_rate=_share(clean_scores, limits.hold),
                hold=hold,
                reject=reject,
                recall=_share(pos_scores, hold),
                clean_rate=_share(clean_scores, hold),
                advised=category in wanted,
            )
        )

    def union(thresholds: Mapping[Category, float]) -> float:
        flagged = sum(any(s.get(c, 0.0) >= t for c, t in thresholds.items()) for s in clean_rows)
        return flagged / len(clean_rows)

    attack = next((r for r in rows if r.category == Category.ATTACK and r.advised), None)
    threat = next((r for r in rows if r.category == Category.THREAT and r.advised), None)
    return Advice(
        criticism_cap=_criticism_cap(policy, attack.hold) if attack else None,
        threat_cap=_threat_cap(policy, threat.hold) if threat else None,
        rate=rate,
        clean=len(clean_rows),
        rows=tuple(rows),
        clean_rate_current=union({r.category: r.current_hold for r in rows}),
        clean_rate_advised=union({r.category: r.hold for r in rows}),
    )


def _criticism_cap(policy: Policy, attack_hold: float) -> float | None:
    """The criticism cap to write beside an advised attack ``hold``: None to keep the policy's,
    else the largest two-decimal value below every attack hold (1.0, no cap, when none fits)."""
    return _cap_below(policy, policy.criticism.max_attack, Category.ATTACK, attack_hold)


def _threat_cap(policy: Policy, threat_hold: float) -> float | None:
    """The threat target cap to write beside an advised threat ``hold`` (as above)."""
    return _cap_below(policy, policy.threat_target.max_untargeted, Category.THREAT, threat_hold)


def _cap_below(policy: Policy, cap: float, category: Category, hold: float) -> float | None:
    if cap >= 1.0:
        return None
    holds = [hold]
    for tier in (policy.authors.new_authors, policy.authors.trusted_authors):
        if category in tier.categories:
            holds.append(tier.categories[category].hold)
    lowest = min(holds)
    if cap < lowest:
        return None
    lowered = math.floor(round(lowest, 4) * 100) / 100 - 0.01  # holds are written to 4 places
    return round(lowered, 2) if lowered >= 0.0 else 1.0
