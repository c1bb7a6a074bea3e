"""The dashboard's blueprint, in its own module so the page modules import it without
importing the package that imports them. Every page passes :func:`.auth.guard` first."""

from __future__ import annotations

from flask import Blueprint

from moderation.dashboard.auth import guard

bp = Blueprint("dashboard", __name__)
bp.before_request(guard)
