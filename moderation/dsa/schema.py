"""One statement of reasons, validated as the Transparency Database validates it.

:class:`StatementOfReasons` mirrors the API v1 rules (see :mod:`.vocabulary` for the
source): required fields, enumerations, lengths, date formats and ranges, the ``puid``
pattern, and the conditional rules — a decision of at least one kind; the illegal-content
fields exactly when the ground is illegal content, the incompatible-content fields exactly
when it is incompatibility with the terms; an ``*_other`` text exactly when its ``OTHER``
value is chosen; an end date no earlier than the application date.

It refuses unknown fields (``extra="forbid"``), so nothing but the schema's fields — and
so no author id, name or comment text — can travel in a statement. ``to_api()`` is the JSON
object sent to the database (unset optional fields left out).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from moderation.dsa import vocabulary as v

_PUID = re.compile(v.PUID_PATTERN)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _one_of(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ValueError(f"{field}: {value!r} is not one of the schema's values")
    return value


def _date(value: str, field: str, low: str) -> str:
    if not _DATE.fullmatch(value):
        raise ValueError(f"{field}: {value!r} is not a date written YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a calendar date") from None
    if not low <= value <= v.DATE_MAX:
        raise ValueError(f"{field}: {value} is outside {low}..{v.DATE_MAX}")
    return value


class StatementOfReasons(BaseModel):
    """A statement of reasons in the Transparency Database's API v1 schema."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="StatementOfReasons")

    decision_visibility: list[str] | None = None
    decision_visibility_other: str | None = None
    decision_monetary: str | None = None
    decision_monetary_other: str | None = None
    decision_provision: str | None = None
    decision_account: str | None = None
    account_type: str | None = None
    decision_ground: str
    decision_ground_reference_url: str | None = None
    illegal_content_legal_ground: str | None = None
    illegal_content_explanation: str | None = None
    incompatible_content_ground: str | None = None
    incompatible_content_explanation: str | None = None
    incompatible_content_illegal: str | None = None
    content_type: list[str] = Field(min_length=1)
    content_type_other: str | None = None
    category: str
    category_addition: list[str] | None = None
    category_specification: list[str] | None = None
    category_specification_other: str | None = None
    territorial_scope: list[str] | None = None
    content_language: str | None = None
    content_date: str
    application_date: str
    end_date_account_restriction: str | None = None
    end_date_monetary_restriction: str | None = None
    end_date_service_restriction: str | None = None
    end_date_visibility_restriction: str | None = None
    decision_facts: str = Field(min_length=1)
    source_type: str
    source_identity: str | None = None
    automated_detection: str
    automated_decision: str
    puid: str = Field(min_length=1, max_length=v.PUID_MAX)

    @field_validator("decision_visibility")
    @classmethod
    def _visibility(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("decision_visibility: give at least one value, or leave it out")
            for item in value:
                _one_of(item, v.DECISION_VISIBILITIES, "decision_visibility")
        return value

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, value: list[str]) -> list[str]:
        for item in value:
            _one_of(item, v.CONTENT_TYPES, "content_type")
        return value

    @field_validator("category_addition")
    @classmethod
    def _category_addition(cls, value: list[str] | None) -> list[str] | None:
        for item in value or ():
            _one_of(item, v.STATEMENT_CATEGORIES, "category_addition")
        return value

    @field_validator("category_specification")
    @classmethod
    def _keywords(cls, value: list[str] | None) -> list[str] | None:
        for item in value or ():
            _one_of(item, v.KEYWORDS, "category_specification")
        return value

    @field_validator("territorial_scope")
    @classmethod
    def _scope(cls, value: list[str] | None) -> list[str] | None:
        for item in value or ():
            _one_of(item, v.EUROPEAN_COUNTRY_CODES, "territorial_scope")
        return value

    @field_validator("content_language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("content_language: an upper-case ISO 639-1 code")
        return value

    @field_validator("puid")
    @classmethod
    def _puid(cls, value: str) -> str:
        if not _PUID.fullmatch(value):
            raise ValueError("puid: only a-z, A-Z, 0-9, '-' and '_'")
        return value

    @model_validator(mode="after")
    def _rules(self) -> StatementOfReasons:
        one = _one_of
        if self.decision_monetary is not None:
            one(self.decision_monetary, v.DECISION_MONETARIES, "decision_monetary")
        if self.decision_provision is not None:
            one(self.decision_provision, v.DECISION_PROVISIONS, "decision_provision")
        if self.decision_account is not None:
            one(self.decision_account, v.DECISION_ACCOUNTS, "decision_account")
        if self.account_type is not None:
            one(self.account_type, v.ACCOUNT_TYPES, "account_type")
        one(self.decision_ground, v.DECISION_GROUNDS, "decision_ground")
        one(self.category, v.STATEMENT_CATEGORIES, "category")
        one(self.source_type, v.SOURCE_TYPES, "source_type")
        one(self.automated_detection, v.AUTOMATED_DETECTIONS, "automated_detection")
        one(self.automated_decision, v.AUTOMATED_DECISIONS, "automated_decision")
        if self.incompatible_content_illegal is not None:
            one(self.incompatible_content_illegal, v.INCOMPATIBLE_CONTENT_ILLEGALS, "x")

        if not any(
            (
                self.decision_visibility,
                self.decision_monetary,
                self.decision_provision,
                self.decision_account,
            )
        ):
            raise ValueError(
                "a statement needs one of decision_visibility, decision_monetary, "
                "decision_provision or decision_account"
            )
        for name, limit in v.MAX_LENGTHS.items():
            text = getattr(self, name)
            if text is not None and len(text) > limit:
                raise ValueError(f"{name}: longer than {limit} characters")

        illegal = self.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT"
        _exactly_when(
            illegal,
            "decision_ground is DECISION_GROUND_ILLEGAL_CONTENT",
            illegal_content_legal_ground=self.illegal_content_legal_ground,
            illegal_content_explanation=self.illegal_content_explanation,
        )
        _exactly_when(
            not illegal,
            "decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT",
            incompatible_content_ground=self.incompatible_content_ground,
            incompatible_content_explanation=self.incompatible_content_explanation,
        )
        if illegal and self.incompatible_content_illegal is not None:
            raise ValueError("incompatible_content_illegal: only with incompatible content")
        _exactly_when(
            "DECISION_VISIBILITY_OTHER" in (self.decision_visibility or ()),
            "decision_visibility includes DECISION_VISIBILITY_OTHER",
            decision_visibility_other=self.decision_visibility_other,
        )
        _exactly_when(
            self.decision_monetary == "DECISION_MONETARY_OTHER",
            "decision_monetary is DECISION_MONETARY_OTHER",
            decision_monetary_other=self.decision_monetary_other,
        )
        _exactly_when(
            "CONTENT_TYPE_OTHER" in self.content_type,
            "content_type includes CONTENT_TYPE_OTHER",
            content_type_other=self.content_type_other,
        )
        if self.category_specification_other is not None and "KEYWORD_OTHER" not in (
            self.category_specification or ()
        ):
            raise ValueError("category_specification_other: only with KEYWORD_OTHER")
        if self.source_type == "SOURCE_VOLUNTARY" and self.source_identity is not None:
            raise ValueError("source_identity: not with SOURCE_VOLUNTARY")

        _date(self.content_date, "content_date", v.CONTENT_DATE_MIN)
        _date(self.application_date, "application_date", v.APPLICATION_DATE_MIN)
        for name in (
            "end_date_account_restriction",
            "end_date_monetary_restriction",
            "end_date_service_restriction",
            "end_date_visibility_restriction",
        ):
            end = getattr(self, name)
            if end is not None:
                _date(end, name, v.APPLICATION_DATE_MIN)
                if end < self.application_date:
                    raise ValueError(f"{name}: before the application date")
        return self

    def to_api(self) -> dict[str, Any]:
        """The JSON object the database takes: the set fields, nothing else."""
        return self.model_dump(exclude_none=True)


def _exactly_when(condition: bool, when: str, **fields: str | None) -> None:
    for name, value in fields.items():
        if condition and not value:
            raise ValueError(f"{name}: required when {when}")
        if not condition and value is not None:
            raise ValueError(f"{name}: only allowed when {when}")
