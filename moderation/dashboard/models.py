"""The Model page: per site, the live site model, the promotion gate's history (every
candidate with its side-by-side figures and verdict) and the learning curve (the candidates'
held-out AUC against the number of labels they were trained on), drawn as server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from moderation import state
from moderation.dashboard import bp
from moderation.dashboard.auth import requires
from moderation.dashboard.charts import line_chart
from moderation.extensions import db
from moderation.scoring.site_model import SiteModelStore
from moderation.tables import Site

SITE_AUC = "site AUC: "


@dataclass
class SiteModels:
    name: str
    live: str | None
    cards: list[dict[str, Any]]  # newest first
    curve: Markup
    extra: dict[str, Any] = field(default_factory=dict)


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


def site_models(store: SiteModelStore) -> list[SiteModels]:
    out = []
    for name in db.session.execute(sa.select(Site.name).order_by(Site.name)).scalars():
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
            )
        )
    return out


@bp.get("/model")
@requires("moderator")
def model() -> str:
    store = SiteModelStore(state.settings().resolved_site_models_dir())
    return render_template("dashboard/model.html", sites=site_models(store))
