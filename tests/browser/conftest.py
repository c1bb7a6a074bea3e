"""A real stack for browser tests, shared by a module: private redis-server, gunicorn, a
``celery worker -B`` (scoring, callbacks, beat) and a callback receiver standing in for the
site; plus Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support import (
    LOCAL_RECEIVER,
    ROOT,
    Process,
    Receiver,
    Services,
    make_site,
    skip_or_fail,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@dataclass
class BrowserStack:
    base_url: str
    app: Flask  # in-process, for reading and seeding the shared database
    secret: str
    receiver: Receiver
    processes: list[Process] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser_stack(
    services: Services, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserStack]:
    from moderation.app import create_app
    from moderation.extensions import db
    from moderation.services.sites import require_site
    from tests.conftest import _empty_all_tables
    from tests.support import set_callback_url

    if not os.access(CHROMIUM, os.X_OK):
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    instance = tmp_path_factory.mktemp("instance")
    local = {
        "database_url": database_url,
        "instance_path": str(instance),
        "config_dir": str(ROOT / "config"),
        "models_dir": str(ROOT / "models"),
        **LOCAL_RECEIVER,  # the receiver listens on 127.0.0.1 over http
    }
    app = create_app(local)
    app.config["TESTING"] = True
    redis = services.start_redis()
    receiver = Receiver().start()
    _, secret = make_site(app, "news")
    with app.app_context():
        set_callback_url(require_site("news"), receiver.url, actor="test")
    overrides: dict[str, Any] = {
        **local,
        "redis_url": redis.url,
        "delivery_poll_seconds": 1,
        "callback_backoff_base_seconds": 1,
    }
    stack = BrowserStack("", app, secret, receiver)
    try:
        stack.processes.append(services.start_worker(overrides, "-B"))
        web, stack.base_url = services.start_web(overrides)
        stack.processes.append(web)
        yield stack
    finally:
        for process in reversed(stack.processes):
            process.stop()
        receiver.stop()
        redis.stop()
        with app.app_context():
            _empty_all_tables(db.engine)
            db.engine.dispose()


@pytest.fixture(scope="module")
def browser(browser_stack: BrowserStack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
