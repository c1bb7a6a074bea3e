"""Edits: a re-post of a stored (site, comment_id) with different text is a new revision.

The edit becomes the comment's current text and puts the comment back to ``pending`` (its
earlier decision, automatic or a moderator's, is kept with the earlier revision and no longer
applies); the caller enqueues scoring as for a new comment, and the worker decides the new
text under the policy like any other (see :mod:`moderation.services.decisions`).

Rules (the API documents them):

* the same text as the current revision is a duplicate: nothing is stored;
* the author, the article and the parent cannot change (:class:`EditError`, 409);
* when the site sends ``edited_at``, an edit not newer than the stored revision's time
  (``edited_at``, else ``posted_at``) is stale and refused (409 ``stale_edit``), so an older
  edit delivered after a newer one never overwrites it; without ``edited_at`` the order of
  arrival decides;
* two concurrent edits: the comment row is changed with a compare-and-set on its
  ``version``, ``status`` and ``revision`` and each revision number is unique per comment,
  so one wins, the other re-reads and becomes the next revision (or a duplicate, or stale).

Everything an edit writes is written in one transaction: a refused edit changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.exc import IntegrityError

from moderation.extensions import db
from moderation.schemas import CommentIn
from moderation.services import audit
from moderation.services.authors import count_outcome
from moderation.services.sites import SiteLike
from moderation.tables import Comment, CommentRevision, CommentStatus

log = logging.getLogger(__name__)

#: The actor of an edit in the audit log: the site's author, through the site.
SITE_ACTOR = "site"
#: How many times an edit that lost a race re-reads the comment before giving up (409).
MAX_ATTEMPTS = 5

#: Fields an author sees that an edit may change besides the text (recorded per revision).
_VISIBLE_FIELDS = ("author_name", "article_url", "article_title")


class EditError(ValueError):
    """An edit that cannot be applied: ``status`` and ``code`` for the API, the ``field``
    at fault, and a message naming the problem."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field


class EditResult(NamedTuple):
    """The comment's row id, its current revision, and whether this call stored it."""

    id: int
    revision: int
    edited: bool


def _decision_fields(comment: Comment) -> dict[str, Any]:
    """What was decided about the comment's current text, as a revision row stores it."""
    return {
        "status": comment.status,
        "decision": comment.decision,
        "reasons": list(comment.reasons or []),
        "scores": dict(comment.scores or {}),
        "policy_version": comment.policy_version,
        "decided_at": comment.decided_at,
        "decided_by": comment.decided_by,
    }


def mirror_current(comment: Comment) -> None:
    """Copy ``comment``'s decision onto the row of its current revision, if it has one (an
    edited comment). Called wherever a decision is recorded, in the caller's transaction."""
    if comment.revision <= 1:
        return
    db.session.execute(
        sa.update(CommentRevision)
        .where(
            CommentRevision.comment_id == comment.id,
            CommentRevision.revision == comment.revision,
        )
        .values(_decision_fields(comment))
    )


def history(comment: Comment) -> list[CommentRevision]:
    """Every revision of ``comment``, oldest first; empty when it was never edited. The
    current revision's decision is the comment's own (its row may lag a moderator's)."""
    return list(
        db.session.execute(
            sa.select(CommentRevision)
            .where(CommentRevision.comment_id == comment.id)
            .order_by(CommentRevision.revision)
        ).scalars()
    )


def _load(site: SiteLike, external_id: str) -> Comment | None:
    return db.session.execute(
        sa.select(Comment)
        .options(orm.joinedload(Comment.author))
        .where(Comment.site_id == site.id, Comment.external_id == external_id)
    ).scalar_one_or_none()


def _check(comment: Comment, payload: CommentIn) -> None:
    """Raise :class:`EditError` when ``payload`` cannot be an edit of ``comment``."""
    if payload.author.id != comment.author.external_id:
        raise EditError(
            409,
            "author_mismatch",
            f"comment {payload.comment_id!r} was posted by another author; an edit must "
            "name the same author.id",
            field="author.id",
        )
    if payload.article.id != comment.article_id:
        raise EditError(
            409,
            "article_mismatch",
            f"comment {payload.comment_id!r} belongs to article {comment.article_id!r}; an "
            "edit cannot move it",
            field="article.id",
        )
    if payload.parent_id != comment.parent_id:
        raise EditError(
            409,
            "parent_mismatch",
            f"comment {payload.comment_id!r} has parent_id {comment.parent_id!r}; an edit "
            "cannot change it",
            field="parent_id",
        )


def _stale(comment: Comment, payload: CommentIn) -> EditError | None:
    stamp = comment.edited_at or comment.posted_at
    if payload.edited_at is None or stamp is None or payload.edited_at > stamp:
        return None
    return EditError(
        409,
        "stale_edit",
        f"edited_at {payload.edited_at.isoformat()} is not after the stored revision "
        f"{comment.revision} ({stamp.isoformat()}); the newer text is kept",
        field="edited_at",
    )


def _changes(comment: Comment, payload: CommentIn) -> dict[str, Any]:
    now_visible = {
        "author_name": payload.author.name,
        "article_url": payload.article.url,
        "article_title": payload.article.title,
    }
    before = {
        "author_name": comment.author.name,
        "article_url": comment.article_url,
        "article_title": comment.article_title,
    }
    return {
        name: now_visible[name]
        for name in _VISIBLE_FIELDS
        if now_visible[name] is not None and now_visible[name] != before[name]
    }


def edit_comment(
    site: SiteLike,
    payload: CommentIn,
    now: datetime,
    *,
    admit: Callable[[], None] | None = None,
) -> EditResult:
    """Apply ``payload`` to its stored comment as an edit, and commit.

    Returns ``edited=False`` (nothing written) when the text is the current revision's.
    Otherwise stores revision n+1 (and revision 1, the original, at the first edit), makes
    it the comment's text, resets the comment to ``pending`` and commits; the caller then
    enqueues scoring. ``admit`` (the rate limit) runs before the commit, as at intake.

    Raises :class:`EditError` (nothing written) when the author, article or parent differ,
    the edit is stale, the comment is gone, or it kept losing races (``edit_conflict``).
    """
    for _attempt in range(MAX_ATTEMPTS):
        comment = _load(site, payload.comment_id)
        if comment is None:
            raise EditError(
                404, "not_found", f"no comment {payload.comment_id!r} from site {site.name!r}"
            )
        _check(comment, payload)
        if payload.text == comment.text:
            db.session.rollback()
            return EditResult(comment.id, comment.revision, edited=False)
        stale = _stale(comment, payload)
        if stale is not None:
            db.session.rollback()
            raise stale
        result = _apply(comment, payload, now, admit)
        if result is not None:
            return result
    raise EditError(
        409,
        "edit_conflict",
        f"comment {payload.comment_id!r} kept changing while this edit was applied; retry",
    )


def _apply(
    comment: Comment,
    payload: CommentIn,
    now: datetime,
    admit: Callable[[], None] | None,
) -> EditResult | None:
    """Write the edit (compare-and-set) and commit; ``None`` when another change won."""
    seen = (comment.version, comment.status, comment.revision)
    previous = _decision_fields(comment)
    revision = comment.revision + 1
    changes = _changes(comment, payload)
    claimed = db.session.execute(
        sa.update(Comment)
        .where(
            Comment.id == comment.id,
            Comment.version == seen[0],
            Comment.status == seen[1],
            Comment.revision == seen[2],
        )
        .values(
            version=Comment.version + 1,
            revision=revision,
            text=payload.text,
            edited_at=payload.edited_at,
            article_url=payload.article.url or comment.article_url,
            article_title=payload.article.title or comment.article_title,
            status=CommentStatus.PENDING,
            decision=None,
            auto_decision=None,
            reasons=[],
            scores={},
            model_scores={},
            matches=[],
            explanations=[],
            risk=0.0,
            decided_at=None,
            decided_by=None,
            review_reason=None,
            review_note=None,
            score_attempts=0,
            # A pending appeal was about the old text: the edit ends it.
            appeal_state=sa.case(
                (Comment.appeal_state == "pending", sa.null()), else_=Comment.appeal_state
            ),
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return None
    if seen[2] == 1:  # the first edit: keep the original as revision 1
        original = CommentRevision(
            comment_id=comment.id,
            revision=1,
            text=comment.text,
            changes={},
            received_at=comment.received_at,
            edited_at=None,
            **previous,
        )
        db.session.add(original)
    else:  # the row of the revision being replaced gets its final decision
        db.session.execute(
            sa.update(CommentRevision)
            .where(
                CommentRevision.comment_id == comment.id,
                CommentRevision.revision == seen[2],
            )
            .values(previous)
        )
    db.session.add(
        CommentRevision(
            comment_id=comment.id,
            revision=revision,
            text=payload.text,
            changes=changes,
            received_at=now,
            edited_at=payload.edited_at,
            status=CommentStatus.PENDING,
            reasons=[],
            scores={},
        )
    )
    if "author_name" in changes:
        comment.author.name = changes["author_name"]
    count_outcome(comment.author, seen[1], CommentStatus.PENDING)
    audit.record(
        SITE_ACTOR,
        "comment.edited",
        now=now,
        site_id=comment.site_id,
        target_type="comment",
        target_id=comment.external_id,
        details={"revision": revision, "previous": {"revision": seen[2], **_brief(previous)}},
    )
    try:
        if admit is not None:
            admit()
        db.session.commit()
    except IntegrityError:  # the same revision number stored concurrently: re-read
        db.session.rollback()
        return None
    except BaseException:
        db.session.rollback()
        raise
    log.info("comment edited", extra={"comment_id": comment.id, "revision": revision})
    return EditResult(comment.id, revision, edited=True)


def _brief(fields: dict[str, Any]) -> dict[str, Any]:
    return {"status": fields["status"], "decision": fields["decision"]}
