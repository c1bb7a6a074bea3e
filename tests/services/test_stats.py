"""Overview aggregates: day buckets in UTC, shares by category, moderator actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from moderation.extensions import db
from moderation.services import audit, stats
from tests.dashboard.seed import add_comment

NOW = datetime(2026, 11, 10, 0, 30, tzinfo=UTC)


@pytest.mark.usefixtures("site")
def test_overview_counts_by_utc_day_outcome_and_category(app: Flask) -> None:
    add_comment(app, "a", "x", status="published", received_at=NOW - timedelta(minutes=10))
    add_comment(app, "b", "x", status="held", received_at=NOW - timedelta(minutes=40))  # yesterday
    add_comment(
        app,
        "c",
        "x",
        status="rejected",
        received_at=NOW - timedelta(days=2),
        reasons=[
            {"code": "category_score", "outcome": "reject", "category": "spam"},
            {"code": "category_score", "outcome": "hold", "category": "attack"},
        ],
    )
    add_comment(
        app,
        "d",
        "x",
        status="held",
        received_at=NOW - timedelta(days=1, hours=1),
        reasons=[{"code": "author_watched", "outcome": "hold"}],
    )
    add_comment(app, "old", "x", status="rejected", received_at=NOW - timedelta(days=30))
    with app.app_context():
        audit.record("moderator:ann", "comment.approved", now=NOW - timedelta(minutes=5))
        audit.record("moderator:ann", "author.blocked", now=NOW - timedelta(minutes=5))
        audit.record("moderator:ann", "auth.login", now=NOW - timedelta(minutes=5))
        audit.record("policy", "comment.decided", now=NOW - timedelta(minutes=5))
        db.session.commit()
        data = stats.overview(3, now=NOW)
    assert [d.isoformat() for d in data.days] == ["2026-11-08", "2026-11-09", "2026-11-10"]
    assert data.outcomes["published"] == [0, 0, 1]
    assert data.outcomes["held"] == [1, 1, 0]  # 23:30 and 23:50 on different days
    assert data.outcomes["rejected"] == [1, 0, 0]
    assert data.total == 4
    shares = {row.category: row for row in data.categories}
    assert (shares["spam"].rejected, shares["attack"].held, shares["attack"].rejected) == (1, 1, 1)
    assert shares["author standing"].held == 1
    assert shares["spam"].share == pytest.approx(1 / 4)
    assert data.actions["approved"] == [0, 0, 1]
    assert data.actions["sanctions"] == [0, 0, 1]
    assert sum(data.actions["other"]) == 0  # logins and the policy's decisions are not counted
    assert data.queue.size == 2
