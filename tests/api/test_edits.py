"""Edits through the intake webhook: a re-post with other text is a new revision (202)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation.schemas import AcceptedOut, CommentOut
from tests.api.test_intake import enqueued, post, snapshot
from tests.support import comment_payload, signed

__all__ = ["enqueued"]  # the fixture, used by name

EDITED = "Thanks for the thoughtful article, I learned a lot. You fucking moron."


def get(client: FlaskClient, secret: str, comment_id: str = "c-1") -> Any:
    return client.get(f"/api/v1/comments/news/{comment_id}", headers=signed(secret, b""))


def test_an_edit_is_accepted_as_revision_2_and_queued(
    client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    first = post(client, site[1], comment_payload())
    assert (first.status_code, first.json["revision"]) == (202, 1)
    again = post(client, site[1], comment_payload(text=EDITED))
    assert again.status_code == 202, again.json
    AcceptedOut.model_validate(again.json)
    assert (again.json["id"], again.json["revision"], again.json["status"]) == (
        first.json["id"],
        2,
        "pending",
    )
    assert enqueued == [first.json["id"], first.json["id"]]
    record = get(client, site[1]).json
    CommentOut.model_validate(record)
    assert record["revision"] == 2
    assert [(r["revision"], r["status"]) for r in record["revisions"]] == [
        (1, "pending"),
        (2, "pending"),
    ]


def test_the_same_text_again_is_still_a_duplicate(
    app: Flask, client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    first = post(client, site[1], comment_payload())
    post(client, site[1], comment_payload(text=EDITED))
    before = snapshot(app)
    again = post(client, site[1], comment_payload(text=EDITED))
    assert again.status_code == 200
    assert (again.json["id"], again.json["revision"]) == (first.json["id"], 2)
    assert snapshot(app) == before
    assert len(enqueued) == 2


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"author": {"id": "reader-2"}}, "author_mismatch", "author.id"),
        ({"article": {"id": "a-2"}}, "article_mismatch", "article.id"),
        ({"parent_id": "c-0"}, "parent_mismatch", "parent_id"),
        ({"edited_at": "2026-11-01T09:00:00Z"}, "stale_edit", "edited_at"),
    ],
)
def test_an_edit_that_cannot_apply_is_a_409_naming_the_problem(
    app: Flask,
    client: FlaskClient,
    site: tuple[str, str],
    enqueued: list[int],
    changes: dict[str, Any],
    code: str,
    field: str,
) -> None:
    post(client, site[1], comment_payload(posted_at="2026-11-01T10:00:00Z"))
    before = snapshot(app)
    response = post(client, site[1], comment_payload(text=EDITED, **changes))
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == code
    assert [f["field"] for f in error["fields"]] == [field]
    assert snapshot(app) == before
    assert len(enqueued) == 1


def test_a_bad_edited_at_is_a_400(
    client: FlaskClient, site: tuple[str, str], enqueued: list[int]
) -> None:
    post(client, site[1], comment_payload())
    response = post(client, site[1], comment_payload(text=EDITED, edited_at="yesterday"))
    assert response.status_code == 400
    assert [f["field"] for f in response.json["error"]["fields"]] == ["edited_at"]
