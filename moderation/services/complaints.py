"""Complaints against decisions (DSA Art. 20), on top of the appeal an author already has.

A complaint contests either a comment's restriction (rejected, or held out of sight) or its
author's sanction (watched, suspended, blocked). It is accepted for six calendar months
after the decision, recorded with who made that decision, and handled by a person: a
moderator other than the one who decided (a decision of the policy may be handled by any
moderator). The handler writes a reasoned reply and either upholds the decision or
reverses it; a reversal publishes the comment or lifts the sanction (the site hears of
that through ``comment.updated`` / ``author.reinstated``), and the reply always goes to the
site as ``complaint.resolved``.
"""

from __future__ import annotations

import calendar
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from moderation.extensions import db
from moderation.policy.loader import PolicySet
from moderation.services import audit, events, review
from moderation.services.sites import SiteLike
from moderation.services.users import actor_name
from moderation.statuses import AuthorStatus, CommentStatus
from moderation.tables import AuthorAction, Comment, Complaint

WINDOW_MONTHS = 6
REPLY_MAX = 2000
HUMAN_PREFIX = actor_name("")  # every dashboard user acts as "moderator:<name>"
Outcome = Literal["uphold", "reverse"]


class ComplaintError(ValueError):
    """The complaint cannot be taken or handled; the message says why (safe to show).

    ``code`` is the API's error code; ``status`` its HTTP status."""

    def __init__(
        self, message: str, *, code: str = "complaint_not_allowed", status: int = 409
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months; the day is clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def deadline(decided_at: datetime) -> datetime:
    """The last moment a complaint about a decision made at ``decided_at`` is accepted."""
    return add_months(decided_at, WINDOW_MONTHS)


def is_human(actor: str) -> bool:
    return actor.startswith(HUMAN_PREFIX)


@dataclass(frozen=True, slots=True)
class Contested:
    decision: str
    decided_at: datetime
    decided_by: str


def contested(comment: Comment, subject: str) -> Contested:
    """The decision a complaint about ``comment`` would contest; raises ComplaintError when
    there is none to complain about."""
    if subject == "decision":
        restricted = comment.status in (CommentStatus.REJECTED, CommentStatus.HELD)
        if not restricted or comment.decided_at is None:
            raise ComplaintError(
                f"the comment is {comment.status}: only a rejected or held comment's "
                "decision can be complained about",
                code="nothing_to_contest",
            )
        return Contested(comment.status, comment.decided_at, comment.decided_by or "policy")
    author = comment.author
    if author.status == AuthorStatus.ACTIVE:
        raise ComplaintError(
            "the author has no sanction to complain about", code="nothing_to_contest"
        )
    action = db.session.execute(
        sa.select(AuthorAction)
        .where(AuthorAction.author_id == author.id, AuthorAction.to_status == author.status)
        .order_by(AuthorAction.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if action is None:
        raise ComplaintError("no record of the author's sanction", code="nothing_to_contest")
    return Contested(author.status, action.created_at, action.actor)


def receive(
    site: SiteLike, comment: Comment, *, subject: str, message: str, now: datetime
) -> Complaint:
    """Store a complaint and commit; raises ComplaintError (nothing stored) when it comes
    after the deadline, contests nothing, or one about the same thing is still pending."""
    target = contested(comment, subject)
    last = deadline(target.decided_at)
    if now > last:
        raise ComplaintError(
            f"complaints about this decision were accepted until {last.isoformat()} "
            f"(six months after it was made on {target.decided_at.isoformat()})",
            code="complaint_too_late",
            status=422,
        )
    pending = db.session.execute(
        sa.select(Complaint.id).where(
            Complaint.comment_id == comment.id,
            Complaint.subject == subject,
            Complaint.state == "pending",
        )
    ).first()
    if pending is not None:
        raise ComplaintError(f"complaint {pending[0]} about this {subject} is still pending")
    complaint = Complaint(
        site_id=site.id,
        comment_id=comment.id,
        author_id=comment.author_id,
        subject=subject,
        message=message,
        received_at=now,
        decision=target.decision,
        decided_at=target.decided_at,
        decided_by=target.decided_by,
        state="pending",
    )
    db.session.add(complaint)
    db.session.flush()
    audit.record(
        "author",
        "complaint.received",
        now=now,
        site_id=site.id,
        target_type="comment",
        target_id=comment.external_id,
        details={"complaint": complaint.id, "subject": subject, "decided_by": target.decided_by},
    )
    db.session.commit()
    return complaint


def refusal(complaint: Complaint, actor: str) -> str | None:
    """Why ``actor`` may not handle ``complaint`` (None when they may)."""
    if complaint.state != "pending":
        return f"complaint {complaint.id} was already handled ({complaint.state})"
    if is_human(complaint.decided_by) and complaint.decided_by == actor:
        return (
            f"you made the decision this complaint contests ({complaint.decision} on "
            f"{complaint.decided_at.strftime('%Y-%m-%d %H:%M UTC')}); a complaint must be "
            "handled by a different moderator"
        )
    return None


def handle(
    complaint_id: int,
    *,
    actor: str,
    outcome: Outcome,
    reply: str,
    policies: PolicySet,
    now: datetime,
) -> Complaint:
    """Uphold or reverse the contested decision with a reasoned ``reply``, in one
    transaction; raises ComplaintError (nothing written) when ``actor`` may not handle it."""
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintError(f"no complaint {complaint_id}", code="not_found", status=404)
    reply = reply.strip()
    if not reply:
        raise ComplaintError("write a reply that gives the reasons for the outcome")
    if len(reply) > REPLY_MAX:
        raise ComplaintError(f"the reply is longer than {REPLY_MAX} characters")
    problem = refusal(complaint, actor)
    if problem is not None:
        raise ComplaintError(problem, code="complaint_refused")
    try:
        if outcome == "reverse":
            _reverse(complaint, actor=actor, reply=reply, policies=policies, now=now)
        complaint.state = "reversed" if outcome == "reverse" else "upheld"
        complaint.handled_by = actor
        complaint.handled_at = now
        complaint.reply = reply
        audit.record(
            actor,
            f"complaint.{complaint.state}",
            now=now,
            site_id=complaint.site_id,
            target_type="comment",
            target_id=complaint.comment.external_id,
            details={"complaint": complaint.id, "subject": complaint.subject, "reply": reply},
        )
        events.emit(
            "complaint.resolved",
            complaint.comment.site,
            now=now,
            comment=complaint.comment,
            details={
                "complaint": complaint.id,
                "subject": complaint.subject,
                "outcome": complaint.state,
                "reply": reply,
                "received_at": complaint.received_at.isoformat(),
                "contested": {
                    "decision": complaint.decision,
                    "decided_at": complaint.decided_at.isoformat(),
                    "automated": not is_human(complaint.decided_by),
                },
            },
        )
        db.session.commit()
    except review.ReviewError as exc:
        db.session.rollback()
        raise ComplaintError(str(exc)) from None
    return complaint


def _reverse(
    complaint: Complaint, *, actor: str, reply: str, policies: PolicySet, now: datetime
) -> None:
    if complaint.subject == "decision":
        review.approve(
            complaint.comment_id, actor=actor, policies=policies, note=reply, now=now, commit=False
        )
    else:
        review.reinstate_author(
            complaint.author_id,
            actor=actor,
            policies=policies,
            reason=f"complaint {complaint.id} reversed: {reply}"[:1000],
            now=now,
            commit=False,
        )


def pending(limit: int = 100) -> list[Complaint]:
    return list(
        db.session.execute(
            sa.select(Complaint)
            .where(Complaint.state == "pending")
            .order_by(Complaint.received_at, Complaint.id)
            .limit(limit)
        ).scalars()
    )


def recent(limit: int = 20) -> list[Complaint]:
    return list(
        db.session.execute(
            sa.select(Complaint)
            .where(Complaint.state != "pending")
            .order_by(Complaint.handled_at.desc(), Complaint.id.desc())
            .limit(limit)
        ).scalars()
    )


@dataclass(frozen=True, slots=True)
class ComplaintStats:
    received: int
    pending: int
    upheld: int
    reversed: int
    median_handling_hours: float | None


def stats(*, site_id: int | None, since: datetime, until: datetime) -> ComplaintStats:
    """Complaints received in [since, until): counts by state, and the median time from
    receipt to reply of those handled (hours)."""
    where = [Complaint.received_at >= since, Complaint.received_at < until]
    if site_id is not None:
        where.append(Complaint.site_id == site_id)
    counts = dict(
        db.session.execute(
            sa.select(Complaint.state, sa.func.count()).where(*where).group_by(Complaint.state)
        ).all()
    )
    handled = db.session.execute(
        sa.select(Complaint.received_at, Complaint.handled_at).where(
            *where, Complaint.handled_at.is_not(None)
        )
    ).all()
    hours = [(done - got).total_seconds() / 3600 for got, done in handled if done is not None]
    return ComplaintStats(
        received=sum(counts.values()),
        pending=counts.get("pending", 0),
        upheld=counts.get("upheld", 0),
        reversed=counts.get("reversed", 0),
        median_handling_hours=round(statistics.median(hours), 2) if hours else None,
    )
