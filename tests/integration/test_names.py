"""Issue 13 end to end, through the signed webhook and a real celery worker: place and
personal names holding a rude word are published; an obfuscated spelling is rejected like the
plain word; a name added to the site's allow-list reaches the running worker without a restart.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from moderation import configured
from moderation.clock import utcnow
from moderation.extensions import db
from moderation.services import allowlist
from moderation.services.sites import require_site
from tests.integration.conftest import Stack
from tests.integration.test_service import decided, post
from tests.support import comment_payload, wait_until


def decide_through_the_stack(
    stack: Stack, secret: str, comment_id: str, text: str
) -> dict[str, Any]:
    payload = comment_payload(comment_id=comment_id, text=text, author={"id": f"a-{comment_id}"})
    response = post(stack, secret, payload)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = wait_until(
        lambda: decided(stack, secret, comment_id), timeout=60, what=f"{comment_id} decided"
    )
    return body


def test_names_publish_and_obfuscation_rejects_like_the_plain_word(
    app: Flask, stack: Stack, site: tuple[str, str]
) -> None:
    secret = site[1]
    published = {
        "bitchfield": "I grew up near Bitchfield.",
        "buggery": "We hiked Mount Buggery last spring.",
        "dikshit": "Sheila Dikshit was Chief Minister of Delhi.",
        "council": "You make a fair point. The council are a bunch of clowns.",
    }
    for comment_id, text in published.items():
        body = decide_through_the_stack(stack, secret, comment_id, text)
        assert body["decision"] == "publish", (text, body)

    plain = decide_through_the_stack(stack, secret, "plain", "You absolute fucking clown.")
    hidden = decide_through_the_stack(stack, secret, "hidden", "You absolute f@ck!ng clown.")
    emoji = decide_through_the_stack(stack, secret, "emoji", "What absolute bull💩, you clown.")
    assert plain["decision"] == hidden["decision"] == emoji["decision"] == "reject"
    assert hidden["scores"]["profanity"] == plain["scores"]["profanity"]

    # A site's own name, allowed in the database while the worker runs.
    text = "The Bitchford under-12s won the cup."
    assert decide_through_the_stack(stack, secret, "before", text)["decision"] == "reject"
    with app.app_context():
        allowlist.add_entry(
            require_site("news"),
            "Bitchford",
            rules=configured.pipeline().rules,
            actor="test",
            now=utcnow(),
        )
        db.session.commit()
    assert decide_through_the_stack(stack, secret, "after", text)["decision"] == "publish"
