"""The language filter in a real browser against the real stack: Russian, Armenian and
English comments posted through the webhook and decided by the worker; a moderator picks
"Russian (ru)" in the queue's Language select and sees only the Russian comment, held with
its language named."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moderation.services import users
from moderation.tables import utcnow
from tests.browser.conftest import BrowserStack, screenshot_path
from tests.browser.test_dashboard import comment, post, sign_in
from tests.dashboard.seed import PASSWORD
from tests.support import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def moderator(browser_stack: BrowserStack) -> str:
    with browser_stack.app.app_context():
        users.create_user("lena", PASSWORD, "moderator", actor="test", now=utcnow())
    return "lena"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        yield page
        assert problems == []
    finally:
        context.close()


def test_moderator_filters_the_queue_by_language(
    browser_stack: BrowserStack, moderator: str, page: Any
) -> None:
    stack = browser_stack
    russian = post(stack, "lang-ru", "Ты ничего не понимаешь, Карабах наш", "r1", "Ivan")
    armenian = post(stack, "lang-hy", "Դու ոչինչ չես հասկանում", "h1", "Ani")
    english = post(stack, "lang-en", "You are a complete moron.", "e1", "Ed")
    for pk in (russian, armenian, english):
        wait_until(
            lambda pk=pk: comment(stack, pk).status != "pending",  # type: ignore[misc]
            timeout=60,
            what=f"comment {pk} decided",
        )
    assert comment(stack, russian).language == "ru"
    assert comment(stack, armenian).language == "hy"

    sign_in(page, stack.base_url, moderator)
    select = page.locator("select[name=language]")
    options = select.locator("option").all_inner_texts()
    assert "Russian (ru)" in options and "Armenian (hy)" in options
    assert page.locator(f"#comment-{russian}").count() == 1
    assert page.locator(f"#comment-{armenian}").count() == 1

    select.select_option("ru")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**language=ru**")
    cards = page.locator("[data-card]")
    assert cards.count() == 1
    card = page.locator(f"#comment-{russian}")
    assert card.locator(".badge.language").inner_text() == "Russian (ru)"
    assert "language not supported: Russian (ru)" in card.locator(".reasons").inner_text()
    assert page.locator("select[name=language]").input_value() == "ru"
    page.screenshot(path=str(screenshot_path("queue-language-filter.png")), full_page=True)
