"""Scoring a stored comment and recording the policy's decision (the worker's job)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import orm

from moderation import metrics
from moderation.extensions import db
from moderation.policy.decide import Decision, Outcome, StrikeSpec, decide
from moderation.policy.loader import PolicySet
from moderation.scoring.pipeline import Pipeline
from moderation.services.allowlist import allow_list_for
from moderation.services.authors import author_context, count_outcome, strike_and_step
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


def score_comment(
    comment_id: int,
    *,
    pipeline: Pipeline,
    policies: PolicySet,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ScoreOutcome:
    """Score and decide one pending comment, in one transaction.

    The decision's time (``decided_at``, strikes, audit, events) is read from ``clock``
    (default :func:`utcnow`) once the rows are locked and the text is scored, so it is when
    the decision was made, not when the task started; ``now`` fixes that instant instead
    (replays and tests).

    Idempotent: the comment row is locked (``FOR UPDATE`` where supported) and only a
    ``pending`` comment is scored, so a re-delivered task finds it decided and does nothing
    — no second strike, no second status change.
    """
    # The site comes with the comment and the strikes with the author (one round trip each);
    # only the comment and author rows are locked.
    comment = _lock_pending(comment_id)
    if isinstance(comment, ScoreOutcome):
        return comment
    author = (
        db.session.execute(
            sa.select(Author)
            .options(orm.joinedload(Author.strikes))
            .where(Author.id == comment.author_id)
            .with_for_update(of=Author)
        )
        .unique()
        .scalar_one()
    )
    policy = policies.for_site(comment.site.name)
    hold_floor = {c: t.hold for c, t in policy.categories.items()}
    allow = allow_list_for(comment.site)
    result = pipeline.score(
        comment.text, explain_above=hold_floor, site=comment.site.name, allow=allow
    )
    if not _claim_revision(comment):
        return ScoreOutcome.ALREADY_DECIDED  # edited while scored: the edit's task decides
    if now is None:
        now = (clock or utcnow)()
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
    _record(comment, decision, versions, now)
    comment.model_scores = {str(c): round(v, 6) for c, v in result.scores.items()}
    comment.matches = [m.to_dict() for m in result.matches]
    comment.explanations = [e.to_dict() for e in result.explanations]
    if result.language is not None:
        comment.language = result.language.code
        comment.language_confidence = round(result.language.confidence, 4)
    count_outcome(author, None, comment.status)
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
    waited = max((now - comment.received_at).total_seconds(), 0.0)  # read before the commit
    db.session.commit()  # expires the loaded rows: nothing below reads them again
    metrics.DECISIONS.labels(decision.outcome.value, "policy").inc()
    for category in decision.categories:
        metrics.DECISION_CATEGORIES.labels(category.value, decision.outcome.value).inc()
    metrics.DECISION_LATENCY.observe(waited)
    log.info(
        "comment decided",
        extra={"comment_id": comment_id, "decision": str(decision.outcome)},
    )
    return ScoreOutcome.DECIDED


def _claim_revision(comment: Comment) -> bool:
    """Count this scoring attempt, if ``comment`` is still pending at the revision that was
    scored. The write is the transaction's first, so where rows cannot be locked (SQLite) it
    takes the write lock: an edit committed meanwhile makes it miss (False), and an edit
    arriving later waits for this decision and then replaces it."""
    claimed = db.session.execute(
        sa.update(Comment)
        .where(
            Comment.id == comment.id,
            Comment.revision == comment.revision,
            Comment.status == CommentStatus.PENDING,
        )
        .values(score_attempts=Comment.score_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    return True


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


#: Reason code of a comment held because scoring it ran past the task's time limit.
SCORING_TIME_LIMIT = "scoring_time_limit"


def _lock_pending(comment_id: int) -> Comment | ScoreOutcome:
    """Comment ``comment_id`` with its site, row-locked, when it is still pending; else the
    outcome to report (MISSING, or ALREADY_DECIDED after ending the transaction)."""
    comment = (
        db.session.execute(
            sa.select(Comment)
            .options(orm.joinedload(Comment.site))
            .where(Comment.id == comment_id)
            .with_for_update(of=Comment)
        )
        .unique()
        .scalar_one_or_none()
    )
    if comment is None:
        return ScoreOutcome.MISSING
    if comment.status != CommentStatus.PENDING:
        db.session.rollback()
        return ScoreOutcome.ALREADY_DECIDED
    return comment


def hold_unscored(comment_id: int, *, now: datetime) -> ScoreOutcome:
    """Hold pending comment ``comment_id`` for a moderator without a score.

    For a comment whose scoring ran past the worker's time limit: it is not lost, nor tried
    again (it would stall a worker again), but decided ``hold`` with the reason
    :data:`SCORING_TIME_LIMIT`, audited and announced like any automatic decision. No strike.
    Idempotent like :func:`score_comment`: a comment already decided is left alone.
    """
    comment = _lock_pending(comment_id)
    if isinstance(comment, ScoreOutcome):
        return comment
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


def _record(comment: Comment, decision: Decision, versions: dict[str, str], now: datetime) -> None:
    comment.status = CommentStatus.for_outcome(decision.outcome)
    comment.decision = comment.auto_decision = decision.outcome.value
    comment.reasons = [r.to_dict() for r in decision.reasons]
    comment.scores = {str(c): v for c, v in decision.scores.items()}
    comment.versions = dict(versions)
    comment.policy_version = decision.policy_version
    comment.risk = decision.risk
    comment.decided_at = now
    comment.decided_by = POLICY_ACTOR
