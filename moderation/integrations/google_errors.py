"""Errors in the shape Google APIs (and so Perspective clients) expect::

    {"error": {"code": 400, "message": "Comment must be non-empty.", "status": "INVALID_ARGUMENT",
               "details": [{"@type": "type.googleapis.com/google.commentanalyzer.v1alpha1.Error",
                            "errorType": "COMMENT_EMPTY"}]}}

``code`` is the HTTP status, ``status`` the canonical gRPC code name. Perspective puts its own
``errorType`` (conversationai/perspectiveapi ``2-api/limits.md``) in a
``google.commentanalyzer.v1alpha1.Error`` detail; key problems carry a ``google.rpc.ErrorInfo``
and malformed JSON a ``google.rpc.BadRequest``, as on every Google API.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

ANALYZER_ERROR_TYPE = "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
SERVICE = "commentanalyzer.googleapis.com"

# Perspective's ErrorType values; any other malformed request is INVALID_REQUEST.
COMMENT_TOO_LONG = "COMMENT_TOO_LONG"
COMMENT_EMPTY = "COMMENT_EMPTY"
NO_REQUESTED_ATTRIBUTES = "NO_REQUESTED_ATTRIBUTES"
LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE = "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
INVALID_REQUEST = "INVALID_REQUEST"

_CANONICAL = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GoogleAPIError(Exception):
    """Raise from a Perspective view to answer with the Google error shape."""

    def __init__(
        self, code: int, message: str, *, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": _CANONICAL.get(self.code, "UNKNOWN"),
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def analyzer_error(message: str, error_type: str = INVALID_REQUEST, **extra: Any) -> GoogleAPIError:
    """A 400 INVALID_ARGUMENT with Perspective's ``errorType`` detail (and ``extra`` fields)."""
    return GoogleAPIError(
        400, message, details=[{"@type": ANALYZER_ERROR_TYPE, "errorType": error_type, **extra}]
    )


def missing_key() -> GoogleAPIError:
    return GoogleAPIError(403, "The request is missing a valid API key.")


def invalid_key() -> GoogleAPIError:
    """The same answer for an unknown, malformed and revoked key."""
    return GoogleAPIError(
        400,
        "API key not valid. Please pass a valid API key.",
        details=[
            {
                "@type": ERROR_INFO_TYPE,
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": SERVICE},
            }
        ],
    )


def bad_payload(description: str, field: str | None = None) -> GoogleAPIError:
    violation = {"description": description}
    if field is not None:
        violation = {"field": field, **violation}
    return GoogleAPIError(
        400,
        f"Invalid JSON payload received. {description}",
        details=[{"@type": BAD_REQUEST_TYPE, "fieldViolations": [violation]}],
    )


def _respond(error: GoogleAPIError) -> tuple[Response, int]:
    return jsonify(error.body()), error.code


def register_google_error_handlers(bp: Blueprint) -> None:
    """Every error raised in ``bp``'s views answers in the Google shape, never HTML or a 500
    page. Nothing of the request body is logged."""

    @bp.errorhandler(GoogleAPIError)
    def _google(exc: GoogleAPIError) -> tuple[Response, int]:
        return _respond(exc)

    @bp.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        if exc.code == 413:  # past MAX_CONTENT_LENGTH: the comment cannot fit either
            return _respond(analyzer_error("Comment text too long.", COMMENT_TOO_LONG))
        code = exc.code or 500
        return _respond(GoogleAPIError(code, exc.description or exc.name))

    @bp.errorhandler(OperationalError)
    def _database(exc: OperationalError) -> tuple[Response, int]:
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return _respond(GoogleAPIError(503, "The service is currently unavailable."))

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        # The type and the frames, not the message: an exception's message could quote
        # the comment, and a doNotStore text must not reach the logs.
        log.error(
            "unhandled error in a Perspective-compatible view: %s",
            type(exc).__name__,
            extra={"trace": "".join(traceback.format_tb(exc.__traceback__))},
        )
        return _respond(GoogleAPIError(500, "Internal error encountered."))
