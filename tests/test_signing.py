from __future__ import annotations

import hashlib
import hmac

import pytest

from moderation.signing import sign, signature_headers, verify

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
