"""Helpers shared by the dashboard's views: parsing input, going back, answering an action
with either a re-rendered card (for the page's script) or a redirect (plain forms)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from moderation import configured
from moderation.clock import utcnow
from moderation.dashboard.auth import safe_next, wants_fragment
from moderation.dashboard.cards import build_card
from moderation.dashboard.forms import FormError, Input
from moderation.extensions import db
from moderation.scoring.language import language_name
from moderation.scoring.types import CATEGORIES
from moderation.services.queue import Page, QueueItem, queue_item, site_names
from moderation.services.review import REJECT_REASONS, ReviewError

InputT = TypeVar("InputT", bound=Input)


def parse(model: type[InputT], data: MultiDict[str, str]) -> InputT:
    """Validated input, or a 400 page naming the bad fields."""
    try:
        return model.parse(data)
    except FormError as exc:
        abort(400, description=str(exc))


def card_page(template: str, page: Page[QueueItem], query: object, **extra: Any) -> str:
    """A page of comment cards with the filter choices (the queue, the comments browser)."""
    policies = configured.policies()
    return render_template(
        template,
        cards=[build_card(item, policies) for item in page.items],
        page=page,
        query=query,
        sites=site_names(),
        categories=[str(c) for c in CATEGORIES],
        reasons=REJECT_REASONS,
        **extra,
    )


def language_choices(present: list[str], current: str | None) -> list[tuple[str, str]]:
    """(code, "Russian (ru)") for the language filter: the languages present, plus the
    current choice so a filter that matches nothing still shows what it is."""
    codes = sorted({*present, *([current] if current else [])})
    return [(code, f"{language_name(code)} ({code})") for code in codes]


def back(next_url: str | None, endpoint: str = "dashboard.queue") -> Response:
    return redirect(safe_next(next_url) or url_for(endpoint))


def card_fragment(comment_id: int, *, message: str | None, error: str | None) -> tuple[str, int]:
    item = queue_item(comment_id, now=utcnow())
    if item is None:
        abort(404)
    html = render_template(
        "dashboard/_card.html",
        card=build_card(item, configured.policies()),
        message=message,
        error=error,
        fragment=True,
    )
    return html, 409 if error else 200


def act_on_comment(
    comment_id: int,
    action: Callable[[], object],
    *,
    done: str,
    next_url: str | None,
) -> ResponseReturnValue:
    """Run a review action; answer the script with the updated card, a form with a redirect.

    A :class:`~moderation.services.review.ReviewError` (say, another moderator decided the
    comment first) rolls back and is shown on the card, which then shows the current state.
    """
    error = None
    try:
        action()
    except ReviewError as exc:
        db.session.rollback()
        error = str(exc)
    if wants_fragment():
        return card_fragment(comment_id, message=None if error else done, error=error)
    flash(error or done, "error" if error else "success")
    return back(next_url)


def form_error(comment_id: int, exc: FormError, next_url: str | None) -> ResponseReturnValue:
    if wants_fragment():
        html, _ = card_fragment(comment_id, message=None, error=str(exc))
        return html, 422
    flash(str(exc), "error")
    return back(next_url)
