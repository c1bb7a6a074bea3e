"""API keys for the Perspective-compatible endpoint: one site per key, many keys per site.

A key is shown once, when it is created; only its SHA-256 (hex) is stored, with its first
characters (``prefix``) so an operator can tell keys apart and revoke one. A key of 256 random
bits needs no slow hash: the digest is not reversible and cannot be brute-forced.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa

from moderation.extensions import db
from moderation.services import audit
from moderation.tables import ApiKey, Site, utcnow

KEY_MARK = "mk_"  # tells our keys apart from Google's "AIza…" in a client's settings
PREFIX_LENGTH = 12  # what `moderation site api-key list` shows: "mk_" and 9 characters
MIN_REVOKE_PREFIX = 6
MAX_KEY_LENGTH = 256


class ApiKeyError(ValueError):
    """An API key operation cannot be done; the message says why."""


def new_key() -> str:
    return KEY_MARK + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(
    site: Site, *, actor: str = "cli", now: datetime | None = None
) -> tuple[ApiKey, str]:
    """Store a new key for ``site`` and commit; returns the row and the key (shown once)."""
    now = now or utcnow()
    key = new_key()
    row = ApiKey(
        site_id=site.id, key_hash=hash_key(key), prefix=key[:PREFIX_LENGTH], created_at=now
    )
    db.session.add(row)
    db.session.flush()
    _audit(actor, "api_key.created", site, row, now)
    db.session.commit()
    return row, key


def list_keys(site: Site) -> list[ApiKey]:
    """The site's keys, revoked ones included, oldest first."""
    return list(
        db.session.execute(
            sa.select(ApiKey).where(ApiKey.site_id == site.id).order_by(ApiKey.id)
        ).scalars()
    )


def revoke_key(
    site: Site, prefix: str, *, actor: str = "cli", now: datetime | None = None
) -> ApiKey:
    """Revoke the one active key of ``site`` whose prefix starts with ``prefix`` (or that is
    ``prefix``, given the whole key) and commit. Raises :class:`ApiKeyError` when none or
    several match, or ``prefix`` is too short to be meant."""
    now = now or utcnow()
    prefix = prefix.strip()
    active = [k for k in list_keys(site) if k.revoked_at is None]
    if len(prefix) > PREFIX_LENGTH:
        matches = [k for k in active if secrets.compare_digest(k.key_hash, hash_key(prefix))]
    elif len(prefix) < MIN_REVOKE_PREFIX:
        raise ApiKeyError(f"give at least {MIN_REVOKE_PREFIX} characters of the key's prefix")
    else:
        matches = [k for k in active if k.prefix.startswith(prefix)]
    if not matches:
        raise ApiKeyError(f"site {site.name!r} has no active key starting with {prefix[:12]!r}")
    if len(matches) > 1:
        raise ApiKeyError(
            f"{len(matches)} active keys of site {site.name!r} start with {prefix!r}; "
            "give the whole prefix shown by `moderation site api-key list`"
        )
    row = matches[0]
    row.revoked_at = now
    _audit(actor, "api_key.revoked", site, row, now)
    db.session.commit()
    return row


def site_for_key(key: str) -> tuple[Site, ApiKey] | None:
    """The site an active key belongs to, with the key's row; ``None`` for an unknown,
    revoked or malformed key. Reads only."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    row = db.session.execute(
        sa.select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        return None
    return row.site, row


def record_analysis(
    key: ApiKey,
    site: Site,
    *,
    attributes: list[str],
    span_annotations: bool,
    languages: list[str],
    now: datetime,
) -> None:
    """Count one ``comments:analyze`` call (without ``doNotStore``) in the audit log and
    commit: which key, site and attributes; never the text or its scores."""
    audit.record(
        f"api-key:{key.prefix}",
        "perspective.analyzed",
        now=now,
        site_id=site.id,
        target_type="api_key",
        target_id=key.prefix,
        details={
            "attributes": attributes,
            "span_annotations": span_annotations,
            "languages": languages,
        },
    )
    db.session.commit()


def _audit(actor: str, action: str, site: Site, row: ApiKey, now: datetime) -> None:
    audit.record(
        actor,
        action,
        now=now,
        site_id=site.id,
        target_type="api_key",
        target_id=row.prefix,
        details={"site": site.name},
    )
