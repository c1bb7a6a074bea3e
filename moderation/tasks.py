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
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from celery import Celery, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.log import get_logger
from celery_batches import Batches, SimpleRequest
from celery_batches.trace import apply_batches_task
from flask import current_app, has_app_context
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


#: Task name of the batch scoring task; ``celery_config`` sets its ``flush_every`` (batch
#: size) and ``flush_interval`` (longest wait) from the settings by task annotation.
SCORE_BATCH_TASK = "moderation.score_comments"

_strategy_log = get_logger("celery.worker.strategy")


class ScoringBatches(Batches):  # type: ignore[misc]
    """celery-batches' buffering task, fitted to this service.

    The worker's consumer buffers ``score_comments`` messages and hands a pool process up
    to ``flush_every`` of them at once, or whatever arrived within ``flush_interval``. The
    messages are acknowledged only after the batch returned (``acks_late``). Beyond the
    library: the batch runs in the Flask app context (as :class:`FlaskTask` does), has the
    same time limits as one scoring (the prefork pool enforces them), and a batch whose pool
    process died or ran past the hard limit hands its comments to ``score_comment`` one by
    one instead of being re-delivered whole (a text that kills a process would do it again).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return self.run(*args, **kwargs)
        with self.app.flask_app.app_context():
            return self.run(*args, **kwargs)

    def Strategy(self, task: Any, app: Any, consumer: Any) -> Any:
        handler = super().Strategy(task, app, consumer)

        def received(
            message: Any, body: Any, ack: Any, reject: Any, callbacks: Any, **kw: Any
        ) -> Any:
            # Celery's default strategy logs each received task; the batching one does not.
            _strategy_log.info("Task %s[%s] received", task.name, message.headers.get("id"))
            return handler(message, body, ack, reject, callbacks, **kw)

        return received

    def flush(self, requests: Any) -> Any:
        acks_late = [r for r in requests if r.task.acks_late]
        # What the pool process gets (picklable), and the comment of each message.
        simple = [SimpleRequest.from_request(r) for r in requests]
        comment_of = {id(r): _comment_ids([s]) for r, s in zip(requests, simple, strict=True)}
        acks_early = [r for r in requests if not r.task.acks_late]

        def on_accepted(pid: int, time_accepted: float) -> None:
            for req in acks_early:
                req.acknowledge()

        def on_return(result: Any) -> None:
            for req in acks_late:
                req.acknowledge()

        def on_error(exc_info: Any) -> None:
            # The pool process died (or was killed at the hard time limit) mid-batch: its
            # transaction is gone. Each comment gets its own task; a message whose comment
            # could not be handed on stays unacknowledged, and is re-delivered.
            log.warning(
                "scoring batch lost its process; deciding its comments one by one",
                extra={"error": repr(getattr(exc_info, "exception", exc_info))},
            )
            for req in acks_late:
                if all(_enqueue_one(cid) for cid in comment_of[id(req)]):
                    req.acknowledge()

        return self._pool.apply_async(
            apply_batches_task,
            (self, (simple,), 0, None),
            accept_callback=on_accepted,
            callback=on_return,
            error_callback=on_error,
            soft_timeout=self.soft_time_limit,
            timeout=self.time_limit,
        )


@shared_task(
    name=SCORE_BATCH_TASK,
    base=ScoringBatches,
    acks_late=True,
    soft_time_limit=SCORE_SOFT_TIME_LIMIT,
    time_limit=SCORE_TIME_LIMIT,
)
def score_comments(requests: list[SimpleRequest]) -> str:
    """Decide a batch of comments in transactions of at most ``scoring_batch_size`` (the
    consumer hands over up to that many messages, and each may carry several ids).

    A transient database error or the soft time limit rolls the batch back and hands its
    still-pending comments to ``score_comment`` one by one: each then has its own retries
    and time limit (a pathological text is held unscored there). A comment another
    transaction holds is handed on too: that task waits for it. Safe to run more than once.
    """
    ids = _comment_ids(requests)
    # Messages may carry many ids each: decide them in transactions of at most a batch.
    size = configured.settings().scoring_batch_size
    outcomes: dict[int, decisions.ScoreOutcome] = {}
    for start in range(0, len(ids), size):
        try:
            decided_now = decisions.score_comments(
                ids[start : start + size],
                pipeline=configured.pipeline(),
                policies=configured.policies(),
            )
        except (*TRANSIENT, SoftTimeLimitExceeded) as exc:
            handed = _hand_on_pending(ids[start:])
            log.warning(
                "scoring batch failed; its comments are decided one by one",
                extra={"error": type(exc).__name__, "comments": len(ids), "handed_on": handed},
            )
            return f"batch of {len(ids)} failed ({type(exc).__name__}); {handed} handed on"
        for comment_id, outcome in decided_now.items():
            outcomes.setdefault(comment_id, outcome)  # a repeat in a later chunk: as first
    for comment_id, outcome in outcomes.items():
        if outcome is decisions.ScoreOutcome.LOCKED:
            _enqueue_one(comment_id)
            log.info("comment locked elsewhere; handed on", extra={"comment_id": comment_id})
        else:
            log.info(
                "score_comment finished",
                extra={"comment_id": comment_id, "outcome": str(outcome)},
            )
    decided = sum(1 for o in outcomes.values() if o is decisions.ScoreOutcome.DECIDED)
    log.info("scoring batch finished", extra={"comments": len(outcomes), "decided": decided})
    return f"{decided} of {len(outcomes)} decided"


def _comment_ids(requests: Any) -> list[int]:
    """The comment ids of a batch's messages, in order. A message carries ``(comment_ids,)``
    (the intake's publisher sends the ids of a few milliseconds together) or
    ``(comment_id,)`` (one comment)."""
    ids: list[int] = []
    for request in requests:
        if not request.args:
            continue
        first = request.args[0]
        if isinstance(first, list):
            ids.extend(int(i) for i in first)
        else:
            ids.append(int(first))
    return ids


def _hand_on_pending(ids: list[int]) -> int:
    """After a failed batch: enqueue ``score_comment`` for its comments still pending (all of
    them when the database cannot say). Returns how many were enqueued."""
    try:
        db.session.rollback()
        pending = decisions.pending_among(ids)
    except TRANSIENT:
        db.session.rollback()
        pending = ids
    return sum(1 for comment_id in pending if _enqueue_one(comment_id))


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
    which publishes it with the other ids of the next few milliseconds to the batch task
    ``score_comments``. The comment is committed already: if the process dies first or the
    broker refuses, it stays ``pending`` and the sweeper re-enqueues it."""
    batcher: Batcher[int] = current_app.extensions[SCORING_BATCHER]
    batcher.add(comment_id)
    return True


def _enqueue_one(comment_id: int) -> bool:
    """Publish ``score_comment`` (one comment, its own retries and time limit); False (and a
    warning) when the broker is unreachable."""
    task: Any = score_comment
    return _published(
        lambda: task.apply_async((comment_id,), queue=configured.settings().scoring_queue),
        "broker unavailable; comment left pending for the sweeper",
        comment_id=comment_id,
    )


def _published(send: Callable[[], object], warning: str, **context: object) -> bool:
    """Run ``send`` (a publish); False, and ``warning`` logged with ``context``, when the
    broker is unreachable. What was not published is found again by a periodic job."""
    try:
        send()
    except BROKER_ERRORS as exc:
        log.warning(warning, extra={**context, "error": type(exc).__name__})
        return False
    return True


#: ``app.extensions`` key of the process's scoring publisher.
SCORING_BATCHER = "moderation.scoring_batcher"


def publish_ids(celery: Celery, queue: str, ids: list[int]) -> bool:
    """Publish one ``score_comments`` message for ``ids``; False (and a warning) when the
    broker is unreachable (the comments stay pending for the sweeper)."""
    return _published(
        lambda: celery.send_task(SCORE_BATCH_TASK, (ids,), queue=queue),
        "broker unavailable; comments left pending for the sweeper",
        comments=len(ids),
    )


def scoring_batcher(celery: Celery, settings: Settings) -> Batcher[int]:
    """The publisher of the intake's comment ids: one ``score_comments`` message for up to
    ``enqueue_max_batch`` ids, at most ``enqueue_wait_ms`` after the first. Publishing one
    Celery message costs more than the rest of the intake's Python work together, and each
    message costs the worker's consumer three Redis round trips."""
    queue = settings.scoring_queue
    return Batcher(
        lambda ids: publish_ids(celery, queue, ids),
        max_items=settings.enqueue_max_batch,
        max_wait=settings.enqueue_wait_ms / 1000,
        name="scoring-publisher",
    )


def enqueue_delivery(event_seq: int) -> bool:
    """Publish ``deliver_event``; on broker failure the periodic poller picks it up."""
    queue = configured.settings().callbacks_queue
    return _published(
        lambda: deliver_event.apply_async((event_seq,), queue=queue),
        "broker unavailable; event left for the delivery poller",
        event_seq=event_seq,
    )


def sweep_pending_comments(
    older_than: timedelta, now: datetime, limit: int = 1000
) -> tuple[int, int]:
    """Re-enqueue comments pending for longer than ``older_than``: (found, enqueued).

    Scoring is idempotent, so a comment whose first task is merely slow is decided once.
    """
    ids = intake.pending_comment_ids(older_than, now, limit)
    settings = configured.settings()
    size = settings.enqueue_max_batch
    enqueued = 0
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        if publish_ids(score_comments.app, settings.scoring_queue, chunk):
            enqueued += len(chunk)
    return len(ids), enqueued


def _enqueue_committed_events(session: Session) -> None:
    for seq in events.take_committed(session):
        enqueue_delivery(seq)


def register_outbox_hooks() -> None:
    """Enqueue the callback events of every transaction once it commits (idempotent)."""
    if not sa_event.contains(Session, "after_commit", _enqueue_committed_events):
        sa_event.listen(Session, "after_commit", _enqueue_committed_events)
