"""Celery tasks. Thin: they take ids, call the domain services, and retry transient errors."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import InterfaceError, OperationalError

from moderation import state
from moderation.extensions import db
from moderation.services import decisions, dispatch, events
from moderation.tables import utcnow

log = logging.getLogger(__name__)

# Database connection loss, lock timeouts, failover: worth retrying with backoff.
TRANSIENT = (OperationalError, InterfaceError)

#: Seconds one scoring may take before the comment is held for a moderator unscored
#: (``SoftTimeLimitExceeded``), and before the worker process is killed outright. Scoring a
#: comment of the maximum length takes well under a second; these only stop a pathological
#: text from holding a worker. Enforced by the prefork pool (the Procfile's worker), not by
#: the embedded mode's single-threaded worker.
SCORE_SOFT_TIME_LIMIT = 30
SCORE_TIME_LIMIT = 60


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
            comment_id, pipeline=state.pipeline(), policies=state.policies()
        )
    except SoftTimeLimitExceeded:
        db.session.rollback()
        outcome = decisions.hold_unscored(comment_id, now=utcnow())
    log.info("score_comment finished", extra={"comment_id": comment_id, "outcome": str(outcome)})
    return str(outcome)


@shared_task(name="moderation.retrain_sites", ignore_result=True)
def retrain_sites() -> str:
    """Retrain and gate the sites whose labels make them due (run periodically by beat).
    Safe to run twice: a site just trained is not due again until new labels arrive."""
    from moderation.scoring.site_model import SiteModelStore
    from moderation.services import site_models

    settings = state.settings()
    outcomes = site_models.retrain_due_sites(
        pipeline=state.pipeline(),
        store=SiteModelStore(settings.resolved_site_models_dir()),
        policies=state.policies(),
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
    settings = state.settings()
    found, enqueued = dispatch.sweep_pending(
        timedelta(seconds=settings.sweep_min_age_seconds), utcnow()
    )
    if found:
        log.info(
            "sweeper re-enqueued pending comments", extra={"found": found, "enqueued": enqueued}
        )
    return f"{found} found, {enqueued} enqueued"


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
    return events.attempt_delivery(event_seq, settings=state.settings().delivery())


@shared_task(name="moderation.deliver_due_events", ignore_result=True)
def deliver_due_events() -> str:
    """Enqueue every callback event whose retry is due (run periodically by celery beat)."""
    due = events.due_events(utcnow())
    for seq in due:
        dispatch.enqueue_delivery(seq)
    return f"{len(due)} due"
