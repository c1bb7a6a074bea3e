"""Celery wired to the Flask app (the pattern of Flask's Celery example and Superset).

The Celery app is configured from the service settings at start-up — no broker is hard-coded —
and every task runs inside an application context (pushed only when none is active).
Tasks are declared with ``@shared_task`` in :mod:`moderation.tasks`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import Celery, Task
from celery.beat import EmbeddedService
from celery.signals import task_postrun, task_prerun, worker_process_init
from flask import Flask, current_app, has_app_context
from kombu.entity import Queue

from moderation.config import Settings
from moderation.metrics import TASK_LATENCY

log = logging.getLogger(__name__)


def celery_config(settings: Settings) -> dict[str, Any]:
    return {
        "broker_url": settings.broker_url,
        "task_ignore_result": True,
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        # A task is acknowledged only after it ran, and re-delivered if its worker died.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": settings.scoring_queue,
        # Workers consume both queues unless started with -Q; callbacks never delay scoring
        # because they have their own queue.
        "task_queues": (Queue(settings.scoring_queue), Queue(settings.callbacks_queue)),
        "task_routes": {"moderation.deliver_*": {"queue": settings.callbacks_queue}},
        # A task taken by a worker that died unacked is re-delivered once the visibility
        # timeout has passed; each worker looks for such tasks every few seconds (kombu's
        # default throttling would make that ~100 s).
        "broker_transport_options": {
            "visibility_timeout": settings.broker_visibility_timeout,
            "unacked_restore_interval": max(1, min(10, settings.broker_visibility_timeout // 3)),
            "unacked_restore_throttle": 1,
        },
        "broker_connection_retry_on_startup": True,
        # Publishing from a web request must not hang when the broker is down: the comment
        # is already stored, and the sweeper re-enqueues it.
        "task_publish_retry_policy": {
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.1,
            "interval_max": 0.1,
        },
        "broker_connection_timeout": 2,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "enable_utc": True,
        # Periodic safety net: comments still pending (broker was down, worker crashed)
        # are re-enqueued. Run `celery beat` once per deployment (the Procfile's `beat`).
        "beat_schedule": {
            "sweep-pending-comments": {
                "task": "moderation.sweep_pending",
                "schedule": float(settings.sweep_interval_seconds),
            },
            "deliver-due-callbacks": {
                "task": "moderation.deliver_due_events",
                "schedule": settings.delivery_poll_seconds,
            },
            "retrain-due-sites": {
                "task": "moderation.retrain_sites",
                "schedule": settings.site_retrain_check_seconds,
            },
        },
        "beat_schedule_filename": str(settings.resolved_instance_path() / "celerybeat-schedule"),
    }


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: object, **kwargs: object) -> object:
            if has_app_context():
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.config_from_object(celery_config(settings))
    celery.set_default()
    celery.flask_app = app  # for worker signal handlers
    import moderation.tasks  # noqa: F401  (registers the shared tasks with this app)

    app.extensions["celery"] = celery
    return celery


_task_started: dict[str, float] = {}


@task_prerun.connect
def _task_prerun(task_id: str | None = None, **_: object) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_postrun(task_id: str | None = None, task: Task | None = None, **_: object) -> None:
    started = _task_started.pop(task_id or "", None)
    if started is not None and task is not None:
        TASK_LATENCY.labels(task.name).observe(time.perf_counter() - started)


@worker_process_init.connect
def _warm_up(**_: object) -> None:
    """Each worker process builds its scoring pipeline (rules + model) before its first task,
    so no comment waits for the model to load. Lazy: at process start, never at import."""
    from celery import current_app as celery_current

    flask_app = getattr(celery_current, "flask_app", None)
    if flask_app is None:
        return
    from moderation import state

    with flask_app.app_context():
        state.pipeline()


def get_celery() -> Celery:
    celery: Celery = current_app.extensions["celery"]
    return celery


def start_embedded_worker(celery: Celery) -> threading.Thread:
    """Run a Celery worker in a daemon thread of this process (embedded mode only).

    It consumes the in-memory transport the web process publishes to, so the embedded
    service behaves like production (asynchronous, retries with countdowns) without Redis.
    """
    worker = celery.WorkController(
        app=celery,
        pool="solo",
        concurrency=1,
        hostname="embedded@localhost",
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        loglevel=logging.getLevelName(logging.getLogger().level),
    )
    thread = threading.Thread(target=worker.start, name="embedded-celery-worker", daemon=True)
    thread.start()
    # The periodic jobs (sweeper, callback retries) in a thread too: a beat *process* could
    # not reach the in-memory transport.
    EmbeddedService(celery, thread=True).start()
    log.info("embedded Celery worker and beat started")
    return thread
