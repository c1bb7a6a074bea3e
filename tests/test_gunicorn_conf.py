"""The production web server (gunicorn with moderation.gunicorn_conf), over real HTTP: its own
refusals use the API's JSON error shape, and v2 signatures are checked against the request
target gunicorn received."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from moderation.signing import signature_headers
from tests.support import Services, comment_payload, encode, signed


@pytest.fixture
def web(services: Services, settings_overrides: dict[str, Any]) -> Iterator[str]:
    process, base = services.start_web(settings_overrides, workers=1, threads=2)
    try:
        yield base
    finally:
        process.stop()


def raw_request(base: str, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (a request without body) and read the whole answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header_block, _, body = data.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        (b"X-Big: " + b"a" * 100_000 + b"\r\n", 431, "request_header_fields_too_large"),
        (b"".join(b"X-H%d: v\r\n" % n for n in range(200)), 431, "request_header_fields_too_large"),
    ],
)
def test_oversized_headers_get_the_json_error_shape(
    web: str, extra: bytes, status: int, code: str
) -> None:
    head = b"GET /api/v1/comments/news/c-1 HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n"
    got, headers, body = raw_request(web, head)
    assert got == status
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"]


def test_an_overlong_request_line_gets_json_too(web: str) -> None:
    got, headers, body = raw_request(web, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert got == 400
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "bad_request"


def test_a_replayed_v2_get_is_refused_through_gunicorn(web: str, site: tuple[str, str]) -> None:
    secret = site[1]
    body = encode(comment_payload())
    assert httpx.post(
        f"{web}/api/v1/comments", content=body, headers=signed(secret, body)
    ).is_success
    read = "/api/v1/comments/news/c-1"
    headers = signature_headers(secret, b"", method="GET", target=read)
    assert httpx.get(web + read, headers=headers).status_code == 200
    assert httpx.post(f"{web}{read}/appeal", headers=headers).status_code == 401
    assert httpx.get(f"{web}/api/v1/comments/news/c-2", headers=headers).status_code == 401
