"""The reference endpoint of ``bench/intake.py`` does the work it stands for: it refuses a bad
signature, and stores and enqueues each comment once. Needs PostgreSQL (``TEST_DATABASE_URL``)
and ``redis-server``, as the benchmark does."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import redis
import sqlalchemy as sa
from flask.testing import FlaskClient

from bench.reference_intake import PATH, QUEUE, TABLE, create_app, ensure_table
from moderation.signing import signature_headers as sign
from tests.support import (
    comment_payload,
    create_test_database,
    drop_test_database,
    encode,
    skip_or_fail,
)

SECRET = "reference-secret"


@pytest.fixture
def database() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        skip_or_fail("the reference endpoint needs PostgreSQL (set TEST_DATABASE_URL)")
        raise AssertionError("unreachable")
    url = create_test_database(base, f"reference_test_{uuid.uuid4().hex[:10]}")
    libpq = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ensure_table(libpq)
    yield libpq
    drop_test_database(base, url)


@pytest.fixture
def client(database: str, redis_server: str) -> Iterator[FlaskClient]:
    app = create_app(database, redis_server, SECRET)
    yield app.test_client()
    app.extensions["bench_reference_close"]()


def post(client: FlaskClient, body: bytes, secret: str = SECRET):
    headers = {
        "Content-Type": "application/json",
        **sign(secret, body, method="POST", target=PATH),
    }
    return client.post(PATH, data=body, headers=headers)


def stored(database: str) -> list[tuple[str, str]]:
    with psycopg.connect(database) as conn:
        return conn.execute(f"SELECT site, comment_id FROM {TABLE} ORDER BY id").fetchall()


def queued(redis_url: str) -> int:
    return int(redis.Redis.from_url(redis_url).llen(QUEUE))


def test_a_bad_signature_is_refused_and_nothing_is_stored(
    client: FlaskClient, database: str, redis_server: str
) -> None:
    body = encode(comment_payload())
    json_only = {"Content-Type": "application/json"}
    # Another site's secret; a valid signature of another body; no signature at all.
    assert post(client, body, secret="another-secret").status_code == 401
    other = {
        **json_only,
        **sign(SECRET, encode(comment_payload(text="Else.")), method="POST", target=PATH),
    }
    assert client.post(PATH, data=body, headers=other).status_code == 401
    assert client.post(PATH, data=body, headers=json_only).status_code == 401
    assert stored(database) == []
    assert queued(redis_server) == 0
    assert post(client, body).status_code == 202  # the same body, correctly signed


def test_each_comment_is_stored_and_enqueued_once(
    client: FlaskClient, database: str, redis_server: str
) -> None:
    first = post(client, encode(comment_payload(comment_id="c-1")))
    again = post(client, encode(comment_payload(comment_id="c-1")))
    second = post(client, encode(comment_payload(comment_id="c-2")))
    assert (first.status_code, again.status_code, second.status_code) == (202, 200, 202)
    assert first.json is not None and first.json["status"] == "pending"
    assert stored(database) == [("news", "c-1"), ("news", "c-2")]
    assert queued(redis_server) == 2


def test_a_stale_timestamp_is_refused(client: FlaskClient, database: str) -> None:
    body = encode(comment_payload())
    headers = {
        "Content-Type": "application/json",
        **sign(SECRET, body, now=1_000_000, method="POST", target=PATH),
    }
    assert client.post(PATH, data=body, headers=headers).status_code == 401
    assert stored(database) == []
