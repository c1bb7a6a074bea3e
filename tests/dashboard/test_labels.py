"""A moderator's decision in the dashboard is a labelled example of the site."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.tables import AuditEntry, SiteLabel
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


def test_the_comment_page_shows_the_label_and_corrects_its_category(
    app: Flask, as_moderator: FlaskClient
) -> None:
    held = add_comment(app, "c1", "Buy cheap watches <b>now</b>")
    as_moderator.post(
        f"/dashboard/comments/{held}/reject",
        data={"csrf_token": token(as_moderator), "reason": "attack"},
    )
    page = as_moderator.get(f"/dashboard/comments/{held}").text
    assert "violation: attack" in page and f"/dashboard/comments/{held}/label" in page
    assert "<b>now</b>" not in page
    answer = as_moderator.post(
        f"/dashboard/comments/{held}/label",
        data={"csrf_token": token(as_moderator), "category": "spam"},
    )
    assert answer.status_code == 302
    assert "violation: spam" in as_moderator.get(f"/dashboard/comments/{held}").text
    with app.app_context():
        row = db.session.execute(sa.select(SiteLabel)).scalar_one()
        assert (row.violation, row.labels["spam"], row.labels["attack"]) == (True, 1, 0)
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "label.corrected")
        ).scalar_one()
        assert (entry.actor, entry.details) == ("moderator:ann", {"from": "attack", "to": "spam"})
    as_moderator.post(
        f"/dashboard/comments/{held}/label",
        data={"csrf_token": token(as_moderator), "category": "none"},
    )
    assert "not a violation" in as_moderator.get(f"/dashboard/comments/{held}").text


def test_a_label_correction_refuses_bad_input(app: Flask, as_moderator: FlaskClient) -> None:
    held = add_comment(app, "c1", "You are all idiots")
    as_moderator.post(
        f"/dashboard/comments/{held}/reject",
        data={"csrf_token": token(as_moderator), "reason": "attack"},
    )
    bad = as_moderator.post(
        f"/dashboard/comments/{held}/label",
        data={"csrf_token": token(as_moderator), "category": "rude"},
    )
    assert bad.status_code == 400 and "category" in bad.text
    missing = as_moderator.post(
        "/dashboard/comments/99999/label",
        data={"csrf_token": token(as_moderator), "category": "spam"},
    )
    assert missing.status_code == 404
    no_token = as_moderator.post(f"/dashboard/comments/{held}/label", data={"category": "spam"})
    assert no_token.status_code in (400, 403)
    unlabelled = add_comment(app, "c2", "Fine words", status="published")
    answer = as_moderator.post(
        f"/dashboard/comments/{unlabelled}/label",
        data={"csrf_token": token(as_moderator), "category": "spam"},
        follow_redirects=True,
    )
    assert "Label not changed" in answer.text and "approve or reject it" in answer.text
    with app.app_context():
        (row,) = db.session.execute(sa.select(SiteLabel)).scalars()
        assert row.labels["attack"] == 1
