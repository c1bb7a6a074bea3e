"""Gunicorn hooks for the web processes (``gunicorn -c python:moderation.gunicorn_conf``).

* Each worker builds the scoring pipeline (rules + classifier) in a background thread right
  after it boots, so the first synchronous scoring request (Perspective, Coral) does not wait
  for the model to load. It is still built once per process and never at import.
* Metrics are summed over every worker: before the first fork the master points
  ``PROMETHEUS_MULTIPROC_DIR`` at a directory (a private one unless the operator set it; see
  :mod:`moderation.metrics_dir`), and a dead worker's metric files are retired.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

log = logging.getLogger(__name__)

#: Seconds an idle keep-alive connection stays open. Longer than the idle timeout of the load
#: balancer or client in front (60 s is common), so that side closes first: a server closing
#: a connection just as the client reuses it fails that request. (Gunicorn's default is 2.)
keepalive = 75


def on_starting(server: Any) -> None:
    from moderation.metrics_dir import ensure_multiprocess_dir

    if ensure_multiprocess_dir() is None:
        log.warning(
            "metrics: prometheus_client was imported before the fork; each web worker counts alone"
        )


def post_worker_init(worker: Any) -> None:
    app = worker.wsgi

    def warm_up() -> None:
        from moderation import state

        try:
            with app.app_context():
                state.pipeline()
        except Exception:  # logged; the first request will try again and report properly
            log.exception("scoring pipeline warm-up failed")

    threading.Thread(target=warm_up, name="pipeline-warm-up", daemon=True).start()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
