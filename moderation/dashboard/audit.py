"""The audit log: filter it, page through it, export it as CSV (streamed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, render_template, request, stream_with_context

from moderation.clock import utcnow
from moderation.dashboard.auth import requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.cards import readable_details
from moderation.dashboard.common import parse
from moderation.dashboard.forms import AuditQuery
from moderation.services import audit_query
from moderation.services.queue import site_names


@bp.app_template_filter("readable_details")
def _readable_details(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    return readable_details(details)


def _filters(query: AuditQuery) -> audit_query.AuditFilters:
    return audit_query.AuditFilters(
        actor=query.actor,
        action=query.action,
        site=query.site,
        since=query.since,
        until=query.until,
    )


@bp.get("/audit")
@requires("moderator")
def audit() -> str:
    query = parse(AuditQuery, request.args)
    page = audit_query.search(_filters(query), page=query.page)
    return render_template(
        "dashboard/audit.html",
        page=page,
        query=query,
        actions=audit_query.actions(),
        sites=site_names(),
        export_args={k: v for k, v in request.args.items() if k != "page" and v},
    )


@bp.get("/audit.csv")
@requires("moderator")
def audit_csv() -> Response:
    query = parse(AuditQuery, request.args)
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    return Response(
        stream_with_context(audit_query.csv_lines(_filters(query))),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
