"""Structured JSON logging, configured once per process by the app factory.

Each line is one JSON object with ``time``, ``level``, ``logger``, ``message`` and any
``extra=`` fields (``comment_id``, ``author_id``…); inside a Celery task ``task_id`` and
``task`` are added automatically. Secrets and full comment texts are never passed to the
logger by this package, and :class:`RedactingFilter` masks anything that looks like a
signature or key in third-party messages.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_HANDLER_NAME = "moderation-json"
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_SECRETISH = re.compile(r"(sha256=)[0-9a-fA-F]{16,}|\b[0-9a-fA-F]{48,}\b")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TaskContextFilter(logging.Filter):
    """Adds the current Celery task's id and name to records logged inside a task."""

    def filter(self, record: logging.LogRecord) -> bool:
        from celery import current_task

        task = current_task
        if task and getattr(task, "request", None) is not None and task.request.id:
            record.task_id = task.request.id
            record.task = task.name
        return True


class RedactingFilter(logging.Filter):
    """Masks hex strings long enough to be a secret or signature."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRETISH.sub(lambda m: (m.group(1) or "") + "[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str) -> None:
    """Install the JSON handler on the root logger once; later calls only set the level."""
    root = logging.getLogger()
    root.setLevel(level)
    if any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(TaskContextFilter())
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
