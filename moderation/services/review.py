"""What moderators (and authors, through appeals) do to decisions and authors.

Every action is audited, keeps the author's counters and strikes consistent, and tells the
site through the callback events: ``comment.updated`` when a moderator changes an outcome,
``comment.appeal_resolved`` when the change settles an appeal, ``author.sanctioned`` /
``author.reinstated`` when a status changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import overload

import sqlalchemy as sa

from moderation import categories, metrics, sanctions
from moderation.extensions import db
from moderation.policy.decide import AuthorStatus, Outcome, StrikeSpec
from moderation.policy.ladder import StatusChange
from moderation.policy.loader import PolicySet
from moderation.policy.schema import Policy
from moderation.sanctions import Sanction
from moderation.scoring.types import CATEGORIES, Category
from moderation.services import audit, dsa, events, labels, report_outcomes
from moderation.services.authors import (
    count_outcome,
    revoke_comment_strikes,
    set_status,
    strike_and_step,
)
from moderation.tables import Author, AuthorNote, Comment, CommentStatus, Strike


class _RejectReasons(Sequence[str]):
    """Reason codes a moderator picks when rejecting: every declared category (see
    moderation/categories.py), then ``off_topic`` and ``other``. Category codes also choose the
    strike's category; the others strike under the comment's highest-scoring category."""

    def _codes(self) -> tuple[str, ...]:
        return (*(str(c) for c in CATEGORIES), "off_topic", "other")

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._codes()[index]

    def __len__(self) -> int:
        return len(self._codes())

    def __contains__(self, value: object) -> bool:
        return value in self._codes()


REJECT_REASONS: Sequence[str] = _RejectReasons()
_OTHER_REASONS = {"off_topic": "off topic", "other": "another reason (say which in the note)"}


def reason_text(code: str) -> str:
    """What a reject reason means, for the dashboard's menu (a category's ``review_reason``)."""
    if code in CATEGORIES:
        return f"{code}: {categories.info(code).review_reason}"
    return f"{code}: {_OTHER_REASONS[code]}" if code in _OTHER_REASONS else code


class ReviewError(ValueError):
    """The action does not apply to this comment or author; the message says why."""


class ConflictError(ReviewError):
    """Someone else changed the comment since the actor saw it; nothing was done."""


def _lock_comment(comment_id: int) -> Comment:
    comment = db.session.execute(
        sa.select(Comment)
        .where(Comment.id == comment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if comment is None:
        raise ReviewError(f"no comment {comment_id}")
    return comment


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "an unknown time"


def conflict_message(comment: Comment) -> str:
    """What changed under the actor's feet, in words a moderator can act on."""
    if comment.appeal_state == "pending":  # nobody has decided since the author appealed
        return (
            f"the comment changed while you looked at it: the author appealed at "
            f"{_when(comment.appealed_at)}; it is now {comment.status}"
        )
    return (
        f"already decided by {comment.decided_by or 'someone else'} at "
        f"{_when(comment.decided_at)}: the comment is now {comment.status}"
    )


def _claim(comment_id: int, seen_version: int | None) -> Comment:
    """Lock the comment and move its version on, if it is still the one the actor saw.

    ``seen_version`` is the version shown to the actor (the dashboard's form carries it);
    None means "as it is now". The guard is a compare-and-set
    (``UPDATE … WHERE id = ? AND version = ?``), done before anything else changes, so the
    loser of a race raises :class:`ConflictError` having written, audited and emitted
    nothing.
    """
    comment = _lock_comment(comment_id)
    expected = comment.version if seen_version is None else seen_version
    claimed = db.session.execute(
        sa.update(Comment)
        .where(Comment.id == comment_id, Comment.version == expected)
        .values(version=Comment.version + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        message = conflict_message(_lock_comment(comment_id))
        db.session.rollback()
        raise ConflictError(message)
    db.session.refresh(comment, ["version"])
    return comment


def _strike_category(comment: Comment, reason: str) -> Category:
    if reason in CATEGORIES:
        return Category(reason)
    scores = comment.scores or {}
    if scores:
        return Category(max(scores, key=lambda c: scores[c]))
    return Category.ATTACK


def _comment_strikes(comment: Comment, now: datetime) -> list[Strike]:
    return [s for s in comment.author.strikes if s.comment_id == comment.id and s.active(now)]


def _change_outcome(
    comment: Comment,
    outcome: Outcome,
    *,
    actor: str,
    policy: Policy,
    reason: str | None,
    note: str | None,
    now: datetime,
) -> None:
    old_status = comment.status
    new_status = CommentStatus.for_outcome(outcome)
    author = comment.author
    count_outcome(author, old_status, new_status)
    comment.status = new_status
    comment.decision = outcome.value
    comment.decided_by = actor
    comment.decided_at = now
    comment.review_reason = reason
    comment.review_note = note

    if outcome is Outcome.REJECT and not _comment_strikes(comment, now):
        category = _strike_category(comment, reason or "")
        spec = StrikeSpec(category, policy.authors.weight(category), 1.0)
        strike_and_step(
            author,
            spec,
            rules=policy.authors,
            comment=comment,
            actor=actor,
            now=now,
            policy_version=policy.version,
        )
    elif outcome is not Outcome.REJECT:
        revoke_comment_strikes(
            author,
            comment,
            rules=policy.authors,
            actor=actor,
            now=now,
            policy_version=policy.version,
        )

    metrics.DECISIONS.labels(outcome.value, "moderator").inc()
    appeal = comment.appeal_state == "pending"
    if appeal:
        comment.appeal_state = "overturned" if outcome is Outcome.PUBLISH else "upheld"
    audit.record(
        actor,
        f"comment.{'approved' if outcome is Outcome.PUBLISH else outcome.value + 'ed'}",
        now=now,
        site_id=comment.site_id,
        target_type="comment",
        target_id=comment.external_id,
        details={
            "from": old_status,
            "to": new_status,
            "reason": reason,
            "note": note,
            "appeal": comment.appeal_state if appeal else None,
        },
    )
    labels.from_review(comment, outcome, reason=reason, actor=actor, appeal=appeal, now=now)
    # A statement of reasons for a new restriction; an upheld appeal keeps the restriction
    # its statement already covers.
    if not appeal:
        report_outcomes.note_notices(comment)  # readers' reports: a notice, maybe a law
    statement = None if appeal else dsa.for_comment(comment, now=now)
    events.emit(
        "comment.appeal_resolved" if appeal else "comment.updated",
        comment.site,
        now=now,
        comment=comment,
        policy_version=policy.version,
        details={"actor": actor, "previous_status": old_status, "reason": reason},
        statement=statement,
    )
    report_outcomes.resolve_on_review(
        comment, actor=actor, changed=old_status != new_status, now=now
    )


def approve(
    comment_id: int,
    *,
    actor: str,
    policies: PolicySet,
    note: str | None = None,
    now: datetime,
    seen_version: int | None = None,
    commit: bool = True,
) -> Comment:
    """Publish a held (or previously rejected) comment; overturning removes its strike.

    Raises :class:`ConflictError` when the comment is no longer at ``seen_version``.
    ``commit=False`` leaves the transaction to the caller (a complaint's reversal).
    """
    comment = _claim(comment_id, seen_version)
    if comment.status == CommentStatus.PENDING:
        raise ReviewError("the comment has not been scored yet")
    if comment.status == CommentStatus.PUBLISHED:
        raise ReviewError("the comment is already published")
    _change_outcome(
        comment,
        Outcome.PUBLISH,
        actor=actor,
        policy=policies.for_site(comment.site.name),
        reason=None,
        note=note,
        now=now,
    )
    if commit:
        db.session.commit()
    return comment


def reject(
    comment_id: int,
    *,
    actor: str,
    policies: PolicySet,
    reason: str,
    note: str | None = None,
    sanction: Sanction | None = None,
    days: float | None = None,
    now: datetime,
    seen_version: int | None = None,
) -> Comment:
    """Reject a comment (a strike for its author) and optionally sanction the author.

    Raises :class:`ConflictError` when the comment is no longer at ``seen_version``.
    """
    if reason not in REJECT_REASONS:
        raise ReviewError(f"unknown reason {reason!r}; use one of {', '.join(REJECT_REASONS)}")
    comment = _claim(comment_id, seen_version)
    if comment.status == CommentStatus.PENDING:
        raise ReviewError("the comment has not been scored yet")
    policy = policies.for_site(comment.site.name)
    if comment.status == CommentStatus.REJECTED and comment.appeal_state != "pending":
        if sanction is None:
            raise ReviewError("the comment is already rejected")
    else:
        _change_outcome(
            comment, Outcome.REJECT, actor=actor, policy=policy, reason=reason, note=note, now=now
        )
    if sanction is not None:
        _sanction(
            comment.author,
            sanction,
            days=days,
            actor=actor,
            reason=note or reason,
            comment=comment,
            policy=policy,
            now=now,
        )
    db.session.commit()
    return comment


def _sanction(
    author: Author,
    sanction: Sanction,
    *,
    days: float | None,
    actor: str,
    reason: str,
    comment: Comment | None,
    policy: Policy,
    now: datetime,
) -> None:
    declared = sanctions.info(sanction)
    if declared.timed:
        if days is None or days <= 0:
            raise ReviewError(f"a {declared.noun} needs a positive number of days")
        until: datetime | None = now + timedelta(days=days)
    else:
        until = None
    change = StatusChange(AuthorStatus(declared.status), until, reason)
    set_status(
        author,
        change,
        actor=actor,
        by_moderator=True,
        comment=comment,
        now=now,
        policy_version=policy.version,
    )


def sanction_author(
    author_id: int,
    sanction: Sanction,
    *,
    actor: str,
    policies: PolicySet,
    reason: str,
    days: float | None = None,
    now: datetime,
) -> Author:
    author = db.session.get(Author, author_id)
    if author is None:
        raise ReviewError(f"no author {author_id}")
    _sanction(
        author,
        sanction,
        days=days,
        actor=actor,
        reason=reason,
        comment=None,
        policy=policies.for_site(author.site.name),
        now=now,
    )
    db.session.commit()
    return author


def reinstate_author(
    author_id: int,
    *,
    actor: str,
    policies: PolicySet,
    reason: str,
    now: datetime,
    commit: bool = True,
) -> Author:
    """Back to ``active``. Active strikes stay on record (and still count for the ladder).

    ``commit=False`` leaves the transaction to the caller (a complaint's reversal)."""
    author = db.session.get(Author, author_id)
    if author is None:
        raise ReviewError(f"no author {author_id}")
    if author.status == AuthorStatus.ACTIVE:
        raise ReviewError("the author is already active")
    set_status(
        author,
        StatusChange(AuthorStatus.ACTIVE, None, reason),
        actor=actor,
        by_moderator=True,
        comment=None,
        now=now,
        policy_version=policies.for_site(author.site.name).version,
    )
    if commit:
        db.session.commit()
    return author


def keep(
    comment_id: int,
    *,
    actor: str,
    note: str | None = None,
    now: datetime,
    seen_version: int | None = None,
) -> Comment:
    """A person reviewed a reported comment and leaves its decision as it is: its open
    reports are answered (``report.resolved``, action ``no_change``).

    Raises :class:`ReviewError` when the comment has no open report, and
    :class:`ConflictError` when it is no longer at ``seen_version``.
    """
    comment = _claim(comment_id, seen_version)
    if not report_outcomes.open_reports(comment.id):
        db.session.rollback()
        raise ReviewError("the comment has no open report to answer")
    audit.record(
        actor,
        "comment.kept",
        now=now,
        site_id=comment.site_id,
        target_type="comment",
        target_id=comment.external_id,
        details={"status": comment.status, "note": note},
    )
    report_outcomes.resolve_on_review(comment, actor=actor, changed=False, now=now)
    db.session.commit()
    return comment


def add_note(author_id: int, *, actor: str, text: str, now: datetime) -> AuthorNote:
    author = db.session.get(Author, author_id)
    if author is None:
        raise ReviewError(f"no author {author_id}")
    note = AuthorNote(author_id=author.id, actor=actor, text=text, created_at=now)
    db.session.add(note)
    audit.record(
        actor,
        "author.note",
        now=now,
        site_id=author.site_id,
        target_type="author",
        target_id=author.external_id,
    )
    db.session.commit()
    return note


def appeal(comment: Comment, *, message: str | None, now: datetime) -> Comment:
    """Put a rejected comment back in the review queue, marked as appealed. Once only.

    Guarded like a moderator's action: if a moderator changes the comment between the
    caller's read and this write, :class:`ConflictError` is raised and nothing is written.
    """
    comment = _claim(comment.id, comment.version)
    if comment.appeal_state is not None:
        raise ReviewError("this comment has already been appealed")
    if comment.status != CommentStatus.REJECTED:
        raise ReviewError(f"only rejected comments can be appealed (this one is {comment.status})")
    count_outcome(comment.author, comment.status, CommentStatus.HELD)
    comment.status = CommentStatus.HELD
    comment.appeal_state = "pending"
    comment.appeal_message = message
    comment.appealed_at = now
    audit.record(
        "author",
        "comment.appealed",
        now=now,
        site_id=comment.site_id,
        target_type="comment",
        target_id=comment.external_id,
        details={"message": message},
    )
    db.session.commit()
    return comment
