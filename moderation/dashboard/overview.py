"""The overview: how the comment section is doing, as server-drawn SVG charts."""

from __future__ import annotations

from flask import render_template, request

from moderation.clock import utcnow
from moderation.dashboard.auth import requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.cards import age
from moderation.dashboard.charts import BarRow, stacked_columns, stacked_rows
from moderation.dashboard.common import parse
from moderation.dashboard.forms import OverviewQuery
from moderation.services import stats

OUTCOME_NAMES = {
    "published": "published",
    "held": "held",
    "rejected": "rejected",
    "pending": "pending",
}
ACTION_NAMES = {
    "approved": "approved",
    "rejected": "rejected",
    "sanctions": "author sanctions",
    "other": "other",
}


@bp.get("/overview")
@requires("moderator")
def overview() -> str:
    query = parse(OverviewQuery, request.args)
    now = utcnow()
    data = stats.overview(query.days, now=now)
    labels = [day.strftime("%m-%d") for day in data.days]
    charts = {
        "outcomes": stacked_columns(
            labels, data.outcomes, title="Comments per day by outcome", names=OUTCOME_NAMES
        ),
        "categories": stacked_rows(
            [
                BarRow(
                    row.category,
                    {"held": row.held, "rejected": row.rejected},
                    f"{row.held + row.rejected} · {row.share:.1%}",
                )
                for row in data.categories
            ],
            title="Held and rejected comments by category",
            names={"held": "held", "rejected": "rejected"},
        ),
        "actions": stacked_columns(
            labels, data.actions, title="Moderator actions per day", names=ACTION_NAMES
        ),
    }
    return render_template(
        "dashboard/overview.html",
        data=data,
        charts=charts,
        query=query,
        oldest_age=age(data.queue.oldest, now) if data.queue.oldest else None,
    )
