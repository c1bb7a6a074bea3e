"""Security headers sent with every response, and the check every request's input passes."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, request
from werkzeug.routing import IntegerConverter

# No inline script or style anywhere; pages load only this origin's static files.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


#: Sent with every response, unless the view set the header itself.
_EVERY_RESPONSE = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
_NO_STORE = ("Cache-Control", "no-store")


def add_security_headers(response: Response) -> Response:
    """Each header ``setdefault`` would add, found missing in one pass over the response's
    headers rather than one pass per header."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    wanted = list(_EVERY_RESPONSE)
    if request.is_secure:
        wanted.append(_HSTS)
    if request.path.startswith("/api/"):
        wanted.append(_NO_STORE)
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


#: Largest row id: the tables' integer primary keys are 32-bit in PostgreSQL.
MAX_ROW_ID = 2**31 - 1
NUL_PROBLEM = "must not contain NUL characters"


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in URLs, bounded to the database's integer range: an id such as
    ``99999999999999999999`` matches no route (404) instead of overflowing the query."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def refuse_nul_input() -> Any:
    """``before_request``: 400 when the path, a query parameter or a form field (name or
    value) contains a NUL character, which no database column can store (PostgreSQL refuses
    it outright). JSON naming the parameter for the API surfaces, an HTML page elsewhere.
    JSON bodies are checked field by field by the API's schemas."""
    from moderation.api.errors import error_response, wants_json

    bad: str | None = None
    if "\x00" in request.path:
        names = [k for k, v in (request.view_args or {}).items() if "\x00" in str(v)]
        bad = names[0] if names else "path"
    else:
        # The form only when the body is one: reading ``request.form`` parses (and for a
        # JSON body, buffers) the body just to find it empty.
        sources = (
            [request.args, request.form] if request.mimetype in _FORM_TYPES else [request.args]
        )
        for source in sources:
            for name, value in source.items(multi=True):
                if "\x00" in name or "\x00" in value:
                    bad = name.replace("\x00", "\\0")
                    break
            if bad is not None:
                break
    if bad is None:
        return None
    if wants_json():
        return error_response(
            400,
            "invalid_fields",
            "some fields are missing or invalid",
            fields=[{"field": bad, "problem": NUL_PROBLEM}],
        )
    abort(400, description=f"{bad}: {NUL_PROBLEM}")
