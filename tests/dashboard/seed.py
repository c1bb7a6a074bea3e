"""Rows for dashboard tests, written straight to the database (no scoring needed), and
helpers to sign in through the real login form with a real CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderation.extensions import db
from moderation.services import users
from moderation.tables import Author, Comment, Site, utcnow

PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_COUNTER = {"held": "held_count", "published": "published_count", "rejected": "rejected_count"}


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2id with the cheapest parameters: the production cost (~0.1-0.6 s a hash) adds
    up over hundreds of test logins, and what is tested here is the logic, not the cost."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    users._dummy_hash.cache_clear()
    yield
    users._dummy_hash.cache_clear()


def make_user(app: Flask, username: str, role: str = "moderator") -> int:
    with app.app_context():
        return users.create_user(username, PASSWORD, role, actor="test", now=utcnow()).id


def csrf_from(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    token = csrf_from(client.get("/dashboard/login").text)
    return client.post(
        "/dashboard/login",
        data={"username": username, "password": password, "csrf_token": token},
    )


def token(client: FlaskClient, path: str = "/dashboard/") -> str:
    return csrf_from(client.get(path).text)


def add_author(
    app: Flask,
    external_id: str = "u1",
    *,
    site: str = "news",
    name: str | None = None,
    status: str = "active",
    by_moderator: bool = False,
) -> int:
    with app.app_context():
        site_row = db.session.execute(sa.select(Site).where(Site.name == site)).scalar_one()
        author = db.session.execute(
            sa.select(Author).where(
                Author.site_id == site_row.id, Author.external_id == external_id
            )
        ).scalar_one_or_none()
        if author is None:
            author = Author(
                site_id=site_row.id,
                external_id=external_id,
                name=name,
                status=status,
                status_by_moderator=by_moderator,
                first_seen_at=T0,
                last_seen_at=T0,
            )
            db.session.add(author)
            db.session.commit()
        return author.id


def add_comment(
    app: Flask,
    external_id: str,
    text: str,
    *,
    site: str = "news",
    author: str = "u1",
    author_name: str | None = "Ann Reader",
    status: str = "held",
    risk: float = 0.6,
    matches: list[dict[str, Any]] | None = None,
    explanations: list[dict[str, Any]] | None = None,
    reasons: list[dict[str, Any]] | None = None,
    scores: dict[str, float] | None = None,
    article_id: str = "a-1",
    article_url: str | None = "https://news.example/a-1",
    article_title: str | None = "Budget vote",
    received_at: datetime | None = None,
    appeal: bool = False,
    language: str | None = None,
) -> int:
    """A decided comment as the policy would have left it (author counters included)."""
    author_id = add_author(app, author, site=site, name=author_name)
    decision = {"held": "hold", "published": "publish", "rejected": "reject"}.get(status)
    if reasons is None:
        reasons = (
            [
                {
                    "code": "category_score",
                    "outcome": decision,
                    "category": "attack",
                    "score": risk,
                    "threshold": 0.5,
                    "source": "model",
                }
            ]
            if status != "published"
            else []
        )
    with app.app_context():
        site_row = db.session.execute(sa.select(Site).where(Site.name == site)).scalar_one()
        author_row = db.session.get(Author, author_id)
        assert author_row is not None
        when = received_at or utcnow() - timedelta(hours=1)
        comment = Comment(
            site_id=site_row.id,
            external_id=external_id,
            author_id=author_id,
            article_id=article_id,
            article_url=article_url,
            article_title=article_title,
            text=text,
            received_at=when,
            status=status,
            decision=decision,
            auto_decision=decision,
            reasons=reasons,
            scores=scores
            or {"profanity": 0.1, "attack": risk, "threat": 0.0, "hate": 0.0, "spam": 0.0},
            model_scores={"attack": risk},
            matches=matches or [],
            explanations=explanations or [],
            versions={"rules": "test"},
            policy_version="default-test",
            risk=risk,
            decided_at=when,
            decided_by="policy",
            appeal_state="pending" if appeal else None,
            appeal_message="Please look again" if appeal else None,
            language=language,
            language_confidence=0.9 if language else None,
        )
        db.session.add(comment)
        author_row.comments_count += 1
        if status in _COUNTER:
            setattr(author_row, _COUNTER[status], getattr(author_row, _COUNTER[status]) + 1)
        db.session.commit()
        return comment.id


def comment_row(app: Flask, comment_id: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        db.session.expunge(comment)
        return comment


def audit_actions(app: Flask) -> list[str]:
    from moderation.tables import AuditEntry

    with app.app_context():
        return list(
            db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars()
        )
