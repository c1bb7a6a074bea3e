"""Intake rate limits: per author and per site, 429 with Retry-After, nothing stored."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.services.ratelimit import IntakeLimiter
from moderation.tables import Author, Comment
from tests.support import ROOT, comment_payload, encode, make_site, signed


@pytest.fixture
def limited_app(settings_overrides: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "sites").mkdir(exist_ok=True)
    (config / "sites" / "news.yaml").write_text(
        'rate_limits: {site: "5/minute", author: "3/minute"}\n'
    )
    from moderation.app import create_app

    app = create_app({**settings_overrides, "config_dir": str(config)})
    yield app
    with app.app_context():
        from tests.conftest import _empty_all_tables

        _empty_all_tables(db.engine)
        db.engine.dispose()  # close pooled connections now, not when the app is collected


def post(client: FlaskClient, secret: str, comment_id: str, author: str) -> Any:
    body = encode(comment_payload(comment_id=comment_id, author={"id": author}))
    return client.post("/api/v1/comments", data=body, headers=signed(secret, body))


def count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(sa.select(sa.func.count(Comment.id))).scalar_one())


def test_author_and_site_limits(limited_app: Flask) -> None:
    _, secret = make_site(limited_app, "news")
    client = limited_app.test_client()
    assert [post(client, secret, f"a{n}", "flooder").status_code for n in range(3)] == [202] * 3
    refused = post(client, secret, "a3", "flooder")
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert "author" in refused.json["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Someone else is not slowed by the flooder...
    assert post(client, secret, "b0", "calm-reader").status_code == 202
    assert post(client, secret, "b1", "calm-reader").status_code == 202
    # ...until the whole site reaches its limit.
    site_refusal = post(client, secret, "c0", "third-reader")
    assert site_refusal.status_code == 429
    assert "site" in site_refusal.json["error"]["message"]
    assert count(limited_app) == 5
    # A retry of an already stored comment is answered from the store, not refused.
    assert post(client, secret, "a0", "flooder").status_code == 200
    # A refused comment leaves no trace, not even its author's upsert; a retry counts nothing.
    with limited_app.app_context():
        authors = db.session.execute(sa.select(Author.external_id, Author.comments_count))
        assert {name: n for name, n in authors} == {"flooder": 3, "calm-reader": 2}


def test_unreachable_store_fails_open(limited_app: Flask) -> None:
    from moderation.policy.schema import RateLimits

    limiter = IntakeLimiter("redis://127.0.0.1:1/0")
    assert limiter.check(RateLimits(site="1/minute", author="1/minute"), "s", "a") is None
    assert limiter.check(RateLimits(site="1/minute", author="1/minute"), "s", "a") is None


def test_other_sites_keep_the_defaults(limited_app: Flask) -> None:
    _, secret = make_site(limited_app, "gazette")
    client = limited_app.test_client()
    codes = []
    for n in range(4):
        body = encode(comment_payload(site="gazette", comment_id=f"g{n}", author={"id": "x"}))
        codes.append(
            client.post("/api/v1/comments", data=body, headers=signed(secret, body)).status_code
        )
    assert codes == [202] * 4


def test_concurrent_duplicates_are_never_answered_429(
    limited_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten identical posts at once: one stores (202), the rest get the record (200).

    A barrier holds every request before it stores the comment until all ten have got
    there, so all of them race for the store — the case where duplicates used to be
    counted against the author's limit (3/minute) and answered 429 although stored.
    Needs PostgreSQL: SQLite's BEGIN IMMEDIATE runs whole requests one after another, so
    there a later copy always finds the stored comment.
    """
    import threading

    from moderation.services import intake

    if limited_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("concurrent intake transactions need PostgreSQL (set TEST_DATABASE_URL)")
    _, secret = make_site(limited_app, "news")
    copies = 10  # within the connection pool (5 + 10 overflow): each holds one at the barrier
    barrier = threading.Barrier(copies, timeout=30)
    store = intake.store_comment

    def wait_then_store(*args: Any, **kwargs: Any) -> intake.StoredComment:
        barrier.wait()
        return store(*args, **kwargs)

    monkeypatch.setattr(intake, "store_comment", wait_then_store)
    statuses: list[int] = []

    def one() -> None:
        statuses.append(post(limited_app.test_client(), secret, "dup", "reader").status_code)

    threads = [threading.Thread(target=one) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.undo()
    assert sorted(statuses) == [200] * (copies - 1) + [202]
    assert count(limited_app) == 1
    # The copies that lost the race counted their author and took it back: one comment.
    with limited_app.app_context():
        counted = db.session.execute(
            sa.select(Author.comments_count).where(Author.external_id == "reader")
        ).scalar_one()
        assert counted == 1
    # Only the stored copy was counted: the author may still post two more.
    client = limited_app.test_client()
    assert [post(client, secret, f"n{n}", "reader").status_code for n in (1, 2)] == [202, 202]
    assert post(client, secret, "n3", "reader").status_code == 429


def test_an_edit_counts_once_and_a_repeat_not_at_all(
    limited_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted first, stored after (PostgreSQL): a repeat gives its count back, an edit is
    counted once although it is admitted twice (before the store finds the comment, and
    again as an edit), and neither touches the author's record of comments. The limiter's
    memory of what it counted is made to lapse at once, so each repeat is counted first
    and must be given back."""
    import time
    from datetime import timedelta

    from moderation.services import intake, ratelimit

    monkeypatch.setattr(ratelimit, "ONCE_SECONDS", 0.001)
    # Every repeat is "of a comment stored earlier", however quickly it follows.
    monkeypatch.setattr(intake, "COPY_WINDOW", timedelta(0))
    _, secret = make_site(limited_app, "news")
    client = limited_app.test_client()

    def send(comment_id: str, text: str) -> int:
        time.sleep(0.01)  # past ONCE_SECONDS
        body = encode(comment_payload(comment_id=comment_id, author={"id": "editor"}, text=text))
        return client.post("/api/v1/comments", data=body, headers=signed(secret, body)).status_code

    assert send("e0", "First thoughts on the budget.") == 202  # 1 of 3
    assert send("e0", "First thoughts on the budget.") == 200  # a repeat: not counted
    assert send("e0", "Second thoughts on the budget.") == 202  # an edit: 2 of 3
    assert send("e0", "Second thoughts on the budget.") == 200  # its repeat: not counted
    assert send("e1", "Another comment.") == 202  # 3 of 3
    assert send("e2", "One too many.") == 429
    with limited_app.app_context():
        author = db.session.execute(sa.select(Author).where(Author.external_id == "editor"))
        assert author.scalar_one().comments_count == 2
