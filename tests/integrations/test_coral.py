"""POST /integrations/coral/<site>/moderate: requests signed as Coral signs them are stored,
decided at once and answered with the status Coral applies."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderation.extensions import db
from moderation.tables import Author, Comment, CommentRevision, Strike
from tests.integrations.support import (
    CLEAN,
    LINKS,
    PROFANE,
    coral_body,
    coral_headers,
    coral_request,
    snapshot,
)

URL = "/integrations/coral/news/moderate"
TOXIC = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}
SPAM = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}


def send(client: FlaskClient, secret: str, payload: dict[str, Any], url: str = URL) -> TestResponse:
    body = coral_body(payload)
    return client.post(url, data=body, headers=coral_headers(body, secret))


def stored(app: Flask) -> list[Comment]:
    with app.app_context():
        rows = list(db.session.execute(sa.select(Comment).order_by(Comment.id)).scalars())
        for row in rows:
            _ = row.author.external_id
        db.session.expunge_all()
        return rows


def test_clean_comment_is_stored_published_and_left_to_coral(
    app: Flask, client: FlaskClient, coral_site: str
) -> None:
    response = send(client, coral_site, coral_request(CLEAN))
    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.get_data() == b""
    (comment,) = stored(app)
    assert comment.status == "published"
    assert comment.decided_by == "policy"
    assert comment.text == CLEAN
    assert comment.external_id.startswith("coral-")
    assert comment.article_id == "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6"
    assert comment.article_url == "https://news.example/posts/a-story-url/"
    assert comment.author.external_id == "baf4e943-3594-4fcc-b2ba-3e8de7a76352"
    assert comment.versions["rules"]


def test_published_can_be_answered_approved(client: FlaskClient, coral_site: str) -> None:
    response = send(client, coral_site, coral_request(CLEAN), url=f"{URL}?approve=1")
    assert response.status_code == 200
    assert response.get_json() == {"status": "APPROVED"}


def test_rejected_comment(app: Flask, client: FlaskClient, coral_site: str) -> None:
    response = send(client, coral_site, coral_request(PROFANE))
    assert response.status_code == 200
    assert response.get_json() == {"status": "REJECTED", "actions": [TOXIC]}
    (comment,) = stored(app)
    assert comment.status == "rejected"
    assert any(r.get("category") == "profanity" for r in comment.reasons)


def test_held_comment(app: Flask, client: FlaskClient, coral_site: str) -> None:
    response = send(client, coral_site, coral_request(LINKS))
    assert response.status_code == 200
    assert response.get_json() == {"status": "SYSTEM_WITHHELD", "actions": [SPAM]}
    (comment,) = stored(app)
    assert comment.status == "held"


def test_a_watched_authors_comment_is_premoderated(
    app: Flask, client: FlaskClient, coral_site: str
) -> None:
    assert send(client, coral_site, coral_request(CLEAN)).status_code == 204
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        author.status, author.status_by_moderator = "watched", True
        db.session.commit()
    response = send(client, coral_site, coral_request("A second, equally kind comment."))
    assert response.get_json() == {"status": "PREMOD"}


def test_a_blocked_authors_comment_is_rejected(
    app: Flask, client: FlaskClient, coral_site: str
) -> None:
    assert send(client, coral_site, coral_request(CLEAN)).status_code == 204
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        author.status, author.status_by_moderator = "blocked", True
        db.session.commit()
    response = send(client, coral_site, coral_request("Another kind comment."))
    assert response.get_json() == {"status": "REJECTED"}


def test_a_replay_is_idempotent(app: Flask, client: FlaskClient, coral_site: str) -> None:
    payload = coral_request(PROFANE)
    first = send(client, coral_site, payload)
    again = send(client, coral_site, payload)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    (comment,) = stored(app)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Strike.id))).scalar_one() == 1
        author = db.session.execute(sa.select(Author)).scalar_one()
        assert author.comments_count == 1
        assert author.rejected_count == 1
    assert comment.score_attempts == 1


def test_an_edit_is_a_new_revision_of_the_comment_it_edits_and_decided_now(
    app: Flask, client: FlaskClient, coral_site: str
) -> None:
    assert send(client, coral_site, coral_request(CLEAN)).status_code == 204
    edit = coral_request(PROFANE, action="EDIT")
    response = send(client, coral_site, edit)
    assert response.status_code == 200
    assert response.get_json() == {"status": "REJECTED", "actions": [TOXIC]}
    (comment,) = stored(app)
    assert (comment.revision, comment.text, comment.status) == (2, PROFANE, "rejected")
    with app.app_context():
        history = db.session.execute(
            sa.select(CommentRevision.revision, CommentRevision.decision).order_by(
                CommentRevision.revision
            )
        ).all()
        assert [tuple(r) for r in history] == [(1, "publish"), (2, "reject")]
    before = snapshot(app)
    again = send(client, coral_site, edit)  # Coral retrying the same edit
    assert again.get_json() == response.get_json()
    assert snapshot(app) == before


def test_an_edit_without_its_comment_and_a_reply_are_comments_of_their_own(
    app: Flask, client: FlaskClient, coral_site: str
) -> None:
    send(client, coral_site, coral_request(CLEAN))
    other_story = {"id": "another-story", "url": "https://news.example/posts/other/"}
    send(client, coral_site, coral_request(CLEAN, action="EDIT", story=other_story))
    send(client, coral_site, coral_request(CLEAN, comment={"body": CLEAN, "parentID": "c-9"}))
    comments = stored(app)
    assert len(comments) == 3
    assert [c.revision for c in comments] == [1, 1, 1]
    assert comments[2].parent_id == "c-9"


def test_a_rotated_secret_signs_twice(client: FlaskClient, coral_site: str) -> None:
    body = coral_body(coral_request(CLEAN))
    headers = coral_headers(body, "empsec_newer", coral_site)
    assert client.post(URL, data=body, headers=headers).status_code == 204


@pytest.mark.parametrize(
    "change",
    [
        "wrong-secret",
        "no-header",
        "tampered-body",
        "unknown-site",
    ],
)
def test_bad_signatures_are_refused_and_nothing_is_stored(
    app: Flask, client: FlaskClient, coral_site: str, change: str
) -> None:
    before = snapshot(app)
    body = coral_body(coral_request(PROFANE))
    headers = coral_headers(body, coral_site)
    url = URL
    if change == "wrong-secret":
        headers = coral_headers(body, "empsec_guess")
    elif change == "no-header":
        del headers["X-Coral-Signature"]
    elif change == "tampered-body":
        body = body.replace(b"shit", b"ship")
    elif change == "unknown-site":
        url = "/integrations/coral/nosuchsite/moderate"
    response = client.post(url, data=body, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert snapshot(app) == before


def test_a_site_without_a_coral_secret_is_refused(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    _, webhook_secret = site  # the webhook's secret is not the Coral phase's
    response = send(client, webhook_secret, coral_request(CLEAN))
    assert response.status_code == 401
    assert stored(app) == []


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (coral_body({"action": "NEW"}), 400),
        (coral_body(coral_request(CLEAN, action="DELETE")), 400),
        (coral_body(coral_request(CLEAN, author={"id": "x" * 300, "role": "COMMENTER"})), 400),
        (coral_body(coral_request("a" * 10_001)), 413),
    ],
)
def test_bad_requests_are_refused_without_storing(
    app: Flask, client: FlaskClient, coral_site: str, payload: bytes, status: int
) -> None:
    response = client.post(URL, data=payload, headers=coral_headers(payload, coral_site))
    assert response.status_code == status, response.get_data(as_text=True)
    assert "error" in response.get_json()
    assert stored(app) == []


def test_an_empty_comment_is_left_alone(app: Flask, client: FlaskClient, coral_site: str) -> None:
    response = send(client, coral_site, coral_request("   "))
    assert response.status_code == 204
    assert stored(app) == []
