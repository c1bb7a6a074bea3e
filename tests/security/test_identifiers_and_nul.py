"""Identifiers and NUL characters at every entry point: 400/404 naming the problem, never
500 (PostgreSQL refuses NUL in text outright; ids must fit its 32-bit integers). Run with
TEST_DATABASE_URL set to check PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import tasks
from moderation.cli import main
from moderation.extensions import db
from moderation.signing import signature_headers
from moderation.tables import Author, Comment, Site
from tests.dashboard.seed import fast_password_hashing, login, make_user, token
from tests.support import comment_payload, encode, signed

__all__ = ["fast_password_hashing"]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch, fast_password_hashing: None) -> None:
    monkeypatch.setattr("moderation.api.comments.enqueue_scoring", lambda _id: True)
    monkeypatch.setattr(tasks, "enqueue_scoring", lambda _id: True)


def rows(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(sa.select(sa.func.count(Comment.id))).scalar_one())


def post(client: FlaskClient, secret: str, **changes: Any) -> Any:
    body = encode(comment_payload(**changes))
    return client.post("/api/v1/comments", data=body, headers=signed(secret, body))


def fields(response: Any) -> list[str]:
    assert response.is_json, response.data
    return [f["field"] for f in response.json["error"].get("fields", [])]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"site": "news\u0000"}, "site"),
        ({"site": "news\ud800"}, "site"),  # a lone surrogate
        ({"site": "../news"}, "site"),
        ({"site": "n" * 65}, "site"),
        ({"comment_id": "a/b"}, "comment_id"),
        ({"comment_id": "../../etc"}, "comment_id"),
        ({"comment_id": "."}, "comment_id"),
        ({"comment_id": ".."}, "comment_id"),
        ({"comment_id": "c 1"}, "comment_id"),
        ({"comment_id": "c\u00001"}, "comment_id"),
        ({"comment_id": "c" * 256}, "comment_id"),
        ({"parent_id": "../c-1"}, "parent_id"),
        ({"text": "nul \u0000 inside"}, "text"),
        ({"author": {"id": "u1", "name": "Ann\u0000"}}, "author.name"),
    ],
)
def test_bad_identifiers_and_nul_in_the_body(
    app: Flask, client: FlaskClient, site: tuple[str, str], changes: dict[str, Any], field: str
) -> None:
    response = post(client, site[1], **changes)
    assert response.status_code == 400, response.data
    assert response.json["error"]["code"] == "invalid_fields"
    assert field in fields(response)
    assert rows(app) == 0


@pytest.mark.parametrize(
    "comment_id", ["c-1", "c.1", "8d3f2c1e-9a7b-4c2d-8e1f-0a1b2c3d4e5f", "u@x.org:42", "c" * 255]
)
def test_good_identifiers_are_stored_and_readable(
    app: Flask, client: FlaskClient, site: tuple[str, str], comment_id: str
) -> None:
    assert post(client, site[1], comment_id=comment_id).status_code == 202
    path = f"/api/v1/comments/news/{comment_id}"
    got = client.get(path, headers=signature_headers(site[1], b"", method="GET", target=path))
    assert got.status_code == 200, got.data
    assert got.json["comment_id"] == comment_id


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/comments/news%00/c-1", "site"),
        ("/api/v1/comments/news/c-1%00", "comment_id"),
        ("/api/v1/comments/news%ED%A0%80/c-1", "site"),  # a lone surrogate, UTF-8 encoded
        ("/api/v1/comments/news/..", "comment_id"),
        ("/api/v1/comments/news/.", "comment_id"),
        ("/api/v1/comments/news/c%201", "comment_id"),
        ("/api/v1/comments/news/" + "c" * 256, "comment_id"),
        ("/api/v1/comments/news%00/c-1/appeal", "site"),
        ("/api/v1/comments/news/..%00/appeal", "comment_id"),
        ("/integrations/coral/news%00/moderate", "site"),
        ("/integrations/coral/..news/moderate", "site"),
    ],
)
def test_bad_path_segments_get_400_json_without_authentication(
    client: FlaskClient, site: tuple[str, str], path: str, field: str
) -> None:
    method = "GET" if path.startswith("/api/") and not path.endswith("/appeal") else "POST"
    response = client.open(path, method=method)
    assert response.status_code == 400, response.data
    assert field in fields(response)


def test_nul_in_query_parameters_of_the_api(client: FlaskClient) -> None:
    response = client.post("/integrations/coral/news/moderate?approve=%00")
    assert response.status_code == 400
    assert fields(response) == ["approve"]


def test_cli_refuses_bad_site_names(app: Flask) -> None:
    for name in ("x\x00", "..", "a/b", "bad name!"):
        result = app.test_cli_runner().invoke(main, ["site", "add", name])
        assert result.exit_code != 0 and "invalid site name" in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Site.id))).scalar_one() == 0


@pytest.fixture
def moderator(app: Flask, client: FlaskClient, site: tuple[str, str]) -> FlaskClient:
    make_user(app, "ann", "moderator")
    assert login(client, "ann").status_code == 302
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/comments?q=%00",
        "/dashboard/comments?author=a%00b",
        "/dashboard/comments?%00=1",
        "/dashboard/?site=%00",
        "/dashboard/audit?actor=%00",
        "/dashboard/audit.csv?actor=%00",
    ],
)
def test_dashboard_filters_with_nul_get_a_400_page(moderator: FlaskClient, path: str) -> None:
    response = moderator.get(path)
    assert response.status_code == 400, response.data[:300]
    assert response.mimetype == "text/html"
    assert "NUL" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/comments/99999999999999999999",
        "/dashboard/comments/2147483648",
        "/dashboard/authors/99999999999999999999",
    ],
)
def test_dashboard_ids_past_the_integer_range_are_404(moderator: FlaskClient, path: str) -> None:
    response = moderator.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_note_with_nul_and_bulk_ids_out_of_range_get_400(
    app: Flask, moderator: FlaskClient, site: tuple[str, str]
) -> None:
    assert post(moderator, site[1]).status_code == 202
    with app.app_context():
        author_id = db.session.execute(sa.select(Author.id)).scalar_one()
    csrf = token(moderator)
    note = moderator.post(
        f"/dashboard/authors/{author_id}/notes", data={"text": "hi\x00", "csrf_token": csrf}
    )
    assert note.status_code == 400 and note.mimetype == "text/html"
    bulk = moderator.post(
        "/dashboard/queue/bulk",
        data={"action": "approve", "ids": "99999999999999999999", "csrf_token": csrf},
    )
    assert bulk.status_code == 302, bulk.data[:300]  # back to the queue, with the problem
    assert "ids.0: Input should be less than or equal to" in moderator.get(bulk.location).text
