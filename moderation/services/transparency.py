"""The transparency report (DSA Art. 15 and 24) of one site over a period, from SQL
aggregates: readers' reports by reason and time to action, restrictions by category and
by type, automated versus human decisions, complaints, and sanctions.

Periods are half-open, ``[since, until)``, in UTC. Every decision counts in the period it was
made in, from the audit log, including decisions later reversed (a rejection overturned on
appeal or complaint still counts as a rejection, and its reversal as a human ``publish``); a
report and a complaint count in the period they were received in; a sanction in the period
it was imposed in.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from moderation.categories import CATEGORIES
from moderation.extensions import db
from moderation.services import complaints
from moderation.services.audit_query import neutralise
from moderation.services.users import actor_name
from moderation.statuses import AuthorStatus
from moderation.tables import AuditEntry, Author, AuthorAction, Comment, CommentReport, Site

#: Restriction types and the comment status or author status each one is.
COMMENT_TYPES = ("reject", "hold")  # the decisions that restrict a comment
SANCTION_TYPES = {
    "watch": AuthorStatus.WATCHED.value,
    "suspend": AuthorStatus.SUSPENDED.value,
    "block": AuthorStatus.BLOCKED.value,
}
UNCATEGORISED = "uncategorised"
HUMAN_PREFIX = actor_name("")  # every dashboard user acts as "moderator:<name>"


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    site: str
    since: str
    until: str
    reports_received: int
    reports_by_reason: dict[str, int]
    reports_grouped: int  # on an already-reviewed comment: counted, not queued
    reports_answered: int  # answered after a person's review (grouped ones excluded)
    median_hours_to_action: float | None
    restrictions_by_type: dict[str, int]
    restrictions_by_category: dict[str, int]
    decisions: dict[str, dict[str, int]]  # "automated" / "human" -> decision -> count
    complaints: dict[str, Any]
    sanctions: dict[str, dict[str, int]]  # "automated" / "human" -> status -> count

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median_hours(pairs: list[tuple[datetime, datetime | None]]) -> float | None:
    hours = [(end - start).total_seconds() / 3600 for start, end in pairs if end is not None]
    return round(statistics.median(hours), 2) if hours else None


def _human(actor: Any) -> sa.ColumnElement[str]:
    """``human`` for a moderator's action, ``automated`` for the policy's (or the ladder's)."""
    return sa.case((actor.startswith(HUMAN_PREFIX), "human"), else_="automated")


#: Audit actions that are decisions on a comment.
DECISION_ACTIONS = ("comment.decided", "comment.approved", "comment.rejected", "comment.kept")


def _outcome() -> sa.ColumnElement[str | None]:
    """The outcome an audited decision records: the policy's ``details.decision``; a
    moderator's approve (``publish``), reject (``reject``) or keep (``keep``)."""
    return sa.case(
        (AuditEntry.action == "comment.decided", AuditEntry.details["decision"].as_string()),
        (AuditEntry.action == "comment.approved", "publish"),
        (AuditEntry.action == "comment.rejected", "reject"),
        (AuditEntry.action == "comment.kept", "keep"),
        else_=None,
    )


def _category() -> sa.ColumnElement[str]:
    """A restriction's category: a moderator's reject reason when it is a category; else the
    first reason of the decision (the policy's, as audited; for a moderator's, the
    comment's); else ``uncategorised``."""
    reason = AuditEntry.details["reason"].as_string()
    audited = AuditEntry.details[("reasons", 0, "category")].as_string()
    current = Comment.reasons[(0, "category")].as_string()
    return sa.case(
        (reason.in_([str(c) for c in CATEGORIES]), reason),
        (AuditEntry.action == "comment.decided", sa.func.coalesce(audited, UNCATEGORISED)),
        else_=sa.func.coalesce(current, UNCATEGORISED),
    )


def build(site: Site, *, since: datetime, until: datetime) -> TransparencyReport:
    audited = [
        AuditEntry.site_id == site.id,
        AuditEntry.created_at >= since,
        AuditEntry.created_at < until,
        AuditEntry.action.in_(DECISION_ACTIONS),
    ]
    report_where = [
        CommentReport.site_id == site.id,
        CommentReport.created_at >= since,
        CommentReport.created_at < until,
    ]
    by_reason = dict(
        db.session.execute(
            sa.select(CommentReport.reason, sa.func.count())
            .where(*report_where)
            .group_by(CommentReport.reason)
            .order_by(CommentReport.reason)
        ).all()
    )
    grouped = db.session.execute(
        sa.select(sa.func.count()).where(*report_where, CommentReport.grouped.is_(True))
    ).scalar_one()
    answered = db.session.execute(
        sa.select(CommentReport.created_at, CommentReport.resolved_at).where(
            *report_where, CommentReport.grouped.is_(False), CommentReport.state == "resolved"
        )
    ).all()

    outcome = _outcome()
    restricted = [*audited, outcome.in_(list(COMMENT_TYPES))]
    by_type = dict(
        db.session.execute(
            sa.select(outcome, sa.func.count()).where(*restricted).group_by(outcome)
        ).all()
    )
    category = _category()
    by_category = dict(
        db.session.execute(
            sa.select(category, sa.func.count())
            .select_from(AuditEntry)
            .outerjoin(
                Comment,
                sa.and_(
                    Comment.site_id == AuditEntry.site_id,
                    Comment.external_id == AuditEntry.target_id,
                ),
            )
            .where(*restricted)
            .group_by(category)
        ).all()
    )
    sanction_where = [
        Author.site_id == site.id,
        AuthorAction.created_at >= since,
        AuthorAction.created_at < until,
        AuthorAction.to_status.in_(list(SANCTION_TYPES.values())),
    ]
    who = _human(AuthorAction.actor)
    sanction_rows = db.session.execute(
        sa.select(who, AuthorAction.to_status, sa.func.count())
        .join(Author, Author.id == AuthorAction.author_id)
        .where(*sanction_where)
        .group_by(who, AuthorAction.to_status)
    ).all()
    sanctions: dict[str, dict[str, int]] = {"automated": {}, "human": {}}
    by_sanction = dict.fromkeys(SANCTION_TYPES.values(), 0)
    for kind, status, n in sanction_rows:
        sanctions[kind][status] = int(n)
        by_sanction[status] += int(n)

    decider = _human(AuditEntry.actor)
    decisions: dict[str, dict[str, int]] = {"automated": {}, "human": {}}
    for kind, decision, n in db.session.execute(
        sa.select(decider, outcome, sa.func.count())
        .where(*audited, outcome.is_not(None))
        .group_by(decider, outcome)
    ).all():
        decisions[kind][str(decision)] = int(n)

    complaint_stats = complaints.stats(site_id=site.id, since=since, until=until)
    types = {name: int(by_type.get(name, 0)) for name in COMMENT_TYPES}
    types.update({name: by_sanction[status] for name, status in SANCTION_TYPES.items()})
    return TransparencyReport(
        site=site.name,
        since=since.isoformat(),
        until=until.isoformat(),
        reports_received=sum(int(n) for n in by_reason.values()),
        reports_by_reason={str(k): int(v) for k, v in by_reason.items()},
        reports_grouped=int(grouped),
        reports_answered=len(answered),
        median_hours_to_action=_median_hours([(a, b) for a, b in answered]),
        restrictions_by_type=types,
        restrictions_by_category={str(k): int(v) for k, v in sorted(by_category.items())},
        decisions=decisions,
        complaints=asdict(complaint_stats),
        sanctions=sanctions,
    )


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), inner)
    else:
        yield prefix, "" if value is None else str(value)


def csv_text(report: TransparencyReport) -> str:
    """The report as CSV (``figure,value`` rows, dotted figure names); every cell is
    neutralised against spreadsheet formula injection and quoted as needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["figure", "value"])
    for key, value in _flatten("", report.as_dict()):
        writer.writerow([neutralise(key), neutralise(value)])
    return buffer.getvalue()
