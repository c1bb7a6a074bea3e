"""Request signing shared by the intake webhook and the decision callbacks.

Scheme: ``X-Moderation-Timestamp: <unix seconds>`` and
``X-Moderation-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``.
A request is accepted when its timestamp is within the tolerance of the server's clock and
its signature matches any currently valid secret of the site (two during a rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

TIMESTAMP_HEADER = "X-Moderation-Timestamp"
SIGNATURE_HEADER = "X-Moderation-Signature"
_SCHEME = "sha256="


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return _SCHEME + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secrets: Iterable[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float,
    tolerance: int,
) -> bool:
    """True when the signature matches one of ``secrets`` and the timestamp is fresh.

    Every secret is compared, in constant time, whether or not an earlier one matched, so
    the time taken does not reveal which secret (or how much of a signature) was right.
    """
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if len(timestamp) > 12 or abs(now - int(timestamp)) > tolerance:
        return False
    given = signature.strip().encode("utf-8", "replace")
    ok = False
    for secret in secrets:
        expected = sign(secret, timestamp, body).encode("ascii")
        ok |= hmac.compare_digest(expected, given)
    return ok
