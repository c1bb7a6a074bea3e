"""The comments browser: search, one comment, changing a past decision."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.tables import Event, utcnow
from tests.dashboard.seed import add_comment, audit_actions, comment_row, token


def ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-card data-id="(\d+)"', html)]


def test_search_by_text_author_article_status_category_and_date(
    app: Flask, as_moderator: FlaskClient
) -> None:
    now = utcnow()
    old = add_comment(
        app,
        "c1",
        "The 50% rise_in rates",
        status="published",
        author="alice",
        author_name="Alice",
        received_at=now - timedelta(days=10),
    )
    held = add_comment(
        app,
        "c2",
        "You fool",
        author="bob",
        author_name="Bobby",
        article_id="a-9",
        article_title="Harbour plans",
    )
    rejected = add_comment(
        app,
        "c3",
        "Spam spam",
        status="rejected",
        author="carl",
        reasons=[
            {
                "code": "category_score",
                "outcome": "reject",
                "category": "spam",
                "score": 0.95,
                "threshold": 0.9,
            }
        ],
    )
    search = lambda q: ids(as_moderator.get(f"/dashboard/comments?{q}").text)  # noqa: E731
    assert search("") == [rejected, held, old]  # newest first
    assert search("q=50%25") == [old]  # % matches itself, not anything
    assert search("q=50_") == []  # _ too
    assert search("q=rise_in") == [old]
    assert search("author=bobb") == [held]  # part of the name
    assert search("author=carl") == [rejected]  # the site's author id
    assert search("article=harbour") == [held]
    assert search("article=a-9") == [held]
    assert search("status=rejected") == [rejected]
    assert search("category=spam") == [rejected]
    assert search("by=policy") == [rejected, held, old]
    assert search("by=moderator") == []
    day = (now - timedelta(days=10)).date().isoformat()
    assert search(f"since={day}&until={day}") == [old]
    assert search(f"until={day}") == [old]
    assert as_moderator.get("/dashboard/comments?since=yesterday").status_code == 400


def test_search_paginates(app: Flask, as_moderator: FlaskClient) -> None:
    for n in range(30):
        add_comment(app, f"c{n}", f"comment number {n}", status="published", author=f"u{n}")
    first = as_moderator.get("/dashboard/comments?status=published")
    assert len(ids(first.text)) == 25
    assert "Page 1 of 2" in first.text
    assert 'rel="next" href="/dashboard/comments?status=published&amp;page=2"' in first.text
    second = as_moderator.get("/dashboard/comments?status=published&page=2")
    assert len(ids(second.text)) == 5
    assert set(ids(first.text)).isdisjoint(ids(second.text))


def test_change_a_past_decision_is_audited_and_notifies_the_site(
    app: Flask, as_moderator: FlaskClient
) -> None:
    published = add_comment(app, "c1", "You are all idiots", status="published")
    page = as_moderator.get(f"/dashboard/comments/{published}")
    assert page.status_code == 200
    assert "Change to rejected" in page.text
    response = as_moderator.post(
        f"/dashboard/comments/{published}/reject",
        data={
            "csrf_token": token(as_moderator),
            "reason": "attack",
            "next": f"/dashboard/comments/{published}",
        },
    )
    assert response.headers["Location"] == f"/dashboard/comments/{published}"
    assert comment_row(app, published).status == "rejected"
    assert audit_actions(app)[-1] == "comment.rejected"
    overturn = as_moderator.get(f"/dashboard/comments/{published}")
    assert "Overturn: publish" in overturn.text
    as_moderator.post(
        f"/dashboard/comments/{published}/approve", data={"csrf_token": token(as_moderator)}
    )
    assert comment_row(app, published).status == "published"
    with app.app_context():
        types = db.session.execute(sa.select(Event.type).order_by(Event.seq)).scalars().all()
    assert types == ["comment.updated", "comment.updated"]


def test_unknown_comment_is_404(as_moderator: FlaskClient) -> None:
    assert as_moderator.get("/dashboard/comments/999").status_code == 404
    response = as_moderator.post(
        "/dashboard/comments/999/approve",
        data={"csrf_token": token(as_moderator)},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 404
