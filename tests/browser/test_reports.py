"""Reader reports and complaints through the real stack (issue 15's done-when): gunicorn,
``celery worker -B``, Redis, a 127.0.0.1 receiver standing in for the site, and Chromium.

A signed reader report on a published comment appears in the Reported queue; a moderator
rejects the comment there; the site receives ``comment.updated`` then ``report.resolved``.
Twenty more reports on the reviewed comment do not requeue it; an ``illegal`` report does.
A complaint handled by the moderator who decided is refused with a clear reason; another
moderator reverses the decision, and the site is told."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from moderation.dsa.schema import StatementOfReasons
from moderation.extensions import db
from moderation.services import users
from moderation.tables import Comment, CommentReport, utcnow
from tests.browser.conftest import BrowserStack, screenshot_path
from tests.browser.test_dashboard import page, sign_in  # noqa: F401 (fixture)
from tests.dashboard.seed import PASSWORD
from tests.services.test_decisions import CLEAN
from tests.support import comment_payload, encode, signed, wait_until

pytestmark = pytest.mark.integration

ILLEGAL = {
    "reason": "illegal",
    "law": "Criminal Code s. 130 (incitement)",
    "explanation": "It incites hatred against a group.",
    "good_faith": True,
}


@pytest.fixture(scope="module")
def moderators(browser_stack: BrowserStack) -> tuple[str, str]:
    with browser_stack.app.app_context():
        for name in ("ann", "bob"):
            users.create_user(name, PASSWORD, "moderator", actor="test", now=utcnow())
    return "ann", "bob"


def api_post(stack: BrowserStack, path: str, payload: dict[str, Any]) -> httpx.Response:
    body = encode(payload)
    return httpx.post(
        f"{stack.base_url}{path}", content=body, headers=signed(stack.secret, body), timeout=10
    )


def comment_row(stack: BrowserStack, pk: int) -> Comment:
    with stack.app.app_context():
        row = db.session.get(Comment, pk)
        assert row is not None
        db.session.expunge(row)
        return row


def site_events(stack: BrowserStack, comment_id: str) -> list[dict[str, Any]]:
    return [
        event
        for event in stack.receiver.verified_events(stack.secret)
        if (event.get("comment") or {}).get("id") == comment_id
    ]


def types_of(stack: BrowserStack, comment_id: str) -> list[str]:
    return [event["type"] for event in site_events(stack, comment_id)]


def report(stack: BrowserStack, payload: dict[str, Any]) -> dict[str, Any]:
    answer = api_post(stack, "/api/v1/comments/news/rep-1/reports", payload)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_reports_reach_a_person_once_and_complaints_go_to_another_moderator(
    browser_stack: BrowserStack,
    moderators: tuple[str, str],
    page: Any,  # noqa: F811
    browser: Any,
) -> None:
    stack = browser_stack
    ann, bob = moderators
    posted = api_post(
        stack,
        "/api/v1/comments",
        comment_payload(comment_id="rep-1", text=CLEAN, author={"id": "writer", "name": "W"}),
    )
    assert posted.status_code == 202, posted.text
    pk = posted.json()["id"]
    wait_until(lambda: comment_row(stack, pk).status == "published", timeout=60, what="publication")

    first = report(stack, {"reason": "attack", "reporter": "reader-0", "note": "<b>rude</b>"})
    assert first["queued"] is True
    assert first["reporter"] and "reader-0" not in json.dumps(first)

    # The Reported queue, in Chromium: the comment, its count and reason, escaped note.
    sign_in(page, stack.base_url, ann)
    page.goto(f"{stack.base_url}/dashboard/reported")
    card = page.locator(f"#comment-{pk}")
    card.wait_for(timeout=10_000)
    summary = page.locator(f"[data-reports-for='{pk}']")
    assert summary.locator("[data-report-count]").inner_text() == "1"
    assert summary.locator("[data-reason=attack]").count() == 1
    assert "<b>rude</b>" in summary.inner_text()  # shown as text, not markup
    page.screenshot(path=str(screenshot_path("reported.png")), full_page=True)

    # The moderator rejects it with the queue's own review action.
    card.locator("details.reject-panel summary").click()
    card.locator("[data-reason]").select_option("attack")
    card.locator("form.reject-form button[type=submit]").click()
    page.locator(f"#comment-{pk}[data-status=rejected]").wait_for(timeout=10_000)
    wait_until(
        lambda: "report.resolved" in types_of(stack, "rep-1"),
        timeout=30,
        what="report.resolved at the site",
    )
    seen = types_of(stack, "rep-1")
    assert seen.index("comment.updated") < seen.index("report.resolved")
    # The rejection's statement of reasons (DSA Art. 17) answers a notice (Art. 16).
    rejected = next(e for e in site_events(stack, "rep-1") if e["type"] == "comment.updated")
    statement = StatementOfReasons.model_validate(rejected["statement_of_reasons"])
    assert statement.decision_visibility == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert statement.source_type == "SOURCE_ARTICLE_16"
    assert statement.automated_decision == "AUTOMATED_DECISION_NOT_AUTOMATED"
    resolved = next(e for e in site_events(stack, "rep-1") if e["type"] == "report.resolved")
    assert resolved["details"]["outcome"] == "rejected"
    assert resolved["details"]["reports"] == [
        {
            "id": resolved["details"]["reports"][0]["id"],
            "reason": "attack",
            "reporter": first["reporter"],
            "received_at": resolved["details"]["reports"][0]["received_at"],
        }
    ]

    # Twenty more reports for the reason already reviewed: grouped, not requeued.
    for n in range(20):
        again = report(stack, {"reason": "attack", "reporter": f"reader-{n + 1}"})
        assert (again["queued"], again["grouped"]) == (False, True)
    page.goto(f"{stack.base_url}/dashboard/reported")
    assert page.locator(f"#comment-{pk}").count() == 0
    assert "No reported comment waits" in page.content()
    with stack.app.app_context():
        grouped = db.session.execute(
            sa.select(sa.func.count()).where(
                CommentReport.comment_id == pk, CommentReport.grouped.is_(True)
            )
        ).scalar_one()
        assert grouped == 20

    # An illegal-content report still reaches a person.
    illegal = report(stack, {**ILLEGAL, "reporter": "reader-99"})
    assert illegal["queued"] is True
    page.goto(f"{stack.base_url}/dashboard/reported")
    page.locator(f"#comment-{pk}").wait_for(timeout=10_000)
    assert page.locator(f"[data-reports-for='{pk}'] [data-reason=illegal]").count() == 1
    assert ILLEGAL["law"] in page.locator(f"[data-reports-for='{pk}']").inner_text()

    # A complaint: refused to the moderator who decided, with the reason...
    complaint = api_post(
        stack, "/api/v1/comments/news/rep-1/complaints", {"message": "I was quoting the mayor."}
    )
    assert complaint.status_code == 201, complaint.text
    complaint_id = complaint.json()["id"]
    page.goto(f"{stack.base_url}/dashboard/complaints")
    box = page.locator(f"#complaint-{complaint_id}")
    assert "different moderator" in box.locator("[data-refusal]").inner_text()
    box.locator("textarea[name=reply]").fill("Reviewed again.")
    box.locator("button[value=reverse]").click()
    page.wait_for_load_state()
    assert "different moderator" in page.locator(".flashes").inner_text()
    assert comment_row(stack, pk).status == "rejected"
    page.screenshot(path=str(screenshot_path("complaint-refused.png")), full_page=True)

    # ...and reversed by another moderator, which publishes the comment and tells the site.
    other = browser.new_context(viewport={"width": 1360, "height": 1000})
    try:
        second = other.new_page()
        sign_in(second, stack.base_url, bob)
        second.goto(f"{stack.base_url}/dashboard/complaints")
        box = second.locator(f"#complaint-{complaint_id}")
        assert box.locator("[data-refusal]").count() == 0
        box.locator("textarea[name=reply]").fill("A quotation, reported accurately: restored.")
        box.locator("button[value=reverse]").click()
        second.wait_for_load_state()
        assert "reversed" in second.locator(".flashes").inner_text()
    finally:
        other.close()
    assert comment_row(stack, pk).status == "published"
    wait_until(
        lambda: "complaint.resolved" in types_of(stack, "rep-1"),
        timeout=30,
        what="complaint.resolved at the site",
    )
    seen = types_of(stack, "rep-1")
    last_update = max(i for i, t in enumerate(seen) if t == "comment.updated")
    assert last_update < seen.index("complaint.resolved")
    answer = next(e for e in site_events(stack, "rep-1") if e["type"] == "complaint.resolved")
    assert answer["details"]["outcome"] == "reversed"
    assert answer["details"]["reply"] == "A quotation, reported accurately: restored."
    updated = [e for e in site_events(stack, "rep-1") if e["type"] == "comment.updated"][-1]
    assert updated["comment"]["status"] == "published"
    assert updated.get("statement_of_reasons") is None  # a reversal restricts nothing

    # The transparency report counts what happened: 22 reports, 20 grouped, 1 complaint...
    today = utcnow().date().isoformat()
    page.goto(f"{stack.base_url}/dashboard/transparency?site=news&from={today}&to={today}")
    page.screenshot(path=str(screenshot_path("transparency.png")), full_page=True)
    figures = httpx.get(
        f"{stack.base_url}/dashboard/transparency.json?site=news&from={today}&to={today}",
        cookies={c["name"]: c["value"] for c in page.context.cookies()},
        timeout=10,
    ).json()
    assert figures["reports_received"] == 22
    assert figures["reports_by_reason"] == {"attack": 21, "illegal": 1}
    assert figures["reports_grouped"] == 20
    assert (figures["complaints"]["received"], figures["complaints"]["reversed"]) == (1, 1)
    # The rejection counts although a complaint reversed it; the reversal is a human publish.
    assert figures["restrictions_by_type"]["reject"] == 1
    assert figures["restrictions_by_category"] == {"attack": 1}
    assert figures["decisions"] == {
        "automated": {"publish": 1},
        "human": {"publish": 1, "reject": 1},
    }
    assert page.problems == []
