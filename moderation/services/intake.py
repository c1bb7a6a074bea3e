"""Storing an incoming comment: idempotent per (site, comment_id), one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from moderation.extensions import db
from moderation.policy.decide import AuthorContext, AuthorStatus, Outcome, Reason
from moderation.schemas import AuthorIn, CommentIn
from moderation.services.sites import SiteLike
from moderation.tables import Author, Comment, CommentStatus

POLICY_ACTOR = "policy"


def find_comment(site: SiteLike, external_id: str) -> Comment | None:
    return db.session.execute(
        sa.select(Comment).where(Comment.site_id == site.id, Comment.external_id == external_id)
    ).scalar_one_or_none()


def _insert(model: type[Author] | type[Comment]) -> Any:
    """An INSERT that supports ``ON CONFLICT`` on this session's database."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"unsupported database: {dialect}")  # pragma: no cover


def upsert_author(site_id: int, author_in: AuthorIn, now: datetime) -> Author:
    """Create or touch the author and count the new comment, in one statement."""
    stmt = _insert(Author).values(
        site_id=site_id,
        external_id=author_in.id,
        name=author_in.name,
        status=AuthorStatus.ACTIVE.value,
        status_by_moderator=False,
        comments_count=1,
        published_count=0,
        held_count=0,
        rejected_count=0,
        first_seen_at=now,
        last_seen_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Author.site_id, Author.external_id],
        set_={
            "last_seen_at": stmt.excluded.last_seen_at,
            "name": sa.func.coalesce(stmt.excluded.name, Author.name),
            "comments_count": Author.comments_count + 1,
        },
    ).returning(Author)
    author: Author = db.session.execute(
        sa.select(Author).from_statement(stmt), execution_options={"populate_existing": True}
    ).scalar_one()
    return author


def store_comment(
    site: SiteLike, payload: CommentIn, now: datetime, *, policy_version: str
) -> tuple[Comment, bool]:
    """Store ``payload`` and commit. Returns ``(comment, created)``.

    A repeat of a stored (site, comment_id) returns the stored comment untouched with
    ``created=False``, also when two requests race (the unique key decides; the loser's
    transaction is rolled back whole). A comment by a blocked or suspended author is stored
    already rejected; every other new comment is ``pending``. Three statements in the common
    case: the author upsert, the comment insert, the commit.
    """
    author = upsert_author(site.id, payload.author, now)
    refusal: Reason | None = None
    standing = AuthorContext(status=AuthorStatus(author.status), status_until=author.status_until)
    status = standing.effective_status(now)
    if status is AuthorStatus.BLOCKED:
        refusal = Reason("author_blocked", Outcome.REJECT)
    elif status is AuthorStatus.SUSPENDED:
        refusal = Reason("author_suspended", Outcome.REJECT, until=author.status_until)
    values: dict[str, Any] = {
        "site_id": site.id,
        "external_id": payload.comment_id,
        "author_id": author.id,
        "article_id": payload.article.id,
        "article_url": payload.article.url,
        "article_title": payload.article.title,
        "parent_id": payload.parent_id,
        "text": payload.text,
        "posted_at": payload.posted_at,
        "received_at": now,
        "status": CommentStatus.PENDING,
    }
    if refusal is not None:
        values.update(
            status=CommentStatus.REJECTED,
            decision=Outcome.REJECT.value,
            auto_decision=Outcome.REJECT.value,
            reasons=[refusal.to_dict()],
            decided_at=now,
            decided_by=POLICY_ACTOR,
            policy_version=policy_version,
        )
    stmt = (
        _insert(Comment)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Comment.site_id, Comment.external_id])
        .returning(Comment)
    )
    comment = db.session.execute(
        sa.select(Comment).from_statement(stmt), execution_options={"populate_existing": True}
    ).scalar_one_or_none()
    if comment is None:
        # Another request stored the same comment first: undo our author update, use theirs.
        db.session.rollback()
        stored = find_comment(site, payload.comment_id)
        if stored is None:  # pragma: no cover - the conflicting row must exist
            raise RuntimeError("comment conflict without a stored comment")
        return stored, False
    if refusal is not None:
        author.rejected_count = Author.rejected_count + 1
        from moderation.services.decisions import record_decision

        record_decision(comment, POLICY_ACTOR, now)
    db.session.commit()
    return comment, True
