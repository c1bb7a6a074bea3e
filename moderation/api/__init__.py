"""The site-facing JSON API (``/api/v1``): intake webhook, status, appeals."""

from __future__ import annotations

from moderation.api import comments, openapi, reports  # noqa: F401  (routes attach to bp)
from moderation.api.blueprint import bp

__all__ = ["bp"]
