"""Moderator actions and appeals feed the author's record and notify the site."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import configured
from moderation.extensions import db
from moderation.policy.schema import Sanction
from moderation.services import intake, review
from moderation.tables import AuditEntry, Author, Comment, Event, Strike
from tests.services.test_decisions import ATTACK, CLEAN, T0, author_row, score, submit
from tests.support import encode, signed

HEATED = "Only a moron would believe this nonsense."


def event_types(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(Event.type).order_by(Event.seq)).scalars())


def active_strikes(app: Flask) -> int:
    with app.app_context():
        return len(
            db.session.execute(sa.select(Strike).where(Strike.revoked_at.is_(None))).scalars().all()
        )


@pytest.mark.usefixtures("site")
def test_overturning_a_rejection_removes_the_strike_and_lifts_the_watch(app: Flask) -> None:
    first = submit(app, "c1", ATTACK, T0)
    score(app, first, T0)
    score(app, submit(app, "c2", ATTACK, T0), T0)
    assert author_row(app).status == "watched"
    with app.app_context():
        review.approve(first, actor="moderator:ann", policies=configured.policies(), now=T0)
        comment = db.session.get(Comment, first)
        assert comment is not None
        assert (comment.status, comment.decision, comment.decided_by) == (
            "published",
            "publish",
            "moderator:ann",
        )
    author = author_row(app)
    assert author.status == "active"
    assert (author.published_count, author.rejected_count) == (1, 1)
    assert active_strikes(app) == 1
    assert event_types(app)[-2:] == ["author.reinstated", "comment.updated"]


@pytest.mark.usefixtures("site")
def test_rejecting_a_held_comment_strikes_and_can_block(app: Flask) -> None:
    held = submit(app, "c1", CLEAN, T0)
    score(app, held, T0)
    with app.app_context():
        db.session.execute(sa.update(Comment).values(status="held", decision="hold"))
        db.session.execute(sa.update(Author).values(held_count=1, published_count=0))
        db.session.commit()
        review.reject(
            held,
            actor="moderator:ann",
            policies=configured.policies(),
            reason="attack",
            note="targets another reader",
            sanction=Sanction.BLOCK,
            now=T0,
        )
    author = author_row(app)
    assert author.status == "blocked"
    assert author.status_by_moderator
    assert (author.held_count, author.rejected_count) == (0, 1)
    assert active_strikes(app) == 1
    assert event_types(app)[-2:] == ["comment.updated", "author.sanctioned"]
    with app.app_context():
        actions = set(db.session.execute(sa.select(AuditEntry.action)).scalars())
    assert {"comment.rejected", "author.blocked", "comment.decided"} <= actions


@pytest.mark.usefixtures("site")
def test_invalid_actions_change_nothing(app: Flask) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    with app.app_context(), pytest.raises(review.ReviewError, match="not been scored"):
        review.approve(comment_id, actor="m", policies=configured.policies(), now=T0)
    score(app, comment_id, T0)
    with app.app_context():
        with pytest.raises(review.ReviewError, match="already published"):
            review.approve(comment_id, actor="m", policies=configured.policies(), now=T0)
        with pytest.raises(review.ReviewError, match="unknown reason"):
            review.reject(
                comment_id, actor="m", policies=configured.policies(), reason="rude", now=T0
            )
    assert event_types(app) == ["comment.decided"]


def appeal(client: FlaskClient, secret: str, comment_id: str, message: str | None) -> object:
    body = encode({"message": message}) if message is not None else b""
    return client.post(
        f"/api/v1/comments/news/{comment_id}/appeal", data=body, headers=signed(secret, body)
    )


def test_appeal_round_trip(app: Flask, client: FlaskClient, site: tuple[str, str]) -> None:
    rejected = submit(app, "c1", ATTACK, T0)
    score(app, rejected, T0)
    response = appeal(client, site[1], "c1", "I was quoting someone else.")
    assert response.status_code == 200, response.json  # type: ignore[attr-defined]
    body = response.json  # type: ignore[attr-defined]
    assert body["status"] == "held"
    assert body["appeal"]["state"] == "pending"
    again = appeal(client, site[1], "c1", None)
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert again.json["error"]["code"] == "appeal_not_allowed"  # type: ignore[attr-defined]
    with app.app_context():
        review.approve(rejected, actor="moderator:ann", policies=configured.policies(), now=T0)
        comment = db.session.get(Comment, rejected)
        assert comment is not None
        assert (comment.status, comment.appeal_state) == ("published", "overturned")
        assert comment.appeal_message == "I was quoting someone else."
    assert event_types(app)[-1] == "comment.appeal_resolved"
    assert active_strikes(app) == 0


def test_appeal_rules(app: Flask, client: FlaskClient, site: tuple[str, str]) -> None:
    score(app, submit(app, "c1", CLEAN, T0), T0)
    assert appeal(client, site[1], "c1", None).status_code == 409  # type: ignore[attr-defined]
    assert appeal(client, site[1], "nope", None).status_code == 404  # type: ignore[attr-defined]
    unsigned = client.post("/api/v1/comments/news/c1/appeal")
    assert unsigned.status_code == 401
    score(app, submit(app, "c2", ATTACK, T0), T0)
    bad = appeal(client, site[1], "c2", "x" * 2001)
    assert bad.status_code == 400  # type: ignore[attr-defined]
    with app.app_context():
        comment = db.session.execute(
            sa.select(Comment).where(Comment.external_id == "c2")
        ).scalar_one()
        assert comment.appeal_state is None and comment.status == "rejected"


@pytest.mark.usefixtures("site")
def test_upheld_appeal(app: Flask, client: FlaskClient, site: tuple[str, str]) -> None:
    rejected = submit(app, "c1", HEATED + " You f*cking idiot.", T0)
    score(app, rejected, T0)
    with app.app_context():
        comment = db.session.get(Comment, rejected)
        assert comment is not None and comment.status == "rejected"
    appeal(client, site[1], "c1", None)
    with app.app_context():
        review.reject(
            rejected, actor="moderator:bo", policies=configured.policies(), reason="attack", now=T0
        )
        comment = db.session.get(Comment, rejected)
        assert comment is not None
        assert (comment.status, comment.appeal_state) == ("rejected", "upheld")
    assert active_strikes(app) == 1  # the original strike stands; no second one
    assert event_types(app)[-1] == "comment.appeal_resolved"


def _race(app: Flask, *actions: Callable[[], object]) -> list[object]:
    """Run each action in its own thread, app context and database session, released at
    the same moment; returns what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = action()
            except review.ReviewError as exc:
                db.session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _audited(app: Flask, prefix: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(AuditEntry.action).where(AuditEntry.action.startswith(prefix))
            ).scalars()
        )


@pytest.mark.usefixtures("site")
def test_two_moderators_deciding_one_appeal_at_once_one_wins(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    rejected = submit(app, "c1", ATTACK, T0)
    score(app, rejected, T0)
    appeal(client, site[1], "c1", "I was quoting someone else.")
    with app.app_context():
        comment = db.session.get(Comment, rejected)
        assert comment is not None
        seen = comment.version  # what both moderators' cards show
    before = event_types(app)
    policies = app.extensions["moderation.policies"]
    results = _race(
        app,
        lambda: review.approve(
            rejected, actor="moderator:ann", policies=policies, now=T0, seen_version=seen
        ),
        lambda: review.reject(
            rejected,
            actor="moderator:bo",
            policies=policies,
            reason="attack",
            now=T0,
            seen_version=seen,
        ),
    )
    conflicts = [r for r in results if isinstance(r, review.ConflictError)]
    assert len(conflicts) == 1, results
    winner = "moderator:bo" if isinstance(results[0], review.ConflictError) else "moderator:ann"
    assert f"already decided by {winner} at 2026-11-01 12:00 UTC" in str(conflicts[0])
    # exactly one outcome reached the site, the database and the audit log
    assert event_types(app)[len(before) :].count("comment.appeal_resolved") == 1
    assert "comment.updated" not in event_types(app)[len(before) :]
    assert len(_audited(app, "comment.approved") + _audited(app, "comment.rejected")) == 1
    with app.app_context():
        comment = db.session.get(Comment, rejected)
        assert comment is not None
        assert (comment.decided_by, comment.version) == (winner, seen + 1)
        expected = (
            ("published", "overturned") if winner == "moderator:ann" else ("rejected", "upheld")
        )
        assert (comment.status, comment.appeal_state) == expected
    assert active_strikes(app) == (0 if winner == "moderator:ann" else 1)


@pytest.mark.usefixtures("site")
def test_a_stale_view_is_refused_and_emits_nothing(app: Flask) -> None:
    held = submit(app, "c1", CLEAN, T0)
    score(app, held, T0)
    with app.app_context():
        db.session.execute(sa.update(Comment).values(status="held", decision="hold"))
        db.session.commit()
        policies = configured.policies()
        review.approve(held, actor="moderator:ann", policies=policies, now=T0, seen_version=0)
        before = (event_types(app), _audited(app, "comment."))
        with pytest.raises(review.ConflictError, match="already decided by moderator:ann"):
            review.reject(
                held, actor="moderator:bo", policies=policies, reason="spam", now=T0, seen_version=0
            )
        db.session.rollback()
    assert (event_types(app), _audited(app, "comment.")) == before
    assert active_strikes(app) == 0


def test_an_appeal_racing_a_moderator_is_refused(
    app: Flask, client: FlaskClient, site: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API read the comment as rejected; a moderator's overturn lands before the appeal
    is written: the appeal gets 409 naming the moderator, and writes nothing."""
    rejected = submit(app, "c1", ATTACK, T0)
    score(app, rejected, T0)
    real_find = intake.find_comment

    def find_then_overturn(*args: Any, **kwargs: Any) -> Comment | None:
        comment = real_find(*args, **kwargs)
        assert comment is not None
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == comment.id)
            .values(
                status="published",
                decided_by="moderator:ann",
                decided_at=T0,
                version=Comment.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return comment

    monkeypatch.setattr(intake, "find_comment", find_then_overturn)
    response = appeal(client, site[1], "c1", "please")
    assert response.status_code == 409  # type: ignore[attr-defined]
    message = response.json["error"]["message"]  # type: ignore[attr-defined]
    assert "already decided by moderator:ann at 2026-11-01 12:00 UTC" in message
    assert _audited(app, "comment.appealed") == []
