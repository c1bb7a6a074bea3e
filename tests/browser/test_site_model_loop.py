"""The learning loop through the real stack (issue 11's done-when): a moderator's reject in
the dashboard (Chromium) becomes a label; the beat's retraining task, run by the real
``celery worker``, trains the site and the gate promotes; the next comment's decision carries
the new ``versions.site_model``; ``moderation model rollback`` restores the general model.

Most of the site's history is seeded with ``moderation feedback import`` so that the run
stays short; the newest label is the one made in the browser."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from moderation.extensions import db
from moderation.tables import AuditEntry, Comment, SiteLabel, utcnow
from tests.browser.conftest import CHROMIUM, BrowserStack
from tests.browser.test_dashboard import page, sign_in  # noqa: F401 (fixture)
from tests.cli.test_sites import invoke
from tests.dashboard.seed import PASSWORD, add_author
from tests.services.site_fixture import site_labels, write_shared
from tests.support import (
    LOCAL_RECEIVER,
    ROOT,
    Receiver,
    Services,
    comment_payload,
    encode,
    make_site,
    signed,
    skip_or_fail,
    wait_until,
)

pytestmark = pytest.mark.integration

PROBE = "The park is overdue, and whoever wrote this is a zorblax."


@pytest.fixture(scope="module")
def browser_stack(
    services: Services, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserStack]:
    """Like the dashboard's stack, with a private site-model directory and a small shared
    evaluation set; the worker runs without beat (the test sends the beat's task itself)."""
    from moderation.app import create_app
    from moderation.services import users
    from tests.conftest import _empty_all_tables

    if not os.access(CHROMIUM, os.X_OK):
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    instance = tmp_path_factory.mktemp("instance")
    redis = services.start_redis()
    local = {
        "database_url": database_url,
        "instance_path": str(instance),
        "config_dir": str(ROOT / "config"),
        "models_dir": str(ROOT / "models"),
        "site_models_dir": str(instance / "site-models"),
        "shared_eval_dir": str(write_shared(instance / "eval")),
        "redis_url": redis.url,
        **LOCAL_RECEIVER,
    }
    try:  # in process: for seeding, the CLI and sending the beat's task to the broker
        app = create_app({**local, "secret_key": "test-secret-key-not-for-production"})
    except BaseException:
        redis.stop()
        raise
    app.config["TESTING"] = True
    receiver = Receiver().start()
    _, secret = make_site(app, "news")
    with app.app_context():
        users.create_user("ann", PASSWORD, "moderator", actor="test", now=utcnow())
    stack = BrowserStack("", app, secret, receiver)
    try:
        stack.processes.append(services.start_worker(local))
        web, stack.base_url = services.start_web(local)
        stack.processes.append(web)
        yield stack
    finally:
        for process in reversed(stack.processes):
            process.stop()
        receiver.stop()
        redis.stop()
        with app.app_context():
            _empty_all_tables(db.engine)
            db.engine.dispose()


def post(stack: BrowserStack, comment_id: str, text: str, author: str) -> int:
    body = encode(
        comment_payload(comment_id=comment_id, text=text, author={"id": author, "name": author})
    )
    response = httpx.post(
        f"{stack.base_url}/api/v1/comments",
        content=body,
        headers=signed(stack.secret, body),
        timeout=10,
    )
    assert response.status_code == 202, response.text
    pk: int = response.json()["id"]
    return pk


def decided(stack: BrowserStack, pk: int) -> Comment | None:
    with stack.app.app_context():
        row = db.session.get(Comment, pk)
        assert row is not None
        if row.status == "pending":
            return None
        db.session.expunge(row)
        return row


def live_version(stack: BrowserStack) -> str | None:
    current = Path(stack.app.extensions["moderation.settings"].resolved_site_models_dir())
    path = current / "news" / "CURRENT"
    return path.read_text().strip() or None if path.exists() else None


def promoted_audited(stack: BrowserStack) -> bool:
    with stack.app.app_context():
        actions = db.session.execute(sa.select(AuditEntry.action)).scalars().all()
        db.session.rollback()
    return "model.promoted" in actions


def test_a_dashboard_decision_trains_promotes_and_rolls_back(
    browser_stack: BrowserStack,
    page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    stack = browser_stack
    history = tmp_path / "history.jsonl"
    history.write_text(
        "\n".join(json.dumps(line) for line in site_labels(299)) + "\n", encoding="utf-8"
    )
    code, out = invoke(stack.app, "feedback", "import", "news", str(history))
    assert code == 0, out

    # A watched author's comment waits for review; it is scored by the general model.
    add_author(stack.app, "w1", status="watched", by_moderator=True)
    first = post(stack, "c-1", PROBE, "w1")
    row = wait_until(lambda: decided(stack, first), timeout=60, what="the first decision")
    assert row.status == "held" and "site_model" not in row.versions

    # The moderator rejects it as an attack in Chromium: the site's 300th label.
    sign_in(page, stack.base_url, "ann")
    page.locator(f"#comment-{first}").focus()
    page.keyboard.press("r")
    reason = page.locator(f"#comment-{first} [data-reason]")
    reason.select_option("attack")
    reason.press("Enter")
    page.locator(f"#comment-{first}[data-status=rejected]").wait_for(timeout=10_000)
    with stack.app.app_context():
        label = db.session.execute(
            sa.select(SiteLabel).where(SiteLabel.comment_ref == "c-1")
        ).scalar_one()
        assert (label.source, label.actor) == ("moderator_decision", "moderator:ann")
        assert label.violation and {k for k, v in label.labels.items() if v} == {"attack"}
        assert db.session.execute(sa.select(sa.func.count()).select_from(SiteLabel)).scalar() == 300

    # The beat's task, sent by name to the broker, runs in the real worker: train, gate, promote.
    assert live_version(stack) is None
    stack.app.extensions["celery"].send_task("moderation.retrain_sites")
    # The pointer file is written just before the audit entry commits: wait for both.
    assert wait_until(lambda: live_version(stack), timeout=60, what="a promotion") == "news-1"
    assert wait_until(
        lambda: promoted_audited(stack), timeout=30, what="the promotion's audit entry"
    )

    page.goto(f"{stack.base_url}/dashboard/model")
    assert page.locator("#site-news .live-version").inner_text() == "news-1"
    assert page.locator("#site-news svg.chart circle.series-attack").count() == 1
    assert page.locator('#site-news [data-version="news-1"] .status').inner_text() == "promoted"

    second = post(stack, "c-2", PROBE, "w1")
    row = wait_until(lambda: decided(stack, second), timeout=60, what="the second decision")
    assert row.versions["site_model"] == "news-1"

    code, out = invoke(stack.app, "model", "rollback", "--site", "news")
    assert code == 0, out
    assert live_version(stack) is None
    third = post(stack, "c-3", PROBE, "w1")
    row = wait_until(lambda: decided(stack, third), timeout=60, what="the third decision")
    assert "site_model" not in row.versions
    assert page.problems == []
