"""The site-facing JSON API (``/api/v1``): intake webhook, status, appeals."""

from __future__ import annotations

from flask import Blueprint

from moderation.api.errors import register_error_handlers

bp = Blueprint("api", __name__)
register_error_handlers(bp)

from moderation.api import comments, openapi  # noqa: E402,F401  (routes attach to bp)
