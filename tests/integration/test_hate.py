"""Issue 13 end to end: hate without a slur and an insult made of ordinary words, posted
through the webhook and scored by a real celery worker with the shipped model, are held or
rejected with a reason in the right category (before issue 13 all three were published)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Stack
from tests.integration.test_service import decided, post
from tests.support import comment_payload, wait_until

CASES = [
    ("hate-trope", "Typical Jews controlling the media again.", "hate"),
    ("hate-dehumanised", "Azerbaijanis are animals and should be treated like animals.", "hate"),
    ("insult-ordinary", "You're a joke and everyone here knows it.", "attack"),
]


@pytest.mark.parametrize(("comment_id", "text", "category"), CASES)
def test_hate_and_ordinary_insults_are_not_published(
    stack: Stack, site: tuple[str, str], comment_id: str, text: str, category: str
) -> None:
    secret = site[1]
    payload = comment_payload(
        comment_id=comment_id, text=text, author={"id": f"author-{comment_id}", "name": "X"}
    )
    response = post(stack, secret, payload)
    assert response.status_code == 202, response.text
    body = wait_until(
        lambda: decided(stack, secret, comment_id), timeout=60, what=f"{comment_id} decided"
    )
    assert body["decision"] in {"hold", "reject"}, body
    reasons = [r for r in body["reasons"] if r.get("category") == category]
    assert reasons, body["reasons"]
    assert reasons[0]["code"] == "category_score"
    # a phrase family read it (the classifier may score it higher and drive the reason)
    assert any(m["category"] == category for m in body["matches"]), body["matches"]


def test_criticism_of_a_government_is_published(stack: Stack, site: tuple[str, str]) -> None:
    secret = site[1]
    text = "Azerbaijan's government is a dictatorship and the Turkish state denies the genocide."
    response = post(stack, secret, comment_payload(comment_id="civil-1", text=text))
    assert response.status_code == 202, response.text
    body = wait_until(lambda: decided(stack, secret, "civil-1"), timeout=60, what="decided")
    assert body["decision"] == "publish", body
