"""Request signing shared by the intake webhook and the decision callbacks.

Two schemes, told apart by the prefix of ``X-Moderation-Signature``; both use
``X-Moderation-Timestamp: <unix seconds>`` and HMAC-SHA256 with the site's secret:

* **v2** (current): ``v2=<hex HMAC(secret, "v2\\n<timestamp>\\n<METHOD>\\n<target>\\n<raw body>")>``
  where ``target`` is the request's path and query exactly as sent in the request line
  (``/api/v1/comments/gazette/c-1``, ``/hook?x=1``). Newlines cannot occur in a method or a
  request target, so the parts cannot be shifted into one another: a signature is valid for one
  method, one path and one body.
* **v1** (deprecated): ``sha256=<hex HMAC(secret, "<timestamp>.<raw body>")>``. It binds
  neither method nor path, so the headers of a signed GET (empty body) could be replayed
  within the tolerance against any other body-less request of the same site. Accepted only
  from sites whose ``signature_min_version`` is 1 (the transition setting; see the README).

A request is accepted when its timestamp is within the tolerance of the server's clock and
its signature matches any currently valid secret of the site (two during a rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

TIMESTAMP_HEADER = "X-Moderation-Timestamp"
SIGNATURE_HEADER = "X-Moderation-Signature"
#: On callbacks to a site still on v1: the v2 signature, so its receiver can move to v2 first.
SIGNATURE_V2_HEADER = "X-Moderation-Signature-V2"
_SCHEME = "sha256="
_SCHEME_V2 = "v2="
V1, V2 = 1, 2


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The v1 signature header value for ``body`` sent at ``timestamp`` (deprecated)."""
    message = str(timestamp).encode("ascii") + b"." + body
    return _SCHEME + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_v2(secret: str, timestamp: int | str, method: str, target: str, body: bytes) -> str:
    """The v2 signature header value: ``body`` sent as ``method target`` at ``timestamp``."""
    head = f"v2\n{timestamp}\n{method.upper()}\n{target}\n".encode("utf-8", "surrogatepass")
    return _SCHEME_V2 + hmac.new(secret.encode("utf-8"), head + body, hashlib.sha256).hexdigest()


def request_target(url: str) -> str:
    """The request target (path and query) of ``url``, which may also be a bare target.

    ``https://gazette.example/hook?x=1`` gives ``/hook?x=1``; an empty path is ``/``.
    """
    parts = urlsplit(url)
    target = parts.path or "/"
    return f"{target}?{parts.query}" if parts.query else target


def signature_headers(
    secret: str,
    body: bytes,
    now: float | None = None,
    *,
    method: str | None = None,
    target: str | None = None,
) -> dict[str, str]:
    """Timestamp and signature headers: v2 when ``method`` and ``target`` are given, else v1.

    The v1 form (no method and target) is deprecated and kept for the transition period.
    """
    timestamp = int(time.time() if now is None else now)
    if method is not None and target is not None:
        signature = sign_v2(secret, timestamp, method, request_target(target), body)
    else:
        signature = sign(secret, timestamp, body)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature}


def callback_headers(
    secret: str, body: bytes, url: str, *, min_version: int, now: float | None = None
) -> dict[str, str]:
    """Signature headers of a callback ``POST`` to ``url``.

    ``X-Moderation-Signature`` carries what the site verifies today (v1 while the site's
    ``signature_min_version`` is 1, v2 after); ``X-Moderation-Signature-V2`` always carries v2.
    """
    timestamp = int(time.time() if now is None else now)
    v2 = sign_v2(secret, timestamp, "POST", request_target(url), body)
    main = sign(secret, timestamp, body) if min_version <= V1 else v2
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: main, SIGNATURE_V2_HEADER: v2}


def wsgi_target(environ: dict[str, object]) -> str:
    """The request target as the client sent it (``RAW_URI``, set by gunicorn and Werkzeug),
    or rebuilt from the decoded path and the query string where a server does not set it."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        return raw if raw.startswith("/") else request_target(raw)
    path = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
    # PEP 3333 strings are latin-1 decoded bytes: quote those bytes back.
    target = quote(path.encode("latin-1", "replace"), safe="/:@!$&'()*+,;=-._~") or "/"
    query = environ.get("QUERY_STRING")
    return f"{target}?{query}" if query else target


def verify(
    secrets: Iterable[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float,
    tolerance: int,
    method: str | None = None,
    target: str | None = None,
    min_version: int = V1,
) -> bool:
    """True when the signature matches one of ``secrets`` and the timestamp is fresh.

    A v2 signature is checked against ``method`` and ``target`` (refused when they are not
    given); a v1 signature only while ``min_version`` is 1. Every secret is compared, in
    constant time, whether or not an earlier one matched, so the time taken does not reveal
    which secret (or how much of a signature) was right.
    """
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if len(timestamp) > 12 or abs(now - int(timestamp)) > tolerance:
        return False
    given = signature.strip()
    v2 = given.startswith(_SCHEME_V2)
    if v2 and (method is None or target is None):
        return False
    if not v2 and (not given.startswith(_SCHEME) or min_version > V1):
        return False
    given_bytes = given.encode("utf-8", "replace")
    ok = False
    for secret in secrets:
        if v2:
            expected = sign_v2(secret, timestamp, method or "", target or "", body)
        else:
            expected = sign(secret, timestamp, body)
        ok |= hmac.compare_digest(expected.encode("ascii"), given_bytes)
    return ok
