"""/healthz and /readyz in the embedded mode: readiness follows the in-process worker thread
(production readiness, which follows worker heartbeats in Redis, is tested with real
processes in tests/integration/test_observability.py)."""

from __future__ import annotations

import threading

from flask import Flask
from flask.testing import FlaskClient

from moderation.celery_app import EMBEDDED_WORKER


def test_not_ready_without_the_in_process_worker(app: Flask, client: FlaskClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json == {
        "status": "unavailable",
        "checks": {"database": True, "broker": True, "worker": False},
        "problems": ["the in-process worker thread is not running (embedded mode)"],
    }
    assert client.get("/healthz").status_code == 200  # alive all the same


def test_ready_while_the_in_process_worker_runs(app: Flask, client: FlaskClient) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    worker.start()
    app.extensions[EMBEDDED_WORKER] = worker
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 200
        assert answer.json == {
            "status": "ready",
            "checks": {"database": True, "broker": True, "worker": True},
        }
    finally:
        stop.set()
        worker.join()
    assert client.get("/readyz").status_code == 503  # the thread has ended
