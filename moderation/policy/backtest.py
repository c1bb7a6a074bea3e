"""Policy backtest: replay past comments through the current and a candidate policy. Pure.

Both policies see the same comments in the same order, with the same stored classifier
scores and rule matches, and each keeps its own simulated author records (strikes, ladder).
Each author starts from their real standing at the beginning of the window when the caller
knows it (:class:`AuthorSeed`: earlier comments, published count, active strikes, status),
so an author with a long history is not replayed as a newcomer under the new-author tier;
an author without a seed starts as new. The report compares the two policies: decisions
that flip and the categories that flipped them, authors whose final standing differs, the
review-queue size each implies, which threshold tier decided how many comments, and how
many decisions a tier's own thresholds kept from seeing a changed default threshold.
Moderator actions are not replayed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from moderation.policy.decide import (
    AuthorContext,
    AuthorStatus,
    Decision,
    Outcome,
    author_tier,
    decide,
    tier_label,
)
from moderation.policy.ladder import Move, Standing, apply_strike
from moderation.policy.schema import AuthorTier, Policy
from moderation.scoring.language import Language
from moderation.scoring.types import CATEGORIES, Category, Match, ScoreResult


@dataclass(frozen=True, slots=True)
class Record:
    """One past comment: who wrote it, when, and what the scorers said."""

    comment: str
    author: str
    received_at: datetime
    scores: dict[Category, float]
    matches: tuple[Match, ...] = ()
    # The language recorded when it was scored: the candidate's `languages` key judges it.
    language: Language | None = None


@dataclass(frozen=True, slots=True)
class AuthorSeed:
    """An author's standing when the replay window opens: comments and published comments
    before it, strikes still active then (expiry, weight), and their status (a status a
    moderator set stays until the end of the replay; one the ladder set can lapse)."""

    comments: int = 0
    published: int = 0
    strikes: tuple[tuple[datetime, float], ...] = ()
    status: AuthorStatus = AuthorStatus.ACTIVE
    until: datetime | None = None
    by_moderator: bool = False


TIER_DEFAULT, TIER_NEW, TIER_TRUSTED = "default", "new_authors", "trusted_authors"


@dataclass
class _Author:
    status: AuthorStatus = AuthorStatus.ACTIVE
    until: datetime | None = None
    comments: int = 0
    published: int = 0
    strikes: list[tuple[datetime, float]] = field(default_factory=list)
    by_moderator: bool = False

    @classmethod
    def seeded(cls, seed: AuthorSeed | None) -> _Author:
        if seed is None:
            return cls()
        return cls(
            seed.status,
            seed.until,
            seed.comments,
            seed.published,
            list(seed.strikes),
            seed.by_moderator,
        )

    def active(self, now: datetime) -> float:
        return self.standing().active(now)

    def standing(self) -> Standing:
        return Standing(self.status, self.until, self.by_moderator, tuple(self.strikes))

    def step(self, move: Move) -> None:
        """Store a ladder step, as the service does for a real author."""
        if move.strike is not None:
            self.strikes.append(move.strike)
        if move.change is not None:
            self.status, self.until = move.change.status, move.change.until


def _tier_name(policy: Policy, tier: AuthorTier | None) -> str:
    return tier_label(policy, tier) or TIER_DEFAULT


class _Replay:
    def __init__(self, policy: Policy, seeds: Mapping[str, AuthorSeed]) -> None:
        self.policy = policy
        self.seeds = seeds
        self.authors: dict[str, _Author] = {}
        self.last_tier = TIER_DEFAULT
        self.last_tier_categories: frozenset[Category] = frozenset()

    def decide(self, record: Record) -> Decision:
        now = record.received_at
        author = self.authors.get(record.author)
        if author is None:
            author = self.authors[record.author] = _Author.seeded(self.seeds.get(record.author))
        rules = self.policy.authors
        author.step(apply_strike(author.standing(), None, rules=rules, now=now))
        context = AuthorContext(
            status=author.status,
            status_until=author.until,
            comments_before=author.comments,
            published=author.published,
            active_strikes=author.active(now),
        )
        result = ScoreResult(scores=record.scores, matches=record.matches, language=record.language)
        tier = author_tier(self.policy, context)
        self.last_tier = _tier_name(self.policy, tier)
        self.last_tier_categories = frozenset(tier.categories) if tier is not None else frozenset()
        decision = decide(result, self.policy, author=context, now=now)
        author.comments += 1
        author.published += decision.outcome is Outcome.PUBLISH
        if decision.strike is not None:
            author.step(apply_strike(author.standing(), decision.strike, rules=rules, now=now))
        return decision

    def standing(self, author: str, at: datetime) -> AuthorStatus:
        record = self.authors[author]
        if record.status is AuthorStatus.SUSPENDED and record.until and record.until <= at:
            return AuthorStatus.WATCHED
        return record.status


@dataclass(frozen=True, slots=True)
class Flip:
    comment: str
    author: str
    current: Outcome
    candidate: Outcome
    categories: tuple[Category, ...]


@dataclass(frozen=True, slots=True)
class AuthorChange:
    author: str
    current: AuthorStatus
    candidate: AuthorStatus


@dataclass(frozen=True, slots=True)
class Report:
    comments: int
    current_policy: str
    candidate_policy: str
    flips: tuple[Flip, ...]
    flips_by_category: dict[str, Counter[str]]
    outcomes_current: Counter[str]
    outcomes_candidate: Counter[str]
    sanctioned: tuple[AuthorChange, ...]
    released: tuple[AuthorChange, ...]
    # How many comments each threshold tier decided, under the current and the candidate.
    tiers_current: Counter[str] = field(default_factory=Counter)
    tiers_candidate: Counter[str] = field(default_factory=Counter)
    # "<tier>.<category>" -> decisions where the candidate changes that category's default
    # thresholds but the tier's own thresholds applied, so the change could not show.
    masked: Counter[str] = field(default_factory=Counter)
    seeded_authors: int = 0
    authors: int = 0

    @property
    def queue_current(self) -> int:
        return self.outcomes_current[Outcome.HOLD.value]

    @property
    def queue_candidate(self) -> int:
        return self.outcomes_candidate[Outcome.HOLD.value]


def _flipped_categories(a: Decision, b: Decision) -> tuple[Category, ...]:
    def levels(d: Decision) -> dict[Category, Outcome]:
        found = {c: Outcome.PUBLISH for c in CATEGORIES}
        for reason in d.reasons:
            if reason.category is not None:
                found[reason.category] = reason.outcome
        return found

    la, lb = levels(a), levels(b)
    changed = tuple(c for c in CATEGORIES if la[c] is not lb[c])
    return changed


def simulate(
    records: Iterable[Record],
    current: Policy,
    candidate: Policy,
    authors: Mapping[str, AuthorSeed] | None = None,
) -> Report:
    """Replay ``records`` (any order; sorted by time here) through both policies.

    ``authors`` gives the standing of authors (by :attr:`Record.author`) when the window
    opens; authors not in it start as new.
    """
    seeds = authors or {}
    ordered = sorted(records, key=lambda r: r.received_at)
    now_replay, cand_replay = _Replay(current, seeds), _Replay(candidate, seeds)
    changed_defaults = {c for c in CATEGORIES if current.categories[c] != candidate.categories[c]}
    flips: list[Flip] = []
    by_category: dict[str, Counter[str]] = {}
    outcomes_now: Counter[str] = Counter()
    outcomes_cand: Counter[str] = Counter()
    tiers_now: Counter[str] = Counter()
    tiers_cand: Counter[str] = Counter()
    masked: Counter[str] = Counter()
    for record in ordered:
        a = now_replay.decide(record)
        b = cand_replay.decide(record)
        outcomes_now[a.outcome.value] += 1
        outcomes_cand[b.outcome.value] += 1
        tiers_now[now_replay.last_tier] += 1
        tiers_cand[cand_replay.last_tier] += 1
        for hidden in sorted(changed_defaults & cand_replay.last_tier_categories):
            masked[f"{cand_replay.last_tier}.{hidden}"] += 1
        if a.outcome is b.outcome:
            continue
        categories = _flipped_categories(a, b)
        flips.append(Flip(record.comment, record.author, a.outcome, b.outcome, categories))
        for category in categories or (None,):
            key = str(category) if category is not None else "author standing"
            by_category.setdefault(key, Counter())[f"{a.outcome}->{b.outcome}"] += 1

    end = ordered[-1].received_at if ordered else datetime.now().astimezone()
    sanctioned, released = [], []
    for author in sorted(now_replay.authors):
        x, y = now_replay.standing(author, end), cand_replay.standing(author, end)
        if y.rank > x.rank:
            sanctioned.append(AuthorChange(author, x, y))
        elif y.rank < x.rank:
            released.append(AuthorChange(author, x, y))
    return Report(
        comments=len(ordered),
        current_policy=current.version,
        candidate_policy=candidate.version,
        flips=tuple(flips),
        flips_by_category=by_category,
        outcomes_current=outcomes_now,
        outcomes_candidate=outcomes_cand,
        sanctioned=tuple(sanctioned),
        released=tuple(released),
        tiers_current=tiers_now,
        tiers_candidate=tiers_cand,
        masked=masked,
        seeded_authors=sum(1 for a in now_replay.authors if a in seeds),
        authors=len(now_replay.authors),
    )
