"""Celery tasks. Thin: they take ids, call the domain services, and retry transient errors."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
from celery import shared_task
from sqlalchemy.exc import InterfaceError, OperationalError

from moderation import state
from moderation.services import decisions, dispatch, events
from moderation.tables import utcnow

log = logging.getLogger(__name__)

# Database connection loss, lock timeouts, failover: worth retrying with backoff.
TRANSIENT = (OperationalError, InterfaceError)


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
)
def score_comment(self: Any, comment_id: int) -> str:
    """Score comment ``comment_id`` and store the decision. Safe to run more than once."""
    outcome = decisions.score_comment(
        comment_id, pipeline=state.pipeline(), policies=state.policies()
    )
    log.info("score_comment finished", extra={"comment_id": comment_id, "outcome": str(outcome)})
    return str(outcome)


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
    settings = state.settings()
    with httpx.Client(follow_redirects=False) as client:
        outcome = events.attempt_delivery(event_seq, client=client, settings=settings.delivery())
    return outcome


@shared_task(name="moderation.deliver_due_events", ignore_result=True)
def deliver_due_events() -> str:
    """Enqueue every callback event whose retry is due (run periodically by celery beat)."""
    due = events.due_events(utcnow())
    for seq in due:
        dispatch.enqueue_delivery(seq)
    return f"{len(due)} due"
