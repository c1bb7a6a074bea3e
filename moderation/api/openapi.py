"""``GET /api/v1/openapi.json``: the document of :mod:`.openapi_document`, built on first use."""

from __future__ import annotations

from flask import Response, jsonify

from moderation.api.blueprint import bp


@bp.get("/openapi.json")
def openapi() -> Response:
    from moderation.api.openapi_document import openapi_document

    return jsonify(openapi_document())
