"""OpenAPI 3.1 description of the site-facing API, served at ``/api/v1/openapi.json``.

Request bodies come from the same pydantic models the views validate with, so the
description cannot drift from what the server accepts.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from moderation.api.blueprint import bp
from moderation.schemas import COMMENT_ID_PATTERN, SITE_NAME_PATTERN, AppealIn, CommentIn

_REF = "#/components/schemas/{model}"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _record(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Comment"}}},
    }


_SIGNED: list[dict[str, list[str]]] = [{"timestamp": [], "signature": []}]
_PATH_PARAMS = [
    {
        "name": "site",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": SITE_NAME_PATTERN},
    },
    {
        "name": "comment_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": COMMENT_ID_PATTERN},
    },
]

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "problem": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["id", "status", "status_url"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"const": "pending"},
            "status_url": {"type": "string", "format": "uri"},
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "site", "comment_id", "status", "decision", "reasons", "scores"],
        "properties": {
            "id": {"type": "integer"},
            "site": {"type": "string"},
            "comment_id": {"type": "string"},
            "status": {"enum": ["pending", "published", "held", "rejected"]},
            "decision": {"enum": ["publish", "hold", "reject", None]},
            "reasons": {"type": "array", "items": {"type": "object"}},
            "scores": {"type": "object", "additionalProperties": {"type": "number"}},
            "matches": {"type": "array", "items": {"type": "object"}},
            "explanations": {"type": "array", "items": {"type": "object"}},
            "versions": {"type": "object"},
            "policy_version": {"type": ["string", "null"]},
            "received_at": {"type": "string", "format": "date-time"},
            "decided_at": {"type": ["string", "null"]},
            "decided_by": {"type": ["string", "null"]},
            "author": {"type": "object"},
            "appeal": {"type": "object"},
            "status_url": {"type": "string"},
        },
    },
}


def openapi_document() -> dict[str, Any]:
    schemas = dict(_SCHEMAS)
    for model in (CommentIn, AppealIn):
        schema = model.model_json_schema(ref_template=_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    common = {
        "401": _error("Unknown site, missing or bad signature, or stale timestamp"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Comment moderation API",
            "version": "1",
            "description": (
                "Signed requests: X-Moderation-Timestamp (unix seconds) and "
                "X-Moderation-Signature: v2=<hex HMAC-SHA256(secret, "
                "'v2\\n<timestamp>\\n<METHOD>\\n<path and query>\\n<raw body>')>. "
                "GET requests sign an empty body. Deprecated until 2027-06-30, for sites "
                "still accepting it: v1, sha256=<hex HMAC-SHA256(secret, "
                "'<timestamp>.<raw body>')>."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "timestamp": {"type": "apiKey", "in": "header", "name": "X-Moderation-Timestamp"},
                "signature": {"type": "apiKey", "in": "header", "name": "X-Moderation-Signature"},
            },
        },
        "paths": {
            "/comments": {
                "post": {
                    "operationId": "createComment",
                    "summary": "Submit a posted comment for moderation",
                    "security": _SIGNED,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": _REF.format(model="CommentIn")}}
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "Stored; scoring is queued",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Accepted"}
                                }
                            },
                        },
                        "201": _record("Stored and refused at once (blocked/suspended author)"),
                        "200": _record("Already received: the stored record"),
                        "400": _error("Not JSON, or fields missing or ill-typed"),
                        "413": _error("Body or text too long"),
                        "415": _error("Not application/json"),
                        "429": _error("Rate limited; see Retry-After"),
                        "503": _error("Database unavailable; see Retry-After"),
                        **common,
                    },
                }
            },
            "/comments/{site}/{comment_id}": {
                "get": {
                    "operationId": "getComment",
                    "summary": "Status, decision, reasons, scores and spans of a comment",
                    "security": _SIGNED,
                    "parameters": _PATH_PARAMS,
                    "responses": {
                        "200": _record("The comment"),
                        "400": _error("Site name or comment id breaks the identifier rule"),
                        "404": _error("No such comment"),
                        **common,
                    },
                }
            },
            "/comments/{site}/{comment_id}/appeal": {
                "post": {
                    "operationId": "appealComment",
                    "summary": "Appeal a rejection (once per comment)",
                    "security": _SIGNED,
                    "parameters": _PATH_PARAMS,
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {"schema": {"$ref": _REF.format(model="AppealIn")}}
                        },
                    },
                    "responses": {
                        "200": _record("Back in the review queue, marked as appealed"),
                        "400": _error("Invalid body, site name or comment id"),
                        "404": _error("No such comment"),
                        "409": _error("Not rejected, or already appealed"),
                        **common,
                    },
                }
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
