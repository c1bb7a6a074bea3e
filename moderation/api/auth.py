"""Signed-request authentication for the site-facing API."""

from __future__ import annotations

import secrets
import time

from flask import request

from moderation import state
from moderation.api.errors import unauthorized
from moderation.services.sites import get_site
from moderation.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from moderation.tables import Site, utcnow

_DECOY_SECRET = secrets.token_hex(32)


def authenticate(site_name: object, body: bytes) -> Site:
    """The site whose secret signed this request; raises 401 otherwise.

    Unknown site, missing headers, stale timestamp and wrong signature all give the same
    answer, so a caller cannot probe which site names exist.
    """
    settings = state.settings()
    site = get_site(site_name) if isinstance(site_name, str) and len(site_name) <= 64 else None
    # An unknown site is checked against a throw-away secret so it costs the same time.
    valid = site.valid_secrets(utcnow()) if site is not None else [_DECOY_SECRET]
    ok = verify(
        valid,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        body,
        now=time.time(),
        tolerance=settings.signature_tolerance_seconds,
    )
    if not ok or site is None:
        raise unauthorized()
    return site
