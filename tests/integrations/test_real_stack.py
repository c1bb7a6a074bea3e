"""Through the real thing: gunicorn serving the app, an HTTP Perspective client and a
Coral-signed request, checked against the database (no worker: both paths are synchronous)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.tables import AuditEntry, Comment
from tests.integrations.support import PROFANE, coral_body, coral_headers, coral_request, snapshot
from tests.support import Services


@pytest.fixture
def web(
    services: Services, settings_overrides: dict[str, Any], site: tuple[str, str]
) -> Iterator[str]:
    # One worker: it loads the classifier on its first scoring request (several seconds).
    process, base = services.start_web(settings_overrides, workers=1)
    try:
        yield base
    finally:
        process.stop()


def test_a_perspective_client_and_coral_against_gunicorn(
    app: Flask, web: str, api_key: str, coral_site: str
) -> None:
    # A Perspective client: only the base URL and the key differ from Google's.
    with httpx.Client(base_url=web, timeout=60) as perspective:
        _perspective_calls(app, perspective, api_key)

    # Coral's external moderation phase, signed as Coral signs it.
    payload = coral_body(coral_request(PROFANE))
    coral = httpx.post(
        f"{web}/integrations/coral/news/moderate",
        content=payload,
        headers=coral_headers(payload, coral_site),
        timeout=60,
    )
    assert coral.status_code == 200, coral.text
    assert coral.json() == {
        "status": "REJECTED",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
    }
    with app.app_context():
        comment = db.session.execute(sa.select(Comment)).scalar_one()
        assert comment.status == "rejected"
        assert comment.text == PROFANE
        assert comment.author.rejected_count == 1
        analyzed = db.session.execute(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "perspective.analyzed"
            )
        ).scalar_one()
        assert analyzed == 1


def _perspective_calls(app: Flask, perspective: httpx.Client, api_key: str) -> None:
    text = "You dickhead, this is shit."
    request: dict[str, Any] = {
        "comment": {"text": text},
        "requestedAttributes": {
            "TOXICITY": {},
            "INSULT": {"scoreThreshold": 0.5},
            "THREAT": {"scoreThreshold": 0.5},
        },
        "spanAnnotations": True,
        "languages": ["en"],
        "doNotStore": True,
        "clientToken": "c-1",
    }
    before = snapshot(app)
    response = perspective.post("/v1alpha1/comments:analyze", params={"key": api_key}, json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["attributeScores"]) == {"TOXICITY", "INSULT"}
    assert body["attributeScores"]["TOXICITY"]["summaryScore"]["value"] >= 0.9
    words = {text[s["begin"] : s["end"]] for s in body["attributeScores"]["INSULT"]["spanScores"]}
    assert "dickhead" in words
    assert body["clientToken"] == "c-1"
    assert snapshot(app) == before  # doNotStore: nothing written

    bad = perspective.post("/v1alpha1/comments:analyze", params={"key": "mk_wrong"}, json=request)
    assert bad.status_code == 400
    assert bad.json()["error"]["status"] == "INVALID_ARGUMENT"

    request["doNotStore"] = False
    assert (
        perspective.post(
            "/v1alpha1/comments:analyze", headers={"X-Goog-Api-Key": api_key}, json=request
        ).status_code
        == 200
    )
