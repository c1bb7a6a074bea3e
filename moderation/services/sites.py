"""Sites and their signing secrets."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit
from datetime import datetime, timedelta

import sqlalchemy as sa

from moderation.schemas import SITE_NAME_PATTERN
from moderation.extensions import db
from moderation.tables import Site, SiteSecret, utcnow


class SiteError(ValueError):
    """A site operation cannot be done; the message says why."""


def new_secret() -> str:
    return secrets.token_hex(32)


def get_site(name: str) -> Site | None:
    return db.session.execute(sa.select(Site).where(Site.name == name)).scalar_one_or_none()


def require_site(name: str) -> Site:
    site = get_site(name)
    if site is None:
        raise SiteError(f"no site named {name!r}")
    return site


def _audit(actor: str, action: str, site: Site, **details: object) -> None:
    from moderation.services import audit

    audit.record(actor, action, now=utcnow(), site_id=site.id, target_type="site",
                 target_id=site.name, details=dict(details))


def create_site(name: str, *, secret: str | None = None, actor: str = "cli") -> tuple[Site, str]:
    """Create a site with a fresh secret (returned once; store it at the site)."""
    if not re.fullmatch(SITE_NAME_PATTERN, name):
        raise SiteError(
            f"invalid site name {name!r}: use 1-64 letters, digits, '.', '_' or '-'"
        )
    if get_site(name) is not None:
        raise SiteError(f"site {name!r} already exists")
    secret = secret or new_secret()
    site = Site(name=name, secrets=[SiteSecret(secret=secret)])
    db.session.add(site)
    db.session.flush()
    _audit(actor, "site.created", site)
    db.session.commit()
    return site, secret


def rotate_secret(
    site: Site, *, grace: timedelta, now: datetime | None = None, actor: str = "cli"
) -> str:
    """Add a new secret; the ones valid now stay valid for ``grace``, then expire."""
    now = now or utcnow()
    for old in site.secrets:
        if old.expires_at is None or old.expires_at > now + grace:
            old.expires_at = now + grace
    secret = new_secret()
    site.secrets.append(SiteSecret(secret=secret, created_at=now))
    _audit(actor, "site.secret_rotated", site, grace_hours=grace.total_seconds() / 3600)
    db.session.commit()
    return secret


def current_secret(site: Site) -> str:
    """The newest secret: the one used to sign callbacks to the site."""
    return site.secrets[-1].secret


def validate_callback_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SiteError(f"callback URL must be an absolute http(s) URL, not {url!r}")
    if len(url) > 2048:
        raise SiteError("callback URL is longer than 2048 characters")
    return url


def set_callback_url(site: Site, url: str | None, *, actor: str) -> None:
    site.callback_url = validate_callback_url(url) if url else None
    _audit(actor, "site.updated", site, callback_url=site.callback_url)
    db.session.commit()
