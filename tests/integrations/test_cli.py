"""`moderation site api-key …` and `moderation site coral-secret …`."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.cli import main
from moderation.extensions import db
from moderation.tables import ApiKey, AuditEntry, Site
from tests.integrations.support import CLEAN, CORAL_SECRET, coral_body, coral_headers, coral_request

ANALYZE = "/v1alpha1/comments:analyze"
REQUEST = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}, "doNotStore": True}


def invoke(app: Flask, *args: str, input: str | None = None) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


def add_key(app: Flask) -> str:
    code, out = invoke(app, "site", "api-key", "add", "news")
    assert code == 0, out
    found = re.search(r"key: (mk_[A-Za-z0-9_-]{43})$", out, re.M)
    assert found is not None, out
    return found.group(1)


def test_add_prints_the_key_once_and_stores_only_its_hash(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    key = add_key(app)
    with app.app_context():
        row = db.session.execute(sa.select(ApiKey)).scalar_one()
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert row.prefix == key[:12]
        assert row.revoked_at is None
        stored = [str(v) for v in db.session.execute(sa.select(ApiKey.__table__)).one()]
        assert key not in stored
        actions = db.session.execute(sa.select(AuditEntry.action)).scalars().all()
        assert "api_key.created" in actions
    code, listing = invoke(app, "site", "api-key", "list", "news")
    assert code == 0
    assert key[:12] in listing
    assert key not in listing
    assert client.post(f"{ANALYZE}?key={key}", json=REQUEST).status_code == 200


def test_revoke_by_prefix_stops_the_key_and_keeps_the_others(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    first, second = add_key(app), add_key(app)
    code, out = invoke(app, "site", "api-key", "revoke", "news", first[:12])
    assert code == 0, out
    assert client.post(f"{ANALYZE}?key={first}", json=REQUEST).status_code == 400
    assert client.post(f"{ANALYZE}?key={second}", json=REQUEST).status_code == 200
    code, listing = invoke(app, "site", "api-key", "list", "news")
    revoked_line = next(line for line in listing.splitlines() if line.startswith(first[:12]))
    assert revoked_line.split()[-1] != "-"
    code, out = invoke(app, "site", "api-key", "revoke", "news", first[:12])
    assert code != 0
    assert "no active key" in out
    code, out = invoke(app, "site", "api-key", "revoke", "news", "mk_")
    assert code != 0
    assert "at least" in out


def test_revoke_refuses_an_ambiguous_prefix(app: Flask, site: tuple[str, str]) -> None:
    add_key(app)
    add_key(app)
    with app.app_context():
        # two keys sharing a prefix (improbable, but the operator must say which)
        for row in db.session.execute(sa.select(ApiKey)).scalars():
            row.prefix = "mk_samesame1"
        db.session.commit()
    code, out = invoke(app, "site", "api-key", "revoke", "news", "mk_samesame1")
    assert code != 0
    assert "2 active keys" in out


def test_keys_of_an_unknown_site(app: Flask) -> None:
    code, out = invoke(app, "site", "api-key", "add", "nosuch")
    assert code != 0
    assert "no site named 'nosuch'" in out
    code, out = invoke(app, "site", "api-key", "list", "nosuch")
    assert code != 0


def test_list_without_keys(app: Flask, site: tuple[str, str]) -> None:
    code, out = invoke(app, "site", "api-key", "list", "news")
    assert code == 0
    assert "no keys" in out


def test_coral_secret_set_and_clear(app: Flask, client: FlaskClient, site: tuple[str, str]) -> None:
    body = coral_body(coral_request(CLEAN))
    headers = coral_headers(body, CORAL_SECRET)
    url = "/integrations/coral/news/moderate"
    assert client.post(url, data=body, headers=headers).status_code == 401
    code, out = invoke(app, "site", "coral-secret", "set", "news", input=CORAL_SECRET + "\n")
    assert code == 0, out
    assert CORAL_SECRET not in out
    assert "/integrations/coral/news/moderate" in out
    assert client.post(url, data=body, headers=headers).status_code == 204
    code, out = invoke(app, "site", "coral-secret", "clear", "news")
    assert code == 0
    assert client.post(url, data=body, headers=headers).status_code == 401
    with app.app_context():
        site_row = db.session.execute(sa.select(Site)).scalar_one()
        assert site_row.coral_signing_secret is None
        details = db.session.execute(sa.select(AuditEntry.details)).scalars().all()
        assert all(CORAL_SECRET not in str(d) for d in details)


def test_coral_secret_must_look_like_one(app: Flask, site: tuple[str, str]) -> None:
    code, out = invoke(app, "site", "coral-secret", "set", "news", input="two words\n")
    assert code != 0
    assert "does not look like" in out
