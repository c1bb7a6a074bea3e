"""The allow-list page in a real browser against the real stack: a moderator adds a site's
name, the running worker publishes a comment holding it, the moderator removes it again, and
the audit log shows both changes. Refusals are shown as text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from moderation.extensions import db
from moderation.services import users
from moderation.tables import Comment, SiteAllowEntry, utcnow
from tests.browser.conftest import BrowserStack, screenshot_path
from tests.browser.test_dashboard import post, sign_in
from tests.dashboard.seed import PASSWORD
from tests.support import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def moderator(browser_stack: BrowserStack) -> str:
    with browser_stack.app.app_context():
        users.create_user("ann", PASSWORD, "moderator", actor="test", now=utcnow())
    return "ann"


@pytest.fixture
def page(browser: Any, browser_stack: BrowserStack) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
    try:
        yield page
    finally:
        context.close()


def decision(stack: BrowserStack, pk: int) -> str | None:
    with stack.app.app_context():
        row = db.session.get(Comment, pk)
        assert row is not None
        return row.decision


def test_moderator_allows_a_name_and_the_worker_publishes_it(
    browser_stack: BrowserStack, moderator: str, page: Any
) -> None:
    stack = browser_stack
    text = "The Bitchford under-12s won the cup."
    before = post(stack, "allow-before", text, "fan-1", "Fan One")
    assert wait_until(lambda: decision(stack, before), timeout=60, what="decided") == "reject"

    sign_in(page, stack.base_url, moderator)
    page.click("nav >> text=Allow-list")
    page.fill("input[name=term]", "<b>f*ck</b>")
    page.click("form.inline-form >> button:has-text('Add')")
    assert "may hold only letters" in page.locator(".flashes").inner_text()
    page.fill("input[name=term]", "Bitchford")
    page.click("form.inline-form >> button:has-text('Add')")
    assert "Bitchford added to the allow-list of news" in page.locator(".flashes").inner_text()
    assert page.locator("table.log th[scope=row]", has_text="Bitchford").count() == 1
    page.screenshot(path=str(screenshot_path("allowlist.png")), full_page=True)

    after = post(stack, "allow-after", text, "fan-2", "Fan Two")
    assert wait_until(lambda: decision(stack, after), timeout=60, what="decided") == "publish"

    page.click("button[aria-label='Remove Bitchford from news']")
    assert "Bitchford removed" in page.locator(".flashes").inner_text()
    with stack.app.app_context():
        assert db.session.execute(sa.select(SiteAllowEntry)).first() is None

    page.click("nav >> text=Audit log")
    log = page.locator("main").inner_text()
    assert "allowlist.added" in log and "allowlist.removed" in log
    assert page.problems == []
