"""Issue 13 end to end: a published comment edited into an insult, through the real webhook
and a real celery worker, is stored as revision 2, rescored and rejected, and the site's
receiver is told with ``comment.decided`` naming revision 2."""

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

ORIGINAL = "Thanks for the careful reporting on the budget vote."
EDITED = ORIGINAL + " And you, the reporter, are a fucking moron."


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """This module's receiver listens on 127.0.0.1 over http: allowed explicitly."""
    return {**settings_overrides, **LOCAL_RECEIVER}


def test_an_edit_is_rescored_rejected_and_the_site_told_its_revision(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    site: tuple[str, str],
    receiver: Receiver,
) -> None:
    secret = site[1]
    with notifying_stack(app, services, stack_overrides, receiver) as stack:
        first = post(stack, secret, comment_payload(comment_id="edit-1", text=ORIGINAL))
        assert first.status_code == 202, first.text
        published = wait_until(
            lambda: decided(stack, secret, "edit-1"),
            timeout=60,
            what="the original decided",
        )
        assert (published["decision"], published["revision"]) == ("publish", 1)

        edit = post(stack, secret, comment_payload(comment_id="edit-1", text=EDITED))
        assert edit.status_code == 202, edit.text
        assert (edit.json()["id"], edit.json()["revision"]) == (first.json()["id"], 2)
        body = wait_until(
            lambda: decided(stack, secret, "edit-1"),
            timeout=60,
            what="the edit decided",
        )
        assert (body["decision"], body["revision"]) == ("reject", 2)
        assert any(m["category"] == "profanity" for m in body["matches"])
        assert [(r["revision"], r["decision"]) for r in body["revisions"]] == [
            (1, "publish"),
            (2, "reject"),
        ]

        def told() -> list[dict[str, Any]] | None:
            events = [e for e in receiver.verified_events(secret) if e["type"] == "comment.decided"]
            return events if len(events) == 2 else None

        events = wait_until(told, timeout=60, what="both decisions told to the site")
        assert [(e["comment"]["revision"], e["comment"]["decision"]) for e in events] == [
            (1, "publish"),
            (2, "reject"),
        ]
        assert {e["comment"]["id"] for e in events} == {"edit-1"}
