"""Intake webhook and comment status. Views parse, call the services, and answer."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Response, jsonify, request, url_for
from pydantic import ValidationError

from moderation import configured
from moderation.api.auth import authenticate
from moderation.api.blueprint import bp
from moderation.api.errors import APIError, check_identifiers
from moderation.clock import utcnow
from moderation.schemas import AppealIn, CommentIn, field_errors
from moderation.services import dsa, intake, review, revisions
from moderation.services.ratelimit import Refusal
from moderation.services.sites import SiteLike
from moderation.statuses import CommentStatus
from moderation.tasks import enqueue_scoring

if TYPE_CHECKING:
    from moderation.tables import Comment, CommentRevision

log = logging.getLogger(__name__)


def read_json_object() -> tuple[bytes, dict[str, Any]]:
    """The raw body and its parsed JSON object, or a 4xx naming what is wrong."""
    if request.mimetype != "application/json":
        raise APIError(415, "unsupported_media_type", "send the body as application/json")
    body = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # ValueError covers malformed JSON and bytes that are not UTF-8.
        problem = "nested too deeply" if isinstance(exc, RecursionError) else "not valid JSON"
        raise APIError(400, "invalid_json", f"the request body is {problem}") from None
    if not isinstance(data, dict):
        raise APIError(400, "invalid_json", "the request body must be a JSON object")
    return body, data


def comment_body(comment: Comment, site: SiteLike) -> dict[str, Any]:
    return {
        "id": comment.id,
        "site": site.name,
        "comment_id": comment.external_id,
        "status": comment.status,
        "decision": comment.decision,
        "reasons": comment.reasons or [],
        "scores": comment.scores or {},
        "matches": comment.matches or [],
        "explanations": comment.explanations or [],
        "versions": comment.versions or {},
        "policy_version": comment.policy_version,
        "language": language_of(comment),
        "received_at": comment.received_at.isoformat(),
        "decided_at": comment.decided_at.isoformat() if comment.decided_at else None,
        "decided_by": comment.decided_by,
        "author": {"id": comment.author.external_id, "status": comment.author.status},
        "appeal": {
            "state": comment.appeal_state,
            "appealed_at": comment.appealed_at.isoformat() if comment.appealed_at else None,
        },
        "status_url": status_url(site, comment.external_id),
        "revision": comment.revision,
        "edited_at": comment.edited_at.isoformat() if comment.edited_at else None,
        "revisions": [revision_body(r) for r in revisions.history(comment)],
        # DSA Art. 17: the statement of reasons of the comment's restriction (None: none)
        "statement_of_reasons": dsa.comment_statement(comment),
    }


def revision_body(revision: CommentRevision) -> dict[str, Any]:
    return {
        "revision": revision.revision,
        "received_at": revision.received_at.isoformat(),
        "edited_at": revision.edited_at.isoformat() if revision.edited_at else None,
        "status": revision.status,
        "decision": revision.decision,
        "decided_by": revision.decided_by,
        "decided_at": revision.decided_at.isoformat() if revision.decided_at else None,
    }


def language_of(comment: Comment) -> dict[str, Any] | None:
    """The detected language as ``{"code", "confidence"}``; None until the comment is scored."""
    if comment.language is None:
        return None
    return {"code": comment.language, "confidence": comment.language_confidence}


def status_url(site: SiteLike, comment_id: str) -> str:
    return url_for("api.get_comment", site=site.name, comment_id=comment_id, _external=True)


@bp.post("/comments")
def create_comment() -> tuple[Response, int]:
    """Accept a posted comment: 202 pending, 201 refused at once, 200 already known; a
    re-post with other text is an edit (202 with its revision, see :mod:`.revisions`)."""
    settings = configured.settings()
    body, data = read_json_object()
    if isinstance(data.get("site"), str):  # any other type is answered 401 by authenticate
        check_identifiers(site=data["site"])
    site = authenticate(data.get("site"), body)
    try:
        payload = CommentIn.model_validate_json(body)
    except ValidationError as exc:
        raise APIError(
            400, "invalid_fields", "some fields are missing or invalid", fields=field_errors(exc)
        ) from None
    if len(payload.text) > settings.max_text_chars:
        raise APIError(
            413,
            "text_too_long",
            f"text has {len(payload.text)} characters; the limit is {settings.max_text_chars}",
            fields=[{"field": "text", "problem": f"longer than {settings.max_text_chars}"}],
        )
    policy = configured.policies().for_site(site.name)

    limiter = configured.limiter()
    # What the rate limit counts once: this comment with this text (an edit is another).
    once = hashlib.sha256(
        "\0".join((site.name, payload.comment_id, payload.text)).encode("utf-8", "surrogatepass")
    ).hexdigest()
    counted = False

    def admit() -> None:
        # Counted only for the request that stores the comment: a concurrent duplicate of it
        # is answered 200 with the stored record, never 429 (which means "not stored").
        nonlocal counted
        answer = limiter.admit(policy.rate_limits, site.name, payload.author.id, once)
        if isinstance(answer, Refusal):
            raise APIError(
                429,
                "rate_limited",
                f"too many comments from this {answer.scope} ({answer.limit}); retry later",
                headers={"Retry-After": str(answer.retry_after)},
            )
        counted = counted or answer

    def release() -> None:
        nonlocal counted
        if counted:
            limiter.release(policy.rate_limits, site.name, payload.author.id, once)
            counted = False

    # Stored first, looked up only on conflict: a repeat or an edit is the rare case, and the
    # insert's unique key answers "already known?" in the same round trip.
    stored = intake.store_comment(
        site,
        payload,
        utcnow(),
        policy_version=policy.version,
        admit=admit,
        release=release,
    )
    if not stored.created:  # already stored (maybe concurrently): a repeat or an edit
        return repost(site, payload, admit)
    if stored.status != CommentStatus.PENDING:
        return jsonify(comment_body(intake.load_comment(stored.id), site)), 201
    return accepted(site, payload, stored.id, revision=1)


def repost(site: SiteLike, payload: CommentIn, admit: Callable[[], None]) -> tuple[Response, int]:
    """A stored (site, comment_id) again: 200 with the record for the same text, else an
    edit (202 with the new revision) or a 4xx naming why it cannot be one."""
    try:
        edit = revisions.edit_comment(site, payload, utcnow(), admit=admit)
    except revisions.EditError as exc:
        fields = [{"field": exc.field, "problem": str(exc)}] if exc.field else None
        raise APIError(exc.status, exc.code, str(exc), fields=fields) from None
    if not edit.edited:
        return jsonify(comment_body(intake.load_comment(edit.id), site)), 200
    return accepted(site, payload, edit.id, revision=edit.revision)


def accepted(
    site: SiteLike, payload: CommentIn, comment_id: int, *, revision: int
) -> tuple[Response, int]:
    enqueue_scoring(comment_id)
    body = {
        "id": comment_id,
        "status": CommentStatus.PENDING,
        "status_url": status_url(site, payload.comment_id),
        "revision": revision,
    }
    return jsonify(body), 202


@bp.get("/comments/<site>/<comment_id>")
def get_comment(site: str, comment_id: str) -> Response:
    """Status, decision, reasons, scores and matched spans of one comment (signed GET)."""
    check_identifiers(site=site, comment_id=comment_id)
    known = authenticate(site, request.get_data(cache=True))
    comment = intake.find_comment(known, comment_id)
    if comment is None:
        raise APIError(404, "not_found", f"no comment {comment_id!r} from site {site!r}")
    return jsonify(comment_body(comment, known))


@bp.post("/comments/<site>/<comment_id>/appeal")
def appeal_comment(site: str, comment_id: str) -> Response:
    """The author appeals a rejection: the comment returns to the review queue, once."""
    check_identifiers(site=site, comment_id=comment_id)
    body = request.get_data(cache=True)
    known = authenticate(site, body)
    payload = AppealIn()
    if body.strip():
        if request.mimetype != "application/json":
            raise APIError(415, "unsupported_media_type", "send the body as application/json")
        try:
            payload = AppealIn.model_validate_json(body)
        except ValidationError as exc:
            raise APIError(
                400, "invalid_fields", "some fields are invalid", fields=field_errors(exc)
            ) from None
    comment = intake.find_comment(known, comment_id)
    if comment is None:
        raise APIError(404, "not_found", f"no comment {comment_id!r} from site {site!r}")
    try:
        review.appeal(comment, message=payload.message, now=utcnow())
    except review.ReviewError as exc:
        raise APIError(409, "appeal_not_allowed", str(exc)) from None
    return jsonify(comment_body(comment, known))
