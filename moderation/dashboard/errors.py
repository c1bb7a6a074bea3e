"""HTML error pages for the dashboard, and what every dashboard template can use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]
from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped]
from werkzeug.exceptions import HTTPException

from moderation.clock import utcnow
from moderation.dashboard.auth import wants_fragment
from moderation.dashboard.blueprint import bp
from moderation.dashboard.cards import age
from moderation.sanctions import SANCTIONS
from moderation.services.queue import queue_summary
from moderation.services.review import REJECT_REASONS, reason_text

MESSAGES = {
    400: "The request was not valid.",
    403: "You do not have access to this page.",
    404: "There is nothing here.",
    405: "This address does not accept that kind of request.",
    429: "Too many attempts. Wait a minute and try again.",
}
CSRF_MESSAGE = (
    "The form had expired or did not come from this dashboard, so nothing was changed. "
    "Reload the page and try again."
)


def _page(status: int, message: str) -> ResponseReturnValue:
    if wants_fragment():
        return message, status
    if status == 429 and request.endpoint == "dashboard.login":
        return render_template("dashboard/login.html", error=message, next_url=None), 429
    return render_template("dashboard/error.html", status=status, message=message), status


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> ResponseReturnValue:
    return _page(400, CSRF_MESSAGE)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    if status == 400 and exc.description:
        return _page(status, str(exc.description))
    return _page(status, MESSAGES.get(status, exc.name))


@bp.app_template_filter("utc")
def format_utc(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@bp.app_template_filter("ago")
def format_ago(moment: datetime | None) -> str:
    return age(moment, utcnow()) + " ago" if moment else "-"


@bp.context_processor
def _common() -> dict[str, Any]:
    shared: dict[str, Any] = {
        "reject_reasons": REJECT_REASONS,
        "reason_text": reason_text,
        "sanctions": SANCTIONS,
        "user": None,
        "queue_size": None,
    }
    if current_user.is_authenticated:
        shared.update(user=current_user, queue_size=queue_summary().size)
    return shared
