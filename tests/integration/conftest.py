"""A real stack: private redis-server, a `celery worker` process and gunicorn, sharing the
session database (PostgreSQL in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import Process, Services


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
