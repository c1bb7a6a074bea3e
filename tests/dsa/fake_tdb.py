"""A local fake of the DSA Transparency Database API (multiple-statements endpoint).

A real HTTP server on 127.0.0.1 (werkzeug, in a thread). It checks what the real API
documents, independently of the service's own model: the bearer token; at most 100
statements per call; required fields; enumerations; lengths; dates; the ``puid`` pattern
and its uniqueness per platform; the conditional ground fields. A bad batch is refused
whole with 422 and errors indexed ``statement_<n>``, as the API does. It can be told to
fail with a 5xx, and it records every request body.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ENUMS = {
    "decision_ground": {"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"},
    "source_type": {
        "SOURCE_ARTICLE_16",
        "SOURCE_TRUSTED_FLAGGER",
        "SOURCE_TYPE_OTHER_NOTIFICATION",
        "SOURCE_VOLUNTARY",
    },
    "automated_detection": {"Yes", "No"},
    "automated_decision": {
        "AUTOMATED_DECISION_FULLY",
        "AUTOMATED_DECISION_PARTIALLY",
        "AUTOMATED_DECISION_NOT_AUTOMATED",
    },
    "decision_account": {"DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"},
}
VISIBILITY = {
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
}
CONTENT_TYPES = {
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
}
CATEGORY = re.compile(r"STATEMENT_CATEGORY_[A-Z_]+")
KEYWORD = re.compile(r"KEYWORD_[A-Z_]+")
LENGTHS = {
    "decision_facts": 5000,
    "illegal_content_legal_ground": 500,
    "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500,
    "incompatible_content_explanation": 2000,
    "decision_visibility_other": 500,
    "category_specification_other": 500,
    "puid": 500,
}
REQUIRED = (
    "decision_ground",
    "content_type",
    "category",
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "puid",
)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def problems(s: dict[str, Any]) -> dict[str, list[str]]:
    """The API's per-field errors for one statement (empty: acceptable)."""
    out: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        out.setdefault(name, []).append(message)

    for name in REQUIRED:
        if s.get(name) in (None, "", []):
            bad(name, f"The {name} field is required.")
    if not any(
        s.get(k)
        for k in (
            "decision_visibility",
            "decision_monetary",
            "decision_provision",
            "decision_account",
        )
    ):
        bad(
            "decision_visibility",
            "The decision visibility field is required when none of ... are present.",
        )
    for name, allowed in ENUMS.items():
        if s.get(name) is not None and s[name] not in allowed:
            bad(name, f"The selected {name} is invalid.")
    visibility = s.get("decision_visibility") or []
    if not isinstance(visibility, list) or any(x not in VISIBILITY for x in visibility):
        bad("decision_visibility", "The selected decision visibility is invalid.")
    if "DECISION_VISIBILITY_OTHER" in visibility and not s.get("decision_visibility_other"):
        bad("decision_visibility_other", "required")
    types = s.get("content_type") or []
    if not isinstance(types, list) or any(x not in CONTENT_TYPES for x in types):
        bad("content_type", "The selected content type is invalid.")
    if s.get("category") and not CATEGORY.fullmatch(str(s["category"])):
        bad("category", "The selected category is invalid.")
    for keyword in s.get("category_specification") or []:
        if not KEYWORD.fullmatch(keyword):
            bad("category_specification", "The selected category specification is invalid.")
    for name, limit in LENGTHS.items():
        if isinstance(s.get(name), str) and len(s[name]) > limit:
            bad(name, f"The {name} field must not be greater than {limit} characters.")
    puid = s.get("puid")
    if isinstance(puid, str) and not re.fullmatch(r"[a-zA-Z0-9_-]+", puid):
        bad("puid", "The puid field format is invalid.")
    ground = s.get("decision_ground")
    pairs = {
        "DECISION_GROUND_ILLEGAL_CONTENT": (
            "illegal_content_legal_ground",
            "illegal_content_explanation",
        ),
        "DECISION_GROUND_INCOMPATIBLE_CONTENT": (
            "incompatible_content_ground",
            "incompatible_content_explanation",
        ),
    }
    for name in pairs.get(str(ground), ()):
        if not s.get(name):
            bad(name, f"The {name} field is required when decision ground is ...")
    for name in ("content_date", "application_date", "end_date_account_restriction"):
        value = s.get(name)
        if value is not None and not (isinstance(value, str) and DATE.fullmatch(value)):
            bad(name, "does not match the format YYYY-MM-DD")
    if str(s.get("application_date", "")) < "2020-01-01":
        bad("application_date", "must be after or equal to 2020-01-01")
    return out


@dataclass
class FakeTDB:
    token: str = "tdb-test-token"
    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    raw_bodies: list[bytes] = field(default_factory=list)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)  # status codes to answer next, once each
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        def answer(status: int, body: dict[str, Any]) -> Response:
            return Response(json.dumps(body), status=status, mimetype="application/json")

        if request.method != "POST" or request.path != "/api/v1/statements":
            return answer(404, {"message": "not found"})
        raw = request.get_data()
        with self.lock:
            self.raw_bodies.append(raw)
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return answer(401, {"message": "Unauthenticated."})
            if self.fail_next:
                return answer(self.fail_next.pop(0), {"message": "Server Error"})
            try:
                body = json.loads(raw)
            except ValueError:
                return answer(422, {"message": "invalid json"})
            self.bodies.append(body)
            statements = body.get("statements") if isinstance(body, dict) else None
            if not isinstance(statements, list) or not statements:
                return answer(422, {"message": "The statements field is required."})
            if len(statements) > 100:
                return answer(
                    422, {"message": "The statements field must not have more than 100 items."}
                )
            errors: dict[str, Any] = {}
            seen: set[str] = set()
            for index, statement in enumerate(statements):
                found = (
                    problems(statement)
                    if isinstance(statement, dict)
                    else {"statement": ["not an object"]}
                )
                puid = statement.get("puid") if isinstance(statement, dict) else None
                if puid in self.stored or puid in seen:
                    found.setdefault("puid", []).append(
                        "The identifier given is not unique within this platform."
                    )
                seen.add(str(puid))
                if found:
                    errors[f"statement_{index}"] = found
            if errors:
                return answer(422, {"message": "validation failed", "errors": errors})
            for statement in statements:
                self.stored[statement["puid"]] = statement
            return answer(201, {"statements": [{**s, "uuid": "x"} for s in statements]})


@contextmanager
def running_fake(fake: FakeTDB | None = None) -> Iterator[FakeTDB]:
    fake = fake or FakeTDB()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}/api/v1/statements"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(timeout=5)
