"""Liveness and readiness probes."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify
from redis.exceptions import RedisError

from moderation import configured
from moderation.celery_app import EMBEDDED_WORKER, get_celery
from moderation.extensions import db
from moderation.worker_presence import live_workers

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and serving requests; checks nothing else."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database answers, the broker accepts a connection and a worker is
    consuming the scoring queue (in the embedded mode: the in-process worker thread is
    alive). Otherwise 503, with each failed check named in ``problems``."""
    problems: dict[str, str] = {}
    database, broker = _database_ok(), _broker_ok()
    worker, worker_problem = _worker_ok()
    checks = {"database": database, "broker": broker, "worker": worker}
    if not checks["database"]:
        problems["database"] = "the database does not answer"
    if not checks["broker"]:
        problems["broker"] = "the broker (Redis) does not accept a connection"
    if worker_problem:
        problems["worker"] = worker_problem
    ready = all(checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "unavailable", "checks": checks}
    if problems:
        body["problems"] = [problems[name] for name in checks if name in problems]
    if not ready:
        log.warning("not ready: %s", "; ".join(problems.values()))
    return jsonify(body), 200 if ready else 503


def _worker_ok() -> tuple[bool, str | None]:
    """(ok, problem): is any worker consuming the scoring queue?"""
    settings = configured.settings()
    if settings.embedded:
        thread = current_app.extensions.get(EMBEDDED_WORKER)
        if thread is not None and thread.is_alive():
            return True, None
        return False, "the in-process worker thread is not running (embedded mode)"
    assert settings.redis_url is not None
    try:
        live = live_workers(settings.redis_url, settings.scoring_queue)
    except RedisError as exc:
        log.warning("readiness: worker check failed: %s", type(exc).__name__)
        return False, "cannot tell whether a worker is running: the broker (Redis) is down"
    if live:
        return True, None
    return False, (
        f"no worker is consuming the scoring queue {settings.scoring_queue!r} "
        f"(none announced itself in the last {3 * settings.worker_heartbeat_seconds:g} s)"
    )


def _database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError as exc:
        log.warning("readiness: database check failed: %s", type(exc).__name__)
        return False
    finally:
        db.session.rollback()


def _broker_ok() -> bool:
    if configured.settings().embedded:
        return True  # in-process transport
    try:
        with get_celery().connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception as exc:
        log.warning("readiness: broker check failed: %s", type(exc).__name__)
        return False
