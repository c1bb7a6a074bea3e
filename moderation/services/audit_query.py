"""Reading the audit log: filtered pages for the dashboard and a streamed CSV export.

CSV cells are neutralised against formula injection (OWASP's advice): a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a
spreadsheet shows it as text instead of evaluating it.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from moderation.extensions import db
from moderation.services.queue import Page, contains, day_start
from moderation.tables import AuditEntry, Site

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ("id", "time_utc", "actor", "action", "site", "target_type", "target_id", "details")


@dataclass(frozen=True, slots=True)
class AuditFilters:
    actor: str | None = None  # substring
    action: str | None = None  # prefix: "comment." or "auth.login_failed"
    site: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive


@dataclass(frozen=True, slots=True)
class AuditRow:
    entry: AuditEntry
    site: str | None


def _query(filters: AuditFilters) -> sa.Select[AuditEntry, str | None]:
    query = sa.select(AuditEntry, Site.name).outerjoin(Site, Site.id == AuditEntry.site_id)
    if filters.actor:
        query = query.where(contains(AuditEntry.actor, filters.actor))
    if filters.action:
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.site:
        query = query.where(Site.name == filters.site)
    if filters.since:
        query = query.where(AuditEntry.created_at >= day_start(filters.since))
    if filters.until:
        query = query.where(AuditEntry.created_at < day_start(filters.until + timedelta(days=1)))
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def search(filters: AuditFilters, *, page: int = 1, per_page: int = 50) -> Page[AuditRow]:
    query = _query(filters)
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page([AuditRow(entry, site) for entry, site in rows], total, page, per_page)


def actions() -> list[str]:
    """Every action the log holds, for the filter's suggestions."""
    return list(
        db.session.execute(
            sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
        ).scalars()
    )


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def csv_lines(filters: AuditFilters) -> Iterator[str]:
    """The filtered log as CSV text, one line at a time (rows fetched in batches)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: tuple[str, ...] | list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(cell) for cell in cells])
        return buffer.getvalue()

    yield line(CSV_HEADER)
    rows = db.session.execute(_query(filters).execution_options(yield_per=500))
    for entry, site in rows:
        yield line(
            [
                str(entry.id),
                entry.created_at.isoformat(timespec="seconds"),
                entry.actor,
                entry.action,
                site or "",
                entry.target_type or "",
                entry.target_id or "",
                json.dumps(entry.details or {}, sort_keys=True, ensure_ascii=False),
            ]
        )
