"""The overview: numbers and server-drawn SVG charts."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from moderation import configured
from moderation.services import review
from moderation.tables import utcnow
from tests.dashboard.seed import add_comment


def test_overview_renders_svg_charts(app: Flask, as_moderator: FlaskClient) -> None:
    now = utcnow()
    add_comment(app, "c1", "fine", status="published", received_at=now - timedelta(days=2))
    held = add_comment(app, "c2", "hmm", received_at=now - timedelta(hours=5))
    add_comment(app, "c3", "<b>no</b>", status="rejected", author="<script>x</script>")
    add_comment(app, "c4", "wait", received_at=now - timedelta(hours=30))
    with app.app_context():
        review.approve(held, actor="moderator:ann", policies=configured.policies(), now=now)
    page = as_moderator.get("/dashboard/overview?days=7")
    assert page.status_code == 200
    html = page.text
    assert html.count('<svg class="chart"') == 3
    assert "Comments per day by outcome" in html
    assert 'class="series-published"' in html
    assert 'class="series-rejected"' in html
    assert 'class="series-approved"' in html  # the moderator's approval
    assert '>1</span><span class="tile-label">waiting in the queue' in html
    assert "1 d" in html  # the oldest waiting comment is 30 hours old
    assert "<script>x" not in html
    assert as_moderator.get("/dashboard/overview?days=365").status_code == 400


def test_overview_with_no_data(as_moderator: FlaskClient) -> None:
    page = as_moderator.get("/dashboard/overview")
    assert page.status_code == 200
    assert "no data in this period" in page.text
