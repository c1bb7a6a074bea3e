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
