"""Signed-request authentication for the site-facing API."""

from __future__ import annotations

import logging
import secrets
import time

from flask import request

from moderation import configured
from moderation.api.errors import unauthorized
from moderation.clock import utcnow
from moderation.services.sites import SiteRef
from moderation.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, V1, verify, wsgi_target

_DECOY_SECRET = secrets.token_hex(32)

log = logging.getLogger(__name__)


def _verified(site: SiteRef | None, body: bytes, tolerance: int) -> bool:
    # An unknown site is checked against a throw-away secret so it costs the same time.
    valid = site.valid_secrets(utcnow()) if site is not None else [_DECOY_SECRET]
    ok = verify(
        valid,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        body,
        now=time.time(),
        tolerance=tolerance,
        method=request.method,
        target=wsgi_target(request.environ),
        # An unknown site costs what a known one on the default setting costs.
        min_version=site.signature_min_version if site is not None else V1,
    )
    return ok and site is not None


def authenticate(site_name: object, body: bytes) -> SiteRef:
    """The site whose secret signed this request; raises 401 otherwise.

    Unknown site, missing headers, stale timestamp and wrong signature all give the same
    answer, so a caller cannot probe which site names exist.
    """
    if not isinstance(site_name, str) or len(site_name) > 64:
        _verified(None, body, 0)
        raise _refused(None)
    cache = configured.site_cache()
    tolerance = configured.settings().signature_tolerance_seconds
    site = cache.get(site_name)
    if _verified(site, body, tolerance):
        assert site is not None
        return site
    site = cache.refresh(site_name)  # a new site or a just-rotated secret
    if _verified(site, body, tolerance):
        assert site is not None
        return site
    raise _refused(site_name)


def _refused(site_name: str | None) -> Exception:
    """The 401, logged for operators (a wave of these is someone guessing): which site was
    claimed and from where; never a header or the body, which carry the signature."""
    log.info(
        "signed request refused",
        extra={"site": site_name, "path": request.path, "client": request.remote_addr},
    )
    return unauthorized()
