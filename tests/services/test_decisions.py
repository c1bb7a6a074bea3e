"""Scoring a stored comment: decisions, strikes and the ladder, against the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation import configured
from moderation.extensions import db
from moderation.schemas import CommentIn
from moderation.services import decisions, intake
from moderation.services.sites import require_site
from moderation.tables import Author, AuthorAction, Comment, Strike
from tests.support import comment_payload

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ATTACK = "You are a pathetic moron and a f*cking idiot."
CLEAN = "I disagree with the council's budget, but thanks for explaining it so clearly."


def submit(app: Flask, comment_id: str, text: str, now: datetime, author: str = "u1") -> int:
    with app.app_context():
        payload = CommentIn.model_validate(
            comment_payload(comment_id=comment_id, text=text, author={"id": author})
        )
        stored = intake.store_comment(
            require_site("news"), payload, now, policy_version=configured.policies().default.version
        )
        assert stored.created
        return stored.id


def score(app: Flask, comment_id: int, now: datetime) -> decisions.ScoreOutcome:
    with app.app_context():
        return decisions.score_comment(
            comment_id, pipeline=configured.pipeline(), policies=configured.policies(), now=now
        )


def author_row(app: Flask, external_id: str = "u1") -> Author:
    with app.app_context():
        author = db.session.execute(
            sa.select(Author).where(Author.external_id == external_id)
        ).scalar_one()
        db.session.expunge(author)
        return author


@pytest.mark.usefixtures("site")
def test_clean_comment_is_published(app: Flask) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    assert score(app, comment_id, T0) is decisions.ScoreOutcome.DECIDED
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        assert (comment.status, comment.decision, comment.decided_by) == (
            "published",
            "publish",
            "policy",
        )
        assert set(comment.scores) == {"profanity", "attack", "threat", "hate", "spam"}
        assert "rules" in comment.versions
        assert comment.policy_version == configured.policies().default.version
    assert author_row(app).published_count == 1


@pytest.mark.usefixtures("site")
def test_profane_attack_is_rejected_with_spans_and_a_strike(app: Flask) -> None:
    comment_id = submit(app, "c1", ATTACK, T0)
    score(app, comment_id, T0)
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        assert comment.decision == "reject"
        spans = {ATTACK[m["start"] : m["end"]] for m in comment.matches}
        assert "f*cking" in spans
        strikes = db.session.execute(sa.select(Strike)).scalars().all()
        assert len(strikes) == 1
        assert strikes[0].comment_id == comment_id
        assert strikes[0].expires_at == T0 + timedelta(days=30)


@pytest.mark.usefixtures("site")
def test_scoring_twice_changes_nothing(app: Flask) -> None:
    comment_id = submit(app, "c1", ATTACK, T0)
    assert score(app, comment_id, T0) is decisions.ScoreOutcome.DECIDED
    assert score(app, comment_id, T0) is decisions.ScoreOutcome.ALREADY_DECIDED
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Strike.id))).scalar_one() == 1
        comment = db.session.get(Comment, comment_id)
        assert comment is not None and comment.score_attempts == 1
    assert author_row(app).rejected_count == 1
    assert score(app, 999_999, T0) is decisions.ScoreOutcome.MISSING


@pytest.mark.usefixtures("site")
def test_repeat_offender_climbs_the_default_ladder(app: Flask) -> None:
    """Default policy: 2 strikes watch, 3 suspend for 7 days, 5 block."""
    now = T0
    statuses = []
    for n in range(1, 6):
        comment_id = submit(app, f"c{n}", ATTACK, now)
        score(app, comment_id, now)
        statuses.append(author_row(app).status)
        if statuses[-1] == "suspended":
            now = now + timedelta(days=8)  # serve the suspension, then offend again
    assert statuses == ["active", "watched", "suspended", "suspended", "blocked"]
    with app.app_context():
        actions = db.session.execute(sa.select(AuthorAction).order_by(AuthorAction.id)).scalars()
        trail = [(a.from_status, a.to_status, a.actor) for a in actions]
    # A served suspension first lapses to probation (watched), then the new strike acts.
    assert trail == [
        ("active", "watched", "policy"),
        ("watched", "suspended", "policy"),
        ("suspended", "watched", "policy"),
        ("watched", "suspended", "policy"),
        ("suspended", "watched", "policy"),
        ("watched", "blocked", "policy"),
    ]


@pytest.mark.usefixtures("site")
def test_watched_author_is_held_and_strikes_expire(app: Flask) -> None:
    for n in (1, 2):
        score(app, submit(app, f"c{n}", ATTACK, T0), T0)
    assert author_row(app).status == "watched"
    held = submit(app, "c3", CLEAN, T0 + timedelta(days=1))
    score(app, held, T0 + timedelta(days=1))
    with app.app_context():
        comment = db.session.get(Comment, held)
        assert comment is not None
        assert comment.decision == "hold"
        assert comment.reasons[0]["code"] == "author_watched"
    # 31 days later both strikes have expired: the automatic watch lapses.
    later = T0 + timedelta(days=31)
    score(app, submit(app, "c4", CLEAN, later), later)
    author = author_row(app)
    assert author.status == "active"
    with app.app_context():
        comment = db.session.execute(
            sa.select(Comment).where(Comment.external_id == "c4")
        ).scalar_one()
        assert comment.decision == "publish"


@pytest.mark.usefixtures("site")
def test_decided_at_is_when_the_decision_was_made(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's task stamps the decision after scoring, not when the task started."""
    from moderation import tasks

    clock = [T0]
    real = configured.pipeline(app)

    class SlowPipeline:
        """Scoring that takes five (simulated) seconds."""

        def score_batch(self, texts: list[str], **kwargs: Any) -> Any:
            clock[0] += timedelta(seconds=5)
            return real.score_batch(texts, **kwargs)

        def __getattr__(self, name: str) -> Any:  # the rest of the pipeline, unchanged
            return getattr(real, name)

    comment_id = submit(app, "c1", CLEAN, T0)
    for module in (tasks, decisions):  # wherever the clock is read
        monkeypatch.setattr(module, "utcnow", lambda: clock[0], raising=False)
    monkeypatch.setattr(configured, "pipeline", lambda app=None: SlowPipeline())
    with app.app_context():
        assert tasks.score_comment(comment_id) == "decided"
        comment = db.session.get(Comment, comment_id)
        assert comment is not None and comment.decided_at is not None
        assert comment.decided_at.replace(tzinfo=UTC) == T0 + timedelta(seconds=5)
