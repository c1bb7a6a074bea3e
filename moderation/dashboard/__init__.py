"""The moderator dashboard: server-rendered pages under ``/dashboard`` (``/`` redirects).

Pages: the review queue (:mod:`.queue`), the comments browser (:mod:`.comments`), author
records (:mod:`.authors`), the audit log (:mod:`.audit`), the overview (:mod:`.overview`), the
sites' allow-lists of names (:mod:`.allowlist`)
and, for admins, sites, users and the policy (:mod:`.admin`). Sign-in, roles and CSRF are in
:mod:`.auth`. Templates are in ``moderation/templates/dashboard``; the one script and style
sheet in ``moderation/static/dashboard`` (the CSP allows no inline script or style).
"""

from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from moderation.dashboard import (  # routes attach to bp
    admin,
    allowlist,
    audit,
    authors,
    comments,
    dsa,
    errors,
    labels,
    models,
    overview,
    queue,
    session,
    style,
)
from moderation.dashboard.blueprint import bp


def register_dashboard(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/dashboard")
    app.add_url_rule("/", endpoint="index", view_func=_to_dashboard)


def _to_dashboard() -> Response:
    return redirect(url_for("dashboard.queue"))


__all__ = [
    "admin",
    "allowlist",
    "audit",
    "authors",
    "bp",
    "comments",
    "dsa",
    "errors",
    "labels",
    "models",
    "overview",
    "queue",
    "register_dashboard",
    "session",
    "style",
]
