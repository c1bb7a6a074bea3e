"""A burst through the real webhook, decided in batches by the Procfile's scoring worker
(prefork, two processes, celery-batches): every comment decided once, with its events, and
an author's strikes acting between comments of the same batch."""

from __future__ import annotations

import json
import threading
from typing import Any

import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.tables import Author, Comment, Event
from tests.integration.conftest import Stack
from tests.integration.test_service import post, worker_saw
from tests.support import Process, Services, comment_payload, free_port, wait_until

ATTACK = "You are a pathetic moron and a f*cking idiot."
CLEAN = "I disagree with the council's budget, but thanks for explaining it so clearly."
AUTHORS = 10
PER_AUTHOR = 8  # the default policy allows an author 8 comments a minute


def batch_sizes(worker: Process) -> list[int]:
    """The size of every batch the worker decided (from its JSON log lines)."""
    sizes = []
    for line in worker.output().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("message") == "scoring batch finished":
                sizes.append(entry["comments"])
    return sizes


def test_a_burst_is_decided_in_batches_each_comment_once_with_its_events(
    app: Flask, services: Services, stack_overrides: dict[str, Any], site: tuple[str, str]
) -> None:
    web, base = services.start_web(stack_overrides)
    stack = Stack(base, stack_overrides, web, web)
    processes: list[Process] = [web]
    try:
        # The burst arrives while no worker runs: a backlog, as after a spike or a restart.
        # Author a0 offends at its 1st, 3rd and 5th comment: watched, then suspended.
        def author(n: int) -> None:
            for i in range(PER_AUTHOR):
                text = ATTACK if n == 0 and i in (0, 2, 4) else CLEAN
                payload = comment_payload(comment_id=f"a{n}-{i}", text=text, author={"id": f"a{n}"})
                assert post(stack, site[1], payload).status_code == 202

        threads = [threading.Thread(target=author, args=(n,)) for n in range(AUTHORS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = AUTHORS * PER_AUTHOR

        worker = services.start_procfile(
            "worker",
            stack_overrides,
            {"WORKER_CONCURRENCY": "2", "WORKER_METRICS_PORT": str(free_port())},
        )
        processes.append(worker)

        def all_decided() -> bool:
            with app.app_context():
                return (
                    db.session.execute(
                        sa.select(sa.func.count(Comment.id)).where(Comment.status != "pending")
                    ).scalar_one()
                    == total
                )

        wait_until(all_decided, timeout=120, what="every comment of the burst to be decided")
        sizes = batch_sizes(worker)
        assert sum(sizes) == total
        assert max(sizes) > 1  # decided in batches, not one by one

        with app.app_context():
            rows = db.session.execute(sa.select(Comment).order_by(Comment.id)).scalars().all()
            assert [c.score_attempts for c in rows] == [1] * total
            for comment in rows:
                assert worker_saw(worker, comment.id) == 1
            decided_events = db.session.execute(
                sa.select(Event.comment_id).where(Event.type == "comment.decided")
            ).scalars()
            assert sorted(decided_events) == [c.id for c in rows]

            by_external = {c.external_id: c for c in rows}
            offender = db.session.execute(
                sa.select(Author).where(Author.external_id == "a0")
            ).scalar_one()
            assert offender.status == "suspended"
            decisions = [by_external[f"a0-{i}"].decision for i in range(PER_AUTHOR)]
            # watched after the 2nd strike (a0-2): held; suspended after the 3rd: rejected.
            assert decisions[:5] == ["reject", "publish", "reject", "hold", "reject"]
            assert set(decisions[5:]) == {"reject"}
            # Each sanction event follows the decision that caused it, in the author's order.
            trail = [
                (e.type, e.comment_id)
                for e in db.session.execute(
                    sa.select(Event)
                    .where(
                        sa.or_(
                            Event.author_id == offender.id,
                            Event.comment_id.in_([by_external[f"a0-{i}"].id for i in range(5)]),
                        ),
                        Event.type.in_(["comment.decided", "author.sanctioned"]),
                    )
                    .order_by(Event.seq)
                ).scalars()
            ]
            ids = [by_external[f"a0-{i}"].id for i in range(5)]
            sanctioned = [n for n, (kind, _) in enumerate(trail) if kind == "author.sanctioned"]
            assert len(sanctioned) == 2
            assert trail.index(("comment.decided", ids[2])) < sanctioned[0]
            assert trail.index(("comment.decided", ids[4])) < sanctioned[1]
            others = db.session.execute(
                sa.select(Author.published_count).where(Author.external_id != "a0")
            ).scalars()
            assert set(others) == {PER_AUTHOR}
    finally:
        for process in processes:
            process.stop()
