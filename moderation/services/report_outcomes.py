"""Answering readers' reports: when a person reviews a reported comment, its open reports
are resolved with the outcome, and the site is told with one ``report.resolved`` event.

A low layer of its own so that :mod:`moderation.services.review` can call it from every
moderator decision (approve, reject, bulk) in the decision's own transaction, after the
decision's ``comment.updated`` event: both share the comment's ordering key, so the site
receives the update first and the answer to its readers second.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from moderation.dsa.build import LegalGround
from moderation.extensions import db
from moderation.services import dsa, events
from moderation.tables import Comment, CommentReport

CHANGED, NO_CHANGE = "changed", "no_change"


def open_reports(comment_id: int) -> list[CommentReport]:
    return list(
        db.session.execute(
            sa.select(CommentReport)
            .where(CommentReport.comment_id == comment_id, CommentReport.state == "open")
            .order_by(CommentReport.id)
        ).scalars()
    )


def report_summary(report: CommentReport) -> dict[str, Any]:
    """What the site learns of one report: its id, reason and reporter hash (never more)."""
    return {
        "id": report.id,
        "reason": report.reason,
        "reporter": report.reporter_hash,
        "received_at": report.created_at.isoformat(),
    }


def answer(
    comment: Comment,
    reports: Sequence[CommentReport],
    *,
    actor: str,
    action: str,
    now: datetime,
    grouped: bool = False,
) -> None:
    """Mark ``reports`` resolved with the comment's current status and emit one
    ``report.resolved`` for them (in the caller's transaction; nothing is committed)."""
    if not reports:
        return
    for report in reports:
        report.state = "resolved"
        report.resolved_at = now
        report.resolved_by = actor
        report.outcome = comment.status
        report.action = action
        report.grouped = report.grouped or grouped
    events.emit(
        "report.resolved",
        comment.site,
        now=now,
        comment=comment,
        details={
            "reports": [report_summary(r) for r in reports],
            "outcome": comment.status,
            "action": action,
            "grouped": grouped,
            "reviewed_by": "moderator" if actor.startswith("moderator:") else actor,
        },
    )


def note_notices(comment: Comment) -> None:
    """Before a person's decision on ``comment`` is stated: when readers' reports wait on it,
    the decision answers a notice (DSA Art. 16, ``SOURCE_ARTICLE_16`` in its statement of
    reasons), and when one of them reported illegal content, its law and explanation are the
    statement's legal ground (the earliest such report's)."""
    waiting = open_reports(comment.id)
    if not waiting:
        return
    illegal = next((r for r in waiting if r.reason == "illegal" and r.law), None)
    ground = (
        LegalGround(law=illegal.law, explanation=illegal.explanation or "")
        if illegal is not None and illegal.law
        else None
    )
    dsa.note_notice(comment, legal_ground=ground)


def resolve_on_review(comment: Comment, *, actor: str, changed: bool, now: datetime) -> None:
    """A person has decided ``comment``: answer its open reports."""
    answer(
        comment,
        open_reports(comment.id),
        actor=actor,
        action=CHANGED if changed else NO_CHANGE,
        now=now,
    )
