"""Celery wired to the Flask app (the pattern of Flask's Celery example and Superset).

The Celery app is configured from the service settings at start-up — no broker is hard-coded —
and every task runs inside an application context (pushed only when none is active).
Tasks are declared with ``@shared_task`` in :mod:`moderation.tasks`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, ClassVar

import click
from celery import Celery, Task, bootsteps
from celery.beat import EmbeddedService
from celery.signals import (
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)
from flask import Flask, current_app, has_app_context
from kombu.entity import Queue

from moderation.config import Settings
from moderation.metrics import TASK_LATENCY
from moderation.worker_presence import WorkerHeartbeat

log = logging.getLogger(__name__)

#: ``app.extensions`` key of the embedded worker thread (embedded mode only).
EMBEDDED_WORKER = "moderation.embedded_worker"


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
        # Scoring is batched (moderation.score_comments, celery-batches): the consumer must
        # be allowed to hold enough unacknowledged messages to fill a batch per pool process
        # and collect the next meanwhile. The Procfile's callbacks worker overrides this with
        # --prefetch-multiplier 1, so that one worker does not hoard deliveries.
        "worker_prefetch_multiplier": 2 * settings.scoring_batch_size,
        "task_annotations": {
            "moderation.score_comments": {
                "flush_every": settings.scoring_batch_size,
                "flush_interval": settings.scoring_batch_wait_ms / 1000,
            }
        },
        "task_default_queue": settings.scoring_queue,
        # Deliveries have their own queue, consumed by its own worker process (the
        # Procfile's `worker -Q scoring` and `callbacks -Q callbacks`), so a slow receiver
        # never occupies a scoring worker. A worker started without -Q (the embedded
        # thread, a quick trial) consumes both; each delivery attempt still ends within
        # MODERATION_CALLBACK_TIMEOUT_SECONDS in total.
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
            # DSA Art. 24(5): statements of reasons to the Transparency Database, daily.
            **(
                {
                    "submit-dsa-statements": {
                        "task": "moderation.submit_dsa_statements",
                        "schedule": settings.dsa_submit_interval_hours * 3600.0,
                    }
                }
                if settings.dsa_submission_configured
                else {}
            ),
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
    celery.user_options["worker"].add(
        click.Option(
            ["--metrics-port"],
            type=int,
            default=None,
            help="Serve this worker's metrics (summed over its pool processes) for "
            "Prometheus on this port (address: MODERATION_METRICS_ADDRESS).",
        )
    )
    celery.steps["worker"].add(MetricsServer)
    celery.set_default()
    celery.flask_app = app  # for worker signal handlers
    from moderation.tasks import (  # (registers the shared tasks, too)
        SCORING_BATCHER,
        register_outbox_hooks,
        scoring_batcher,
    )

    register_outbox_hooks()  # new callback events are enqueued once their transaction commits
    # The intake's comment ids are published in batches by a thread started on first use.
    app.extensions[SCORING_BATCHER] = scoring_batcher(celery, settings)

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
    from moderation import configured

    with flask_app.app_context():
        configured.warm_up()


class MetricsServer(bootsteps.StartStopStep):  # type: ignore[misc]
    """``celery worker --metrics-port N``: an HTTP endpoint for Prometheus in the worker's
    main process, summing the metric files its pool processes write (multi-process mode,
    set up by :mod:`moderation.worker` before anything imported prometheus_client)."""

    requires: ClassVar[tuple[str, ...]] = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, metrics_port: int | None = None, **_: Any) -> None:
        self.port = metrics_port

    def start(self, parent: Any) -> None:
        if self.port is None:
            return
        import os

        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            raise RuntimeError(
                "--metrics-port needs multi-process metrics: start the worker with "
                "-A moderation.worker:celery_app (or set PROMETHEUS_MULTIPROC_DIR)"
            )
        address = state_settings(parent.app.flask_app).metrics_address
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(self.port, addr=address, registry=registry)
        log.info("worker metrics served", extra={"address": address, "port": self.port})


def state_settings(flask_app: Flask) -> Settings:
    from moderation import configured

    return configured.settings(flask_app)


_heartbeat: WorkerHeartbeat | None = None


@worker_ready.connect
def _announce_worker(sender: Any = None, **_: object) -> None:
    """A worker process (not the embedded thread) announces in Redis, every few seconds,
    which queues it consumes; ``/readyz`` reads it (see :mod:`moderation.worker_presence`)."""
    global _heartbeat
    flask_app = getattr(getattr(sender, "app", None), "flask_app", None)
    if flask_app is None:
        return
    settings = state_settings(flask_app)
    if settings.embedded or settings.redis_url is None:
        return
    queues = sorted(sender.app.amqp.queues.consume_from)
    _heartbeat = WorkerHeartbeat(
        settings.redis_url, str(sender.hostname), queues, settings.worker_heartbeat_seconds
    )
    _heartbeat.start()


@worker_shutdown.connect
def _withdraw_worker(**_: object) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()


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
    # /readyz reports whether this thread is alive.
    celery.flask_app.extensions[EMBEDDED_WORKER] = thread
    # The periodic jobs (sweeper, callback retries) in a thread too: a beat *process* could
    # not reach the in-memory transport.
    EmbeddedService(celery, thread=True).start()
    log.info("embedded Celery worker and beat started")
    return thread
