"""What moderators look at: the review queue, comment search, an author's record, and
bulk actions (each item goes through :mod:`moderation.services.review`).

Queries run unchanged on SQLite and PostgreSQL; the one JSON predicate that differs (does a
decision's ``reasons`` list name a category?) is chosen by dialect in :func:`reasons_name`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import QueryableAttribute, joinedload

from moderation.extensions import db
from moderation.policy.loader import PolicySet
from moderation.services import review
from moderation.services.decisions import SHADOW_DECISION
from moderation.tables import (
    Author,
    AuthorAction,
    AuthorNote,
    Comment,
    CommentStatus,
    Site,
    Strike,
)

T = TypeVar("T")

# Queue priority = comment.risk + STRIKE_PRIORITY x (active strike weight, capped): a
# borderline comment by an author with a record comes before the same score by a newcomer.
STRIKE_PRIORITY = 0.05
STRIKE_CAP = 4.0

QueueSort = Literal["risk", "informative", "age"]
#: "Most informative first": the comments whose highest calibrated score is nearest this
#: (where the model is least sure) come first; a moderator's label there teaches the site
#: model the most (uncertainty sampling).
UNCERTAIN_AT = 0.5


def confidence(risk: float) -> float:
    """How sure the scoring is of a held comment, 0 (a coin flip) to 1."""
    return min(1.0, abs(risk - UNCERTAIN_AT) / UNCERTAIN_AT)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


@dataclass(frozen=True, slots=True)
class QueueItem:
    comment: Comment
    active_strikes: float
    priority: float


# --- expressions -----------------------------------------------------------------------


def active_strikes_expr(now: datetime) -> sa.ColumnElement[float]:
    """Active strike weight of the comment's author (a correlated scalar subquery)."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(Strike.weight), 0.0))
        .where(
            Strike.author_id == Comment.author_id,
            Strike.revoked_at.is_(None),
            Strike.expires_at > now,
        )
        .scalar_subquery()
    )


def priority_expr(strikes: sa.ColumnElement[float]) -> sa.ColumnElement[float]:
    capped = sa.case((strikes > STRIKE_CAP, STRIKE_CAP), else_=strikes)
    return Comment.risk + STRIKE_PRIORITY * capped


def reasons_name(category: str) -> sa.ColumnElement[bool]:
    """The comment's decision reasons include one for ``category``."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        probe = sa.cast(sa.literal(json.dumps([{"category": category}])), JSONB)
        return Comment.reasons.op("@>")(probe)
    if dialect == "sqlite":
        elements = sa.func.json_each(Comment.reasons).table_valued("value")
        return sa.exists().where(sa.func.json_extract(elements.c.value, "$.category") == category)
    raise NotImplementedError(f"category filter on {dialect}")


def contains(column: QueryableAttribute[Any], text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match; ``%`` and ``_`` in ``text`` match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _items(rows: Sequence[sa.Row[Comment, float, float]]) -> list[QueueItem]:
    return [QueueItem(row[0], float(row[1]), float(row[2])) for row in rows]


def _page(query: sa.Select[Comment, float, float], page: int, per_page: int) -> Page[QueueItem]:
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(_items(rows), total, page, per_page)


def _with_history(now: datetime) -> sa.Select[Comment, float, float]:
    strikes = active_strikes_expr(now)
    return sa.select(Comment, strikes, priority_expr(strikes)).options(
        joinedload(Comment.author), joinedload(Comment.site)
    )


# --- review queue ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueFilters:
    site: str | None = None
    article: str | None = None
    category: str | None = None
    language: str | None = None  # ISO 639-1 code recorded when the comment was scored
    appeals_only: bool = False
    sort: QueueSort = "risk"


def review_queue(
    filters: QueueFilters, *, now: datetime, page: int = 1, per_page: int = 25
) -> Page[QueueItem]:
    """Held comments (appealed ones included), highest priority or oldest first."""
    query = _with_history(now).where(Comment.status == CommentStatus.HELD)
    if filters.site:
        query = query.join(Site, Site.id == Comment.site_id).where(Site.name == filters.site)
    if filters.article:
        query = query.where(Comment.article_id == filters.article)
    if filters.category:
        query = query.where(reasons_name(filters.category))
    if filters.language:
        query = query.where(Comment.language == filters.language)
    if filters.appeals_only:
        query = query.where(Comment.appeal_state == "pending")
    if filters.sort == "age":
        query = query.order_by(Comment.received_at.asc(), Comment.id.asc())
    elif filters.sort == "informative":
        query = query.order_by(
            sa.func.abs(Comment.risk - UNCERTAIN_AT).asc(),
            Comment.received_at.asc(),
            Comment.id.asc(),
        )
    else:
        strikes = active_strikes_expr(now)
        query = query.order_by(
            priority_expr(strikes).desc(), Comment.received_at.asc(), Comment.id.asc()
        )
    return _page(query, page, per_page)


def queue_item(comment_id: int, *, now: datetime) -> QueueItem | None:
    row = db.session.execute(_with_history(now).where(Comment.id == comment_id)).first()
    return _items([row])[0] if row is not None else None


@dataclass(frozen=True, slots=True)
class QueueSummary:
    size: int
    appeals: int
    oldest: datetime | None


def queue_summary() -> QueueSummary:
    size, appeals, oldest = db.session.execute(
        sa.select(
            sa.func.count(Comment.id),
            sa.func.count(Comment.id).filter(Comment.appeal_state == "pending"),
            sa.func.min(Comment.received_at),
        ).where(Comment.status == CommentStatus.HELD)
    ).one()
    return QueueSummary(int(size), int(appeals), oldest)


def languages_present(*, held_only: bool = False) -> list[str]:
    """The languages recorded on comments (held ones only for the queue), sorted by code."""
    query = sa.select(Comment.language).where(Comment.language.is_not(None)).distinct()
    if held_only:
        query = query.where(Comment.status == CommentStatus.HELD)
    return sorted(str(code) for code in db.session.execute(query).scalars())


def site_names() -> list[str]:
    return list(db.session.execute(sa.select(Site.name).order_by(Site.name)).scalars())


# --- search ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchFilters:
    text: str | None = None
    author: str | None = None
    article: str | None = None
    status: str | None = None
    decided_by: Literal["policy", "moderator"] | None = None
    category: str | None = None
    language: str | None = None
    site: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive


def search_comments(
    filters: SearchFilters, *, now: datetime, page: int = 1, per_page: int = 25
) -> Page[QueueItem]:
    """Newest first."""
    query = _with_history(now)
    if filters.text:
        query = query.where(contains(Comment.text, filters.text))
    if filters.author:
        query = query.join(Author, Author.id == Comment.author_id).where(
            sa.or_(Author.external_id == filters.author, contains(Author.name, filters.author))
        )
    if filters.article:
        query = query.where(
            sa.or_(
                Comment.article_id == filters.article,
                contains(Comment.article_title, filters.article),
            )
        )
    if filters.status:
        query = query.where(Comment.status == filters.status)
    if filters.decided_by == "policy":
        query = query.where(Comment.decided_by == "policy")
    elif filters.decided_by == "moderator":
        query = query.where(Comment.decided_by.is_not(None), Comment.decided_by != "policy")
    if filters.category:
        query = query.where(reasons_name(filters.category))
    if filters.language:
        query = query.where(Comment.language == filters.language)
    if filters.site:
        query = query.join(Site, Site.id == Comment.site_id).where(Site.name == filters.site)
    if filters.since:
        query = query.where(Comment.received_at >= day_start(filters.since))
    if filters.until:
        query = query.where(Comment.received_at < day_start(filters.until + timedelta(days=1)))
    query = query.order_by(Comment.received_at.desc(), Comment.id.desc())
    return _page(query, page, per_page)


# --- authors ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    author: Author
    active_strikes: float
    strikes: list[Strike]
    actions: list[AuthorAction]
    notes: list[AuthorNote]
    comments: Page[QueueItem]


def author_record(
    author_id: int, *, now: datetime, page: int = 1, per_page: int = 25
) -> AuthorRecord | None:
    """The author with their strikes, status changes and notes (newest first) and one page
    of their comments (newest first)."""
    author = db.session.get(Author, author_id)
    if author is None:
        return None
    comments = _page(
        _with_history(now)
        .where(Comment.author_id == author_id)
        .order_by(Comment.received_at.desc(), Comment.id.desc()),
        page,
        per_page,
    )
    notes = db.session.execute(
        sa.select(AuthorNote)
        .where(AuthorNote.author_id == author_id)
        .order_by(AuthorNote.created_at.desc(), AuthorNote.id.desc())
    ).scalars()
    return AuthorRecord(
        author=author,
        active_strikes=sum(s.weight for s in author.strikes if s.active(now)),
        strikes=sorted(author.strikes, key=lambda s: (s.created_at, s.id), reverse=True),
        actions=sorted(author.actions, key=lambda a: (a.created_at, a.id), reverse=True),
        notes=list(notes),
        comments=comments,
    )


# --- bulk actions ----------------------------------------------------------------------


@dataclass(slots=True)
class BulkResult:
    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def bulk_approve(
    comment_ids: Sequence[int],
    *,
    actor: str,
    policies: PolicySet,
    now: datetime,
    seen: Mapping[int, int] | None = None,
) -> BulkResult:
    """Approve each comment in its own transaction; one that cannot be approved (already
    decided by someone else, say) is reported and leaves the others alone.

    ``seen`` maps comment ids to the version the moderator saw: a comment changed since
    then is reported as a conflict and left alone (see :func:`review.approve`).
    """
    result = BulkResult()
    seen = seen or {}
    for comment_id in dict.fromkeys(comment_ids):
        try:
            review.approve(
                comment_id,
                actor=actor,
                policies=policies,
                now=now,
                seen_version=seen.get(comment_id),
            )
        except review.ReviewError as exc:
            db.session.rollback()
            result.failed[comment_id] = str(exc)
        else:
            result.done.append(comment_id)
    return result


def bulk_reject(
    comment_ids: Sequence[int],
    *,
    reason: str,
    note: str | None,
    actor: str,
    policies: PolicySet,
    now: datetime,
    seen: Mapping[int, int] | None = None,
) -> BulkResult:
    """Like :func:`bulk_approve`, rejecting each comment with ``reason``."""
    result = BulkResult()
    seen = seen or {}
    for comment_id in dict.fromkeys(comment_ids):
        try:
            review.reject(
                comment_id,
                actor=actor,
                policies=policies,
                reason=reason,
                note=note,
                now=now,
                seen_version=seen.get(comment_id),
            )
        except review.ReviewError as exc:
            db.session.rollback()
            result.failed[comment_id] = str(exc)
        else:
            result.done.append(comment_id)
    return result


def shadow_differences(site_id: int, *, scan: int, shown: int) -> list[Comment]:
    """Of the site's ``scan`` latest decided comments, at most ``shown`` whose shadow model
    would have decided otherwise than the policy did (newest first)."""
    rows = db.session.execute(
        sa.select(Comment)
        .where(Comment.site_id == site_id, Comment.auto_decision.is_not(None))
        .order_by(Comment.decided_at.desc(), Comment.id.desc())
        .limit(scan)
    ).scalars()
    out = []
    for row in rows:
        would = (row.versions or {}).get(SHADOW_DECISION)
        if would is not None and would != row.auto_decision:
            out.append(row)
            if len(out) == shown:
                break
    return out
