"""Readers' reports (DSA Art. 16 notice and action): storing a report forwarded by the site,
deciding whether it reaches a person, and the Reported queue moderators work from.

A report of a comment nobody has reviewed yet is ``open``: the comment is in the Reported
queue until a moderator acts on it (any review action answers its open reports, see
:mod:`moderation.services.report_outcomes`). Once a moderator has reviewed the comment,
further reports are *grouped*: stored, counted and answered at once with the earlier
outcome, without requeueing it, so that mass reporting cannot be used to harass an author.
A report that brings a reason not seen before the review, or any ``illegal`` report, is
``open`` again and reaches a person.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from moderation.extensions import db
from moderation.report_schemas import ILLEGAL, ReportIn
from moderation.services import audit, report_outcomes
from moderation.services.queue import Page, QueueItem, queue_item
from moderation.services.sites import SiteLike
from moderation.services.users import actor_name
from moderation.tables import Comment, CommentReport, Site

HUMAN_PREFIX = actor_name("")  # every dashboard user acts as "moderator:<name>"


def reporter_hash(key: str, site: str, reference: str) -> str:
    """The keyed hash stored instead of a reporter reference (HMAC-SHA256, hex): the same
    reader of the same site always gets the same value; the reference cannot be recovered."""
    message = f"{site}\n{reference}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def _lock(comment_id: int) -> Comment:
    return db.session.execute(
        sa.select(Comment).where(Comment.id == comment_id).with_for_update()
    ).scalar_one()


def reviewed_reasons(comment: Comment) -> tuple[bool, set[str]]:
    """Whether a person has reviewed ``comment``, and the reasons seen up to that review.

    Reviewed: a moderator decided it, or answered reports of it. Seen: the reasons of its
    answered reports and the moderator's reject reason.
    """
    answered = set(
        db.session.execute(
            sa.select(CommentReport.reason).where(
                CommentReport.comment_id == comment.id, CommentReport.state == "resolved"
            )
        ).scalars()
    )
    human = (comment.decided_by or "").startswith(HUMAN_PREFIX)
    seen = set(answered)
    if comment.review_reason:
        seen.add(comment.review_reason)
    return human or bool(answered), seen


def file_report(
    site: SiteLike, comment: Comment, report: ReportIn, *, reporter: str | None, now: datetime
) -> CommentReport:
    """Store a report (``reporter``: the keyed hash, or None) and commit.

    The report is ``open`` (the comment goes to the Reported queue) unless the comment was
    already reviewed and the reason was seen then: it is then grouped and answered at once.
    """
    comment = _lock(comment.id)
    has_open = bool(report_outcomes.open_reports(comment.id))
    reviewed, seen = reviewed_reasons(comment)
    grouped = reviewed and not has_open and report.reason != ILLEGAL and report.reason in seen
    row = CommentReport(
        site_id=site.id,
        comment_id=comment.id,
        reason=report.reason,
        law=report.law if report.reason == ILLEGAL else None,
        explanation=report.explanation if report.reason == ILLEGAL else None,
        good_faith=bool(report.good_faith),
        note=report.note,
        reporter_hash=reporter,
        created_at=now,
        state="open",
        grouped=grouped,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "site",
        "comment.reported",
        now=now,
        site_id=site.id,
        target_type="comment",
        target_id=comment.external_id,
        details={"report": row.id, "reason": report.reason, "grouped": grouped},
    )
    if grouped:
        report_outcomes.answer(
            comment,
            [row],
            actor=comment.decided_by or "policy",
            action=report_outcomes.NO_CHANGE,
            now=now,
            grouped=True,
        )
    db.session.commit()
    return row


# --- the Reported queue ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IllegalNotice:
    law: str
    explanation: str


@dataclass(frozen=True, slots=True)
class ReportedItem:
    item: QueueItem
    open_count: int
    grouped_count: int
    first_at: datetime
    reasons: list[tuple[str, int]]  # open reports per reason, most first
    illegal: list[IllegalNotice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_illegal(self) -> bool:
        return bool(self.illegal)


def reported_queue(
    *, site: str | None, now: datetime, page: int = 1, per_page: int = 25
) -> Page[ReportedItem]:
    """Comments with open reports: ``illegal`` first, then the most reported, then oldest."""
    is_illegal = sa.func.max(sa.case((CommentReport.reason == ILLEGAL, 1), else_=0))
    grouped = (
        sa.select(
            CommentReport.comment_id.label("comment_id"),
            sa.func.count(CommentReport.id).label("n"),
            sa.func.min(CommentReport.created_at).label("first_at"),
            is_illegal.label("illegal"),
        )
        .where(CommentReport.state == "open")
        .group_by(CommentReport.comment_id)
    )
    if site:
        grouped = grouped.join(Site, Site.id == CommentReport.site_id).where(Site.name == site)
    sub = grouped.subquery()
    total = db.session.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = db.session.execute(
        sa.select(sub.c.comment_id, sub.c.n, sub.c.first_at)
        .order_by(sub.c.illegal.desc(), sub.c.n.desc(), sub.c.first_at.asc(), sub.c.comment_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [row[0] for row in rows]
    reasons: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for comment_id, reason, n in db.session.execute(
        sa.select(CommentReport.comment_id, CommentReport.reason, sa.func.count())
        .where(CommentReport.comment_id.in_(ids), CommentReport.state == "open")
        .group_by(CommentReport.comment_id, CommentReport.reason)
        .order_by(sa.func.count().desc(), CommentReport.reason)
    ):
        reasons[comment_id].append((reason, n))
    grouped_counts = dict(
        db.session.execute(
            sa.select(CommentReport.comment_id, sa.func.count())
            .where(CommentReport.comment_id.in_(ids), CommentReport.grouped.is_(True))
            .group_by(CommentReport.comment_id)
        ).all()
    )
    details: dict[int, list[CommentReport]] = defaultdict(list)
    for report in db.session.execute(
        sa.select(CommentReport)
        .where(
            CommentReport.comment_id.in_(ids),
            CommentReport.state == "open",
            sa.or_(CommentReport.reason == ILLEGAL, CommentReport.note.is_not(None)),
        )
        .order_by(CommentReport.id)
    ).scalars():
        details[report.comment_id].append(report)
    items = []
    for comment_id, n, first_at in rows:
        item = queue_item(comment_id, now=now)
        if item is None:
            continue
        found = details[comment_id]
        items.append(
            ReportedItem(
                item=item,
                open_count=int(n),
                grouped_count=int(grouped_counts.get(comment_id, 0)),
                first_at=first_at,
                reasons=reasons[comment_id],
                illegal=[
                    IllegalNotice(r.law or "", r.explanation or "")
                    for r in found
                    if r.reason == ILLEGAL
                ][:10],
                notes=[r.note for r in found if r.note][:10],
            )
        )
    return Page(items, int(total), page, per_page)
