"""Storing an incoming comment: idempotent per (site, comment_id), one transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from moderation.schemas import CommentIn
from moderation.extensions import db
from moderation.policy.decide import AuthorStatus, Outcome, Reason
from moderation.services.authors import author_context, get_or_create_author
from moderation.tables import Author, Comment, CommentStatus, Site

POLICY_ACTOR = "policy"


def find_comment(site: Site, external_id: str) -> Comment | None:
    return db.session.execute(
        sa.select(Comment).where(Comment.site_id == site.id, Comment.external_id == external_id)
    ).scalar_one_or_none()


def store_comment(
    site: Site, payload: CommentIn, now: datetime, *, policy_version: str
) -> tuple[Comment, bool]:
    """Store ``payload`` and commit. Returns ``(comment, created)``.

    A repeat of a stored (site, comment_id) returns the stored comment untouched with
    ``created=False``, also when two requests race. A comment by a blocked or suspended
    author is stored already rejected; every other new comment is ``pending``.
    """
    existing = find_comment(site, payload.comment_id)
    if existing is not None:
        return existing, False
    author = get_or_create_author(site, payload.author, now)
    comment = Comment(
        site_id=site.id,
        external_id=payload.comment_id,
        author=author,
        article_id=payload.article.id,
        article_url=payload.article.url,
        article_title=payload.article.title,
        parent_id=payload.parent_id,
        text=payload.text,
        posted_at=payload.posted_at,
        received_at=now,
        status=CommentStatus.PENDING,
    )
    standing = author_context(author, now, this_comment_counted=False)
    status = standing.effective_status(now)
    refusal: Reason | None = None
    if status is AuthorStatus.BLOCKED:
        refusal = Reason("author_blocked", Outcome.REJECT)
    elif status is AuthorStatus.SUSPENDED:
        refusal = Reason("author_suspended", Outcome.REJECT, until=author.status_until)
    if refusal is not None:
        comment.status = CommentStatus.REJECTED
        comment.decision = comment.auto_decision = Outcome.REJECT.value
        comment.reasons = [refusal.to_dict()]
        comment.decided_at = now
        comment.decided_by = POLICY_ACTOR
        comment.policy_version = policy_version
    try:
        with db.session.begin_nested():
            db.session.add(comment)
    except IntegrityError:
        # Another request stored the same comment first: answer with theirs.
        db.session.rollback()
        stored = find_comment(site, payload.comment_id)
        if stored is None:  # pragma: no cover - the conflict row must exist
            raise
        return stored, False
    # SQL-side increments: concurrent comments by one author must not lose counts.
    author.comments_count = Author.comments_count + 1
    if refusal is not None:
        author.rejected_count = Author.rejected_count + 1
        from moderation.services.decisions import record_decision

        record_decision(comment, POLICY_ACTOR, now)
    db.session.commit()
    return comment, True
