"""A moderator's decision in the dashboard is a labelled example of the site."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.tables import SiteLabel
from tests.dashboard.seed import add_comment, token


def test_reject_then_overturn_in_the_dashboard_labels_the_comment(
    app: Flask, as_moderator: FlaskClient
) -> None:
    published = add_comment(app, "c1", "You are all idiots", status="published")
    as_moderator.post(
        f"/dashboard/comments/{published}/reject",
        data={"csrf_token": token(as_moderator), "reason": "attack"},
    )
    with app.app_context():
        row = db.session.execute(sa.select(SiteLabel)).scalar_one()
        assert (row.comment_id, row.comment_ref, row.text) == (
            published,
            "c1",
            "You are all idiots",
        )
        assert (row.violation, row.labels["attack"], row.source) == (
            True,
            1,
            "moderator_decision",
        )
        assert row.actor == "moderator:ann"
    as_moderator.post(
        f"/dashboard/comments/{published}/approve", data={"csrf_token": token(as_moderator)}
    )
    with app.app_context():
        row = db.session.execute(sa.select(SiteLabel)).scalar_one()
        assert row.violation is False and not any(row.labels.values())
