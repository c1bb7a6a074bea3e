"""``/dashboard/categories.css``: each declared category's colours, from the registry
(moderation/categories.py), so a category added there is coloured without editing the style
sheet. Names and colours are validated by the registry, so they are safe in CSS."""

from __future__ import annotations

from flask import Response

from moderation import categories
from moderation.dashboard.auth import requires
from moderation.dashboard.blueprint import bp


def category_css() -> str:
    lines = ["/* Generated from the category registry (moderation/categories.py). */"]
    for c in categories.declared():
        lines.append(
            f"mark.hl-model.cat-{c.name}, sup.cat-{c.name} {{ text-decoration-color: {c.colour}; }}"
        )
        if c.highlight is not None:
            lines.append(f"mark.hl-rule.cat-{c.name} {{ background: {c.highlight}; }}")
    return "\n".join(lines) + "\n"


@bp.route("/categories.css")
@requires("moderator")
def category_styles() -> Response:
    return Response(category_css(), mimetype="text/css", headers={"Cache-Control": "no-cache"})
