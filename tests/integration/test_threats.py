"""Issue 13 end to end: a credible, specific threat posted through the webhook is scored by a
real celery worker, rejected, and its author blocked at once (the policy's immediate
sanction, not the ladder); the site's receiver is told of both."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.integration.conftest import notifying_stack
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
    """This module's receiver listens on 127.0.0.1 over http: allowed explicitly."""
    return {**settings_overrides, **LOCAL_RECEIVER}


def test_credible_threat_is_rejected_and_its_author_blocked_at_once(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    site: tuple[str, str],
    receiver: Receiver,
) -> None:
    secret = site[1]
    with notifying_stack(app, services, stack_overrides, receiver) as stack:
        text = "I know where you live and I will kill you tonight."
        payload = comment_payload(comment_id="threat-1", text=text)
        response = post(stack, secret, payload)
        assert response.status_code == 202, response.text
        body = wait_until(
            lambda: decided(stack, secret, "threat-1"),
            timeout=60,
            what="the threat decided",
        )
        assert body["decision"] == "reject"
        assert body["reasons"][0]["code"] == "category_score"
        assert body["scores"]["threat"] >= 0.95
        # one strike (weight 2) is below every ladder step: only the immediate rule blocks
        assert body["author"]["status"] == "blocked"

        def told() -> list[dict[str, Any]] | None:
            events = receiver.verified_events(secret)
            kinds = {e["type"] for e in events}
            return events if {"comment.decided", "author.sanctioned"} <= kinds else None

        events = wait_until(told, timeout=60, what="the site told")
        decided_event = next(e for e in events if e["type"] == "comment.decided")
        assert decided_event["comment"]["id"] == "threat-1"
        assert decided_event["comment"]["decision"] == "reject"
        sanctioned = next(e for e in events if e["type"] == "author.sanctioned")
        assert sanctioned["author"]["status"] == "blocked"
        assert (sanctioned["details"]["from"], sanctioned["details"]["to"]) == ("active", "blocked")
