"""Request bodies of the site-facing APIs, validated with pydantic (strict types, unknown keys
ignored). The services take these validated objects, so they live outside the blueprint."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema
from pydantic import ValidationError as PydanticValidationError

from moderation.dsa.schema import StatementOfReasons

#: The one rule for the identifiers that appear in URLs — site names and comment ids (also
#: ``parent_id``, which names a comment): a letter or digit, then letters, digits and
#: ``. _ : @ -``. Nothing to escape in a URL path segment, no ``/``, and never ``.`` or ``..``.
#: Site names are at most 64 characters, comment ids at most 255 (the columns' sizes).
IDENTIFIER_CHARS = r"[A-Za-z0-9][A-Za-z0-9._:@-]"
SITE_NAME_MAX, COMMENT_ID_MAX = 64, 255
SITE_NAME_PATTERN = rf"^{IDENTIFIER_CHARS}{{0,{SITE_NAME_MAX - 1}}}$"
COMMENT_ID_PATTERN = rf"^{IDENTIFIER_CHARS}{{0,{COMMENT_ID_MAX - 1}}}$"
IDENTIFIER_PROBLEM = (
    "use 1-{max} letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit"
)


def identifier_problem(value: object, max_length: int) -> str | None:
    """Why ``value`` is not a valid site name / comment id (``None`` when it is)."""
    pattern = SITE_NAME_PATTERN if max_length == SITE_NAME_MAX else COMMENT_ID_PATTERN
    if isinstance(value, str) and re.fullmatch(pattern, value):
        return None
    return IDENTIFIER_PROBLEM.format(max=max_length)


def _storable(value: str) -> str:
    """Refuse text a database cannot store: NUL characters and lone UTF-16 surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


# The pattern states in the OpenAPI description what _storable enforces: no NUL character.
NO_NUL = r"^[^\x00]*$"
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=NO_NUL), AfterValidator(_storable)
]
Name = Annotated[str, StringConstraints(max_length=255, pattern=NO_NUL), AfterValidator(_storable)]
Url = Annotated[str, StringConstraints(max_length=2048, pattern=NO_NUL), AfterValidator(_storable)]
Title = Annotated[
    str, StringConstraints(max_length=1000, pattern=NO_NUL), AfterValidator(_storable)
]
Message = Annotated[
    str, StringConstraints(max_length=2000, pattern=NO_NUL), AfterValidator(_storable)
]


#: Years a timestamp may name: any offset keeps these inside the calendar once in UTC
#: ("0001-01-01T00:00:00+00:01" would be before year 1). Stated in the OpenAPI schema too.
YEAR_PATTERN = r"^(?!0000|0001|9999)[0-9]{4}-"


def _as_utc(value: datetime) -> datetime:
    """Timestamps without a zone are taken as UTC."""
    if not 2 <= value.year <= 9998:
        raise ValueError("year must be between 0002 and 9998")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class AuthorIn(_In):
    id: Identifier
    name: Name | None = None


class ArticleIn(_In):
    id: Identifier
    url: Url | None = None
    title: Title | None = None


CommentId = Annotated[
    str,
    StringConstraints(pattern=COMMENT_ID_PATTERN),
    WithJsonSchema({"type": "string", "pattern": COMMENT_ID_PATTERN}),
]


Timestamp = Annotated[
    datetime,
    AfterValidator(_as_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEAR_PATTERN}),
]


class CommentIn(_In):
    """A new comment, or an edit: a re-post of a stored (site, comment_id) with other text."""

    site: Annotated[str, StringConstraints(pattern=SITE_NAME_PATTERN)]
    comment_id: CommentId
    author: AuthorIn
    article: ArticleIn
    # The length limit is configurable and answered with 413, so it is checked by the view.
    text: Annotated[str, StringConstraints(pattern=NO_NUL), AfterValidator(_storable)]
    posted_at: Timestamp | None = None
    parent_id: CommentId | None = None
    # When the author edited the text (an edit's re-post). An edit not newer than the stored
    # revision's time is refused as stale; without it the order of arrival decides.
    edited_at: Timestamp | None = None


class AppealIn(_In):
    message: Message | None = Field(default=None)


# Responses. The views build these bodies as dicts; the models describe them for the OpenAPI
# document (tests/api/test_openapi.py checks real answers against them).


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class FieldProblemOut(_Out):
    field: str
    problem: str


class ErrorBodyOut(_Out):
    code: str
    message: str
    fields: list[FieldProblemOut] = Field(default_factory=list)


class ErrorOut(_Out):
    """Every 4xx/5xx of the API: ``{"error": {"code", "message", "fields"?}}``."""

    model_config = ConfigDict(title="Error")

    error: ErrorBodyOut


class AcceptedOut(_Out):
    """202: stored (a new comment, or an edit as a new revision), scoring queued."""

    model_config = ConfigDict(title="Accepted")

    id: int
    status: Literal["pending"]
    status_url: Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]
    revision: int = Field(
        description="The revision queued for scoring: 1 for a new comment, n > 1 for an edit"
    )


class CommentAuthorOut(_Out):
    id: str
    status: str


class CommentAppealOut(_Out):
    state: Literal["pending", "upheld", "overturned"] | None
    appealed_at: str | None


class RevisionOut(_Out):
    """One text of an edited comment and what was decided about it (not the text itself)."""

    model_config = ConfigDict(title="Revision")

    revision: int
    received_at: Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
    edited_at: str | None
    status: Literal["pending", "published", "held", "rejected"]
    decision: Literal["publish", "hold", "reject"] | None
    decided_by: str | None
    decided_at: str | None


class LanguageOut(_Out):
    """The comment's detected language: ISO 639-1 ``code`` ("und" for text without letters)
    and the detector's ``confidence`` in [0, 1]."""

    model_config = ConfigDict(title="Language")

    code: str
    confidence: float | None


class CommentOut(_Out):
    """A stored comment: status, decision, reasons, scores and spans."""

    model_config = ConfigDict(title="Comment")

    id: int
    site: str
    comment_id: str
    status: Literal["pending", "published", "held", "rejected"]
    decision: Literal["publish", "hold", "reject"] | None
    reasons: list[dict[str, Any]]
    scores: dict[str, float]
    matches: list[dict[str, Any]]
    explanations: list[dict[str, Any]]
    versions: dict[str, Any]
    policy_version: str | None
    language: LanguageOut | None = None
    received_at: Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
    decided_at: str | None
    decided_by: str | None
    author: CommentAuthorOut
    appeal: CommentAppealOut
    status_url: str
    revision: int = Field(description="The current revision: 1 as first posted, +1 per edit")
    edited_at: str | None = Field(description="The site's time of the current revision's edit")
    revisions: list[RevisionOut] = Field(
        description="Every revision, oldest first, with its decision; empty if never edited"
    )
    statement_of_reasons: StatementOfReasons | None = Field(
        default=None,
        description="The statement of reasons (DSA Art. 17, in the Transparency Database's "
        "schema) of the comment's restriction: when it is held or rejected.",
    )


def field_errors(exc: PydanticValidationError) -> list[dict[str, str]]:
    """One entry per bad field: ``{"field": "author.id", "problem": "..."}``."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(body)"
        problem = err["msg"].removeprefix("Value error, ")
        out.append({"field": loc, "problem": problem})
    return out
