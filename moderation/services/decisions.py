"""Scoring a stored comment and recording the policy's decision (the worker's job)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm.attributes import set_committed_value

from moderation import metrics
from moderation.extensions import db
from moderation.policy.decide import Decision, Outcome, StrikeSpec, decide
from moderation.policy.loader import PolicySet
from moderation.policy.schema import Policy
from moderation.scoring.names import SiteAllowList
from moderation.scoring.pipeline import Pipeline
from moderation.scoring.types import ScoreResult
from moderation.services import audit, dsa, events
from moderation.services.allowlist import allow_list_for
from moderation.services.authors import (
    NewOutcomes,
    author_context,
    count_outcome,
    strike_and_step,
)
from moderation.services.decision_record import POLICY_ACTOR, record_decision
from moderation.services.revisions import mirror_current
from moderation.tables import Author, Comment, CommentStatus, utcnow

#: Keys of a decision's ``versions`` written while a site runs a shadow model
#: (``moderation model shadow``): its version, what it would have decided, and its scores
#: (JSON, category -> score). The decision itself is the live model's.
SHADOW_MODEL = "shadow_model"
SHADOW_DECISION = "shadow_decision"
SHADOW_SCORES = "shadow_scores"

log = logging.getLogger(__name__)


class ScoreOutcome(StrEnum):
    DECIDED = "decided"
    ALREADY_DECIDED = "already_decided"
    MISSING = "missing"
    #: Held by another transaction (another batch deciding it): skipped, not waited for.
    LOCKED = "locked"


def score_comment(
    comment_id: int,
    *,
    pipeline: Pipeline,
    policies: PolicySet,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ScoreOutcome:
    """Score and decide one pending comment, in one transaction: a batch of one
    (:func:`score_comments`) that waits for the comment's row lock rather than skipping it,
    so a comment another transaction holds is decided (or found decided) once it is free."""
    outcomes = score_comments(
        [comment_id], pipeline=pipeline, policies=policies, now=now, clock=clock, skip_locked=False
    )
    return outcomes[comment_id]


def score_comments(
    comment_ids: Iterable[int],
    *,
    pipeline: Pipeline,
    policies: PolicySet,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
    skip_locked: bool = True,
) -> dict[int, ScoreOutcome]:
    """Score and decide the pending comments among ``comment_ids`` in ONE transaction, with
    the outcome of each id (duplicates count once).

    The semantics are those of deciding them one by one, in (received_at, id) order: the
    strikes and sanctions one comment earns count for the author's next comment in the
    batch; each decision's events precede the sanction events it causes. Scoring is done per
    site with :meth:`Pipeline.score_batch` (the classifier vectorises the batch).

    The decision's time (``decided_at``, strikes, audit, events) is read from ``clock``
    (default :func:`utcnow`) once the rows are locked and the texts scored, so it is when
    the decisions were made, not when the task started; ``now`` fixes that instant instead
    (replays and tests).

    Idempotent: the comment rows are locked (``FOR UPDATE`` where supported) and only a
    ``pending`` comment at the revision that was scored is decided (:func:`_claim_revisions`),
    so a re-delivered id finds its comment decided and does nothing — no second strike, no
    second status change. With ``skip_locked`` (PostgreSQL), a comment another transaction
    holds — another batch deciding it — is not waited for but reported
    :attr:`ScoreOutcome.LOCKED`. Authors are locked in id order, so concurrent batches cannot
    deadlock.
    """
    wanted = sorted(set(comment_ids))
    outcomes: dict[int, ScoreOutcome] = {}
    pending = _lock_pending_many(wanted, outcomes, skip_locked=skip_locked)
    if not pending:
        db.session.rollback()
        return outcomes
    authors = _lock_authors({c.author_id for c in pending})
    scored = _score(pending, pipeline, policies)
    claimed = _claim_revisions(pending)
    for comment in pending:
        if comment.id not in claimed:
            outcomes[comment.id] = ScoreOutcome.ALREADY_DECIDED  # edited while scored
    if not claimed:
        db.session.rollback()
        return outcomes
    if now is None:
        now = (clock or utcnow)()
    decided: list[tuple[int, Decision, float]] = []
    counts = NewOutcomes()  # an author's next comment is judged on the counts left before
    rows: list[dict[str, Any]] = []  # the decided comments' new columns
    with audit.written_together(), dsa.stored_together(), events.emitted_together():
        for comment in sorted(pending, key=lambda c: (c.received_at, c.id)):
            if comment.id not in claimed:
                continue
            author = authors[comment.author_id]
            policy = policies.for_site(comment.site.name)
            result, allow = scored[comment.id]
            decision = _decide_one(
                comment, author, result, allow, policy, pipeline, now, counts, rows
            )
            waited = max((now - comment.received_at).total_seconds(), 0.0)  # before commit
            decided.append((comment.id, decision, waited))
            outcomes[comment.id] = ScoreOutcome.DECIDED
    _write_comments(rows)
    counts.write()
    db.session.commit()  # expires the loaded rows: nothing below reads them again
    for comment_id, decision, waited in decided:
        metrics.DECISIONS.labels(decision.outcome.value, "policy").inc()
        for category in decision.categories:
            metrics.DECISION_CATEGORIES.labels(category.value, decision.outcome.value).inc()
        metrics.DECISION_LATENCY.observe(waited)
        log.info(
            "comment decided",
            extra={"comment_id": comment_id, "decision": str(decision.outcome)},
        )
    return outcomes


def _decide_one(
    comment: Comment,
    author: Author,
    result: ScoreResult,
    allow: SiteAllowList | None,
    policy: Policy,
    pipeline: Pipeline,
    now: datetime,
    counts: NewOutcomes,
    rows: list[dict[str, Any]],
) -> Decision:
    """Decide one claimed comment and stage its writes (decision, strikes, sanctions,
    audit, events) in the session, and its comment's new columns in ``rows`` (in memory
    already); the caller writes those and commits."""
    # Standing first: lapsed sanctions (expired strikes, a served suspension) lift before
    # this comment is judged, so it is not held by a watch that no longer applies.
    strike_and_step(
        author,
        None,
        rules=policy.authors,
        comment=comment,
        actor=POLICY_ACTOR,
        now=now,
        policy_version=policy.version,
    )
    context = author_context(author, now, this_comment_counted=True)
    decision = decide(result, policy, author=context, now=now)
    versions = dict(result.versions)
    shadow = pipeline.shadow_scores(comment.text, comment.site.name, allow)
    if shadow is not None:  # what the shadow model would have decided: recorded, not acted on
        shadow_version, shadow_scores = shadow
        would = decide(replace(result, scores=shadow_scores), policy, author=context, now=now)
        versions[SHADOW_MODEL] = shadow_version
        versions[SHADOW_DECISION] = would.outcome.value
        versions[SHADOW_SCORES] = json.dumps(
            {str(c): round(v, 4) for c, v in shadow_scores.items()}, separators=(",", ":")
        )
    values = _recorded(decision, versions, now)
    values["model_scores"] = {str(c): round(v, 6) for c, v in result.scores.items()}
    values["matches"] = [m.to_dict() for m in result.matches]
    values["explanations"] = [e.to_dict() for e in result.explanations]
    if result.language is not None:
        values["language"] = result.language.code
        values["language_confidence"] = round(result.language.confidence, 4)
    else:  # kept: every row of the batch's statement sets the same columns
        values["language"] = comment.language
        values["language_confidence"] = comment.language_confidence
    for key, value in values.items():  # what the rest reads; stored by _write_comments()
        set_committed_value(comment, key, value)
    rows.append({"comment_row_id": comment.id, **values})
    counts.count(author, comment.status)
    mirror_current(comment)
    record_decision(comment, POLICY_ACTOR, now)  # before any sanction it causes: event order
    strike = _one_strike_per_comment(author, comment, decision.strike, now)
    if strike is not None:
        strike_and_step(
            author,
            strike,
            rules=policy.authors,
            comment=comment,
            actor=POLICY_ACTOR,
            now=now,
            policy_version=policy.version,
        )
    return decision


def _lock_pending_many(
    ids: list[int], outcomes: dict[int, ScoreOutcome], *, skip_locked: bool
) -> list[Comment]:
    """The pending comments among ``ids``, with their sites, row-locked; the outcome of every
    other id goes into ``outcomes`` (MISSING, ALREADY_DECIDED, or LOCKED when skipped)."""
    rows = (
        db.session.execute(
            sa.select(Comment)
            .options(orm.joinedload(Comment.site))
            .where(Comment.id.in_(ids))
            .order_by(Comment.id)
            .with_for_update(of=Comment, skip_locked=skip_locked)
        )
        .unique()
        .scalars()
        .all()
    )
    found = {c.id for c in rows}
    if len(found) < len(ids):  # missing, or (skip_locked) held by another transaction
        present = set(
            db.session.execute(
                sa.select(Comment.id).where(Comment.id.in_([i for i in ids if i not in found]))
            ).scalars()
        )
        for missing in ids:
            if missing not in found:
                outcomes[missing] = (
                    ScoreOutcome.LOCKED if missing in present else ScoreOutcome.MISSING
                )
    pending = []
    for comment in rows:
        if comment.status == CommentStatus.PENDING:
            pending.append(comment)
        else:
            outcomes[comment.id] = ScoreOutcome.ALREADY_DECIDED
    return pending


def _lock_authors(author_ids: set[int]) -> dict[int, Author]:
    """The authors, with their strikes, row-locked in id order (no deadlock between
    batches whose authors overlap)."""
    authors = (
        db.session.execute(
            sa.select(Author)
            .options(orm.selectinload(Author.strikes))
            .where(Author.id.in_(sorted(author_ids)))
            .order_by(Author.id)
            .with_for_update(of=Author)
        )
        .scalars()
        .all()
    )
    return {a.id: a for a in authors}


def _score(
    comments: list[Comment], pipeline: Pipeline, policies: PolicySet
) -> dict[int, tuple[ScoreResult, SiteAllowList | None]]:
    """Each comment's score and its site's allow-list: one ``score_batch`` per site."""
    by_site: dict[int, list[Comment]] = {}
    for comment in comments:
        by_site.setdefault(comment.site_id, []).append(comment)
    scored: dict[int, tuple[ScoreResult, SiteAllowList | None]] = {}
    for group in by_site.values():
        site = group[0].site
        policy = policies.for_site(site.name)
        allow = allow_list_for(site)
        results = pipeline.score_batch(
            [c.text for c in group],
            explain_above={c: t.hold for c, t in policy.categories.items()},
            site=site.name,
            allow=allow,
        )
        for comment, result in zip(group, results, strict=True):
            scored[comment.id] = (result, allow)
    return scored


def _claim_revisions(comments: list[Comment]) -> set[int]:
    """Count this scoring attempt of each comment still pending at the revision that was
    scored; returns the ids claimed. The write is the transaction's first, so where rows
    cannot be locked (SQLite) it takes the write lock: an edit committed meanwhile makes its
    comment miss, and an edit arriving later waits for this decision and then replaces it."""
    claimed = db.session.execute(
        sa.update(Comment)
        .where(
            sa.tuple_(Comment.id, Comment.revision).in_([(c.id, c.revision) for c in comments]),
            Comment.status == CommentStatus.PENDING,
        )
        .values(score_attempts=Comment.score_attempts + 1)
        .returning(Comment.id)
        .execution_options(synchronize_session=False)
    )
    return set(claimed.scalars())


def _one_strike_per_comment(
    author: Author, comment: Comment, strike: StrikeSpec | None, now: datetime
) -> StrikeSpec | None:
    """The strike to add for ``comment``'s rejection: one active strike per comment, so a
    rejected edit of a comment that already earned one does not count twice. A heavier
    strike (e.g. an edit into a threat) replaces the lighter one, which is revoked; else the
    edit adds none."""
    if strike is None:
        return None
    earlier = [s for s in author.strikes if s.comment_id == comment.id and s.active(now)]
    if any(s.weight >= strike.weight for s in earlier):
        return None
    for superseded in earlier:
        superseded.revoked_at = now
        superseded.revoked_by = POLICY_ACTOR
    return strike


def pending_among(comment_ids: Iterable[int]) -> list[int]:
    """The ids among ``comment_ids`` whose comments are still pending, in id order (ends the
    read's transaction)."""
    ids = (
        db.session.execute(
            sa.select(Comment.id)
            .where(Comment.id.in_(set(comment_ids)), Comment.status == CommentStatus.PENDING)
            .order_by(Comment.id)
        )
        .scalars()
        .all()
    )
    db.session.rollback()
    return list(ids)


#: Reason code of a comment held because scoring it ran past the task's time limit.
SCORING_TIME_LIMIT = "scoring_time_limit"


def hold_unscored(comment_id: int, *, now: datetime) -> ScoreOutcome:
    """Hold pending comment ``comment_id`` for a moderator without a score.

    For a comment whose scoring ran past the worker's time limit: it is not lost, nor tried
    again (it would stall a worker again), but decided ``hold`` with the reason
    :data:`SCORING_TIME_LIMIT`, audited and announced like any automatic decision. No strike.
    Idempotent like :func:`score_comment`: a comment already decided is left alone.
    """
    outcomes: dict[int, ScoreOutcome] = {}
    locked = _lock_pending_many([comment_id], outcomes, skip_locked=False)
    if not locked:
        db.session.rollback()
        return outcomes[comment_id]
    (comment,) = locked
    author = db.session.execute(
        sa.select(Author).where(Author.id == comment.author_id).with_for_update(of=Author)
    ).scalar_one()
    comment.status = CommentStatus.HELD
    comment.decision = comment.auto_decision = Outcome.HOLD.value
    comment.reasons = [{"code": SCORING_TIME_LIMIT, "outcome": Outcome.HOLD.value}]
    comment.decided_at = now
    comment.decided_by = POLICY_ACTOR
    comment.score_attempts = Comment.score_attempts + 1
    count_outcome(author, None, CommentStatus.HELD)
    mirror_current(comment)
    record_decision(comment, POLICY_ACTOR, now)
    db.session.commit()
    metrics.DECISIONS.labels(Outcome.HOLD.value, "policy").inc()
    log.warning("comment held: scoring ran past its time limit", extra={"comment_id": comment_id})
    return ScoreOutcome.DECIDED


def _recorded(decision: Decision, versions: dict[str, str], now: datetime) -> dict[str, Any]:
    """The comment's columns that record ``decision``."""
    return {
        "status": CommentStatus.for_outcome(decision.outcome),
        "decision": decision.outcome.value,
        "auto_decision": decision.outcome.value,
        "reasons": [r.to_dict() for r in decision.reasons],
        "scores": {str(c): v for c, v in decision.scores.items()},
        "versions": dict(versions),
        "policy_version": decision.policy_version,
        "risk": decision.risk,
        "decided_at": now,
        "decided_by": POLICY_ACTOR,
    }


def _write_comments(rows: list[dict[str, Any]]) -> None:
    """Store the decided comments' new columns (each row: ``comment_row_id`` and the same
    columns), in one statement."""
    if not rows:
        return
    table = Comment.__table__
    db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("comment_row_id")), rows)
