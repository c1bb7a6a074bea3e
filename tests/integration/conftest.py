"""A real stack: private redis-server, a `celery worker` process and gunicorn, sharing the
session database (PostgreSQL in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from moderation.services.sites import require_site
from tests.support import Process, Receiver, Services, set_callback_url


@dataclass
class Stack:
    base_url: str
    overrides: dict[str, Any]
    worker: Process
    web: Process


@pytest.fixture
def stack(
    services: Services, stack_overrides: dict[str, Any], site: tuple[str, str]
) -> Iterator[Stack]:
    worker = services.start_worker(stack_overrides)
    web, base = services.start_web(stack_overrides)
    try:
        yield Stack(base, stack_overrides, worker, web)
    finally:
        web.stop()
        worker.stop()


@contextmanager
def notifying_stack(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    receiver: Receiver,
    **overrides: Any,
) -> Iterator[Stack]:
    """A stack whose site "news" sends its events to ``receiver``: a worker with beat (the
    outbox sweep) and one-second delivery polling and retry backoff, plus ``overrides``.
    The module must allow the receiver's 127.0.0.1 http URL (``LOCAL_RECEIVER``)."""
    with app.app_context():
        set_callback_url(require_site("news"), receiver.url, actor="test")
    settings = {
        **stack_overrides,
        "delivery_poll_seconds": 1,
        "callback_backoff_base_seconds": 1,
        **overrides,
    }
    worker = services.start_worker(settings, "--beat")
    web, base = services.start_web(settings)
    try:
        yield Stack(base, settings, worker, web)
    finally:
        web.stop()
        worker.stop()
