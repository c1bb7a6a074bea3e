"""Celery tasks, and the only module that talks to the queue.

The tasks are thin: they take ids, call the domain services, and retry transient errors.
Publishing is here too (:func:`enqueue_scoring`, :func:`enqueue_delivery`), after the
database commit and tolerant of a broker that is down (the intake's comment ids leave in
batches, see :func:`scoring_batcher`): the comment is already stored, so if
the broker refuses it stays ``pending`` and the sweeper (``moderation sweep``, run
periodically) re-enqueues it. Services never import this module; they return what to
enqueue (e.g. :class:`moderation.services.events.Attempt`), or leave new callback events in
the session's outbox, which :func:`register_outbox_hooks` (called by ``celery_init_app``)
enqueues once the transaction commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import Celery, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from kombu.exceptions import KombuError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError
from sqlalchemy import event as sa_event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from moderation import configured
from moderation.batching import Batcher
from moderation.config import Settings
from moderation.extensions import db
from moderation.services import decisions, dsa, events, intake
from moderation.tables import utcnow

log = logging.getLogger(__name__)

BROKER_ERRORS = (BrokerError, KombuError, RedisError, OSError)

# Database connection loss, lock timeouts, failover: worth retrying with backoff.
TRANSIENT = (OperationalError, InterfaceError)

#: Seconds one scoring may take before the comment is held for a moderator unscored
#: (``SoftTimeLimitExceeded``), and before the worker process is killed outright. Scoring a
#: comment of the maximum length takes well under a second; these only stop a pathological
#: text from holding a worker. Enforced by the prefork pool (the Procfile's worker), not by
#: the embedded mode's single-threaded worker.
SCORE_SOFT_TIME_LIMIT = 30
SCORE_TIME_LIMIT = 60

#: Name of the task that scores a list of comments (what the intake publishes).
SCORE_COMMENTS = "moderation.score_comments"


@shared_task(
    name="moderation.score_comment",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=12,
    soft_time_limit=SCORE_SOFT_TIME_LIMIT,
    time_limit=SCORE_TIME_LIMIT,
)
def score_comment(self: Any, comment_id: int) -> str:
    """Score comment ``comment_id`` and store the decision. Safe to run more than once.

    Past :data:`SCORE_SOFT_TIME_LIMIT` the comment is held for a moderator unscored.
    """
    try:
        outcome = decisions.score_comment(
            comment_id, pipeline=configured.pipeline(), policies=configured.policies()
        )
    except SoftTimeLimitExceeded:
        db.session.rollback()
        outcome = decisions.hold_unscored(comment_id, now=utcnow())
    log.info("score_comment finished", extra={"comment_id": comment_id, "outcome": str(outcome)})
    return str(outcome)


@shared_task(
    name=SCORE_COMMENTS,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=12,
    soft_time_limit=SCORE_SOFT_TIME_LIMIT,
    time_limit=SCORE_TIME_LIMIT,
)
def score_comments(self: Any, comment_ids: list[int]) -> str:
    """Score and decide the comments ``comment_ids`` (what the intake publishes: the ids its
    process gathered in a few milliseconds). Safe to run more than once, like
    :func:`score_comment`; a retry after a transient error skips those already decided.

    Past :data:`SCORE_SOFT_TIME_LIMIT` the comment being scored is held unscored and the rest
    are published one by one, each with its own time limit.
    """
    ids = [int(i) for i in comment_ids]
    decided = 0
    for position, comment_id in enumerate(ids):
        try:
            outcome = decisions.score_comment(
                comment_id, pipeline=configured.pipeline(), policies=configured.policies()
            )
        except SoftTimeLimitExceeded:
            db.session.rollback()
            decisions.hold_unscored(comment_id, now=utcnow())
            for rest in ids[position + 1 :]:
                publish_one(rest)
            break
        log.info(
            "score_comment finished", extra={"comment_id": comment_id, "outcome": str(outcome)}
        )
        decided += outcome == decisions.ScoreOutcome.DECIDED
    return f"{decided} of {len(ids)} decided"


@shared_task(name="moderation.retrain_sites", ignore_result=True)
def retrain_sites() -> str:
    """Retrain and gate the sites whose labels make them due (run periodically by beat).
    Safe to run twice: a site just trained is not due again until new labels arrive."""
    from moderation.scoring.site_model import SiteModelStore  # (training code: loaded here)
    from moderation.services import site_models

    settings = configured.settings()
    outcomes = site_models.retrain_due_sites(
        pipeline=configured.pipeline(),
        store=SiteModelStore(settings.resolved_site_models_dir()),
        policies=configured.policies(),
        shared_dir=settings.shared_eval_dir,
        min_new=settings.site_retrain_min_labels,
        max_age=timedelta(days=settings.site_retrain_max_age_days),
        now=utcnow(),
    )
    for outcome in outcomes:
        log.info(
            "site model trained",
            extra={"version": outcome.version, "promoted": outcome.promoted},
        )
    return f"{len(outcomes)} site(s) trained"


@shared_task(name="moderation.sweep_pending", ignore_result=True)
def sweep_pending() -> str:
    """Re-enqueue comments left pending (run periodically by celery beat)."""
    settings = configured.settings()
    found, enqueued = sweep_pending_comments(
        timedelta(seconds=settings.sweep_min_age_seconds), utcnow()
    )
    if found:
        log.info(
            "sweeper re-enqueued pending comments", extra={"found": found, "enqueued": enqueued}
        )
    return f"{found} found, {enqueued} enqueued"


@shared_task(name="moderation.submit_dsa_statements", ignore_result=True)
def submit_dsa_statements() -> str:
    """Submit every site's unsent statements of reasons to the DSA Transparency Database
    (run daily by celery beat when submission is configured; safe to run twice: each
    statement is sent once)."""
    settings = configured.settings()
    if not settings.dsa_submission_configured:
        return "not configured"
    lines = []
    for name in dsa.sites_with_unsent():
        report = dsa.submit_site(name, settings)
        lines.append(f"{name}: {report.summary()}")
    return "; ".join(lines) or "nothing to submit"


@shared_task(
    name="moderation.deliver_event",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=120,
    max_retries=10,
)
def deliver_event(self: Any, event_seq: int) -> str:
    """One delivery attempt of a callback event; later attempts come from the poller."""
    attempt = events.attempt_delivery(event_seq, settings=configured.settings().delivery())
    if attempt.following is not None:
        enqueue_delivery(attempt.following)
    return attempt.outcome


@shared_task(name="moderation.deliver_due_events", ignore_result=True)
def deliver_due_events() -> str:
    """Enqueue every callback event whose retry is due (run periodically by celery beat)."""
    due = events.due_events(utcnow())
    for seq in due:
        enqueue_delivery(seq)
    return f"{len(due)} due"


# --- publishing -------------------------------------------------------------------------


def enqueue_scoring(comment_id: int) -> bool:
    """Hand ``comment_id`` to this process's scoring publisher (see :func:`scoring_batcher`),
    which publishes it with the other ids of the next few milliseconds. The comment is
    committed already: if the process dies first or the broker refuses, it stays ``pending``
    and the sweeper re-enqueues it."""
    batcher: Batcher[int] = current_app.extensions[SCORING_BATCHER]
    batcher.add(comment_id)
    return True


def publish_one(comment_id: int) -> bool:
    """Publish ``score_comment`` for one comment now; False (and a warning) when the broker
    is unreachable."""
    try:
        score_comment.apply_async((comment_id,), queue=configured.settings().scoring_queue)
    except BROKER_ERRORS as exc:
        log.warning(
            "broker unavailable; comment left pending for the sweeper",
            extra={"comment_id": comment_id, "error": type(exc).__name__},
        )
        return False
    return True


#: ``app.extensions`` key of the process's scoring publisher.
SCORING_BATCHER = "moderation.scoring_batcher"


def scoring_batcher(celery: Celery, settings: Settings) -> Batcher[int]:
    """The publisher of the intake's comment ids: one ``score_comments`` message for up to
    ``enqueue_max_batch`` ids, at most ``enqueue_wait_ms`` after the first. Publishing one
    Celery message costs more than the rest of the intake's Python work together."""
    queue = settings.scoring_queue

    def publish(ids: list[int]) -> bool:
        try:
            celery.send_task(SCORE_COMMENTS, (ids,), queue=queue)
        except BROKER_ERRORS as exc:
            log.warning(
                "broker unavailable; comments left pending for the sweeper",
                extra={"comments": len(ids), "error": type(exc).__name__},
            )
            return False
        return True

    return Batcher(
        publish,
        max_items=settings.enqueue_max_batch,
        max_wait=settings.enqueue_wait_ms / 1000,
        name="scoring-publisher",
    )


def enqueue_delivery(event_seq: int) -> bool:
    """Publish ``deliver_event``; on broker failure the periodic poller picks it up."""
    try:
        deliver_event.apply_async((event_seq,), queue=configured.settings().callbacks_queue)
    except BROKER_ERRORS as exc:
        log.warning(
            "broker unavailable; event left for the delivery poller",
            extra={"event_seq": event_seq, "error": type(exc).__name__},
        )
        return False
    return True


def sweep_pending_comments(
    older_than: timedelta, now: datetime, limit: int = 1000
) -> tuple[int, int]:
    """Re-enqueue comments pending for longer than ``older_than``: (found, enqueued).

    Scoring is idempotent, so a comment whose first task is merely slow is decided once.
    """
    ids = intake.pending_comment_ids(older_than, now, limit)
    enqueued = sum(1 for comment_id in ids if publish_one(comment_id))
    return len(ids), enqueued


def _enqueue_committed_events(session: Session) -> None:
    for seq in events.take_committed(session):
        enqueue_delivery(seq)


def register_outbox_hooks() -> None:
    """Enqueue the callback events of every transaction once it commits (idempotent)."""
    if not sa_event.contains(Session, "after_commit", _enqueue_committed_events):
        sa_event.listen(Session, "after_commit", _enqueue_committed_events)
