"""The JSON API's blueprint, in its own module so the route modules import it without
importing the package that imports them."""

from __future__ import annotations

from flask import Blueprint

from moderation.api.errors import register_error_handlers

bp = Blueprint("api", __name__)
register_error_handlers(bp)
