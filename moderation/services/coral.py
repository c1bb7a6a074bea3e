"""Coral Talk external moderation: the per-site signing secret, and storing and deciding a
comment synchronously, through the same intake and decision path as the webhook."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from moderation.extensions import db
from moderation.integrations.coral_protocol import (
    CORAL_ID_PREFIX,
    ExternalModerationRequest,
    comment_key,
    verify,
)
from moderation.policy.loader import PolicySet
from moderation.schemas import CommentIn
from moderation.scoring.pipeline import Pipeline
from moderation.services import decisions, intake, revisions
from moderation.services.sites import audit_site_change, get_site
from moderation.tables import Author, Comment, CommentStatus, Site, utcnow

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

    An ``EDIT`` is applied to the comment it edits (see :func:`_edited_comment`) as a new
    revision, decided now like a new comment; one whose comment is not found is stored as a
    comment of its own, as before.

    Idempotent: a repeat of the same submission returns the stored comment (deciding it
    if an earlier attempt stored it but failed before deciding). Raises
    :class:`pydantic.ValidationError` when Coral's ids or URL do not fit our comment fields,
    and :class:`moderation.services.revisions.EditError` when an edit keeps losing races.
    """
    received = now or utcnow()
    if request.action == "EDIT":
        edited = _edited_comment(site, request, received)
        if edited is not None:
            return _moderate_edit(site, request, edited, received, pipeline, policies, now)
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


#: How long after a comment Coral may send an edit of it. Coral's own limit ("Edit comment
#: timeframe", 30 seconds by default) is shorter; this only bounds the search.
CORAL_EDIT_WINDOW = timedelta(hours=1)


def _edited_comment(
    site: Site, request: ExternalModerationRequest, now: datetime
) -> Comment | None:
    """The comment an ``EDIT`` request edits, or ``None``.

    Coral names no comment in its request, so this is the author's newest comment from Coral
    on the same story under the same parent, received within :data:`CORAL_EDIT_WINDOW`.
    An author with two such comments in the window has an edit applied to the newer one
    (the decision Coral gets is still about the text it sent).
    """
    parent = request.comment.parentID
    query = (
        sa.select(Comment)
        .join(Author, Author.id == Comment.author_id)
        .where(
            Comment.site_id == site.id,
            Author.external_id == request.author.id,
            Comment.article_id == request.story.id,
            Comment.parent_id.is_(None) if parent is None else Comment.parent_id == parent,
            Comment.external_id.startswith(CORAL_ID_PREFIX, autoescape=True),
            Comment.received_at >= now - CORAL_EDIT_WINDOW,
        )
        .order_by(Comment.received_at.desc(), Comment.id.desc())
        .limit(1)
    )
    found: Comment | None = db.session.execute(query).scalar_one_or_none()
    return found


def _moderate_edit(
    site: Site,
    request: ExternalModerationRequest,
    edited: Comment,
    received: datetime,
    pipeline: Pipeline,
    policies: PolicySet,
    now: datetime | None,
) -> Comment:
    payload = CommentIn.model_validate(
        {
            "site": site.name,
            "comment_id": edited.external_id,
            "author": {"id": request.author.id},
            "article": {"id": request.story.id, "url": request.story.url},
            "text": request.comment.body,
            "parent_id": request.comment.parentID,
        }
    )
    result = revisions.edit_comment(site, payload, received)
    comment = intake.load_comment(result.id)
    if comment.status == CommentStatus.PENDING:
        decisions.score_comment(result.id, pipeline=pipeline, policies=policies, now=now)
        comment = intake.load_comment(result.id)
    log.info(
        "coral edit decided" if result.edited else "coral edit already known",
        extra={"comment_id": comment.id, "revision": comment.revision, "status": comment.status},
    )
    return comment
