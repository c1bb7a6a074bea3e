"""Author records: lookup, standing, strikes and status changes."""

from __future__ import annotations

from datetime import datetime, timedelta

from moderation.extensions import db
from moderation.policy.decide import AuthorContext, AuthorStatus, StrikeSpec
from moderation.policy.ladder import StatusChange
from moderation.policy.schema import Authors
from moderation.services import audit, events
from moderation.tables import Author, AuthorAction, Comment, Strike


def active_strikes(author: Author, now: datetime) -> float:
    return sum(s.weight for s in author.strikes if s.active(now))


def author_context(author: Author, now: datetime, *, this_comment_counted: bool) -> AuthorContext:
    """What the policy sees. ``comments_before`` excludes the comment being decided."""
    before = author.comments_count - (1 if this_comment_counted else 0)
    return AuthorContext(
        status=AuthorStatus(author.status),
        status_until=author.status_until,
        comments_before=max(before, 0),
        published=author.published_count,
        active_strikes=active_strikes(author, now),
    )


def add_strike(
    author: Author,
    spec: StrikeSpec,
    *,
    rules: Authors,
    comment_id: int | None,
    actor: str,
    now: datetime,
) -> Strike:
    strike = Strike(
        author=author,
        comment_id=comment_id,
        category=str(spec.category),
        weight=spec.weight,
        created_at=now,
        expires_at=now + timedelta(days=rules.strike_window_days),
        created_by=actor,
    )
    db.session.add(strike)
    return strike


def set_status(
    author: Author,
    change: StatusChange,
    *,
    actor: str,
    by_moderator: bool,
    comment: Comment | None,
    now: datetime,
    policy_version: str | None = None,
) -> AuthorAction:
    """Apply a status change, record who or what caused it and why (author history and
    audit log), and tell the site: ``author.sanctioned`` when the status got stricter,
    ``author.reinstated`` when it got lighter."""
    before = AuthorStatus(author.status)
    action = AuthorAction(
        author=author,
        from_status=before.value,
        to_status=str(change.status),
        until=change.until,
        actor=actor,
        reason=change.reason,
        comment_id=comment.id if comment is not None else None,
        created_at=now,
    )
    author.status = str(change.status)
    author.status_until = change.until
    author.status_by_moderator = by_moderator and change.status is not AuthorStatus.ACTIVE
    db.session.add(action)
    stricter = change.status.rank > before.rank or (
        change.status is before and change.status is not AuthorStatus.ACTIVE
    )
    details = {
        "from": before.value,
        "to": str(change.status),
        "until": change.until.isoformat() if change.until else None,
        "reason": change.reason,
        "comment_id": comment.external_id if comment is not None else None,
    }
    audit.record(
        actor,
        f"author.{change.status}",
        now=now,
        site_id=author.site_id,
        target_type="author",
        target_id=author.external_id,
        details=details,
    )
    events.emit(
        "author.sanctioned" if stricter else "author.reinstated",
        author.site,
        now=now,
        author=author,
        policy_version=policy_version,
        details={**details, "actor": actor},
    )
    return action
