"""The intake webhook through Flask's test client: every input case and its answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import tasks
from moderation.extensions import db
from moderation.tables import Author, Comment
from tests.support import comment_payload, encode, signed

URL = "/api/v1/comments"


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records enqueued comment ids instead of publishing (the broker is a boundary here;
    tests/integration runs the real broker and worker)."""
    calls: list[int] = []

    def record(comment_id: int) -> bool:
        calls.append(comment_id)
        return True

    monkeypatch.setattr(tasks, "enqueue_scoring", record)
    monkeypatch.setattr("moderation.api.comments.enqueue_scoring", record)
    return calls


def post(client: FlaskClient, secret: str, payload: Any, **kwargs: Any) -> Any:
    body = payload if isinstance(payload, bytes) else encode(payload)
    return client.post(URL, data=body, headers=signed(secret, body), **kwargs)


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    with app.app_context():
        return {
            table.name: [tuple(row) for row in db.session.execute(sa.select(table)).all()]
            for table in db.metadata.sorted_tables
        }


def test_accepts_a_signed_comment(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    response = post(client, site[1], comment_payload(unknown_field={"ignored": True}))
    assert response.status_code == 202, response.json
    body = response.json
    assert body["status"] == "pending"
    assert body["status_url"].endswith("/api/v1/comments/news/c-1")
    assert enqueued == [body["id"]]
    with app.app_context():
        comment = db.session.get(Comment, body["id"])
        assert comment is not None
        assert comment.status == "pending"
        assert comment.text == comment_payload()["text"]
        assert comment.article_title == "Budget vote"
        assert comment.author.external_id == "reader-1"
        assert comment.author.comments_count == 1


def test_repeat_returns_the_stored_record_and_is_not_scored_twice(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    first = post(client, site[1], comment_payload())
    assert first.status_code == 202
    before = snapshot(app)
    again = post(client, site[1], comment_payload())  # other text is an edit: test_edits.py
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert again.json["status"] == "pending"
    assert enqueued == [first.json["id"]]
    assert snapshot(app) == before


def test_posted_at_is_stored_in_utc(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    response = post(client, site[1], comment_payload(posted_at="2026-11-01T10:00:00+02:00"))
    assert response.status_code == 202
    with app.app_context():
        comment = db.session.get(Comment, response.json["id"])
        assert comment is not None and comment.posted_at is not None
        assert comment.posted_at.isoformat() == "2026-11-01T08:00:00+00:00"


def _bad_fields(response: Any) -> set[str]:
    return {f["field"] for f in response.json["error"]["fields"]}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"comment_id": None}, {"comment_id"}),
        ({"comment_id": 17}, {"comment_id"}),
        ({"comment_id": ""}, {"comment_id"}),
        ({"comment_id": "x" * 256}, {"comment_id"}),
        ({"author": "reader-1"}, {"author"}),
        ({"author": {"name": "no id"}}, {"author.id"}),
        ({"author": {"id": 5, "name": ["x"]}}, {"author.id", "author.name"}),
        ({"article": None}, {"article"}),
        ({"article": {"id": "a", "url": 3, "title": {}}}, {"article.url", "article.title"}),
        ({"text": None}, {"text"}),
        ({"text": ["a", "list"]}, {"text"}),
        ({"text": "nul \x00 inside"}, {"text"}),
        ({"posted_at": "yesterday"}, {"posted_at"}),
        ({"posted_at": 1700000000}, {"posted_at"}),
        ({"posted_at": "0001-01-01T00:00:00+00:01"}, {"posted_at"}),  # before year 1 in UTC
        ({"posted_at": "9999-12-31T23:59:59-00:01"}, {"posted_at"}),  # after year 9999
        ({"parent_id": 5}, {"parent_id"}),
        ({"comment_id": 1, "text": 2, "author": {}}, {"comment_id", "text", "author.id"}),
    ],
)
def test_ill_typed_or_missing_fields_are_listed(
    app: Flask,
    client: FlaskClient,
    site: tuple[str, str],
    enqueued: list[int],
    change: dict[str, Any],
    fields: set[str],
) -> None:
    payload = comment_payload()
    for key, value in change.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    post(client, site[1], comment_payload(comment_id="kept"))
    before = snapshot(app)
    response = post(client, site[1], payload)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_fields"
    assert _bad_fields(response) == fields
    assert snapshot(app) == before
    assert len(enqueued) == 1


def test_lone_surrogate_is_refused(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    body = encode(comment_payload()).replace(b"Thanks", b"\\ud800Thanks")
    before = snapshot(app)
    response = post(client, site[1], body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_fields"
    assert response.json["error"]["fields"][0]["problem"].startswith("Invalid JSON")
    assert snapshot(app) == before


def test_text_over_the_limit_is_413(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    before = snapshot(app)
    response = post(client, site[1], comment_payload(text="a" * 10_001))
    assert response.status_code == 413
    assert response.json["error"]["code"] == "text_too_long"
    assert snapshot(app) == before
    assert post(client, site[1], comment_payload(text="a" * 10_000)).status_code == 202


def test_body_over_the_byte_limit_is_413(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    before = snapshot(app)
    body = encode(comment_payload(padding="x" * (256 * 1024)))
    response = post(client, site[1], body)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("text/plain", b"{}", 415, "unsupported_media_type"),
        (None, b"{}", 415, "unsupported_media_type"),
        ("application/x-www-form-urlencoded", b"a=b", 415, "unsupported_media_type"),
        ("application/json", b"{not json", 400, "invalid_json"),
        ("application/json", b"", 400, "invalid_json"),
        ("application/json", b"\xff\xfe{}", 400, "invalid_json"),
        ("application/json", b"[1, 2]", 400, "invalid_json"),
        ("application/json", b'"text"', 400, "invalid_json"),
        ("application/json", b"[" * 100_000, 400, "invalid_json"),
        ("application/json", b'{"a": 1' + b"0" * 5000 + b"}", 400, "invalid_json"),
    ],
)
def test_malformed_bodies(
    app: Flask,
    client: FlaskClient,
    site: tuple[str, str],
    content_type: str | None,
    body: bytes,
    status: int,
    code: str,
) -> None:
    headers = signed(site[1], body)
    if content_type is None:
        headers.pop("Content-Type")
    else:
        headers["Content-Type"] = content_type
    before = snapshot(app)
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == status
    assert response.is_json
    assert response.json["error"]["code"] == code
    assert snapshot(app) == before


def test_charset_parameter_is_accepted(
    client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    body = encode(comment_payload())
    headers = {**signed(site[1], body), "Content-Type": "application/json; charset=utf-8"}
    assert client.post(URL, data=body, headers=headers).status_code == 202


def _unsigned_variants(secret: str) -> list[tuple[str, bytes, dict[str, str]]]:
    body = encode(comment_payload())
    good = signed(secret, body)
    stale = signed(secret, body, now=1_000_000_000)
    return [
        ("no headers", body, {"Content-Type": "application/json"}),
        ("no signature", body, {k: v for k, v in good.items() if "Signature" not in k}),
        ("no timestamp", body, {k: v for k, v in good.items() if "Timestamp" not in k}),
        ("wrong secret", body, signed("not-the-secret", body)),
        ("stale timestamp", body, stale),
        ("unknown site", encode(comment_payload(site="elsewhere")), signed(secret, body)),
        ("site not a string", encode(comment_payload(site=["news"])), signed(secret, body)),
        ("body tampered", body.replace(b"Thanks", b"Thanx"), good),
    ]


@pytest.mark.parametrize("case", range(8))
def test_unauthenticated_requests_get_one_answer(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int], case: int
) -> None:
    name, body, headers = _unsigned_variants(site[1])[case]
    before = snapshot(app)
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 401, name
    assert response.json == {
        "error": {
            "code": "unauthorized",
            "message": "missing or invalid signature, timestamp or site",
        }
    }
    assert snapshot(app) == before
    assert enqueued == []


def test_blocked_author_is_rejected_without_a_task(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    assert post(client, site[1], comment_payload(comment_id="first")).status_code == 202
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        author.status = "blocked"
        db.session.commit()
    response = post(client, site[1], comment_payload(comment_id="second"))
    assert response.status_code == 201
    assert response.json["status"] == "rejected"
    assert response.json["decision"] == "reject"
    assert response.json["reasons"] == [{"code": "author_blocked", "outcome": "reject"}]
    assert len(enqueued) == 1
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        assert author.rejected_count == 1
        assert author.comments_count == 2


def test_get_status_is_signed(
    client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    created = post(client, site[1], comment_payload()).json
    url = "/api/v1/comments/news/c-1"
    response = client.get(url, headers=signed(site[1], b""))
    assert response.status_code == 200
    body = response.json
    assert body["id"] == created["id"]
    assert body["status"] == "pending"
    assert body["decision"] is None
    assert set(body) >= {"reasons", "scores", "matches", "explanations", "versions"}

    assert client.get(url).status_code == 401
    assert client.get(url, headers=signed("wrong", b"")).status_code == 401
    assert client.get("/api/v1/comments/other/c-1", headers=signed(site[1], b"")).status_code == 401
    missing = client.get("/api/v1/comments/news/nope", headers=signed(site[1], b""))
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nothing", 404), ("PUT", "/api/v1/comments", 405)],
)
def test_unknown_routes_answer_json(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert "error" in json.loads(response.data)
