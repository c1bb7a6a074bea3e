"""Sites and their signing secrets."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from moderation.extensions import db
from moderation.schemas import SITE_NAME_MAX, identifier_problem
from moderation.services.callback_http import TargetError, TargetPolicy, check_url
from moderation.tables import Comment, CommentStatus, Site, SiteSecret, utcnow


class SiteError(ValueError):
    """A site operation cannot be done; the message says why."""


def new_secret() -> str:
    return secrets.token_hex(32)


def get_site(name: str) -> Site | None:
    return db.session.execute(sa.select(Site).where(Site.name == name)).scalar_one_or_none()


def list_sites() -> list[Site]:
    """Every site, by name."""
    return list(db.session.execute(sa.select(Site).order_by(Site.name)).scalars())


def require_site(name: str) -> Site:
    site = get_site(name)
    if site is None:
        raise SiteError(f"no site named {name!r}")
    return site


def site_by_id(site_id: int) -> Site | None:
    return db.session.get(Site, site_id)


def sites_by_name() -> list[Site]:
    """Every site, in name order."""
    return list(db.session.execute(sa.select(Site).order_by(Site.name)).scalars())


def held_counts() -> dict[int, int]:
    """Comments waiting for a moderator, per site id (sites with none are left out)."""
    return {
        site_id: count
        for site_id, count in db.session.execute(
            sa.select(Comment.site_id, sa.func.count(Comment.id))
            .where(Comment.status == CommentStatus.HELD)
            .group_by(Comment.site_id)
        )
    }


def audit_site_change(actor: str, action: str, site: Site, **details: object) -> None:
    """Record a change to ``site`` in the audit log (in the caller's transaction)."""
    from moderation.services import audit

    audit.record(
        actor,
        action,
        now=utcnow(),
        site_id=site.id,
        target_type="site",
        target_id=site.name,
        details=dict(details),
    )


def create_site(name: str, *, secret: str | None = None, actor: str = "cli") -> tuple[Site, str]:
    """Create a site with a fresh secret (returned once; store it at the site)."""
    problem = identifier_problem(name, SITE_NAME_MAX)
    if problem is not None:
        raise SiteError(f"invalid site name {name!r}: {problem}")
    if get_site(name) is not None:
        raise SiteError(f"site {name!r} already exists")
    secret = secret or new_secret()
    site = Site(name=name, secrets=[SiteSecret(secret=secret)])
    db.session.add(site)
    db.session.flush()
    audit_site_change(actor, "site.created", site)
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
    audit_site_change(actor, "site.secret_rotated", site, grace_hours=grace.total_seconds() / 3600)
    db.session.commit()
    return secret


def current_secret(site: Site) -> str:
    """The newest secret: the one used to sign callbacks to the site."""
    return site.secrets[-1].secret


def validate_callback_url(url: str, policy: TargetPolicy) -> str:
    """``url`` if callbacks may be sent there under ``policy``, else :class:`SiteError`
    saying why (https only, public addresses only, no credentials; see
    :mod:`moderation.services.callback_http`)."""
    if len(url) > 2048:
        raise SiteError("callback URL is longer than 2048 characters")
    try:
        check_url(url, policy)
    except TargetError as exc:
        raise SiteError(str(exc)) from None
    return url


def set_callback_url(site: Site, url: str | None, *, actor: str, policy: TargetPolicy) -> None:
    """Set or remove the site's callback URL, allowed under ``policy`` (the service's:
    ``Settings.callback_targets()``, from ``MODERATION_CALLBACK_ALLOW_HTTP`` and
    ``MODERATION_CALLBACK_ALLOWED_NETWORKS``)."""
    if url:
        url = validate_callback_url(url, policy)
    site.callback_url = url or None
    audit_site_change(actor, "site.updated", site, callback_url=site.callback_url)
    db.session.commit()


def set_signature_min_version(site: Site, version: int, *, actor: str) -> None:
    """Accept request signatures of ``version`` and newer only (1: v1 and v2; 2: v2 only)."""
    if version not in (1, 2):
        raise SiteError(f"signature version must be 1 or 2, not {version}")
    site.signature_min_version = version
    audit_site_change(actor, "site.updated", site, signature_min_version=version)
    db.session.commit()


class SiteLike(Protocol):
    """A site as the intake needs it: a :class:`~moderation.tables.Site` or a :class:`SiteRef`."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SiteRef:
    """What the hot path needs of a site: its id, name and signing secrets."""

    id: int
    name: str
    secrets: tuple[tuple[str, datetime | None], ...]
    fetched_at: float
    signature_min_version: int = 1

    def valid_secrets(self, now: datetime) -> list[str]:
        return [secret for secret, expires in self.secrets if expires is None or expires > now]


class SiteCache:
    """Per-process cache of sites and secrets, so a signed request costs no query.

    Entries live ``ttl`` seconds. A request whose signature fails against a cached entry
    older than ``recheck`` seconds is checked again against the database, so a new site or
    a rotated secret works at once; expiries (rotation grace) are applied at check time.
    Unknown names are cached too, which keeps floods of forged site names off the database.
    """

    def __init__(self, ttl: float = 10.0, recheck: float = 1.0) -> None:
        self.ttl = ttl
        self.recheck = recheck
        self._entries: dict[str, SiteRef | None] = {}
        self._fetched: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, name: str, *, stale_after: float | None = None) -> SiteRef | None:
        limit = self.ttl if stale_after is None else stale_after
        now = time.monotonic()
        with self._lock:
            if name in self._entries and now - self._fetched[name] < limit:
                return self._entries[name]
        site = get_site(name)
        ref = None
        if site is not None:
            ref = SiteRef(
                id=site.id,
                name=site.name,
                secrets=tuple((s.secret, s.expires_at) for s in site.secrets),
                fetched_at=now,
                signature_min_version=site.signature_min_version,
            )
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
                self._fetched.clear()
            self._entries[name] = ref
            self._fetched[name] = now
        return ref

    def refresh(self, name: str) -> SiteRef | None:
        """Re-read ``name`` unless it was read within ``recheck`` seconds."""
        return self.get(name, stale_after=self.recheck)
