"""Request and response bodies of readers' reports and complaints (DSA Art. 16 and 20),
validated with pydantic like :mod:`moderation.schemas` (strict types, unknown keys ignored)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from moderation.categories import CATEGORIES
from moderation.schemas import NO_NUL, _storable

ILLEGAL = "illegal"
NOTE_MAX = 1000
LAW_MAX = 500
EXPLANATION_MAX = 4000
REPORTER_MAX = 255
COMPLAINT_MAX = 2000

# Anything shaped like an address: local part, "@" (or its URL escape), a dotted domain.
_EMAIL_RE = re.compile(r"[^\s@]+(@|%40)[^\s@]+\.[A-Za-z]{2,}", re.IGNORECASE)


def looks_like_email(value: str) -> bool:
    return _EMAIL_RE.search(value) is not None


def report_reasons() -> tuple[str, ...]:
    """What a reader may report: every declared category (site-added ones too), ``illegal``."""
    return (*(str(c) for c in CATEGORIES), ILLEGAL)


def _known_reason(value: str) -> str:
    if value not in report_reasons():
        raise ValueError(f"must be one of {', '.join(report_reasons())}")
    return value


def _no_email(value: str) -> str:
    if looks_like_email(value):
        raise ValueError(
            "looks like an email address; send an opaque reference to the reader "
            "(an account id or a hash), never an email"
        )
    return value


LawText = Annotated[
    str, StringConstraints(max_length=LAW_MAX, pattern=NO_NUL), AfterValidator(_storable)
]
ExplanationText = Annotated[
    str, StringConstraints(max_length=EXPLANATION_MAX, pattern=NO_NUL), AfterValidator(_storable)
]
NoteText = Annotated[
    str, StringConstraints(max_length=NOTE_MAX, pattern=NO_NUL), AfterValidator(_storable)
]
ComplaintText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=COMPLAINT_MAX, pattern=NO_NUL),
    AfterValidator(_storable),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


def _reason_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = list(report_reasons())  # the registry as declared when described


#: The rules :func:`illegal_problems` and ``_no_email`` enforce, stated in JSON Schema
#: (OpenAPI 3.1) so that a client or a fuzzer generating from the description meets them.
_ILLEGAL_NEEDS: dict[str, Any] = {
    "if": {"properties": {"reason": {"const": ILLEGAL}}, "required": ["reason"]},
    "then": {
        "required": ["law", "explanation", "good_faith"],
        "properties": {
            "law": {"type": "string", "pattern": r"\S"},
            "explanation": {"type": "string", "pattern": r"\S"},
            "good_faith": {"const": True},
        },
    },
}
EMAIL_PATTERN = _EMAIL_RE.pattern


class ReportIn(_In):
    """A reader's report, forwarded by the site. ``illegal`` needs ``law``, ``explanation``
    and ``good_faith: true`` (checked by :func:`illegal_problems`, which names each field)."""

    model_config = ConfigDict(json_schema_extra=_ILLEGAL_NEEDS)

    reason: Annotated[str, AfterValidator(_known_reason), Field(json_schema_extra=_reason_enum)]
    law: LawText | None = None
    explanation: ExplanationText | None = None
    good_faith: bool | None = None
    reporter: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=REPORTER_MAX, pattern=NO_NUL),
            AfterValidator(_storable),
            AfterValidator(_no_email),
            Field(json_schema_extra={"not": {"pattern": EMAIL_PATTERN}}),
        ]
        | None
    ) = None
    note: NoteText | None = None


def illegal_problems(report: ReportIn) -> list[dict[str, str]]:
    """The fields an ``illegal`` report lacks, one entry each (empty when complete)."""
    if report.reason != ILLEGAL:
        return []
    problems = []
    if not (report.law or "").strip():
        problems.append({"field": "law", "problem": "an illegal-content report must name the law"})
    if not (report.explanation or "").strip():
        problems.append(
            {
                "field": "explanation",
                "problem": "an illegal-content report must explain why the content is illegal",
            }
        )
    if report.good_faith is not True:
        problems.append(
            {
                "field": "good_faith",
                "problem": "an illegal-content report must confirm good faith (true)",
            }
        )
    return problems


class ComplaintIn(_In):
    """A complaint against a decision: a comment's restriction, or its author's sanction."""

    message: ComplaintText
    subject: Literal["decision", "sanction"] = "decision"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReportOut(_Out):
    """201: the stored report. ``queued`` is false when it was grouped with earlier reports
    of a comment a moderator had already reviewed (then ``state`` is already ``resolved``)."""

    model_config = ConfigDict(title="Report")

    id: int
    site: str
    comment_id: str
    reason: str
    state: Literal["open", "resolved"]
    queued: bool
    grouped: bool
    reporter: str | None = Field(description="HMAC of the reporter reference, or null")
    received_at: str


class ComplaintOut(_Out):
    """201: the stored complaint; the reply comes later as a ``complaint.resolved`` event."""

    model_config = ConfigDict(title="Complaint")

    id: int
    site: str
    comment_id: str
    subject: Literal["decision", "sanction"]
    state: Literal["pending", "upheld", "reversed"]
    received_at: str
    deadline: str = Field(description="the last moment a complaint about this decision is taken")
