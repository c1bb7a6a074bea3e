"""Helpers for the integration endpoints' tests: Coral-signed requests, table snapshots."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import sqlalchemy as sa
from flask import Flask

CORAL_SECRET = "empsec_" + "5e" * 36
CLEAN = "Thanks for the thoughtful article, I learned a lot."
PROFANE = "This council is full of shit."  # "shit": strong profanity -> rejected
LINKS = "Details at http://a.example http://b.example and http://c.example today"  # held: spam


def coral_request(text: str = CLEAN, **changes: Any) -> dict[str, Any]:
    """An ExternalModerationRequest as Coral builds it (external.ts, processPhase)."""
    body: dict[str, Any] = {
        "action": "NEW",
        "comment": {"body": text, "parentID": None},
        "author": {"id": "baf4e943-3594-4fcc-b2ba-3e8de7a76352", "role": "COMMENTER"},
        "story": {
            "id": "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6",
            "url": "https://news.example/posts/a-story-url/",
        },
        "site": {"id": "a4bede88-2d2c-4424-bc18-4322a9e285a6"},
        "tenantID": "19ba5794-7eeb-4d46-a81b-c00c61672501",
        "tenantDomain": "comments.news.example",
    }
    body.update(changes)
    return body


def coral_body(payload: dict[str, Any]) -> bytes:
    """``JSON.stringify(payload, null, 2)``: two-space indent, ``": "``, no ASCII escaping."""
    return json.dumps(payload, indent=2, ensure_ascii=False).encode()


def coral_headers(body: bytes, *secrets: str) -> dict[str, str]:
    """Coral's headers: one ``sha256=`` signature per active secret, comma-separated."""
    signature = ",".join(
        "sha256=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets
    )
    return {
        "Content-Type": "application/json",
        "X-Coral-Signature": signature,
        "User-Agent": "Coral Moderation/9.0.0",
    }


def snapshot(app: Flask) -> dict[str, list[str]]:
    """Every row of every table, to show a request changed nothing."""
    from moderation.extensions import db

    with app.app_context():
        out = {
            table.name: sorted(repr(tuple(row)) for row in db.session.execute(sa.select(table)))
            for table in db.metadata.sorted_tables
        }
        db.session.rollback()
    return out
