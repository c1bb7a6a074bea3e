"""Gunicorn hooks for the web processes (``gunicorn -c python:moderation.gunicorn_conf``).

* Each worker builds the scoring pipeline (rules + classifier) in a background thread right
  after it boots, so the first synchronous scoring request (Perspective, Coral) does not wait
  for the model to load. It is still built once per process and never at import.
* Metrics are summed over every worker: before the first fork the master points
  ``PROMETHEUS_MULTIPROC_DIR`` at a directory (a private one unless the operator set it; see
  :mod:`moderation.metrics_dir`), and a dead worker's metric files are retired.
* Requests gunicorn refuses before the app sees them — more than ``limit_request_fields``
  (100) headers, a header longer than ``limit_request_field_size`` (8190 bytes), a request
  line longer than ``limit_request_line`` (4094 bytes), a malformed request — are answered in
  the API's JSON error shape (``{"error": {"code", "message"}}``, e.g. ``431
  request_header_fields_too_large``) instead of gunicorn's HTML page. The limits themselves
  are gunicorn's defaults: they bound what a worker buffers before the app can refuse it.
"""

from __future__ import annotations

import json
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


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Gunicorn's ``util.write_error`` with the API's JSON error shape as the body."""
    from gunicorn import util

    code = reason.lower().replace(" ", "_") or "bad_request"
    message = f"{reason}: {mesg}" if mesg else reason
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def use_json_error_pages() -> None:
    """Make this process's gunicorn answer its own refusals in JSON (see the module doc)."""
    from gunicorn import util

    util.write_error = write_json_error


def post_worker_init(worker: Any) -> None:
    use_json_error_pages()
    app = worker.wsgi

    def warm_up() -> None:
        from moderation import configured

        try:
            with app.app_context():
                configured.warm_up()
        except Exception:  # logged; the first request will try again and report properly
            log.exception("scoring pipeline warm-up failed")

    threading.Thread(target=warm_up, name="pipeline-warm-up", daemon=True).start()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
