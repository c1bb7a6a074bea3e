"""Pages for the DSA duties: the Reported queue (readers' reports), complaints against
decisions, and the transparency report with its JSON and CSV exports. Every action goes
through a service: :mod:`moderation.services.review` (the queue's review actions and
``keep``), :mod:`moderation.services.complaints`, :mod:`moderation.services.transparency`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from moderation import configured
from moderation.clock import utcnow
from moderation.dashboard.auth import current_moderator, requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.cards import build_card
from moderation.dashboard.common import act_on_comment, form_error, parse
from moderation.dashboard.forms import (
    ComplaintInput,
    FormError,
    KeepInput,
    ReportedQuery,
    TransparencyQuery,
)
from moderation.services import complaints, events, review, transparency
from moderation.services import reports as reports_service
from moderation.services.queue import day_start, site_names
from moderation.services.sites import get_site as find_site


@bp.get("/reported")
@requires("moderator")
def reported() -> str:
    query = parse(ReportedQuery, request.args)
    page = reports_service.reported_queue(site=query.site, now=utcnow(), page=query.page)
    policies = configured.policies()
    return render_template(
        "dashboard/reported.html",
        entries=[(entry, build_card(entry.item, policies)) for entry in page.items],
        page=page,
        query=query,
        sites=site_names(),
    )


@bp.post("/comments/<int:comment_id>/keep")
@requires("moderator")
def keep(comment_id: int) -> ResponseReturnValue:
    """Answer a reported comment's reports and leave its decision as it is."""
    try:
        form = KeepInput.parse(request.form)
    except FormError as exc:
        return form_error(comment_id, exc, request.form.get("next"))
    notice = events.site_notice(comment_id=comment_id)
    return act_on_comment(
        comment_id,
        lambda: review.keep(
            comment_id,
            actor=current_moderator().actor,
            note=form.note,
            now=utcnow(),
            seen_version=form.version,
        ),
        done=f"Kept as it is; the reports are answered; {notice}.",
        next_url=form.next or url_for("dashboard.reported"),
    )


@bp.get("/complaints")
@requires("moderator")
def complaints_page() -> str:
    now = utcnow()
    actor = current_moderator().actor
    waiting = complaints.pending()
    return render_template(
        "dashboard/complaints.html",
        waiting=[(c, complaints.refusal(c, actor)) for c in waiting],
        handled=complaints.recent(),
        stats=complaints.stats(site_id=None, since=now - timedelta(days=365), until=now),
        deadline=complaints.deadline,
    )


@bp.post("/complaints/<int:complaint_id>")
@requires("moderator")
def handle_complaint(complaint_id: int) -> ResponseReturnValue:
    try:
        form = ComplaintInput.parse(request.form)
    except FormError as exc:
        flash(f"Complaint {complaint_id} was not handled: {exc}", "error")
        return redirect(url_for("dashboard.complaints_page"))
    try:
        done = complaints.handle(
            complaint_id,
            actor=current_moderator().actor,
            outcome=form.outcome,
            reply=form.reply,
            policies=configured.policies(),
            now=utcnow(),
        )
    except complaints.ComplaintError as exc:
        if exc.status == 404:
            abort(404)
        flash(f"Complaint {complaint_id} was not handled: {exc}", "error")
    else:
        verb = "reversed: the decision is undone" if done.state == "reversed" else "upheld"
        flash(f"Complaint {complaint_id} {verb}; the reply goes to the site.", "success")
    return redirect(url_for("dashboard.complaints_page"))


def _period(query: TransparencyQuery) -> tuple[datetime, datetime]:
    return day_start(query.since), day_start(query.until) + timedelta(days=1)


def _report(query: TransparencyQuery) -> transparency.TransparencyReport | None:
    site = find_site(query.site)
    if site is None:
        return None
    since, until = _period(query)
    return transparency.build(site, since=since, until=until)


@bp.get("/transparency")
@requires("moderator")
def transparency_page() -> ResponseReturnValue:
    sites = site_names()
    args = request.args
    if not args and sites:  # the form's defaults: the first site, the last 30 days
        today = utcnow().date()
        defaults: dict[str, Any] = {
            "site": sites[0],
            "from": (today - timedelta(days=29)).isoformat(),
            "to": today.isoformat(),
        }
        return redirect(url_for("dashboard.transparency_page", **defaults))
    error = None
    report = None
    try:
        query: TransparencyQuery | None = TransparencyQuery.parse(args)
    except FormError as exc:
        query, error = None, str(exc)
    if query is not None:
        report = _report(query)
        if report is None:
            error = f"site: no site named {query.site!r}"
    return render_template(
        "dashboard/transparency.html",
        report=report,
        error=error,
        sites=sites,
        args=args,
    ), (400 if error else 200)


def _export_error(message: str) -> tuple[Response, int]:
    field = message.split(":", 1)[0] if ":" in message else "(query)"
    return jsonify(
        {
            "error": {
                "code": "invalid_query",
                "message": message,
                "fields": [{"field": field, "problem": message}],
            }
        }
    ), 400


def _export() -> transparency.TransparencyReport | tuple[Response, int]:
    try:
        query = TransparencyQuery.parse(request.args)
    except FormError as exc:
        return _export_error(str(exc))
    report = _report(query)
    if report is None:
        return _export_error(f"site: no site named {query.site!r}")
    return report


@bp.get("/transparency.json")
@requires("moderator")
def transparency_json() -> ResponseReturnValue:
    report = _export()
    if not isinstance(report, transparency.TransparencyReport):
        return report
    return jsonify(report.as_dict())


@bp.get("/transparency.csv")
@requires("moderator")
def transparency_csv() -> ResponseReturnValue:
    report = _export()
    if not isinstance(report, transparency.TransparencyReport):
        return report
    name = f"transparency-{report.site}-{report.since[:10]}-{report.until[:10]}.csv"
    return Response(
        transparency.csv_text(report),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
