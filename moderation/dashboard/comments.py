"""The comments browser: search every comment, open one, change a past decision (the
change goes through the same review actions as the queue's)."""

from __future__ import annotations

from flask import abort, render_template, request

from moderation import configured
from moderation.clock import utcnow
from moderation.dashboard.auth import requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.cards import build_card
from moderation.dashboard.common import card_page, language_choices, parse
from moderation.dashboard.forms import SearchQuery
from moderation.services import labels, revisions
from moderation.services import queue as queue_service
from moderation.services.review import REJECT_REASONS
from moderation.statuses import CommentStatus


@bp.get("/comments")
@requires("moderator")
def comments() -> str:
    query = parse(SearchQuery, request.args)
    page = queue_service.search_comments(
        queue_service.SearchFilters(
            text=query.q,
            author=query.author,
            article=query.article,
            status=query.status,
            decided_by=query.by,
            category=str(query.category) if query.category else None,
            language=query.language,
            site=query.site,
            since=query.since,
            until=query.until,
        ),
        now=utcnow(),
        page=query.page,
    )
    return card_page(
        "dashboard/comments.html",
        page,
        query,
        statuses=CommentStatus.ALL,
        languages=language_choices(queue_service.languages_present(), query.language),
    )


@bp.get("/comments/<int:comment_id>")
@requires("moderator")
def comment(comment_id: int) -> str:
    item = queue_service.queue_item(comment_id, now=utcnow())
    if item is None:
        abort(404)
    return render_template(
        "dashboard/comment.html",
        card=build_card(item, configured.policies()),
        reasons=REJECT_REASONS,
        label=labels.stored(item.comment.site_id, item.comment.external_id),
        label_categories=labels.LABEL_CATEGORIES,
        revisions=revisions.history(item.comment),
    )
