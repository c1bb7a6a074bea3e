"""Coral Talk external moderation: the per-site signing secret, and storing and deciding a
comment synchronously, through the same intake and decision path as the webhook."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from moderation.extensions import db
from moderation.integrations.coral_protocol import ExternalModerationRequest, comment_key, verify
from moderation.policy.loader import PolicySet
from moderation.schemas import CommentIn
from moderation.scoring.pipeline import Pipeline
from moderation.services import decisions, intake
from moderation.services.sites import audit_site_change, get_site
from moderation.tables import Comment, CommentStatus, Site, utcnow

log = logging.getLogger(__name__)

MAX_SECRET_LENGTH = 128
_DECOY_SECRET = secrets.token_hex(32)


class CoralError(ValueError):
    """A Coral setting cannot be changed; the message says why."""


def set_signing_secret(site: Site, secret: str, *, actor: str = "cli") -> None:
    """Store the signing secret Coral shows for the site's external moderation phase."""
    secret = secret.strip()
    if not secret:
        raise CoralError("the signing secret is empty")
    if len(secret) > MAX_SECRET_LENGTH or any(c.isspace() or c == "," for c in secret):
        raise CoralError(
            "that does not look like a Coral signing secret (expected one token such as "
            "empsec_…, at most 128 characters)"
        )
    replaced = site.coral_signing_secret is not None
    site.coral_signing_secret = secret
    audit_site_change(actor, "site.coral_secret_set", site, replaced=replaced)
    db.session.commit()


def clear_signing_secret(site: Site, *, actor: str = "cli") -> None:
    site.coral_signing_secret = None
    audit_site_change(actor, "site.coral_secret_cleared", site)
    db.session.commit()


def authenticate(site_name: str, body: bytes, signature: str | None) -> Site | None:
    """The site whose Coral signing secret signed ``body``, or ``None``.

    An unknown site, a site without a secret and a wrong signature are indistinguishable
    to the caller; the unknown case is checked against a throw-away secret so it costs the
    same time.
    """
    site = get_site(site_name) if len(site_name) <= 64 else None
    secret = site.coral_signing_secret if site is not None else None
    ok = verify(secret or _DECOY_SECRET, body, signature)
    if site is not None and secret is None:
        log.warning("coral request for a site without a signing secret", extra={"site": site.name})
    if not ok or secret is None:
        return None
    return site


def moderate(
    site: Site,
    request: ExternalModerationRequest,
    *,
    pipeline: Pipeline,
    policies: PolicySet,
    now: datetime | None = None,
) -> Comment:
    """Store Coral's comment and decide it now; returns the comment with its status.

    Idempotent: a repeat of the same submission returns the stored comment (deciding it
    if an earlier attempt stored it but failed before deciding). Raises
    :class:`pydantic.ValidationError` when Coral's ids or URL do not fit our comment fields.
    """
    received = now or utcnow()
    payload = CommentIn.model_validate(
        {
            "site": site.name,
            "comment_id": comment_key(request),
            "author": {"id": request.author.id},
            "article": {"id": request.story.id, "url": request.story.url},
            "text": request.comment.body,
            "parent_id": request.comment.parentID,
        }
    )
    policy_version = policies.for_site(site.name).version
    stored = intake.store_comment(site, payload, received, policy_version=policy_version)
    if stored.status == CommentStatus.PENDING:
        decisions.score_comment(stored.id, pipeline=pipeline, policies=policies, now=now)
    comment = intake.load_comment(stored.id)
    log.info(
        "coral comment decided" if stored.created else "coral comment already known",
        extra={"comment_id": comment.id, "status": comment.status, "site": site.name},
    )
    return comment
