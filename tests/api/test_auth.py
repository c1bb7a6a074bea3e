"""Request signatures: v2 binds method, path and body; v1 only during a site's transition."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import tasks
from moderation.extensions import db
from moderation.services import sites
from moderation.signing import SIGNATURE_HEADER, signature_headers
from moderation.tables import Comment
from tests.support import comment_payload, encode, signed

READ = "/api/v1/comments/news/c-1"
APPEAL_OTHER = "/api/v1/comments/news/other/appeal"


@pytest.fixture
def comments(
    app: Flask, client: FlaskClient, site: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """Site ``news`` with comment ``c-1`` and a rejected comment ``other``; its secret."""
    monkeypatch.setattr("moderation.api.comments.enqueue_scoring", lambda _id: True)
    monkeypatch.setattr(tasks, "enqueue_scoring", lambda _id: True)
    secret = site[1]
    for comment_id in ("c-1", "other"):
        body = encode(comment_payload(comment_id=comment_id))
        assert client.post("/api/v1/comments", data=body, headers=signed(secret, body)).status_code
    with app.app_context():
        db.session.execute(
            sa.update(Comment)
            .where(Comment.external_id == "other")
            .values(status="rejected", decision="reject")
        )
        db.session.commit()
    return secret


def v2(secret: str, method: str, target: str, body: bytes = b"") -> dict[str, str]:
    return signature_headers(secret, body, method=method, target=target)


def v2_only(app: Flask) -> None:
    with app.app_context():
        sites.set_signature_min_version(sites.require_site("news"), 2, actor="test")


def appeal_state(app: Flask) -> str | None:
    with app.app_context():
        state: str | None = db.session.execute(
            sa.select(Comment.appeal_state).where(Comment.external_id == "other")
        ).scalar_one()
        return state


def test_a_signed_get_replayed_as_an_appeal_is_refused(
    app: Flask, client: FlaskClient, comments: str
) -> None:
    """The attack of issue 10: a GET's headers (empty body) replayed as another request."""
    v2_only(app)
    headers = v2(comments, "GET", READ)
    assert headers[SIGNATURE_HEADER].startswith("v2=")
    assert client.get(READ, headers=headers).status_code == 200
    replayed = client.post(APPEAL_OTHER, headers=headers)
    assert replayed.status_code == 401
    assert replayed.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/comments/news/other", headers=headers).status_code == 401
    assert client.get(READ + "?x=1", headers=headers).status_code == 401  # the query counts
    assert appeal_state(app) is None  # the author's one appeal is not used up
    # The appeal signed for itself goes through.
    assert client.post(APPEAL_OTHER, headers=v2(comments, "POST", APPEAL_OTHER)).status_code == 200
    assert appeal_state(app) == "pending"


def test_v2_binds_method_path_and_body_on_a_site_still_accepting_v1(
    app: Flask, client: FlaskClient, comments: str
) -> None:
    headers = v2(comments, "GET", READ)
    assert client.get(READ, headers=headers).status_code == 200
    assert client.post(APPEAL_OTHER, headers=headers).status_code == 401
    body = encode(comment_payload(comment_id="c-2"))
    post_headers = {
        "Content-Type": "application/json",
        **v2(comments, "POST", "/api/v1/comments", body),
    }
    tampered = body.replace(b"c-2", b"c-3")
    assert client.post("/api/v1/comments", data=tampered, headers=post_headers).status_code == 401
    assert client.post("/api/v1/comments", data=body, headers=post_headers).status_code == 202
    assert appeal_state(app) is None


def test_v1_is_accepted_during_the_transition_and_refused_after(
    app: Flask, client: FlaskClient, comments: str
) -> None:
    old = signature_headers(comments, b"")
    assert old[SIGNATURE_HEADER].startswith("sha256=")
    assert client.get(READ, headers=old).status_code == 200  # default: v1 still accepted
    v2_only(app)
    app.extensions["moderation.site_cache"].ttl = 0  # see the new setting at once
    refused = client.get(READ, headers=old)
    assert refused.status_code == 401
    assert client.get(READ, headers=v2(comments, "GET", READ)).status_code == 200


def test_unknown_scheme_and_wrong_secret_are_refused(client: FlaskClient, comments: str) -> None:
    headers = v2(comments, "GET", READ)
    for bad in ("v3=" + "0" * 64, "v2=" + "0" * 64, "sha256=" + "0" * 64, "v2=", ""):
        assert client.get(READ, headers={**headers, SIGNATURE_HEADER: bad}).status_code == 401
    assert client.get(READ, headers=v2("not-the-secret", "GET", READ)).status_code == 401
