"""What the dashboard says became of the site's notification after a moderator's action:
"will be notified" only when the site has a callback URL (issue 10, item 15)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.tables import Author, Event, Site
from tests.dashboard.seed import add_comment, token

NOT_SENT = "news has no callback URL configured, so it was not notified"
QUEUED = "news will be notified"


def with_callback(app: Flask, url: str | None) -> None:
    with app.app_context():
        db.session.execute(sa.update(Site).values(callback_url=url))
        db.session.commit()


def event_statuses(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(Event.status).order_by(Event.seq)).scalars())


@pytest.mark.parametrize(
    ("callback_url", "message", "status"),
    [(None, NOT_SENT, "skipped"), ("https://news.example/hooks", QUEUED, "pending")],
)
def test_approve_says_whether_the_site_is_notified(
    app: Flask, as_moderator: FlaskClient, callback_url: str | None, message: str, status: str
) -> None:
    with_callback(app, callback_url)
    comment_id = add_comment(app, "c1", "You are a fool")
    as_moderator.post(
        f"/dashboard/comments/{comment_id}/approve", data={"csrf_token": token(as_moderator)}
    )
    page = as_moderator.get("/dashboard/").text
    assert f"Approved: published; {message}." in page
    assert "and the site was notified" not in page
    assert event_statuses(app) == [status]


@pytest.mark.parametrize(
    ("callback_url", "message"),
    [(None, NOT_SENT), ("https://news.example/hooks", QUEUED)],
)
def test_sanction_and_reinstate_say_whether_the_site_is_notified(
    app: Flask, as_moderator: FlaskClient, callback_url: str | None, message: str
) -> None:
    with_callback(app, callback_url)
    add_comment(app, "c1", "First comment", status="published")
    with app.app_context():
        author_id = db.session.execute(sa.select(Author.id)).scalar_one()
    page = f"/dashboard/authors/{author_id}"
    csrf = token(as_moderator, page)
    as_moderator.post(
        f"{page}/sanction",
        data={"csrf_token": csrf, "sanction": "watch", "reason": "keeps provoking"},
    )
    assert f"Author watch: done; {message}." in as_moderator.get(page).text
    as_moderator.post(f"{page}/reinstate", data={"csrf_token": csrf, "reason": "calmer now"})
    text = as_moderator.get(page).text
    assert f"Author reinstated; {message}." in text
    assert "and the site was notified" not in text
