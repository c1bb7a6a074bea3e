"""Issue 13 end to end: threats phrased in ways no set phrase covers, read by the threat
frames (target + harm + intent, knowledge or insinuation), posted through the webhook and
scored by a real celery worker. Before the frames all three threats were published."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.integration.conftest import Stack, notifying_stack
from tests.integration.test_service import decided, post
from tests.support import (
    LOCAL_RECEIVER,
    Receiver,
    Services,
    comment_payload,
    wait_until,
)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """The receiver listens on 127.0.0.1 over http: allowed explicitly."""
    return {**settings_overrides, **LOCAL_RECEIVER}


def _decide(stack: Stack, secret: str, comment_id: str, text: str) -> dict[str, Any]:
    payload = comment_payload(
        comment_id=comment_id, text=text, author={"id": f"author-{comment_id}", "name": "X"}
    )
    response = post(stack, secret, payload)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = wait_until(
        lambda: decided(stack, secret, comment_id), timeout=60, what=f"{comment_id} decided"
    )
    return body


@pytest.mark.parametrize(
    ("comment_id", "text", "decision"),
    [
        ("veiled-kids", "Your kids walk home alone, don't they? Keep writing.", "reject"),
        ("veiled-vanish", "People have disappeared for less.", "hold"),
    ],
)
def test_a_veiled_threat_is_not_published(
    stack: Stack, site: tuple[str, str], comment_id: str, text: str, decision: str
) -> None:
    body = _decide(stack, site[1], comment_id, text)
    assert body["decision"] == decision, body
    reasons = [r for r in body["reasons"] if r.get("category") == "threat"]
    assert reasons, body["reasons"]
    # the frame read it (the classifier may score it higher and drive the reason)
    assert "threat-frame" in {m["term"] for m in body["matches"]}, body["matches"]


def test_a_look_alike_is_published(stack: Stack, site: tuple[str, str]) -> None:
    body = _decide(stack, site[1], "email-1", "I'll shoot you an email tonight.")
    assert body["decision"] == "publish", body


def test_a_credible_threat_in_new_words_blocks_its_author_at_once(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    site: tuple[str, str],
    receiver: Receiver,
) -> None:
    secret = site[1]
    with notifying_stack(app, services, stack_overrides, receiver) as stack:
        text = "I followed you home yesterday. Tonight I'm coming with a knife."
        body = _decide(stack, secret, "frame-1", text)
        assert body["decision"] == "reject"
        assert body["scores"]["threat"] >= 0.95
        assert body["author"]["status"] == "blocked"

        def told() -> list[dict[str, Any]] | None:
            events = receiver.verified_events(secret)
            return events if "author.sanctioned" in {e["type"] for e in events} else None

        events = wait_until(told, timeout=60, what="the site told")
        sanctioned = next(e for e in events if e["type"] == "author.sanctioned")
        assert sanctioned["author"]["status"] == "blocked"
