"""An edited comment's revision history in a real browser, against the real stack: a comment
posted and published, then edited into an insult through the webhook and rejected by the
worker; the moderator's comment page lists both revisions, each text shown as text."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from moderation.services import users
from moderation.tables import utcnow
from tests.browser.conftest import BrowserStack, screenshot_path
from tests.browser.test_dashboard import comment, page, sign_in
from tests.dashboard.seed import PASSWORD
from tests.support import comment_payload, encode, signed, wait_until

__all__ = ["page"]  # the fixture, used by name

pytestmark = pytest.mark.integration

ORIGINAL = "Thanks for covering the budget vote so carefully."
EDITED = ORIGINAL + ' <img src=x onerror="alert(1)"> You fucking moron.'


@pytest.fixture(scope="module")
def moderator(browser_stack: BrowserStack) -> str:
    with browser_stack.app.app_context():
        users.create_user("rev", PASSWORD, "moderator", actor="test", now=utcnow())
    return "rev"


def send(stack: BrowserStack, text: str) -> dict[str, Any]:
    body = encode(comment_payload(comment_id="edited-1", text=text))
    response = httpx.post(
        f"{stack.base_url}/api/v1/comments",
        content=body,
        headers=signed(stack.secret, body),
        timeout=10,
    )
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def decided(stack: BrowserStack, pk: int, revision: int) -> str | None:
    row = comment(stack, pk)
    if row.revision != revision or row.status == "pending":
        return None
    return row.decision


def test_the_comment_page_shows_each_revision_and_its_decision(
    browser_stack: BrowserStack, page: Any, moderator: str
) -> None:
    stack = browser_stack
    pk = send(stack, ORIGINAL)["id"]
    assert wait_until(lambda: decided(stack, pk, 1), timeout=60, what="revision 1") == "publish"
    assert send(stack, EDITED)["revision"] == 2
    assert wait_until(lambda: decided(stack, pk, 2), timeout=60, what="revision 2") == "reject"

    sign_in(page, stack.base_url, moderator)
    page.goto(f"{stack.base_url}/dashboard/comments/{pk}")
    rows = page.locator("[data-revisions] tbody tr")
    assert rows.count() == 2
    first, second = rows.nth(0), rows.nth(1)
    assert first.locator("[data-decision]").inner_text() == "publish"
    assert second.locator("[data-decision]").inner_text() == "reject"
    assert "(current)" in second.inner_text()
    assert first.locator(".revision-text").inner_text() == ORIGINAL
    assert second.locator(".revision-text").inner_text() == EDITED  # the markup, as text
    assert page.locator("[data-revisions] img").count() == 0
    page.screenshot(path=str(screenshot_path("comment-revisions.png")), full_page=True)
    assert page.problems == []
