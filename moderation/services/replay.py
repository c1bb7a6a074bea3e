"""What a policy backtest replays from the database: the stored comments of a window, and
each author's standing when the window opens (``moderation policy simulate``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from moderation.extensions import db
from moderation.policy.backtest import AuthorSeed, Record
from moderation.policy.decide import AuthorStatus
from moderation.scoring.language import Language
from moderation.scoring.types import Category, Match, Severity
from moderation.services.decision_record import POLICY_ACTOR
from moderation.tables import Author, AuthorAction, Comment, CommentStatus, Site, Strike


def match_from_json(data: dict[str, Any]) -> Match:
    return Match(
        term=str(data["term"]),
        category=Category(data["category"]),
        severity=Severity(data["severity"]),
        start=int(data["start"]),
        end=int(data["end"]),
    )


def scores_from_json(data: dict[str, Any]) -> dict[Category, float]:
    return {Category(k): float(v) for k, v in data.items() if k in Category}


def _author_keys(site: Site | None, since: datetime) -> dict[int, str]:
    """``site/author`` of every author with a comment in the window, by author row id."""
    in_window = sa.select(Comment.author_id).where(
        Comment.received_at >= since, Comment.status != CommentStatus.PENDING
    )
    if site is not None:
        in_window = in_window.where(Comment.site_id == site.id)
    rows = db.session.execute(
        sa.select(Author.id, Site.name, Author.external_id)
        .join(Site, Site.id == Author.site_id)
        .where(Author.id.in_(in_window))
    )
    return {author_id: f"{name}/{external}" for author_id, name, external in rows}


def stored_seeds(site: Site | None, since: datetime) -> dict[str, AuthorSeed]:
    """Each replayed author's standing at ``since``: comments and published comments
    before it, strikes active then (not yet expired nor revoked), and the status their last
    status change before it left them in."""
    keys = _author_keys(site, since)
    if not keys:
        return {}
    ids = list(keys)
    counts = {
        author_id: (int(total), int(published))
        for author_id, total, published in db.session.execute(
            sa.select(
                Comment.author_id,
                sa.func.count(Comment.id),
                sa.func.count(Comment.id).filter(Comment.status == CommentStatus.PUBLISHED),
            )
            .where(Comment.author_id.in_(ids), Comment.received_at < since)
            .group_by(Comment.author_id)
        )
    }
    strikes: dict[int, list[tuple[datetime, float]]] = {}
    for author_id, expires_at, weight in db.session.execute(
        sa.select(Strike.author_id, Strike.expires_at, Strike.weight).where(
            Strike.author_id.in_(ids),
            Strike.created_at < since,
            Strike.expires_at > since,
            sa.or_(Strike.revoked_at.is_(None), Strike.revoked_at > since),
        )
    ):
        strikes.setdefault(author_id, []).append((expires_at, float(weight)))
    status: dict[int, tuple[AuthorStatus, datetime | None, bool]] = {}
    for action in db.session.execute(
        sa.select(AuthorAction)
        .where(AuthorAction.author_id.in_(ids), AuthorAction.created_at < since)
        .order_by(AuthorAction.created_at, AuthorAction.id)
    ).scalars():
        to_status = AuthorStatus(action.to_status)
        by_moderator = action.actor != POLICY_ACTOR and to_status is not AuthorStatus.ACTIVE
        status[action.author_id] = (to_status, action.until, by_moderator)
    seeds = {}
    for author_id, key in keys.items():
        total, published = counts.get(author_id, (0, 0))
        state_then, until, by_moderator = status.get(author_id, (AuthorStatus.ACTIVE, None, False))
        seeds[key] = AuthorSeed(
            comments=total,
            published=published,
            strikes=tuple(strikes.get(author_id, ())),
            status=state_then,
            until=until,
            by_moderator=by_moderator,
        )
    return seeds


def stored_language(code: str | None, confidence: float | None) -> Language | None:
    """The language a comment was recorded in (None for comments scored before detection)."""
    if code is None:
        return None
    return Language(code, confidence or 0.0, "", "stored")


def stored_records(site: Site | None, since: datetime) -> Iterator[Record]:
    query = (
        sa.select(Comment)
        .where(Comment.received_at >= since, Comment.status != CommentStatus.PENDING)
        .order_by(Comment.received_at)
    )
    if site is not None:
        query = query.where(Comment.site_id == site.id)
    for comment in db.session.execute(query).scalars():
        if not comment.model_scores and not comment.matches:
            continue  # refused without scoring (author already blocked)
        yield Record(
            comment=f"{comment.site.name}/{comment.external_id}",
            author=f"{comment.site.name}/{comment.author.external_id}",
            received_at=comment.received_at,
            scores=scores_from_json(comment.model_scores or {}),
            matches=tuple(match_from_json(m) for m in comment.matches or []),
            language=stored_language(comment.language, comment.language_confidence),
        )
