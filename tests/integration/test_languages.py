"""Issue 13 end to end: comments the English scorers cannot read — Armenian letters, Russian
Cyrillic, Russian typed in Latin letters — posted through the webhook and decided by a real
celery worker are held for a moderator with a reason naming the language (the shipped
policy's ``languages: {supported: [en], unsupported: hold}``); an English comment about the
region, full of its names, is published; a Russian comment with a strong word of the Russian
list is rejected, not merely held."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Stack
from tests.integration.test_service import decided, post
from tests.support import comment_payload, wait_until

HELD = [
    ("hy-1", "Դու ոչինչ չես հասկանում, գնա տուն", "hy", "Armenian (hy)"),
    ("ru-1", "Ты ничего не понимаешь, Карабах наш", "ru", "Russian (ru)"),
    ("ru-latn-1", "ty nichego ne ponyal, Karabakh nash", "ru", "Russian (ru, in Latin letters)"),
]


def _decide(stack: Stack, secret: str, comment_id: str, text: str) -> dict[str, Any]:
    payload = comment_payload(comment_id=comment_id, author={"id": f"a-{comment_id}"}, text=text)
    response = post(stack, secret, payload)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = wait_until(
        lambda: decided(stack, secret, comment_id), timeout=60, what=f"{comment_id} decided"
    )
    return body


@pytest.mark.parametrize(("comment_id", "text", "code", "named"), HELD)
def test_comment_in_an_unsupported_language_is_held_naming_it(
    stack: Stack, site: tuple[str, str], comment_id: str, text: str, code: str, named: str
) -> None:
    body = _decide(stack, site[1], comment_id, text)
    assert body["decision"] == "hold", body["reasons"]
    assert body["status"] == "held"
    assert body["language"]["code"] == code
    [reason] = [r for r in body["reasons"] if r["code"] == "language_unsupported"]
    assert reason["outcome"] == "hold"
    assert reason["language"] == code
    assert reason["detail"] == f"language not supported: {named}"


def test_english_about_the_region_is_published_as_english(
    stack: Stack, site: tuple[str, str]
) -> None:
    text = "Pashinyan met Aliyev in Stepanakert to talk about Artsakh and the Karabagh roads."
    body = _decide(stack, site[1], "en-1", text)
    assert body["decision"] == "publish", body["reasons"]
    assert body["language"]["code"] == "en"


def test_a_strong_word_of_the_language_still_rejects(stack: Stack, site: tuple[str, str]) -> None:
    body = _decide(stack, site[1], "ru-2", "Ты сука, иди нахуй отсюда")
    assert body["decision"] == "reject", body["reasons"]
    rule = next(r for r in body["reasons"] if r["code"] == "category_score")
    assert rule["source"] == "rules"
    assert any(r["code"] == "language_unsupported" for r in body["reasons"])
