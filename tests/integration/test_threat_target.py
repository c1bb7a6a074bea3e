"""Issue 13 end to end: hyperbole about a thing, posted through the webhook and scored by a
real celery worker with the shipped model, is published with the note that no person is
targeted (before the threat target check it was held as a threat), while a real threat
posted beside it is still rejected."""

from __future__ import annotations

from tests.integration.conftest import Stack
from tests.integration.test_service import decided, post
from tests.support import comment_payload, wait_until


def test_hyperbole_is_published_and_a_real_threat_still_rejected(
    stack: Stack, site: tuple[str, str]
) -> None:
    secret = site[1]
    comments = {
        "hyperbole-1": "The bill will kill the high street.",
        "threat-2": "I will kill you tonight.",
    }
    for comment_id, text in comments.items():
        payload = comment_payload(
            comment_id=comment_id, text=text, author={"id": f"author-{comment_id}", "name": "X"}
        )
        response = post(stack, secret, payload)
        assert response.status_code == 202, response.text
    bodies = {
        comment_id: wait_until(
            lambda comment_id=comment_id: decided(stack, secret, comment_id),  # type: ignore[misc]
            timeout=60,
            what=f"{comment_id} decided",
        )
        for comment_id in comments
    }

    hyperbole = bodies["hyperbole-1"]
    assert hyperbole["decision"] == "publish", hyperbole
    assert hyperbole["scores"]["threat"] <= 0.35
    (note,) = [r for r in hyperbole["reasons"] if r["code"] == "threat_untargeted"]
    assert note["term"] == "figurative: no person targeted"
    assert note["score"] > hyperbole["scores"]["threat"]  # the model's score, capped
    assert "figurative-violence" in {m["term"] for m in hyperbole["matches"]}

    threat = bodies["threat-2"]
    assert threat["decision"] == "reject", threat
    assert threat["scores"]["threat"] >= 0.80
    assert all(r["code"] != "threat_untargeted" for r in threat["reasons"])
