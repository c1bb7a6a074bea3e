"""Prometheus multi-process mode for a group of forked processes (gunicorn's workers, a Celery
worker's pool), set up before ``prometheus_client`` is first imported.

prometheus_client chooses at import whether metric values live in this process's memory or
in files under ``PROMETHEUS_MULTIPROC_DIR`` that a collector sums over every process. Without
the directory, each gunicorn worker or Celery pool process counts on its own and a scrape
sees whichever process answered — or, for a Celery worker, nothing at all. So each process
group gets a directory before anything imports the client: the one in
``PROMETHEUS_MULTIPROC_DIR`` when the operator sets it (shared by every group on a machine,
to be emptied at start), otherwise a fresh private one, removed when the group's main process
exits. This module imports nothing that imports ``prometheus_client``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def ensure_multiprocess_dir() -> Path | None:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at a directory for this process and its children.

    Returns the directory, or ``None`` when ``prometheus_client`` was already imported
    without one (too late: this process keeps counting in memory)."""
    configured = os.environ.get(ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    if "prometheus_client" in sys.modules:
        return None
    path = Path(tempfile.mkdtemp(prefix="moderation-metrics-"))
    os.environ[ENV] = str(path)
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # forked children inherit atexit handlers
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path
