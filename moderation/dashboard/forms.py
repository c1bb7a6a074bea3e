"""What the dashboard's forms and filter links may carry, validated with pydantic.

The CSRF token is checked before any of this (see :mod:`moderation.dashboard.auth`);
these models only type and bound the values. Empty fields count as absent.
"""

from __future__ import annotations

import typing
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic import model_validator as _model_validator
from werkzeug.datastructures import MultiDict

from moderation import sanctions
from moderation.sanctions import Sanction
from moderation.scoring.types import Category
from moderation.security import MAX_ROW_ID
from moderation.services.review import REJECT_REASONS
from moderation.services.users import MAX_PASSWORD_LENGTH, ROLES
from moderation.statuses import CommentStatus


def _one_of(allowed: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return AfterValidator(check)


Text = Annotated[str, Field(max_length=255)]
Page = Annotated[int, Field(ge=1, le=100_000)]
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
Days = Annotated[float, Field(gt=0, le=3650)]
Reason = Annotated[str, _one_of(REJECT_REASONS)]
Status = Annotated[str, _one_of(CommentStatus.ALL)]
RoleName = Annotated[str, _one_of(ROLES)]
Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
# The comment version a card showed (see ``Comment.version``); absent from forms rendered
# before versions existed, which then act on the comment as it is.
Version = Annotated[int, Field(ge=0, le=2**31 - 1)]


class FormError(ValueError):
    """The submitted values are invalid; the message is safe to show."""


class Input(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @classmethod
    def parse(cls, data: MultiDict[str, str]) -> Self:
        """Build from form or query data; list fields take every value of their name."""
        raw: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if typing.get_origin(info.annotation) is list:
                raw[name] = data.getlist(name)
            elif name in data:
                raw[name] = data[name]
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise FormError(_problems(exc)) from None


def _problems(exc: ValidationError) -> str:
    """The errors in words for the page: a field's name before its problem; a problem of the
    whole form (a model validator's) as its own sentence, capitalised."""
    parts = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {message}" if loc else message[:1].upper() + message[1:])
    return "; ".join(parts)


# --- review actions --------------------------------------------------------------------


class ApproveInput(Input):
    note: Annotated[str, Field(max_length=2000)] | None = None
    next: Annotated[str, Field(max_length=2000)] | None = None
    version: Version | None = None


class RejectInput(Input):
    reason: Reason
    version: Version | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None
    sanction: Sanction | None = None
    days: Days | None = None
    next: Annotated[str, Field(max_length=2000)] | None = None

    @_model_validator(mode="after")
    def _days_for_suspend(self) -> Self:
        declared = sanctions.info(self.sanction) if self.sanction is not None else None
        if declared is not None and declared.timed and self.days is None:
            raise ValueError(f"a {declared.noun} needs a number of days")
        return self


SEEN_PATTERN = r"^[0-9]{1,18}:[0-9]{1,10}$"
MAX_BULK = 200


class BulkInput(Input):
    action: Literal["approve", "reject"]
    ids: Annotated[list[RowId], Field(max_length=MAX_BULK)] = []
    # "<comment id>:<version>" for every card on the page (the versions the moderator saw).
    seen: Annotated[list[Annotated[str, Field(pattern=SEEN_PATTERN)]], Field(max_length=1000)] = []
    reason: Reason | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None
    next: Annotated[str, Field(max_length=2000)] | None = None

    @field_validator("ids", "seen", mode="before")
    @classmethod
    def _drop_blank_ids(cls, value: Any) -> Any:
        return [v for v in value if v] if isinstance(value, list) else value

    @property
    def seen_versions(self) -> dict[int, int]:
        pairs = (entry.partition(":") for entry in self.seen)
        return {int(comment_id): int(version) for comment_id, _, version in pairs}

    @_model_validator(mode="after")
    def _reason_for_reject(self) -> Self:
        # Said as a sentence, not as pydantic's "ids: List should have at least 1 item".
        if not self.ids:
            raise ValueError("select at least one comment")
        if len(self.ids) > MAX_BULK:
            raise ValueError(f"select at most {MAX_BULK} comments at once")
        if self.action == "reject" and self.reason is None:
            raise ValueError("choose a reason to reject the selected comments")
        return self


class SanctionInput(Input):
    sanction: Sanction
    days: Days | None = None
    reason: Annotated[str, Field(min_length=1, max_length=1000)]

    @_model_validator(mode="after")
    def _days_for_suspend(self) -> Self:
        declared = sanctions.info(self.sanction) if self.sanction is not None else None
        if declared is not None and declared.timed and self.days is None:
            raise ValueError(f"a {declared.noun} needs a number of days")
        return self


class ReinstateInput(Input):
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class NoteInput(Input):
    text: Annotated[str, Field(min_length=1, max_length=4000)]


# --- filters ---------------------------------------------------------------------------


#: A language filter: an ISO 639-1 code as recorded on comments ("und": no letters).
LanguageCode = Annotated[str, Field(pattern=r"^(?:[a-z]{2}|und)$")]


class QueueQuery(Input):
    site: Text | None = None
    article: Text | None = None
    category: Category | None = None
    language: LanguageCode | None = None
    appeals: bool = False
    sort: Literal["risk", "informative", "age"] = "risk"
    page: Page = 1


class SearchQuery(Input):
    q: Text | None = None
    author: Text | None = None
    article: Text | None = None
    status: Status | None = None
    by: Literal["policy", "moderator"] | None = None
    category: Category | None = None
    language: LanguageCode | None = None
    site: Text | None = None
    since: date | None = None
    until: date | None = None
    page: Page = 1


class AuditQuery(Input):
    actor: Text | None = None
    action: Text | None = None
    site: Text | None = None
    since: date | None = None
    until: date | None = None
    page: Page = 1


class OverviewQuery(Input):
    days: Annotated[int, Field(ge=1, le=90)] = 14


class AuthorQuery(Input):
    page: Page = 1


# --- accounts and sites ----------------------------------------------------------------


class LoginInput(Input):
    # Passwords are taken as typed: leading and trailing spaces are part of them.
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=False)

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password
    next: Annotated[str, Field(max_length=2000)] | None = None


class NewUserInput(Input):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=False)

    username: Annotated[str, Field(min_length=1, max_length=64)]
    role: RoleName
    password: Password


class RoleInput(Input):
    role: RoleName


class ActiveInput(Input):
    active: bool


class CallbackInput(Input):
    callback_url: Annotated[str, Field(max_length=2048)] | None = None


# --- reports, complaints, transparency (DSA) ---------------------------------------------


class ReportedQuery(Input):
    site: Text | None = None
    page: Page = 1


class KeepInput(Input):
    note: Annotated[str, Field(max_length=2000)] | None = None
    next: Annotated[str, Field(max_length=2000)] | None = None
    version: Version | None = None


class ComplaintInput(Input):
    outcome: Literal["uphold", "reverse"]
    reply: Annotated[str, Field(min_length=1, max_length=2000)]


MAX_REPORT_DAYS = 366


class TransparencyQuery(Input):
    """``?site=&from=&to=``: a site and an inclusive range of UTC days (at most a year)."""

    site: Text
    since: date = Field(alias="from")
    until: date = Field(alias="to")

    @classmethod
    def parse(cls, data: MultiDict[str, str]) -> Self:
        raw = {key: data[key] for key in ("site", "from", "to") if key in data}
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise FormError(_problems(exc)) from None

    @_model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.until < self.since:
            raise ValueError("'to' is before 'from'")
        if (self.until - self.since).days + 1 > MAX_REPORT_DAYS:
            raise ValueError(f"the period is longer than {MAX_REPORT_DAYS} days")
        return self
