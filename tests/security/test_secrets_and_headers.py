"""Security checks as tests: secrets never logged, headers on every response, forged and
replayed signatures refused (the intake tests cover each variant; here through real HTTP)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation.services.sites import require_site
from tests.integration.test_service import decided, post
from tests.support import (
    LOCAL_RECEIVER,
    Receiver,
    Services,
    comment_payload,
    encode,
    set_callback_url,
    signed,
    wait_until,
)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """This module's receivers listen on 127.0.0.1 over http: allowed explicitly."""
    return {**settings_overrides, **LOCAL_RECEIVER}


REQUIRED_HEADERS = {
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
}


def test_secrets_never_reach_the_logs_in_process(
    app: Flask, client: FlaskClient, site: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = site[1]
    body = encode(comment_payload())
    headers = signed(secret, body)
    client.post("/api/v1/comments", data=body, headers=headers)
    client.post("/api/v1/comments", data=body, headers=signed("wrong-" + secret, body))
    client.get("/api/v1/comments/news/c-1", headers=signed(secret, b""))
    assert caplog.records, "nothing was logged: the check proves nothing"
    assert any(r.getMessage() == "signed request refused" for r in caplog.records)
    text = caplog.text
    assert secret not in text
    assert headers["X-Moderation-Signature"].split("=", 1)[1] not in text
    assert app.config["SECRET_KEY"] not in text


def test_secrets_never_reach_the_logs_of_real_processes(
    app: Flask,
    services: Services,
    stack_overrides: dict[str, Any],
    site: tuple[str, str],
    receiver: Receiver,
) -> None:
    secret = site[1]
    with app.app_context():
        set_callback_url(require_site("news"), receiver.url, actor="test")
    overrides = {**stack_overrides, "log_level": "DEBUG"}
    worker = services.start_worker(overrides)
    web, base = services.start_web(overrides)
    stack = type("S", (), {"base_url": base})()
    try:
        assert post(stack, secret, comment_payload(text="You idiot.")).status_code == 202  # type: ignore[arg-type]
        wait_until(lambda: decided(stack, secret, "c-1"), timeout=60, what="decision")  # type: ignore[arg-type]
        wait_until(lambda: receiver.accepted, timeout=60, what="callback")
        body = encode(comment_payload(comment_id="forged"))
        forged = httpx.post(
            f"{base}/api/v1/comments", content=body, headers=signed("guess", body), timeout=10
        )
        assert forged.status_code == 401
        signatures = {
            r.headers["X-Moderation-Signature"].split("=", 1)[1] for r in receiver.accepted
        }
        logs = worker.output() + web.output()
        assert "DEBUG" in logs  # verbose logging really was on
        assert secret not in logs
        assert overrides.get("secret_key", "test-secret-key-not-for-production") not in logs
        for signature in signatures:
            assert signature not in logs
    finally:
        web.stop()
        worker.stop()


def _requests(site: str) -> list[tuple[str, str, dict[str, str], bytes]]:
    return [
        ("GET", "/healthz", {}, b""),
        ("GET", "/readyz", {}, b""),
        ("GET", "/metrics", {}, b""),
        ("GET", "/api/v1/openapi.json", {}, b""),
        ("GET", f"/api/v1/comments/{site}/x", {}, b""),
        ("POST", "/api/v1/comments", {"Content-Type": "text/plain"}, b"x"),
        ("GET", "/no/such/page", {}, b""),
        ("DELETE", "/api/v1/comments", {}, b""),
    ]


@pytest.mark.parametrize("index", range(8))
def test_security_headers_on_every_response(
    client: FlaskClient, site: tuple[str, str], index: int
) -> None:
    method, path, headers, body = _requests(site[0])[index]
    response = client.open(path, method=method, headers=headers, data=body)
    missing = REQUIRED_HEADERS - set(response.headers.keys())
    assert not missing, (path, response.status_code, missing)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    if path.startswith("/api/"):
        assert response.headers["Cache-Control"] == "no-store"


def test_every_registered_get_route_sends_the_headers(app: Flask, client: FlaskClient) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.arguments:
            continue
        response = client.get(rule.rule)
        assert set(response.headers.keys()) >= REQUIRED_HEADERS, rule.rule
        checked += 1
    assert checked >= 4
