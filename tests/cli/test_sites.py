"""`moderation site …`, `sign`, `events …`: sites, secrets and the delivery log."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.cli import main
from moderation.extensions import db
from moderation.tables import AuditEntry, Site
from tests.support import comment_payload, encode


def invoke(app: Flask, *args: str, input: str | None = None) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


def test_add_prints_a_secret_and_list_shows_the_site(app: Flask) -> None:
    code, out = invoke(app, "site", "add", "gazette")
    assert code == 0, out
    secret = re.search(r"secret: ([0-9a-f]{64})", out)
    assert secret is not None
    code, listing = invoke(app, "site", "list")
    assert code == 0
    assert "gazette" in listing
    assert secret.group(1) not in listing  # the secret is printed once, at creation
    code, out = invoke(app, "site", "add", "gazette")
    assert code != 0 and "already exists" in out
    code, out = invoke(app, "site", "add", "bad name!")
    assert code != 0 and "invalid site name" in out
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Site.id))).scalar_one() == 1


def _post(client: FlaskClient, app: Flask, body: bytes) -> int:
    """Sign with `moderation sign`, as the README shows, then post."""
    code, out = invoke(app, "sign", "--site", "news", "-", input=body.decode())
    assert code == 0, out
    headers = dict(line.split(": ", 1) for line in out.strip().splitlines())
    headers["Content-Type"] = "application/json"
    return client.post("/api/v1/comments", data=body, headers=headers).status_code


def test_rotation_keeps_both_secrets_valid_during_the_grace(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    _, old = site
    code, out = invoke(app, "site", "rotate-secret", "news", "--grace-hours", "1")
    assert code == 0, out
    new = re.search(r"secret: ([0-9a-f]{64})", out)
    assert new is not None and new.group(1) != old
    from tests.support import signed

    for n, secret in enumerate((old, new.group(1))):
        body = encode(comment_payload(comment_id=f"r{n}"))
        assert client.post(
            "/api/v1/comments", data=body, headers=signed(secret, body)
        ).status_code in (202, 201)
    # `moderation sign` (and the callbacks) use the newest secret.
    assert _post(client, app, encode(comment_payload(comment_id="r9"))) in (201, 202)
    invoke(app, "site", "rotate-secret", "news", "--grace-hours", "0")
    # Each process caches site secrets for a few seconds (SiteCache.ttl): an expired secret
    # is refused once the entry is re-read.
    import time

    cache = app.extensions["moderation.site_cache"]
    cache.ttl = 0.2
    time.sleep(0.3)
    body = encode(comment_payload(comment_id="late"))
    assert client.post("/api/v1/comments", data=body, headers=signed(old, body)).status_code == 401
    with app.app_context():
        actions = list(db.session.execute(sa.select(AuditEntry.action)).scalars())
    assert actions.count("site.secret_rotated") == 2


def test_set_callback_url_is_validated(app: Flask, site: tuple[str, str]) -> None:
    code, out = invoke(app, "site", "set", "news", "--callback-url", "ftp://example.com/x")
    assert code != 0 and "absolute https URL" in out
    code, out = invoke(app, "site", "set", "news", "--callback-url", "https://news.example/hook")
    assert code == 0, out
    with app.app_context():
        assert db.session.execute(sa.select(Site.callback_url)).scalar_one() == (
            "https://news.example/hook"
        )
    code, out = invoke(app, "site", "set", "news", "--no-callback")
    assert code == 0
    code, out = invoke(app, "site", "set", "nosuch", "--no-callback")
    assert code != 0 and "no site named" in out


def test_events_list_and_redeliver(app: Flask, site: tuple[str, str]) -> None:
    from tests.services.test_decisions import ATTACK, T0, score, submit

    score(app, submit(app, "c1", ATTACK, T0), T0)
    code, out = invoke(app, "events", "list")
    assert code == 0 and "comment.decided" in out and "skipped" in out
    code, out = invoke(app, "events", "redeliver", "--site", "news")
    assert code != 0 and "no callback URL" in out
    invoke(app, "site", "set", "news", "--callback-url", "https://news.example/x")
    code, out = invoke(app, "events", "redeliver", "--site", "news", "--since", "400d")
    assert code == 0 and "1 event(s) queued" in out
    code, out = invoke(app, "events", "list", "--status", "pending")
    assert "comment.decided" in out


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://169.254.169.254/latest/meta-data/", "must use https"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("https://10.0.0.1/hook", "10.0.0.1 is a private address"),
        ("https://localhost:6379/", "127.0.0.1 is a loopback address"),
        ("https://2130706433/", "127.0.0.1 is a loopback address"),
        ("https://user:pass@news.example/hook", "must not contain credentials"),
    ],
)
def test_callback_urls_to_internal_targets_are_refused(
    app: Flask, site: tuple[str, str], url: str, problem: str
) -> None:
    code, out = invoke(app, "site", "set", "news", "--callback-url", url)
    assert code != 0 and problem in out
    assert "MODERATION_CALLBACK_" in out or "credentials" in out  # says what would allow it
    with app.app_context():
        assert db.session.execute(sa.select(Site.callback_url)).scalar_one() is None


def test_sign_makes_v2_headers_bound_to_method_and_path(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    """`moderation sign --method GET --path … --curl`, on a site that accepts v2 only."""
    code, out = invoke(app, "site", "set", "news", "--signature-version", "2")
    assert code == 0 and "v2 only" in out, out
    body = encode(comment_payload())
    assert _post(client, app, body) == 202  # POST /api/v1/comments is the default
    read = "/api/v1/comments/news/c-1"
    code, out = invoke(app, "sign", "--site", "news", "--method", "GET", "--path", read, "--curl")
    assert code == 0, out
    words = out.split()
    assert words[0::2] == ["-H", "-H"]
    headers = dict(word.split(":", 1) for word in words[1::2])
    assert headers["X-Moderation-Signature"].startswith("v2=")
    assert client.get(read, headers=headers).status_code == 200
    assert client.post(read + "/appeal", headers=headers).status_code == 401
    code, out = invoke(app, "sign", "--site", "news", "--v1", "-", input="")
    assert code == 0 and "sha256=" in out
    v1 = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert client.get(read, headers=v1).status_code == 401  # the site refuses v1 now
    code, listing = invoke(app, "site", "list")
    assert re.search(r"news\s+1\s+v2", listing), listing
