"""The Model page: per site, the live site model, the promotion gate's history (every
candidate with its side-by-side figures and verdict) and the learning curve (the candidates'
held-out AUC against the number of labels they were trained on), drawn as server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import render_template
from markupsafe import Markup

from moderation import configured
from moderation.dashboard.auth import requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.charts import line_chart
from moderation.scoring.site_model import SiteModelStore
from moderation.services import queue, sites

if TYPE_CHECKING:
    from moderation.tables import Comment

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


def site_models(store: SiteModelStore) -> list[SiteModels]:
    out = []
    for site in sites.sites_by_name():
        name = site.name
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
                differences=queue.shadow_differences(site.id, scan=SHADOW_SCAN, shown=SHADOW_SHOWN),
            )
        )
    return out


@bp.get("/model")
@requires("moderator")
def model() -> str:
    store = SiteModelStore(configured.settings().resolved_site_models_dir())
    return render_template("dashboard/model.html", sites=site_models(store))
