"""Prometheus metrics.

Process-level metrics (requests, decisions, task latency) are counted where they happen, in
multi-process mode (:mod:`moderation.metrics_dir`), so each scrape target sums its own
processes: the web's ``/metrics`` covers every gunicorn worker of that instance, and each
Celery worker started with ``--metrics-port`` (the Procfile's ``worker`` and ``callbacks``)
serves the decisions and task timings of its pool. Queue depth, oldest pending age and the
review queue are read from the database (and the broker) when the web is scraped, so every
replica reports the same shared state. Where each is scraped: docs/observability.md.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from moderation.config import Settings

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "moderation_http_requests_total",
    "HTTP requests answered, by endpoint and status code.",
    ["method", "endpoint", "status"],
)
HTTP_LATENCY = Histogram(
    "moderation_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DECISIONS = Counter(
    "moderation_decisions_total",
    "Comment decisions, by outcome and by who decided (policy or moderator).",
    ["outcome", "decided_by"],
)
DECISION_CATEGORIES = Counter(
    "moderation_decision_categories_total",
    "Categories that reached a hold or reject threshold in automatic decisions.",
    ["category", "outcome"],
)
TASK_LATENCY = Histogram(
    "moderation_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DECISION_LATENCY = Histogram(
    "moderation_intake_to_decision_seconds",
    "Time from intake to the stored automatic decision.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

bp = Blueprint("metrics", __name__)


def observe_request_start() -> None:
    g.metrics_started = time.perf_counter()


#: The labelled children of :data:`HTTP_REQUESTS` and :data:`HTTP_LATENCY` met so far:
#: ``labels()`` validates and converts its values and takes a lock on every call. A race
#: between two threads only looks the same child up twice.
_request_counters: dict[tuple[str, str, int], Any] = {}
_latency_histograms: dict[str, Any] = {}


def observe_request_end(response: Response) -> Response:
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    if endpoint == "/metrics":
        return response
    key = (request.method, endpoint, response.status_code)
    counter = _request_counters.get(key)
    if counter is None:
        counter = _request_counters[key] = HTTP_REQUESTS.labels(key[0], endpoint, str(key[2]))
    counter.inc()
    started = g.get("metrics_started")
    if started is not None:
        histogram = _latency_histograms.get(endpoint)
        if histogram is None:
            histogram = _latency_histograms[endpoint] = HTTP_LATENCY.labels(endpoint)
        histogram.observe(time.perf_counter() - started)
    return response


class StateCollector(Collector):
    """Shared state read at scrape time: pending comments, review queue, broker, model."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        import sqlalchemy as sa

        from moderation.extensions import db
        from moderation.tables import Comment, CommentStatus, utcnow

        with self.app.app_context():
            now = utcnow()
            pending = GaugeMetricFamily(
                "moderation_pending_comments", "Comments stored but not yet decided."
            )
            oldest = GaugeMetricFamily(
                "moderation_oldest_pending_age_seconds", "Age of the oldest undecided comment."
            )
            queue = GaugeMetricFamily(
                "moderation_review_queue_size", "Comments held for a moderator (incl. appeals)."
            )
            try:
                count, first = db.session.execute(
                    sa.select(sa.func.count(Comment.id), sa.func.min(Comment.received_at)).where(
                        Comment.status == CommentStatus.PENDING
                    )
                ).one()
                held = db.session.execute(
                    sa.select(sa.func.count(Comment.id)).where(Comment.status == CommentStatus.HELD)
                ).scalar_one()
                pending.add_metric([], count)
                age = 0.0
                if first is not None:
                    first = first if first.tzinfo else first.replace(tzinfo=now.tzinfo)
                    age = (now - first).total_seconds()
                oldest.add_metric([], age)
                queue.add_metric([], held)
                yield pending
                yield oldest
                yield queue
            except sa.exc.SQLAlchemyError as exc:
                log.warning("metrics: database unavailable: %s", type(exc).__name__)
            finally:
                db.session.remove()

            settings = self.settings
            if not settings.embedded:
                depth = GaugeMetricFamily(
                    "moderation_broker_queue_length",
                    "Tasks waiting in the broker.",
                    labels=["queue"],
                )
                try:
                    import redis

                    client = redis.Redis.from_url(
                        settings.broker_url, socket_connect_timeout=0.5, socket_timeout=0.5
                    )
                    for name in (settings.scoring_queue, settings.callbacks_queue):
                        depth.add_metric([name], client.llen(name))
                    yield depth
                except Exception as exc:
                    log.warning("metrics: broker unavailable: %s", type(exc).__name__)

            from moderation.scoring.classifier import default_model_path

            info = InfoMetricFamily("moderation_model", "The classifier artefact in use.")
            path = default_model_path(settings.models_dir)
            info.add_metric([], {"version": Path(path).stem if path else "none"})
            yield info


def registry_for(app: Flask, settings: Settings) -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry = CollectorRegistry()
        registry.register(_Delegate(REGISTRY))
    registry.register(StateCollector(app, settings))
    return registry


class _Delegate(Collector):
    """Expose the process-global registry inside a per-app registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        yield from self.source.collect()


@bp.get("/metrics")
def metrics() -> Response:
    registry: CollectorRegistry = current_app.extensions["moderation.metrics"]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_metrics(app: Flask, settings: Settings) -> None:
    app.extensions["moderation.metrics"] = registry_for(app, settings)
    app.before_request(observe_request_start)
    app.after_request(observe_request_end)
    app.register_blueprint(bp)
