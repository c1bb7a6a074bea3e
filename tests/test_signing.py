from __future__ import annotations

import hashlib
import hmac

import pytest

from moderation.signing import (
    V1,
    V2,
    callback_headers,
    request_target,
    sign,
    sign_v2,
    signature_headers,
    verify,
    wsgi_target,
)

NOW = 1_800_000_000
BODY = b'{"site":"news","text":"hello"}'


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", NOW, BODY) == f"sha256={expected}"


def test_headers_round_trip() -> None:
    headers = signature_headers("s3cret", BODY, now=NOW)
    assert verify(
        ["s3cret"],
        headers["X-Moderation-Timestamp"],
        headers["X-Moderation-Signature"],
        BODY,
        now=NOW + 10,
        tolerance=300,
    )


@pytest.mark.parametrize(
    ("secrets", "timestamp", "signature", "body", "now"),
    [
        (["other"], str(NOW), sign("s3cret", NOW, BODY), BODY, NOW),  # wrong secret
        ([], str(NOW), sign("s3cret", NOW, BODY), BODY, NOW),  # unknown site
        (["s3cret"], str(NOW), sign("s3cret", NOW, BODY), BODY + b" ", NOW),  # body changed
        (["s3cret"], str(NOW + 1), sign("s3cret", NOW, BODY), BODY, NOW),  # timestamp changed
        (["s3cret"], str(NOW), sign("s3cret", NOW, BODY), BODY, NOW + 301),  # replay, too old
        (["s3cret"], str(NOW), sign("s3cret", NOW, BODY), BODY, NOW - 301),  # from the future
        (["s3cret"], None, sign("s3cret", NOW, BODY), BODY, NOW),
        (["s3cret"], str(NOW), None, BODY, NOW),
        (["s3cret"], "", "", BODY, NOW),
        (["s3cret"], "-1", sign("s3cret", -1, BODY), BODY, NOW),
        (["s3cret"], "1e9", sign("s3cret", "1e9", BODY), BODY, NOW),
        (["s3cret"], "٣", "sha256=00", BODY, NOW),  # non-ASCII digit
        (["s3cret"], str(NOW), sign("s3cret", NOW, BODY).upper(), BODY, NOW),
        (["s3cret"], str(NOW), sign("s3cret", NOW, BODY)[7:], BODY, NOW),  # no scheme
        (["s3cret"], str(NOW), "sha256=ü", BODY, NOW),
    ],
)
def test_rejects(
    secrets: list[str], timestamp: str | None, signature: str | None, body: bytes, now: int
) -> None:
    assert not verify(secrets, timestamp, signature, body, now=now, tolerance=300)


def test_any_valid_secret_during_rotation() -> None:
    signature = sign("new", NOW, BODY)
    assert verify(["old", "new"], str(NOW), signature, BODY, now=NOW, tolerance=300)
    assert verify(["new", "old"], str(NOW), signature, BODY, now=NOW, tolerance=300)


def test_v2_is_hmac_of_version_timestamp_method_target_and_body() -> None:
    message = b"v2\n1800000000\nPOST\n/api/v1/comments\n" + BODY
    expected = hmac.new(b"s3cret", message, hashlib.sha256).hexdigest()
    assert sign_v2("s3cret", NOW, "post", "/api/v1/comments", BODY) == f"v2={expected}"


def _v2_ok(signature: str, method: str, target: str, body: bytes = b"", **kw: int) -> bool:
    return verify(
        ["s3cret"], str(NOW), signature, body, now=NOW, tolerance=300, method=method,
        target=target, **kw,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        ("GET", "/api/v1/comments/news/c-1", b""),  # as signed
        ("POST", "/api/v1/comments/news/c-1", b""),
        ("POST", "/api/v1/comments/news/other/appeal", b""),
        ("GET", "/api/v1/comments/news/other", b""),
        ("GET", "/api/v1/comments/news/c-1?x", b""),
        # the separator cannot be moved from the path into the body
        ("GET", "/api/v1/comments/news/c", b"-1"),
        ("GET", "/api/v1/comments/news/c-", b"1"),
    ],
)
def test_v2_binds_method_and_target(method: str, target: str, body: bytes) -> None:
    signature = sign_v2("s3cret", NOW, "GET", "/api/v1/comments/news/c-1", b"")
    expected = (method, target, body) == ("GET", "/api/v1/comments/news/c-1", b"")
    assert _v2_ok(signature, method, target, body) is expected
    assert _v2_ok(signature, method, target, body, min_version=V2) is expected


def test_v1_only_while_the_site_accepts_it_and_v2_needs_a_target() -> None:
    v1 = sign("s3cret", NOW, b"")
    assert _v2_ok(v1, "GET", "/x")
    assert not _v2_ok(v1, "GET", "/x", min_version=V2)
    v2 = sign_v2("s3cret", NOW, "GET", "/x", b"")
    assert not verify(["s3cret"], str(NOW), v2, b"", now=NOW, tolerance=300)  # no method/target


def test_callback_headers_bind_the_receiver_url() -> None:
    url = "https://gazette.example/hooks/moderation?site=1"
    old = callback_headers("s3cret", BODY, url, min_version=V1, now=NOW)
    assert old["X-Moderation-Signature"] == sign("s3cret", NOW, BODY)
    v2 = sign_v2("s3cret", NOW, "POST", "/hooks/moderation?site=1", BODY)
    assert old["X-Moderation-Signature-V2"] == v2
    new = callback_headers("s3cret", BODY, url, min_version=V2, now=NOW)
    assert new["X-Moderation-Signature"] == new["X-Moderation-Signature-V2"] == v2
    assert request_target("https://gazette.example") == "/"


def test_wsgi_target_is_the_raw_request_target() -> None:
    assert wsgi_target({"RAW_URI": "/a%2Fb?x=1", "PATH_INFO": "/a/b"}) == "/a%2Fb?x=1"
    assert wsgi_target({"RAW_URI": "http://h/a?x", "PATH_INFO": "/a"}) == "/a?x"
    rebuilt = {"SCRIPT_NAME": "/m", "PATH_INFO": "/a b", "QUERY_STRING": "q=1"}
    assert wsgi_target(rebuilt) == "/m/a%20b?q=1"
