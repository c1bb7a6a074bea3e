"""The reference intake endpoint of ``bench/intake.py``: the essential work of accepting a
comment, and nothing else.

It exists in ``bench/`` for that benchmark only (issue 14): it is never deployed and is no
part of the service. ``POST /api/v1/comments`` here does what a comment needs before its 202
and no more:

1. verify the request's HMAC signature (the service's v2 scheme: ``v2=<hex HMAC(secret,
   "v2\\n<timestamp>\\n<METHOD>\\n<target>\\n<raw body>")>``, timestamp within the same
   tolerance) with :func:`hmac.compare_digest`;
2. one psycopg ``INSERT … ON CONFLICT DO NOTHING`` into a table of the same PostgreSQL
   database (autocommit: the statement is the transaction);
3. one Redis ``LPUSH`` of the new row's id into a list of the same Redis, only when the row
   was new (a repeat is answered 200 and enqueued nothing);
4. a 202 JSON answer.

It is served by the same gunicorn settings as the service's Procfile ``web`` line (2 workers
x 8 gthread threads); each thread keeps one database connection. Configuration comes from the
environment (``BENCH_REFERENCE_DATABASE_URL``, ``BENCH_REFERENCE_REDIS_URL``,
``BENCH_REFERENCE_SECRET``) or the arguments of :func:`create_app`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from typing import Any

import psycopg
import redis
from flask import Flask, Response, jsonify, request

PATH = "/api/v1/comments"
TABLE = "bench_reference_comments"
QUEUE = "bench_reference_queue"
#: Seconds a signature's timestamp may differ from the clock (the service's default).
TOLERANCE = 300

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id bigserial PRIMARY KEY,
    site varchar(64) NOT NULL,
    comment_id varchar(200) NOT NULL,
    author_id varchar(200) NOT NULL,
    article_id varchar(200),
    text text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site, comment_id)
)
"""
INSERT = (
    f"INSERT INTO {TABLE} (site, comment_id, author_id, article_id, text) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (site, comment_id) DO NOTHING RETURNING id"
)


def ensure_table(database_url: str) -> None:
    """Create the reference table (the benchmark calls this once, before serving)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(CREATE_TABLE)


def signature_ok(
    secret: bytes, timestamp: str | None, signature: str | None, target: str, body: bytes
) -> bool:
    """True when ``signature`` is the v2 HMAC of this POST and the timestamp is fresh."""
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE:
        return False
    message = f"v2\n{timestamp}\nPOST\n{target}\n".encode() + body
    expected = "v2=" + hmac.new(secret, message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))


def create_app(
    database_url: str | None = None, redis_url: str | None = None, secret: str | None = None
) -> Flask:
    database_url = database_url or os.environ["BENCH_REFERENCE_DATABASE_URL"]
    redis_url = redis_url or os.environ["BENCH_REFERENCE_REDIS_URL"]
    key = (secret or os.environ["BENCH_REFERENCE_SECRET"]).encode()
    app = Flask(__name__)
    queue = redis.Redis.from_url(redis_url)  # a thread-safe pool, connected on first use
    local = threading.local()
    opened: list[psycopg.Connection[Any]] = []

    def connection() -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = psycopg.connect(database_url, autocommit=True)
            opened.append(conn)
        return conn

    def close() -> None:
        """Close every connection (the processes of a server simply exit; a test calls this)."""
        for conn in opened:
            conn.close()
        queue.close()

    app.extensions["bench_reference_close"] = close

    def error(status: int, code: str) -> tuple[Response, int]:
        return jsonify({"error": {"code": code}}), status

    @app.post(PATH)
    def intake() -> tuple[Response, int]:
        body = request.get_data()
        target = request.environ.get("RAW_URI") or request.path
        if not signature_ok(
            key,
            request.headers.get("X-Moderation-Timestamp"),
            request.headers.get("X-Moderation-Signature"),
            target,
            body,
        ):
            return error(401, "invalid_signature")
        try:
            data = json.loads(body)
            values = (
                str(data["site"]),
                str(data["comment_id"]),
                str(data["author"]["id"]),
                str(data.get("article", {}).get("id", "")),
                str(data["text"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return error(400, "invalid_fields")
        row = connection().execute(INSERT, values).fetchone()
        if row is None:  # already stored: nothing new to enqueue
            return jsonify({"comment_id": values[1], "status": "known"}), 200
        queue.lpush(QUEUE, row[0])
        return jsonify({"id": row[0], "comment_id": values[1], "status": "pending"}), 202

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return jsonify({"status": "ok"}), 200

    return app
