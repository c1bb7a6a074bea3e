"""Enqueueing tasks after the database commit, tolerating a broker that is down.

The comment is already stored when we publish; if the broker refuses, the comment stays
``pending`` and the sweeper (``moderation sweep``, run periodically) re-enqueues it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from kombu.exceptions import KombuError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from moderation import state
from moderation.extensions import db
from moderation.tables import Comment, CommentStatus

log = logging.getLogger(__name__)

BROKER_ERRORS = (BrokerError, KombuError, RedisError, OSError)


def enqueue_scoring(comment_id: int) -> bool:
    """Publish ``score_comment``; False (and a warning) when the broker is unreachable."""
    from moderation.tasks import score_comment

    try:
        score_comment.apply_async((comment_id,), queue=state.settings().scoring_queue)
    except BROKER_ERRORS as exc:
        log.warning(
            "broker unavailable; comment left pending for the sweeper",
            extra={"comment_id": comment_id, "error": type(exc).__name__},
        )
        return False
    return True


def enqueue_delivery(event_seq: int) -> bool:
    """Publish ``deliver_event``; on broker failure the periodic poller picks it up."""
    from moderation.tasks import deliver_event

    try:
        deliver_event.apply_async((event_seq,), queue=state.settings().callbacks_queue)
    except BROKER_ERRORS as exc:
        log.warning(
            "broker unavailable; event left for the delivery poller",
            extra={"event_seq": event_seq, "error": type(exc).__name__},
        )
        return False
    return True


def sweep_pending(older_than: timedelta, now: datetime, limit: int = 1000) -> tuple[int, int]:
    """Re-enqueue comments pending for longer than ``older_than``: (found, enqueued).

    Scoring is idempotent, so a comment whose first task is merely slow is decided once.
    """
    ids = (
        db.session.execute(
            sa.select(Comment.id)
            .where(Comment.status == CommentStatus.PENDING, Comment.received_at < now - older_than)
            .order_by(Comment.received_at)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    db.session.rollback()
    enqueued = sum(1 for comment_id in ids if enqueue_scoring(comment_id))
    return len(ids), enqueued
