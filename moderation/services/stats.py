"""Aggregates for the dashboard's overview, over a bounded window of days (UTC).

Day bucketing is done by the database with a dialect-aware expression (:func:`day_bucket`)
so only one row per day and outcome crosses the wire; per-category shares read the
``reasons`` of held and rejected comments in the window and count them in Python.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from moderation.extensions import db
from moderation.scoring.types import CATEGORIES
from moderation.services.queue import QueueSummary, day_start, queue_summary
from moderation.tables import AuditEntry, Comment, CommentStatus

MAX_DAYS = 90
OUTCOMES = (
    CommentStatus.PUBLISHED,
    CommentStatus.HELD,
    CommentStatus.REJECTED,
    CommentStatus.PENDING,
)
# Reasons about the author rather than the text are counted under this pseudo-category.
STANDING = "author standing"
ACTION_KINDS = ("approved", "rejected", "sanctions", "other")
MODERATOR_ACTOR_PREFIX = "moderator:"


def day_bucket(column: Any) -> sa.ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, as the database computes it."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return sa.func.date(sa.func.timezone(sa.literal_column("'UTC'"), column))
    if dialect == "sqlite":  # stored as UTC text, 'YYYY-MM-DD HH:MM:SS...'
        return sa.func.date(column)
    raise NotImplementedError(f"day bucketing on {dialect}")


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True, slots=True)
class CategoryShare:
    category: str
    held: int
    rejected: int
    share: float  # of all decided comments in the window, 0..1


@dataclass(frozen=True, slots=True)
class Overview:
    days: list[date]
    outcomes: dict[str, list[int]]  # status -> count per day
    categories: list[CategoryShare]
    actions: dict[str, list[int]]  # kind -> moderator actions per day
    queue: QueueSummary
    total: int
    now: datetime


def window(days: int, now: datetime) -> list[date]:
    days = max(1, min(days, MAX_DAYS))
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def overview(days: int, *, now: datetime) -> Overview:
    span = window(days, now)
    start = day_start(span[0])
    index = {day: i for i, day in enumerate(span)}

    outcomes = {status: [0] * len(span) for status in OUTCOMES}
    bucket = day_bucket(Comment.received_at)
    rows = db.session.execute(
        sa.select(bucket, Comment.status, sa.func.count(Comment.id))
        .where(Comment.received_at >= start)
        .group_by(bucket, Comment.status)
    )
    for day, status, count in rows:
        i = index.get(_as_date(day))
        if i is not None and status in outcomes:
            outcomes[status][i] += count
    total = sum(sum(values) for values in outcomes.values())

    return Overview(
        days=span,
        outcomes=outcomes,
        categories=_category_shares(start, total - sum(outcomes[CommentStatus.PENDING])),
        actions=_moderator_actions(start, index),
        queue=queue_summary(),
        total=total,
        now=now,
    )


def _category_shares(start: datetime, decided: int) -> list[CategoryShare]:
    counts: dict[str, Counter[str]] = {
        CommentStatus.HELD: Counter(),
        CommentStatus.REJECTED: Counter(),
    }
    rows = db.session.execute(
        sa.select(Comment.status, Comment.reasons)
        .where(
            Comment.received_at >= start,
            Comment.status.in_((CommentStatus.HELD, CommentStatus.REJECTED)),
        )
        .execution_options(yield_per=1000)
    )
    for status, reasons in rows:
        named = set()
        for reason in reasons or []:
            if not isinstance(reason, dict):
                continue
            if reason.get("category"):
                named.add(str(reason["category"]))
            elif str(reason.get("code", "")).startswith("author_"):
                named.add(STANDING)
        counts[status].update(named)
    names = [str(c) for c in CATEGORIES] + [STANDING]
    extra = sorted(
        (set(counts[CommentStatus.HELD]) | set(counts[CommentStatus.REJECTED])) - set(names)
    )
    shares = []
    for name in names + extra:
        held = counts[CommentStatus.HELD][name]
        rejected = counts[CommentStatus.REJECTED][name]
        share = (held + rejected) / decided if decided else 0.0
        shares.append(CategoryShare(name, held, rejected, share))
    return shares


def action_kind(action: str) -> str:
    if action == "comment.approved":
        return "approved"
    if action == "comment.rejected":
        return "rejected"
    if action.startswith("author.") and action != "author.note":
        return "sanctions"
    return "other"


def _moderator_actions(start: datetime, index: dict[date, int]) -> dict[str, list[int]]:
    actions = {kind: [0] * len(index) for kind in ACTION_KINDS}
    bucket = day_bucket(AuditEntry.created_at)
    rows = db.session.execute(
        sa.select(bucket, AuditEntry.action, sa.func.count(AuditEntry.id))
        .where(
            AuditEntry.created_at >= start,
            AuditEntry.actor.startswith(MODERATOR_ACTOR_PREFIX, autoescape=True),
            sa.or_(AuditEntry.action.like("comment.%"), AuditEntry.action.like("author.%")),
        )
        .group_by(bucket, AuditEntry.action)
    )
    for day, action, count in rows:
        i = index.get(_as_date(day))
        if i is not None:
            actions[action_kind(action)][i] += count
    return actions
