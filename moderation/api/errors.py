"""The API's error shape and handlers.

Every API error is JSON::

    {"error": {"code": "invalid_fields", "message": "...", "fields": [{"field": "author.id",
     "problem": "..."}]}}

``code`` is stable and machine-readable; ``fields`` appears only for validation errors.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class APIError(Exception):
    """Raise from a view to answer with the error shape above."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[Response, int, dict[str, str]]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return jsonify({"error": body}), status, headers or {}


def check_identifiers(**values: object) -> None:
    """Raise 400 ``invalid_fields`` naming each of ``site`` / ``comment_id`` (the keyword)
    whose value breaks the identifier rule (:data:`moderation.schemas.IDENTIFIER_CHARS`)."""
    from moderation.schemas import COMMENT_ID_MAX, SITE_NAME_MAX, identifier_problem

    fields = []
    for name, value in values.items():
        problem = identifier_problem(value, SITE_NAME_MAX if name == "site" else COMMENT_ID_MAX)
        if problem is not None:
            fields.append({"field": name, "problem": problem})
    if fields:
        raise APIError(400, "invalid_fields", "invalid site name or comment id", fields=fields)


UNAUTHORIZED = (401, "unauthorized", "missing or invalid signature, timestamp or site")


def unauthorized() -> APIError:
    """The single answer for unknown site, missing signature and bad signature alike."""
    return APIError(*UNAUTHORIZED)


def register_error_handlers(bp: Blueprint) -> None:
    @bp.errorhandler(APIError)
    def _api_error(exc: APIError) -> tuple[Response, int, dict[str, str]]:
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


def wants_json() -> bool:
    """Whether this request's errors are answered in the API's JSON shape."""
    from flask import request

    return request.path.startswith(("/api/", "/v1alpha1/", "/integrations/")) or request.path in (
        "/healthz",
        "/readyz",
    )


def register_app_error_handlers(app: Flask) -> None:
    """Errors raised outside a blueprint view (unknown URL, wrong method, crashes)."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if not wants_json():
            return exc
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(status, code, exc.description or exc.name)

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError) -> Any:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        if not wants_json():
            return "The database is unavailable; try again shortly.", 503, {"Retry-After": "5"}
        return error_response(
            503,
            "database_unavailable",
            "the database is unavailable; nothing was stored, retry later",
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error")
        if not wants_json():
            return "Internal server error", 500
        return error_response(500, "internal_error", "unexpected error; it has been logged")
