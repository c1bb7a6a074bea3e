"""The allow-list page: names each site allows although they hold a listed word.

Moderators add and remove entries per site; every change is checked and audited by
:mod:`moderation.services.allowlist` and reaches the scorer at the next comment.
"""

from __future__ import annotations

from typing import Annotated

from flask import abort, flash, redirect, render_template, request, url_for
from pydantic import Field
from werkzeug.wrappers import Response

from moderation import configured
from moderation.clock import utcnow
from moderation.dashboard.auth import current_moderator, requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.common import parse
from moderation.dashboard.forms import Input, RowId
from moderation.extensions import db
from moderation.scoring.names import MAX_ALLOW_ENTRIES, MAX_ALLOW_ENTRY_LENGTH
from moderation.services import allowlist
from moderation.services import sites as site_service


class AllowEntryInput(Input):
    # Longer than an entry may be, so that the service names the problem.
    term: Annotated[str, Field(max_length=4 * MAX_ALLOW_ENTRY_LENGTH)]


class AllowRemoveInput(Input):
    entry_id: RowId


@bp.get("/allowlist")
@requires("moderator")
def allow_list() -> str:
    sites = site_service.sites_by_name()
    return render_template(
        "dashboard/allowlist.html",
        sites=[(site, allowlist.entries(site.id)) for site in sites],
        max_entries=MAX_ALLOW_ENTRIES,
        max_length=MAX_ALLOW_ENTRY_LENGTH,
    )


@bp.post("/allowlist/<int:site_id>/add")
@requires("moderator")
def allow_add(site_id: int) -> Response:
    site = site_service.site_by_id(site_id)
    if site is None:
        abort(404)
    form = parse(AllowEntryInput, request.form)
    try:
        entry = allowlist.add_entry(
            site,
            form.term,
            rules=configured.pipeline().rules,
            actor=current_moderator().actor,
            now=utcnow(),
        )
    except allowlist.AllowListError as exc:
        db.session.rollback()
        flash(f"Not added: {exc}.", "error")
    else:
        db.session.commit()
        flash(f"{entry.term} added to the allow-list of {site.name}.", "success")
    return redirect(url_for("dashboard.allow_list", _anchor=f"site-{site_id}"))


@bp.post("/allowlist/<int:site_id>/remove")
@requires("moderator")
def allow_remove(site_id: int) -> Response:
    site = site_service.site_by_id(site_id)
    if site is None:
        abort(404)
    form = parse(AllowRemoveInput, request.form)
    try:
        entry = allowlist.remove_entry(
            site, form.entry_id, actor=current_moderator().actor, now=utcnow()
        )
    except allowlist.AllowListError as exc:
        db.session.rollback()
        flash(f"Not removed: {exc}.", "error")
    else:
        db.session.commit()
        flash(f"{entry.term} removed from the allow-list of {site.name}.", "success")
    return redirect(url_for("dashboard.allow_list", _anchor=f"site-{site_id}"))
