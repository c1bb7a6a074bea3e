"""Author records: lookup, standing, strikes, status changes and comment counters.

The only place that stores strikes, moves an author along the ladder
(:func:`strike_and_step`, :func:`revoke_comment_strikes`, after the pure rule in
:mod:`moderation.policy.ladder`) and keeps an author's comment counters (:func:`count_outcome`).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from moderation.extensions import db
from moderation.policy.decide import AuthorContext, AuthorStatus, StrikeSpec
from moderation.policy.ladder import Standing, StatusChange, apply_strike, revoke_strikes
from moderation.policy.schema import Authors
from moderation.services import audit, dsa, events
from moderation.tables import Author, AuthorAction, Comment, CommentStatus, Strike

log = logging.getLogger(__name__)

_STATUS_COUNTER = {
    CommentStatus.PUBLISHED: "published_count",
    CommentStatus.HELD: "held_count",
    CommentStatus.REJECTED: "rejected_count",
}


def count_outcome(author: Author, old: str | None, new: str) -> None:
    """Move one comment of ``author`` from status ``old`` (None: newly decided) to ``new`` in
    the author's counters. Written as SQL increments, so concurrent decisions add up."""
    if old == new:
        return
    if old in _STATUS_COUNTER:
        column = getattr(Author, _STATUS_COUNTER[old])
        setattr(author, _STATUS_COUNTER[old], column - 1)
    if new in _STATUS_COUNTER:
        column = getattr(Author, _STATUS_COUNTER[new])
        setattr(author, _STATUS_COUNTER[new], column + 1)


class NewOutcomes:
    """The counters of many newly decided comments (a batch of decisions), for authors whose
    rows this transaction has locked: each comment counts at once in the loaded author (what
    the author's next comment in the batch is judged on), and :meth:`write` adds them all up
    in one statement — still SQL increments, like :func:`count_outcome`."""

    def __init__(self) -> None:
        self._added: dict[int, Counter[str]] = {}

    def count(self, author: Author, new: str) -> None:
        column = _STATUS_COUNTER.get(new)
        if column is None:
            return
        self._added.setdefault(author.id, Counter())[column] += 1
        # As loaded plus this comment; not a change for the unit of work (write() stores it).
        set_committed_value(author, column, getattr(author, column) + 1)

    def write(self) -> None:
        if not self._added:
            return
        table = Author.__table__
        columns = list(_STATUS_COUNTER.values())
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("author_id"))
            .values({c: table.c[c] + sa.bindparam(f"add_{c}") for c in columns}),
            [
                {"author_id": author_id, **{f"add_{c}": added[c] for c in columns}}
                for author_id, added in self._added.items()
            ],
        )
        self._added.clear()


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


def standing(author: Author) -> Standing:
    """The author's place on the ladder, for :mod:`moderation.policy.ladder`."""
    return Standing(
        status=AuthorStatus(author.status),
        until=author.status_until,
        set_by_moderator=author.status_by_moderator,
        strikes=tuple((s.expires_at, s.weight) for s in author.strikes if s.revoked_at is None),
    )


def strike_and_step(
    author: Author,
    strike: StrikeSpec | None,
    *,
    rules: Authors,
    comment: Comment,
    actor: str,
    now: datetime,
    policy_version: str,
) -> None:
    """Store what :func:`moderation.policy.ladder.apply_strike` says: the strike (when
    given) and the status change it causes, with ``actor`` as its cause. Without a strike
    only lapses apply."""
    move = apply_strike(standing(author), strike, rules=rules, now=now)
    if strike is not None:
        add_strike(author, strike, rules=rules, comment_id=comment.id, actor=actor, now=now)
    if move.change is None:
        return
    set_status(
        author,
        move.change,
        actor=actor,
        by_moderator=False,
        comment=comment,
        now=now,
        policy_version=policy_version,
    )
    log.info(
        "author status changed",
        extra={"comment_id": comment.id, "author_id": author.id, "status": str(move.change.status)},
    )


def revoke_comment_strikes(
    author: Author,
    comment: Comment,
    *,
    rules: Authors,
    actor: str,
    now: datetime,
    policy_version: str,
) -> list[Strike]:
    """Revoke the active strikes ``comment`` earned (its rejection was overturned) and store
    the lighter status the ladder then implies (:func:`moderation.policy.ladder.revoke_strikes`).
    Returns the revoked strikes."""
    revoked = [s for s in author.strikes if s.comment_id == comment.id and s.active(now)]
    for strike in revoked:
        strike.revoked_at = now
        strike.revoked_by = actor
    if not revoked:
        return revoked
    lift = revoke_strikes(standing(author), rules=rules, now=now)
    if lift is not None:
        set_status(
            author,
            lift,
            actor=actor,
            by_moderator=False,
            comment=comment,
            now=now,
            policy_version=policy_version,
        )
    return revoked


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
    statement = None
    if stricter:  # a statement of reasons for the watch, suspension or block
        if author.id is None or (comment is not None and comment.id is None):
            db.session.flush()  # a new row's id names the statement (the strikes are loaded)
        statement = dsa.for_sanction(
            author,
            status=str(change.status),
            until=change.until,
            actor=actor,
            by_moderator=by_moderator,
            comment=comment,
            now=now,
        )
    events.emit(
        "author.sanctioned" if stricter else "author.reinstated",
        author.site,
        now=now,
        author=author,
        policy_version=policy_version,
        details={**details, "actor": actor},
        statement=statement,
    )
    return action
