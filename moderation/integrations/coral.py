"""Coral Talk external moderation phase: ``POST /integrations/coral/<site>/moderate``.

Point a Coral external moderation phase at this URL (Configure → Moderation → Moderation
phases), copy the phase's signing secret into ``moderation site coral-secret set SITE``, and
every comment Coral's own phases leave undecided is stored here (it shows in the dashboard
and the author's history), scored and decided synchronously under the site's policy, and
answered with the status Coral applies (see
:func:`moderation.integrations.coral_protocol.answer`). Add ``?approve=1`` to the URL to
answer ``APPROVED`` for published comments instead of leaving them to Coral.

Errors use the API's JSON error shape; Coral treats any non-2xx answer as "skip this phase"
and goes on with the comment.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import ValidationError

from moderation import configured
from moderation.api.errors import (
    APIError,
    check_identifiers,
    register_error_handlers,
    unauthorized,
)
from moderation.integrations import coral_protocol
from moderation.schemas import field_errors
from moderation.services import coral, revisions

bp = Blueprint("coral", __name__, url_prefix="/integrations/coral")
register_error_handlers(bp)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise APIError(400, "invalid_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise APIError(400, "invalid_json", "the request body must be a JSON object")
    return data


@bp.post("/<site>/moderate")
def moderate(site: str) -> Response | tuple[Response, int]:
    check_identifiers(site=site)
    body = request.get_data(cache=True)  # the exact bytes Coral signed
    known = coral.authenticate(site, body, request.headers.get(coral_protocol.SIGNATURE_HEADER))
    if known is None:
        raise unauthorized()
    try:
        payload = coral_protocol.ExternalModerationRequest.model_validate(_json_object(body))
    except ValidationError as exc:
        raise APIError(
            400, "invalid_fields", "not a Coral moderation request", fields=field_errors(exc)
        ) from None
    if not payload.comment.body.strip():
        return Response(status=204)  # nothing to judge (a media-only comment)
    limit = configured.settings().max_text_chars
    if len(payload.comment.body) > limit:
        raise APIError(413, "text_too_long", f"the comment is longer than {limit} characters")
    try:
        comment = coral.moderate(
            known, payload, pipeline=configured.pipeline(), policies=configured.policies()
        )
    except ValidationError as exc:
        raise APIError(
            400, "invalid_fields", "Coral's ids do not fit", fields=field_errors(exc)
        ) from None
    except revisions.EditError as exc:
        raise APIError(exc.status, exc.code, str(exc)) from None
    approve = request.args.get("approve", "").lower() in ("1", "true", "yes")
    answer = coral_protocol.answer(comment.status, comment.reasons or [], approve_published=approve)
    if answer is None:
        return Response(status=204)
    return jsonify(answer), 200
