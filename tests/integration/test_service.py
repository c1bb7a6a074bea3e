"""Webhook → Redis → celery worker → database, through real processes and HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.tables import Author, Comment
from tests.integration.conftest import Stack
from tests.support import Process, comment_payload, encode, signed, wait_until


def post(stack: Stack, secret: str, payload: dict[str, Any]) -> httpx.Response:
    body = encode(payload)
    return httpx.post(
        f"{stack.base_url}/api/v1/comments", content=body, headers=signed(secret, body), timeout=10
    )


def decided(stack: Stack, secret: str, comment_id: str) -> dict[str, Any] | None:
    response = httpx.get(
        f"{stack.base_url}/api/v1/comments/news/{comment_id}",
        headers=signed(secret, b""),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body if body["status"] != "pending" else None


def worker_saw(worker: Process, comment_pk: int) -> int:
    """How many times the worker finished scoring this comment (from its JSON log lines)."""
    count = 0
    for line in worker.output().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if (
            entry.get("message") == "score_comment finished"
            and entry.get("comment_id") == comment_pk
        ):
            count += 1
    return count


def test_signed_comment_reaches_a_stored_decision(
    app: Flask, stack: Stack, site: tuple[str, str]
) -> None:
    secret = site[1]
    text = "What a load of sh1t, you absolute m0r0n."
    response = post(stack, secret, comment_payload(comment_id="e2e-1", text=text))
    assert response.status_code == 202, response.text
    pk = response.json()["id"]
    body = wait_until(lambda: decided(stack, secret, "e2e-1"), timeout=60, what="a decision")
    assert body["decision"] == "reject"
    assert body["decided_by"] == "policy"
    assert any(text[m["start"] : m["end"]] == "sh1t" for m in body["matches"])
    assert body["versions"]["rules"]
    with app.app_context():
        comment = db.session.get(Comment, pk)
        assert comment is not None
        assert comment.score_attempts == 1
        assert comment.author.rejected_count == 1
    assert worker_saw(stack.worker, pk) == 1


def test_duplicate_post_is_not_scored_twice(
    app: Flask, stack: Stack, site: tuple[str, str]
) -> None:
    secret = site[1]
    payload = comment_payload(comment_id="e2e-dup", text="Good reporting, thank you.")
    first = post(stack, secret, payload)
    assert first.status_code == 202
    again = post(stack, secret, payload)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    wait_until(lambda: decided(stack, secret, "e2e-dup"), timeout=60, what="a decision")
    # A later comment is decided after any stray duplicate task would have been.
    post(stack, secret, comment_payload(comment_id="e2e-after"))
    wait_until(lambda: decided(stack, secret, "e2e-after"), timeout=60, what="a decision")
    assert worker_saw(stack.worker, first.json()["id"]) == 1
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Comment.id))).scalar_one() == 2


def test_blocked_author_is_rejected_without_a_task(
    app: Flask, stack: Stack, site: tuple[str, str]
) -> None:
    secret = site[1]
    first = post(stack, secret, comment_payload(comment_id="b-1"))
    wait_until(lambda: decided(stack, secret, "b-1"), timeout=60, what="a decision")
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        author.status = "blocked"
        db.session.commit()
    refused = post(stack, secret, comment_payload(comment_id="b-2"))
    assert refused.status_code == 201
    assert refused.json()["reasons"][0]["code"] == "author_blocked"
    # Another author's comment goes through the same queue afterwards.
    post(stack, secret, comment_payload(comment_id="b-3", author={"id": "someone-else"}))
    wait_until(lambda: decided(stack, secret, "b-3"), timeout=60, what="a decision")
    assert worker_saw(stack.worker, first.json()["id"]) == 1
    assert worker_saw(stack.worker, refused.json()["id"]) == 0


def test_readiness_reports_database_and_broker(stack: Stack) -> None:
    response = httpx.get(f"{stack.base_url}/readyz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": True, "broker": True, "worker": True},
    }
    assert httpx.get(f"{stack.base_url}/healthz", timeout=10).json() == {"status": "ok"}


README_CRITICISM = (
    "The council's plan is idiotic and it will cost us all. Read the audit before you defend it."
)


def test_the_readmes_protected_criticism_is_published_for_a_new_author(
    app: Flask, stack: Stack, site: tuple[str, str]
) -> None:
    """Harsh words about a plan, and a civil second sentence addressing the reader: blunt
    opinion, published with no strike, even for an author's first comment (the strictest
    tier)."""
    secret = site[1]
    payload = comment_payload(
        comment_id="e2e-criticism", text=README_CRITICISM, author={"id": "first-timer"}
    )
    response = post(stack, secret, payload)
    assert response.status_code == 202, response.text
    body = wait_until(
        lambda: decided(stack, secret, "e2e-criticism"), timeout=60, what="a decision"
    )
    assert body["decision"] == "publish", body["reasons"]
    assert "impersonal-criticism" in {m["term"] for m in body["matches"]}
    with app.app_context():
        author = db.session.execute(
            sa.select(Author).where(Author.external_id == "first-timer")
        ).scalar_one()
        assert (author.published_count, author.rejected_count, author.strikes) == (1, 0, [])
