"""The review queue and the actions on a comment (approve, reject, reject and sanction),
one at a time or in bulk. Every action goes through :mod:`moderation.services.review`, which
audits it, keeps the author's record consistent and notifies the site."""

from __future__ import annotations

from flask import flash, request
from flask.typing import ResponseReturnValue

from moderation import configured, sanctions
from moderation.clock import utcnow
from moderation.dashboard.auth import current_moderator, requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.common import (
    act_on_comment,
    back,
    card_page,
    form_error,
    language_choices,
    parse,
)
from moderation.dashboard.forms import (
    ApproveInput,
    BulkInput,
    FormError,
    QueueQuery,
    RejectInput,
)
from moderation.services import events, review
from moderation.services import queue as queue_service


@bp.get("/")
@requires("moderator")
def queue() -> str:
    query = parse(QueueQuery, request.args)
    page = queue_service.review_queue(
        queue_service.QueueFilters(
            site=query.site,
            article=query.article,
            category=str(query.category) if query.category else None,
            language=query.language,
            appeals_only=query.appeals,
            sort=query.sort,
        ),
        now=utcnow(),
        page=query.page,
    )
    return card_page(
        "dashboard/queue.html",
        page,
        query,
        languages=language_choices(queue_service.languages_present(held_only=True), query.language),
    )


@bp.post("/comments/<int:comment_id>/approve")
@requires("moderator")
def approve(comment_id: int) -> ResponseReturnValue:
    try:
        form = ApproveInput.parse(request.form)
    except FormError as exc:
        return form_error(comment_id, exc, request.form.get("next"))
    notice = events.site_notice(comment_id=comment_id)
    return act_on_comment(
        comment_id,
        lambda: review.approve(
            comment_id,
            actor=current_moderator().actor,
            policies=configured.policies(),
            note=form.note,
            now=utcnow(),
            seen_version=form.version,
        ),
        done=f"Approved: published; {notice}.",
        next_url=form.next,
    )


@bp.post("/comments/<int:comment_id>/reject")
@requires("moderator")
def reject(comment_id: int) -> ResponseReturnValue:
    try:
        form = RejectInput.parse(request.form)
    except FormError as exc:
        return form_error(comment_id, exc, request.form.get("next"))
    done = f"Rejected ({form.reason})"
    if form.sanction is not None:
        done += f"; author {sanctions.info(form.sanction).status}"
    return act_on_comment(
        comment_id,
        lambda: review.reject(
            comment_id,
            actor=current_moderator().actor,
            policies=configured.policies(),
            reason=form.reason,
            note=form.note,
            sanction=form.sanction,
            days=form.days,
            now=utcnow(),
            seen_version=form.version,
        ),
        done=done + ".",
        next_url=form.next,
    )


@bp.post("/queue/bulk")
@requires("moderator")
def bulk() -> ResponseReturnValue:
    try:
        form = BulkInput.parse(request.form)
    except FormError as exc:
        flash(str(exc), "error")
        return back(request.form.get("next"))
    actor, policies, now = current_moderator().actor, configured.policies(), utcnow()
    if form.action == "approve":
        result = queue_service.bulk_approve(
            form.ids, actor=actor, policies=policies, now=now, seen=form.seen_versions
        )
        verb = "approved"
    else:
        assert form.reason is not None  # the form's validator requires it
        result = queue_service.bulk_reject(
            form.ids,
            reason=form.reason,
            note=form.note,
            actor=actor,
            policies=policies,
            now=now,
            seen=form.seen_versions,
        )
        verb = "rejected"
    if result.done:
        flash(f"{len(result.done)} comment(s) {verb}.", "success")
    for comment_id, problem in result.failed.items():
        flash(f"Comment #{comment_id} was not {verb}: {problem}", "error")
    return back(form.next)
