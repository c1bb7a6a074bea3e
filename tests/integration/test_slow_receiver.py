"""A site whose callback receiver stalls cannot delay another site's comments (issue 10,
item 2), with the worker processes started by the Procfile's own commands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.services.sites import require_site
from moderation.tables import Comment, Event, EventStatus
from tests.integration.conftest import Stack
from tests.integration.test_service import post
from tests.support import (
    LOCAL_RECEIVER,
    Services,
    StallingReceiver,
    comment_payload,
    free_port,
    make_site,
    set_callback_url,
    wait_until,
)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """This module's receivers listen on 127.0.0.1 over http: allowed explicitly."""
    return {**settings_overrides, **LOCAL_RECEIVER}


# The receiver of the issue: 200, Content-Length: 1000, then one byte every 3 s.
TRICKLE_SECONDS = 3.0


@pytest.fixture
def stalling() -> Iterator[StallingReceiver]:
    receiver = StallingReceiver(interval=TRICKLE_SECONDS, length=1000).start()
    yield receiver
    receiver.stop()


def comment(app: Flask, site: str, external_id: str) -> Comment | None:
    with app.app_context():
        row = db.session.execute(
            sa.select(Comment).where(
                Comment.site.has(name=site), Comment.external_id == external_id
            )
        ).scalar_one_or_none()
        if row is not None:
            db.session.expunge(row)
        return row


def stalled_events(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(
            sa.select(sa.func.count(Event.seq)).where(Event.status == EventStatus.PENDING)
        ).scalar_one()


def test_a_stalling_receiver_does_not_delay_another_sites_comments(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    site: tuple[str, str],
    stalling: StallingReceiver,
) -> None:
    slow_secret = make_site(app, "slow")[1]
    with app.app_context():
        set_callback_url(require_site("slow"), stalling.url, actor="test")
    overrides = {**stack_overrides, "metrics_address": "127.0.0.1"}
    # One process of each, as small as the Procfile allows: the scoring worker must not be
    # kept free by sheer numbers.
    env = {
        "WORKER_CONCURRENCY": "1",
        "CALLBACK_CONCURRENCY": "2",
        "WORKER_METRICS_PORT": str(free_port()),
        "CALLBACKS_METRICS_PORT": str(free_port()),
    }
    processes = [
        services.start_procfile(name, overrides, env)
        for name, command in procfile_workers().items()
        if command
    ]
    web, base = services.start_web(overrides)
    stack = Stack(base, overrides, processes[0], web)
    try:
        # The slow site's comments are decided; their events go to its stalling receiver.
        for n in range(4):
            payload = comment_payload(site="slow", comment_id=f"s{n}", author={"id": f"s{n}"})
            assert post(stack, slow_secret, payload).status_code == 202
        wait_until(lambda: stalling.open >= 1, timeout=60, what="the receiver to be stalling")

        # Meanwhile another site's comments are each decided within 2 s of arriving.
        delays = []
        for n in range(5):
            payload = comment_payload(comment_id=f"n{n}", author={"id": f"r{n}"})
            assert post(stack, site[1], payload).status_code == 202
            row = wait_until(
                lambda n=n: (c := comment(app, "news", f"n{n}")) and c.decided_at and c,  # type: ignore[misc]
                timeout=30,
                what=f"news comment n{n} decided while the receiver stalls",
            )
            delays.append(row.decided_at - row.received_at)
        assert all(delay < timedelta(seconds=2) for delay in delays), delays
        # ...and all that time the slow site's deliveries were being held by its receiver.
        assert stalling.open >= 1
        assert stalled_events(app) >= 1
    finally:
        web.stop()
        for process in processes:
            process.stop()


def procfile_workers() -> dict[str, str]:
    """Every Celery worker process the Procfile starts (not the web, beat or release)."""
    from tests.support import procfile_commands

    return {
        name: command
        for name, command in procfile_commands().items()
        if " worker" in command and command.startswith("celery")
    }
