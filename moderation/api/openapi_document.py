"""OpenAPI 3.1 description of the site-facing API, served at ``/api/v1/openapi.json``
(:mod:`.openapi`, which imports this module on the first request: openapi-pydantic costs
every process about 7 MB it would otherwise hold for nothing, the scoring workers included).

Generated, not written by hand: every request and response schema is the JSON schema of a
pydantic model in :mod:`moderation.schemas` (the request models are the ones the views
validate with), and the document itself is built and checked with openapi-pydantic's typed
OpenAPI objects. tests/api/test_openapi.py checks that every route of the blueprint is here
and that real answers match their response models.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from openapi_pydantic import (
    Components,
    Info,
    MediaType,
    OpenAPI,
    Operation,
    Parameter,
    ParameterLocation,
    PathItem,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
    Server,
)
from openapi_pydantic import Response as ResponseSpec
from pydantic import BaseModel

from moderation.dsa.schema import StatementOfReasons
from moderation.report_schemas import ComplaintIn, ComplaintOut, ReportIn, ReportOut
from moderation.schemas import (
    COMMENT_ID_PATTERN,
    SITE_NAME_PATTERN,
    AcceptedOut,
    AppealIn,
    CommentIn,
    CommentOut,
    ErrorOut,
)

_REF = "#/components/schemas/{model}"

#: Component name -> the model whose JSON schema it is.
MODELS: dict[str, type[BaseModel]] = {
    "CommentIn": CommentIn,
    "AppealIn": AppealIn,
    "Accepted": AcceptedOut,
    "Comment": CommentOut,
    "Error": ErrorOut,
    "StatementOfReasons": StatementOfReasons,
    "ReportIn": ReportIn,
    "Report": ReportOut,
    "ComplaintIn": ComplaintIn,
    "Complaint": ComplaintOut,
}

DESCRIPTION = (
    "Signed requests: X-Moderation-Timestamp (unix seconds) and "
    "X-Moderation-Signature: v2=<hex HMAC-SHA256(secret, "
    "'v2\\n<timestamp>\\n<METHOD>\\n<path and query>\\n<raw body>')>. "
    "GET requests sign an empty body. Deprecated until 2027-06-30, for sites "
    "still accepting it: v1, sha256=<hex HMAC-SHA256(secret, "
    "'<timestamp>.<raw body>')>."
)
EDITS = (
    "Edits: re-post the same (site, comment_id) with the new text (and, ideally, edited_at). "
    "Different text from the stored comment's current text is an edit: it is stored as the "
    "next revision (the original is revision 1), becomes the comment's text, and is scored "
    "and decided again like a new comment (202 with its revision number; an earlier "
    "decision, also a moderator's, does not carry over to the new text). The site hears the "
    "outcome through a comment.decided event whose comment.revision names the revision. "
    "The same text again is a duplicate (200, nothing stored). author.id, article.id and "
    "parent_id cannot change (409). With edited_at, an edit not newer than the stored "
    "revision (its edited_at, else posted_at) is refused as stale (409 stale_edit), so an "
    "older edit delivered late never replaces a newer one; without it the order of arrival "
    "decides. GET returns the current revision and every revision's decision."
)
_SIGNED: list[dict[str, list[str]]] = [{"timestamp": [], "signature": []}]


def component_schemas() -> dict[str, Any]:
    """The JSON schema of each model, with the models they nest, as OpenAPI components."""
    schemas: dict[str, Any] = {}
    for name, model in MODELS.items():
        schema = model.model_json_schema(ref_template=_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


def _json(component: str) -> dict[str, MediaType]:
    reference = {"$ref": _REF.format(model=component)}
    return {"application/json": MediaType.model_validate({"schema": reference})}


def _answer(description: str, component: str) -> ResponseSpec:
    return ResponseSpec(description=description, content=_json(component))


def _error(description: str) -> ResponseSpec:
    return _answer(description, "Error")


def _record(description: str) -> ResponseSpec:
    return _answer(description, "Comment")


def _path_parameter(name: str, pattern: str) -> Parameter:
    return Parameter.model_validate(
        {
            "name": name,
            "in": ParameterLocation.PATH,
            "required": True,
            "schema": {"type": "string", "pattern": pattern},
        }
    )


_PATH_PARAMS: list[Parameter | Reference] = [
    _path_parameter("site", SITE_NAME_PATTERN),
    _path_parameter("comment_id", COMMENT_ID_PATTERN),
]
_UNAUTHORIZED = {"401": _error("Unknown site, missing or bad signature, or stale timestamp")}


def openapi_model() -> OpenAPI:
    """The document as typed openapi-pydantic objects (validated on construction)."""
    return OpenAPI(
        openapi="3.1.0",
        info=Info(title="Comment moderation API", version="1", description=DESCRIPTION),
        servers=[Server(url="/api/v1")],
        components=Components(
            schemas={name: Schema.model_validate(s) for name, s in component_schemas().items()},
            securitySchemes={
                "timestamp": SecurityScheme(
                    type="apiKey", security_scheme_in="header", name="X-Moderation-Timestamp"
                ),
                "signature": SecurityScheme(
                    type="apiKey", security_scheme_in="header", name="X-Moderation-Signature"
                ),
            },
        ),
        paths={
            "/comments": PathItem(
                post=Operation(
                    operationId="createComment",
                    summary="Submit a posted comment, or an edit of one, for moderation",
                    description=EDITS,
                    security=_SIGNED,
                    requestBody=RequestBody(required=True, content=_json("CommentIn")),
                    responses={
                        "202": _answer(
                            "Stored (a new comment, or an edit as a new revision); scoring "
                            "is queued",
                            "Accepted",
                        ),
                        "201": _record("Stored and refused at once (blocked/suspended author)"),
                        "200": _record(
                            "Already received with this text: the stored record, unchanged"
                        ),
                        "400": _error("Not JSON, or fields missing or ill-typed"),
                        "409": _error(
                            "An edit that cannot apply: another author (author_mismatch), "
                            "another article or parent (article_mismatch, parent_mismatch), "
                            "an edited_at not after the stored revision's (stale_edit)"
                        ),
                        "413": _error("Body or text too long"),
                        "415": _error("Not application/json"),
                        "429": _error("Rate limited; see Retry-After"),
                        "503": _error("Database unavailable; see Retry-After"),
                        **_UNAUTHORIZED,
                    },
                )
            ),
            "/comments/{site}/{comment_id}": PathItem(
                get=Operation(
                    operationId="getComment",
                    summary="Status, decision, reasons, scores and spans of a comment",
                    security=_SIGNED,
                    parameters=_PATH_PARAMS,
                    responses={
                        "200": _record("The comment"),
                        "400": _error("Site name or comment id breaks the identifier rule"),
                        "404": _error("No such comment"),
                        **_UNAUTHORIZED,
                    },
                )
            ),
            "/comments/{site}/{comment_id}/appeal": PathItem(
                post=Operation(
                    operationId="appealComment",
                    summary="Appeal a rejection (once per comment)",
                    security=_SIGNED,
                    parameters=_PATH_PARAMS,
                    requestBody=RequestBody(required=False, content=_json("AppealIn")),
                    responses={
                        "200": _record("Back in the review queue, marked as appealed"),
                        "400": _error("Invalid body, site name or comment id"),
                        "404": _error("No such comment"),
                        "409": _error("Not rejected, or already appealed"),
                        **_UNAUTHORIZED,
                    },
                )
            ),
            "/comments/{site}/{comment_id}/reports": PathItem(
                post=Operation(
                    operationId="reportComment",
                    summary="Forward a reader's report (DSA Art. 16 notice)",
                    description=(
                        "reason: a policy category or 'illegal' (then law, explanation and "
                        "good_faith: true are required). reporter: an opaque reference, never "
                        "an email; only its keyed hash is stored and sent back. Reports of a "
                        "comment a moderator already reviewed, for a reason seen then, are "
                        "grouped (queued: false) and answered at once by report.resolved."
                    ),
                    security=_SIGNED,
                    parameters=_PATH_PARAMS,
                    requestBody=RequestBody(required=True, content=_json("ReportIn")),
                    responses={
                        "201": _answer("The stored report", "Report"),
                        "400": _error("Invalid body, reason, reporter or identifiers"),
                        "404": _error("No such comment"),
                        "415": _error("Not application/json"),
                        "429": _error("Too many reports from this reporter or site"),
                        **_UNAUTHORIZED,
                    },
                )
            ),
            "/comments/{site}/{comment_id}/complaints": PathItem(
                post=Operation(
                    operationId="complainAboutDecision",
                    summary="A complaint against a restriction or a sanction (DSA Art. 20)",
                    description=(
                        "Taken for six months after the decision. The reasoned reply comes "
                        "as a complaint.resolved event; a reversal also sends comment.updated "
                        "(or author.reinstated)."
                    ),
                    security=_SIGNED,
                    parameters=_PATH_PARAMS,
                    requestBody=RequestBody(required=True, content=_json("ComplaintIn")),
                    responses={
                        "201": _answer("The stored complaint", "Complaint"),
                        "400": _error("Invalid body, site name or comment id"),
                        "404": _error("No such comment"),
                        "409": _error("Nothing to contest, or a complaint is pending"),
                        "415": _error("Not application/json"),
                        "422": _error("Past the deadline (named in the message)"),
                        **_UNAUTHORIZED,
                    },
                )
            ),
        },
    )


@cache
def openapi_document() -> dict[str, Any]:
    """The document as JSON data (built once: it depends on code only)."""
    return openapi_model().model_dump(mode="json", by_alias=True, exclude_unset=True)
