"""The Model page: per site, the live site model, the promotion gate's history (every
candidate with its side-by-side figures and verdict) and the learning curve (the candidates'
held-out AUC against the number of labels they were trained on), drawn as server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from moderation import configured
from moderation.dashboard.auth import requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.charts import line_chart
from moderation.extensions import db
from moderation.scoring.site_model import SiteModelStore
from moderation.services.decisions import SHADOW_DECISION
from moderation.tables import Comment, Site

SITE_AUC = "site AUC: "
#: The shadow comparison reads this many of the site's latest decided comments ...
SHADOW_SCAN = 500
#: ... and lists at most this many where the shadow model would have decided differently.
SHADOW_SHOWN = 50


@dataclass
class SiteModels:
    name: str
    live: str | None
    cards: list[dict[str, Any]]  # newest first
    curve: Markup
    shadow: str | None = None
    differences: list[Comment] = field(default_factory=list)


def learning_curve(cards: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """Per category, (labels, candidate AUC on the held-out labels) of every candidate."""
    series: dict[str, list[tuple[float, float]]] = {}
    for card in cards:
        for row in card.get("gate", {}).get("rows", []):
            name, value = str(row.get("name", "")), row.get("candidate")
            if name.startswith(SITE_AUC) and isinstance(value, int | float):
                series.setdefault(name.removeprefix(SITE_AUC), []).append(
                    (float(card.get("labels", 0)), float(value))
                )
    return series


def shadow_differences(site_id: int) -> list[Comment]:
    """The site's latest comments whose shadow model would have decided otherwise than the
    policy did (newest first)."""
    rows = db.session.execute(
        sa.select(Comment)
        .where(Comment.site_id == site_id, Comment.auto_decision.is_not(None))
        .order_by(Comment.decided_at.desc(), Comment.id.desc())
        .limit(SHADOW_SCAN)
    ).scalars()
    out = []
    for row in rows:
        would = (row.versions or {}).get(SHADOW_DECISION)
        if would is not None and would != row.auto_decision:
            out.append(row)
            if len(out) == SHADOW_SHOWN:
                break
    return out


def site_models(store: SiteModelStore) -> list[SiteModels]:
    out = []
    for site_id, name in db.session.execute(sa.select(Site.id, Site.name).order_by(Site.name)):
        cards = store.versions(name)
        out.append(
            SiteModels(
                name=name,
                live=store.current(name),
                cards=list(reversed(cards)),
                curve=line_chart(
                    learning_curve(cards),
                    title=f"{name}: held-out AUC against labels",
                    empty="no site model trained yet",
                ),
                shadow=store.shadow(name),
                differences=shadow_differences(site_id),
            )
        )
    return out


@bp.get("/model")
@requires("moderator")
def model() -> str:
    store = SiteModelStore(configured.settings().resolved_site_models_dir())
    return render_template("dashboard/model.html", sites=site_models(store))
