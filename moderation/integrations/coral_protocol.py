"""Coral Talk's external moderation protocol. Pure: no Flask, no database.

Coral (coralproject/talk v6+) POSTs an ``ExternalModerationRequest`` to each enabled external
phase and expects, within the phase's timeout, either ``204`` (do not moderate) or ``200``
with an ``ExternalModerationResponse``: an optional ``status`` (``NONE``, ``APPROVED``,
``REJECTED``, ``PREMOD``, ``SYSTEM_WITHHELD``) that ends the pipeline, ``actions`` (flags:
``actionType`` ``FLAG`` with reason ``COMMENT_DETECTED_TOXIC`` or ``COMMENT_DETECTED_SPAM``)
and ``tags``. Coral validates the response with Joi and skips the phase on any other value,
so only those values are sent.

Signing: Coral serialises the request (``JSON.stringify(request, null, 2)``) and sends
``X-Coral-Signature: sha256=<hex HMAC-SHA256 of the body>``, one comma-separated signature per
active signing secret of the phase (several while a rotated secret is still active). There is
no timestamp, so a captured request can be replayed; a replay finds the comment it stored
and gets the same answer (see :func:`comment_key`).

Sources: coralproject/talk ``server/src/core/server/services/comments/pipeline/phases/external.ts``,
``server/src/core/server/services/fetch/fetch.ts`` (``generateFetchOptions``),
``server/src/core/server/models/settings/signingSecret/helpers.ts`` (``generateSignatures``),
``WEBHOOKS.md`` (verifying signatures), ``docs/docs/external-moderation-phases.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from moderation.statuses import CommentStatus

SIGNATURE_HEADER = "X-Coral-Signature"
#: Prefix of the comment ids this integration stores (see :func:`comment_key`).
CORAL_ID_PREFIX = "coral-"
FLAG_TOXIC = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}
FLAG_SPAM = {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CoralComment(_In):
    body: str
    parentID: str | None = None


class CoralAuthor(_In):
    id: str
    role: str | None = None


class CoralStory(_In):
    id: str
    url: str | None = None


class CoralSite(_In):
    id: str | None = None


class ExternalModerationRequest(_In):
    action: Literal["NEW", "EDIT"]
    comment: CoralComment
    author: CoralAuthor
    story: CoralStory
    site: CoralSite | None = None
    tenantID: str | None = None
    tenantDomain: str | None = None


def signatures(header: str | None) -> list[str]:
    """The ``sha256=`` values of an ``X-Coral-Signature`` header (others are ignored)."""
    found = []
    for element in (header or "").split(","):
        prefix, _, value = element.strip().partition("=")
        if prefix == "sha256" and value:
            found.append(value.strip())
    return found


def sign(secret: str, body: bytes) -> str:
    """The header value Coral sends for ``body`` signed with one ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether any signature in ``header`` is ``body``'s HMAC-SHA256 under ``secret``.

    Every given signature is compared in constant time (no early exit).
    """
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    ok = False
    for value in signatures(header):
        ok |= hmac.compare_digest(value.encode(errors="replace"), expected)
    return ok


def comment_key(request: ExternalModerationRequest) -> str:
    """Our ``comment_id`` for the comment Coral asks about.

    Coral sends no comment id (the comment is created after the pipeline), so the id is a
    digest of what identifies the submission: tenant, site, story, author, parent, action
    and text. A replay, or Coral retrying the same submission, maps to the same stored
    comment; the same author posting the same text twice under the same parent does too
    (Coral's own repeat-post phase normally refuses that first). Coral does not say which
    comment an ``EDIT`` edits: :mod:`moderation.services.coral` applies it to the comment it
    finds for it as a new revision, and only an edit whose comment is not found is stored
    under this key, as a comment of its own.
    """
    parts = [
        request.tenantID,
        request.site.id if request.site else None,
        request.story.id,
        request.author.id,
        request.comment.parentID,
        request.action,
        request.comment.body,
    ]
    canonical = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{CORAL_ID_PREFIX}{digest[:40]}"


def _flags(reasons: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    flags: list[dict[str, str]] = []
    for reason in reasons:
        category = reason.get("category")
        if category is None or reason.get("outcome") not in ("hold", "reject"):
            continue
        flag = FLAG_SPAM if category == "spam" else FLAG_TOXIC
        if flag not in flags:
            flags.append(dict(flag))
    return flags


def answer(
    status: str, reasons: Iterable[Mapping[str, Any]], *, approve_published: bool = False
) -> dict[str, Any] | None:
    """Coral's ``ExternalModerationResponse`` for a comment in ``status``; ``None`` means
    answer ``204`` (let Coral's pipeline go on).

    * published → nothing (or ``APPROVED`` with ``approve_published``);
    * held → ``SYSTEM_WITHHELD`` (what Coral's own toxic and spam phases set), or ``PREMOD``
      when the only reason is that the author is watched (what Coral sets for users it
      pre-moderates);
    * rejected → ``REJECTED``.

    Held and rejected comments carry a ``FLAG`` per kind of reason — spam or toxic — so
    Coral's moderators see why; Coral's protocol has no free-text rejection reason.
    """
    reasons = list(reasons)
    if status == CommentStatus.PUBLISHED:
        return {"status": "APPROVED"} if approve_published else None
    if status == CommentStatus.HELD:
        flags = _flags(reasons)
        watched = any(r.get("code") == "author_watched" for r in reasons)
        coral_status = "PREMOD" if watched and not flags else "SYSTEM_WITHHELD"
    elif status == CommentStatus.REJECTED:
        flags = _flags(reasons)
        coral_status = "REJECTED"
    else:  # still pending: decide nothing rather than guess
        return None
    out: dict[str, Any] = {"status": coral_status}
    if flags:
        out["actions"] = flags
    return out
