"""An author's record: comments and decisions, strikes, status changes, notes; and the
actions watch / suspend / block / reinstate / add a note."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from moderation import configured
from moderation.clock import utcnow
from moderation.dashboard.auth import current_moderator, requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.cards import build_card
from moderation.dashboard.common import parse
from moderation.dashboard.forms import (
    AuthorQuery,
    FormError,
    NoteInput,
    ReinstateInput,
    SanctionInput,
)
from moderation.extensions import db
from moderation.services import events, review
from moderation.services import queue as queue_service


@bp.get("/authors/<int:author_id>")
@requires("moderator")
def author(author_id: int) -> str:
    query = parse(AuthorQuery, request.args)
    now = utcnow()
    record = queue_service.author_record(author_id, now=now, page=query.page)
    if record is None:
        abort(404)
    policies = configured.policies()
    return render_template(
        "dashboard/author.html",
        record=record,
        cards=[build_card(item, policies) for item in record.comments.items],
        page=record.comments,
        reasons=review.REJECT_REASONS,
        now=now,
    )


def _done(author_id: int, message: str | None = None, error: str | None = None) -> Response:
    flash(error or message or "", "error" if error else "success")
    return redirect(url_for("dashboard.author", author_id=author_id))


@bp.post("/authors/<int:author_id>/sanction")
@requires("moderator")
def sanction(author_id: int) -> Response:
    try:
        form = SanctionInput.parse(request.form)
        review.sanction_author(
            author_id,
            form.sanction,
            actor=current_moderator().actor,
            policies=configured.policies(),
            reason=form.reason,
            days=form.days,
            now=utcnow(),
        )
    except (FormError, review.ReviewError) as exc:
        db.session.rollback()
        return _done(author_id, error=str(exc))
    notice = events.site_notice(author_id=author_id)
    return _done(author_id, f"Author {form.sanction}: done; {notice}.")


@bp.post("/authors/<int:author_id>/reinstate")
@requires("moderator")
def reinstate(author_id: int) -> Response:
    try:
        form = ReinstateInput.parse(request.form)
        review.reinstate_author(
            author_id,
            actor=current_moderator().actor,
            policies=configured.policies(),
            reason=form.reason,
            now=utcnow(),
        )
    except (FormError, review.ReviewError) as exc:
        db.session.rollback()
        return _done(author_id, error=str(exc))
    return _done(author_id, f"Author reinstated; {events.site_notice(author_id=author_id)}.")


@bp.post("/authors/<int:author_id>/notes")
@requires("moderator")
def add_note(author_id: int) -> Response:
    try:
        form = NoteInput.parse(request.form)
        review.add_note(author_id, actor=current_moderator().actor, text=form.text, now=utcnow())
    except (FormError, review.ReviewError) as exc:
        db.session.rollback()
        return _done(author_id, error=str(exc))
    return _done(author_id, "Note added.")
