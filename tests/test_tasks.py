"""The Celery tasks' own handling, called in-process against the real database."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from celery.exceptions import SoftTimeLimitExceeded
from flask import Flask

from moderation import tasks
from moderation.extensions import db
from moderation.scoring.pipeline import Pipeline
from moderation.services import decisions
from moderation.tables import AuditEntry, Author, Comment
from tests.services.test_decisions import T0, score, submit


def test_scoring_has_a_time_limit() -> None:
    assert tasks.score_comment.soft_time_limit == tasks.SCORE_SOFT_TIME_LIMIT
    assert tasks.score_comment.time_limit == tasks.SCORE_TIME_LIMIT
    assert tasks.SCORE_SOFT_TIME_LIMIT < tasks.SCORE_TIME_LIMIT


@pytest.mark.usefixtures("site")
def test_a_comment_past_the_soft_time_limit_is_held_for_review(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    comment_id = submit(app, "c1", "f.u." * 700, T0)

    def too_slow(
        self: Pipeline,
        texts: Any,
        explain_above: Any = None,
        *,
        site: str | None = None,
        allow: Any = None,
    ) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(Pipeline, "score_batch", too_slow)
    with app.app_context():
        assert tasks.score_comment(comment_id) == "decided"
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        assert (comment.status, comment.decision, comment.decided_by) == ("held", "hold", "policy")
        assert comment.reasons == [{"code": "scoring_time_limit", "outcome": "hold"}]
        assert comment.decided_at is not None
        author = db.session.get(Author, comment.author_id)
        assert author is not None
        assert (author.held_count, author.status) == (1, "active")
        audited = db.session.execute(
            sa.select(AuditEntry.action).where(AuditEntry.target_id == "c1")
        ).scalars()
        assert "comment.decided" in list(audited)


@pytest.mark.usefixtures("site")
def test_holding_unscored_leaves_a_decided_comment_alone(app: Flask) -> None:
    comment_id = submit(app, "c1", "Thanks for the clear explanation.", T0)
    assert score(app, comment_id, T0) is decisions.ScoreOutcome.DECIDED
    with app.app_context():
        assert decisions.hold_unscored(comment_id, now=T0) is decisions.ScoreOutcome.ALREADY_DECIDED
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        assert comment.status == "published"


# --- the batch task: its wiring and its failures ------------------------------------------


class Message:
    """What the batch task reads of a buffered message (celery-batches' SimpleRequest): one
    comment id, or the list of ids the intake's publisher sends."""

    def __init__(self, comment_id: int | list[int]) -> None:
        self.args = (comment_id,)


def test_batch_size_and_wait_come_from_the_settings(app: Flask) -> None:
    from moderation.app import create_app

    tuned = create_app(
        {
            "database_url": app.config["SQLALCHEMY_DATABASE_URI"],
            "scoring_batch_size": 7,
            "scoring_batch_wait_ms": 120,
        }
    )
    celery = tuned.extensions["celery"]
    task = celery.tasks[tasks.SCORE_BATCH_TASK]
    assert (task.flush_every, task.flush_interval) == (7, 0.12)
    assert task.acks_late and task.soft_time_limit == tasks.SCORE_SOFT_TIME_LIMIT
    # Enough messages may be reserved to fill a batch per process and collect the next.
    assert celery.conf.worker_prefetch_multiplier == 14
    assert "moderation.score_comment" in celery.tasks  # messages queued before an upgrade


@pytest.fixture
def handed_on(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The comments the batch task hands to ``score_comment`` (not published)."""
    published: list[int] = []

    def publish(comment_id: int) -> bool:
        published.append(comment_id)
        return True

    monkeypatch.setattr(tasks, "_enqueue_one", publish)
    return published


@pytest.mark.usefixtures("site")
def test_a_batch_decides_its_comments(app: Flask, handed_on: list[int]) -> None:
    ids = [submit(app, f"c{n}", "Thanks for the clear explanation.", T0) for n in range(3)]
    with app.app_context():
        assert tasks.score_comments([Message(i) for i in [*ids, ids[0]]]) == "3 of 3 decided"
        statuses = db.session.execute(sa.select(Comment.status)).scalars().all()
    assert statuses == ["published"] * 3
    assert handed_on == []


@pytest.mark.usefixtures("site")
def test_messages_of_many_ids_are_decided_in_transactions_of_a_batch(
    app: Flask, handed_on: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [submit(app, f"c{n}", "Thanks for the clear explanation.", T0) for n in range(7)]
    transactions: list[list[int]] = []
    decide = decisions.score_comments

    def recorded(chunk: list[int], **kwargs: Any) -> dict[int, decisions.ScoreOutcome]:
        transactions.append(list(chunk))
        return decide(chunk, **kwargs)

    monkeypatch.setattr(decisions, "score_comments", recorded)
    with app.app_context():
        app.extensions["moderation.settings"] = app.extensions["moderation.settings"].model_copy(
            update={"scoring_batch_size": 3}
        )
        messages = [Message(ids[:4]), Message(ids[4]), Message([*ids[5:], ids[0]])]
        assert tasks.score_comments(messages) == "7 of 7 decided"
        statuses = db.session.execute(sa.select(Comment.status)).scalars().all()
    assert transactions == [ids[:3], ids[3:6], [ids[6], ids[0]]]
    assert statuses == ["published"] * 7
    assert handed_on == []


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize(
    "failure",
    [sa.exc.OperationalError("SELECT", {}, Exception("server closed")), SoftTimeLimitExceeded()],
    ids=["database error", "soft time limit"],
)
def test_a_failed_batch_rolls_back_and_hands_its_pending_comments_on(
    app: Flask, monkeypatch: pytest.MonkeyPatch, handed_on: list[int], failure: BaseException
) -> None:
    decided = submit(app, "c0", "Thanks for the clear explanation.", T0)
    assert score(app, decided, T0) is decisions.ScoreOutcome.DECIDED
    pending = [submit(app, f"c{n}", "Thanks for the clear explanation.", T0) for n in (1, 2)]
    real = Pipeline.score_batch

    def fail_midway(self: Pipeline, texts: Any, *args: Any, **kwargs: Any) -> Any:
        real(self, texts, *args, **kwargs)
        db.session.execute(sa.update(Comment).values(language="xx"))  # must be rolled back
        raise failure

    monkeypatch.setattr(Pipeline, "score_batch", fail_midway)
    with app.app_context():
        tasks.score_comments([Message(i) for i in [decided, *pending]])
    assert sorted(handed_on) == pending  # the decided one is not handed on
    with app.app_context():
        rows = db.session.execute(sa.select(Comment).order_by(Comment.id)).scalars().all()
        assert [c.status for c in rows] == ["published", "pending", "pending"]
        assert "xx" not in {c.language for c in rows}
        assert [c.score_attempts for c in rows] == [1, 0, 0]


@pytest.mark.usefixtures("site")
def test_a_comment_locked_elsewhere_is_handed_on(
    app: Flask, monkeypatch: pytest.MonkeyPatch, handed_on: list[int]
) -> None:
    ids = [submit(app, f"c{n}", "Thanks for the clear explanation.", T0) for n in (1, 2)]

    def one_locked(comment_ids: Any, **_: Any) -> dict[int, decisions.ScoreOutcome]:
        return {ids[0]: decisions.ScoreOutcome.DECIDED, ids[1]: decisions.ScoreOutcome.LOCKED}

    monkeypatch.setattr(decisions, "score_comments", one_locked)
    with app.app_context():
        assert tasks.score_comments([Message(i) for i in ids]) == "1 of 2 decided"
    assert handed_on == [ids[1]]


class Delivered:
    """A received message as celery-batches' flush sees it (a worker's Request)."""

    def __init__(self, comment_id: int) -> None:
        self.id = f"task-{comment_id}"
        self.name = tasks.SCORE_BATCH_TASK
        self._payload = ((comment_id,), {}, {})
        self.delivery_info: dict[str, Any] = {}
        self.hostname = "test"
        self.reply_to = self.correlation_id = None
        self.request_dict: dict[str, Any] = {}
        self.task = tasks.score_comments
        self.acknowledged = False

    def acknowledge(self) -> None:
        self.acknowledged = True


class Pool:
    """Records what the batch task hands the worker's pool."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}

    def apply_async(self, target: Any, args: Any, **options: Any) -> None:
        self.options = options


def test_a_batch_is_acknowledged_after_it_returned_and_handed_on_when_its_process_died(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        task = app.extensions["celery"].tasks[tasks.SCORE_BATCH_TASK]
    pool = Pool()
    monkeypatch.setattr(task, "_pool", pool, raising=False)
    published: list[int] = []
    broker_up = [True]

    def publish(comment_id: int) -> bool:
        if broker_up[0]:
            published.append(comment_id)
        return broker_up[0]

    monkeypatch.setattr(tasks, "_enqueue_one", publish)

    returned = [Delivered(1), Delivered(2)]
    task.flush(returned)
    # The pool enforces one scoring's time limits on the whole batch.
    assert (pool.options["soft_timeout"], pool.options["timeout"]) == (
        tasks.SCORE_SOFT_TIME_LIMIT,
        tasks.SCORE_TIME_LIMIT,
    )
    pool.options["accept_callback"](123, 0.0)
    assert not any(r.acknowledged for r in returned)  # acks_late: not when taken
    pool.options["callback"]("2 of 2 decided")
    assert all(r.acknowledged for r in returned)
    assert published == []

    lost = [Delivered(3), Delivered(4)]
    task.flush(lost)
    pool.options["error_callback"](RuntimeError("Worker exited prematurely: signal 9"))
    assert published == [3, 4]  # each comment to its own task, then acknowledged
    assert all(r.acknowledged for r in lost)

    unsent = [Delivered(5)]
    task.flush(unsent)
    broker_up[0] = False
    pool.options["error_callback"](RuntimeError("Worker exited prematurely: signal 9"))
    assert not unsent[0].acknowledged  # left for re-delivery after the visibility timeout
