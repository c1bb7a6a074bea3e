"""Issue 6 fault tests, with real processes and bounded in time:

(a) Redis stops: comments are still stored and answered 202; when Redis returns, all reach
    a decision. (b) A worker is SIGKILLed in the middle of scoring: the comment is decided
    exactly once. (c) The database becomes unreachable: 503 + Retry-After, nothing partial,
    recovery when it returns. (d) The same comment posted 20 times at once: one row, one
    scoring, one event.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.services.sites import require_site
from moderation.tables import Comment, Event
from tests.integration.test_service import post, worker_saw
from tests.support import (
    LOCAL_RECEIVER,
    Receiver,
    RedisServer,
    Services,
    TcpProxy,
    comment_payload,
    set_callback_url,
    skip_or_fail,
    wait_until,
)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """This module's receivers listen on 127.0.0.1 over http: allowed explicitly."""
    return {**settings_overrides, **LOCAL_RECEIVER}


FAST_SWEEP = {"sweep_interval_seconds": 1, "sweep_min_age_seconds": 1}


class Stack:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


def comments(app: Flask) -> list[Comment]:
    with app.app_context():
        rows = db.session.execute(sa.select(Comment).order_by(Comment.id)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def test_a_redis_outage_loses_nothing(
    app: Flask, services: Services, stack_overrides: dict[str, Any], site: tuple[str, str]
) -> None:
    overrides = {**stack_overrides, **FAST_SWEEP}
    port = int(overrides["redis_url"].rsplit(":", 1)[1].split("/")[0])
    worker = services.start_worker(overrides, "--beat")
    web, base = services.start_web(overrides)
    stack = Stack(base)
    outage = RedisServer(port)
    try:
        # Find the fixture's server by port and stop it: the broker is gone.
        import redis

        redis.Redis(port=port).shutdown(nosave=True)
        wait_until(lambda: not RedisServer(port).ping(), timeout=10, what="redis to stop")
        n = 20
        started = time.monotonic()
        codes = [
            post(
                stack, site[1], comment_payload(comment_id=f"o{i}", author={"id": f"r{i}"})
            ).status_code
            for i in range(n)
        ]
        elapsed = time.monotonic() - started
        assert codes == [202] * n
        assert elapsed < n * 3, f"intake slowed to {elapsed / n:.2f}s per comment"
        assert len(comments(app)) == n
        assert {c.status for c in comments(app)} == {"pending"}
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["checks"]["broker"] is False

        outage.start(services.log_dir)  # Redis is back (empty: the queue was lost with it)
        wait_until(
            lambda: all(c.status != "pending" for c in comments(app)),
            timeout=120,
            what="every comment decided after Redis returned",
        )
        assert all(c.score_attempts == 1 for c in comments(app))
    finally:
        web.stop()
        worker.stop()
        outage.stop()


def test_b_worker_killed_mid_scoring_decides_exactly_once(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    site: tuple[str, str],
    receiver: Receiver,
) -> None:
    with app.app_context():
        set_callback_url(require_site("news"), receiver.url, actor="test")
    overrides = {**stack_overrides, "broker_visibility_timeout": 10}
    web, base = services.start_web(overrides)
    workers = []
    try:
        response = post(Stack(base), site[1], comment_payload(comment_id="k1", text="You moron."))
        assert response.status_code == 202
        pk = response.json()["id"]
        # Hold the comment's row (SQLite: the write lock) so that the worker, once it has
        # taken the task, is stuck inside the scoring transaction when it is killed.
        with app.app_context():
            lock = db.engine.connect()
            transaction = lock.begin()
            if db.engine.dialect.name == "postgresql":
                lock.exec_driver_sql(f"SELECT id FROM comments WHERE id = {int(pk)} FOR UPDATE")
        first = services.start_worker(overrides)
        workers.append(first)
        wait_until(
            lambda: "moderation.score_comment" in first.output() and "received" in first.output(),
            timeout=30,
            what="the worker to take the task",
        )
        time.sleep(1.0)
        first.stop(signal.SIGKILL)  # the whole worker: main process and pool child
        transaction.rollback()
        lock.close()
        assert comments(app)[0].status == "pending"

        workers.append(services.start_worker(overrides))
        wait_until(
            lambda: comments(app)[0].status != "pending",
            timeout=90,
            what="the re-delivered task to decide the comment",
        )
        time.sleep(2)  # a duplicate delivery would act within this window
        (comment,) = comments(app)
        assert comment.score_attempts == 1
        assert worker_saw(first, pk) == 0
        assert worker_saw(workers[1], pk) == 1
        with app.app_context():
            decided_events = db.session.execute(
                sa.select(sa.func.count(Event.seq)).where(
                    Event.comment_id == pk, Event.type == "comment.decided"
                )
            ).scalar_one()
        assert decided_events == 1
    finally:
        web.stop()
        for worker in workers:
            worker.stop()


def test_c_database_unreachable_answers_503_and_recovers(
    app: Flask, services: Services, stack_overrides: dict[str, Any], site: tuple[str, str]
) -> None:
    url = sa.make_url(stack_overrides["database_url"])
    if url.get_backend_name() != "postgresql":
        skip_or_fail("needs a networked database (set TEST_DATABASE_URL to PostgreSQL)")
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432)).start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    overrides = {**stack_overrides, "database_url": proxied}
    web, base = services.start_web(overrides, workers=1)
    stack = Stack(base)
    try:
        assert post(stack, site[1], comment_payload(comment_id="d1")).status_code == 202
        before = len(comments(app))
        proxy.cut()
        down = post(stack, site[1], comment_payload(comment_id="d2"))
        assert down.status_code == 503, down.text
        assert down.headers["Retry-After"].isdigit()
        assert down.json()["error"]["code"] == "database_unavailable"
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 503
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        proxy.restore()
        assert len(comments(app)) == before  # nothing half-written
        again = wait_until(
            lambda: (
                (r := post(stack, site[1], comment_payload(comment_id="d2"))).status_code == 202
                and r
            ),
            timeout=30,
            what="the service to recover",
        )
        assert again.json()["status"] == "pending"
        assert [c.external_id for c in comments(app)] == ["d1", "d2"]
    finally:
        web.stop()
        proxy.cut()


def test_d_twenty_concurrent_duplicates(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    site: tuple[str, str],
    receiver: Receiver,
) -> None:
    with app.app_context():
        set_callback_url(require_site("news"), receiver.url, actor="test")
    worker = services.start_worker(stack_overrides)
    web, base = services.start_web(stack_overrides, workers=2)
    stack = Stack(base)
    try:
        payload = comment_payload(comment_id="same", text="A perfectly civil remark.")
        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(lambda _: post(stack, site[1], payload), range(20)))
        codes = sorted(r.status_code for r in responses)
        assert codes.count(202) == 1 and codes.count(200) == 19, codes
        assert len({r.json()["id"] for r in responses}) == 1
        pk = responses[0].json()["id"]
        wait_until(lambda: comments(app)[0].status != "pending", timeout=60, what="decision")
        wait_until(lambda: len(receiver.accepted) >= 1, timeout=60, what="the event")
        time.sleep(2)
        assert len(comments(app)) == 1
        assert comments(app)[0].score_attempts == 1
        assert worker_saw(worker, pk) == 1
        assert [e["type"] for e in receiver.verified_events(site[1])] == ["comment.decided"]
    finally:
        web.stop()
        worker.stop()
