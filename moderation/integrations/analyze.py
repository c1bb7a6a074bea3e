"""Perspective's ``AnalyzeComment`` on our pipeline: request model, validation, response.

No Flask and no database: :func:`validate` turns a parsed request into a :class:`Plan` or
raises :class:`~moderation.integrations.google_errors.GoogleAPIError` with Perspective's
message and ``errorType``; :func:`analyze` scores the plan with the pipeline and the site's
policy and builds Perspective's response.

Field names, enum values and messages follow Perspective's public reference
(conversationai/perspectiveapi ``2-api/methods.md``, ``2-api/limits.md``, ``2-api/models.md``)
and the ``commentanalyzer`` v1alpha1 discovery document (APIs-guru/openapi-directory
``APIs/googleapis.com/commentanalyzer/v1alpha1/openapi.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from moderation.integrations.attributes import (
    ATTRIBUTES,
    PERSPECTIVE_ONLY,
    SUPPORTED_LANGUAGES,
    Attribute,
    base_name,
    category_spans,
    primary_language,
    score_attribute,
    utf16_offsets,
)
from moderation.integrations.google_errors import (
    COMMENT_EMPTY,
    COMMENT_TOO_LONG,
    LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
    NO_REQUESTED_ATTRIBUTES,
    GoogleAPIError,
    analyzer_error,
    bad_payload,
)
from moderation.policy.decide import decide
from moderation.policy.schema import Policy
from moderation.scoring.language import UNDETERMINED, detect_language
from moderation.scoring.names import SiteAllowList
from moderation.scoring.pipeline import Pipeline

#: Perspective's limit: "The maximum text size per request is 20 KB" (UTF-8 bytes).
MAX_TEXT_BYTES = 20 * 1024
PROBABILITY = "PROBABILITY"
#: Classifier evidence is computed for categories whose model probability reaches this;
#: below it a category has no text worth pointing at (word-list spans are always given).
EXPLAIN_FLOOR = 0.05
_SCORE_TYPES = ("SCORE_TYPE_UNSPECIFIED", "PROBABILITY", "STD_DEV_SCORE", "PERCENTILE", "RAW")
_PLAIN = (None, "TEXT_TYPE_UNSPECIFIED", "PLAIN_TEXT")


class _In(BaseModel):
    """Proto3 JSON: camelCase names (snake_case accepted too), unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class TextEntryIn(_In):
    text: str | None = None
    type: str | None = None


class AttributeParametersIn(_In):
    score_type: str | None = None
    score_threshold: float | None = None


class ContextIn(_In):
    entries: list[TextEntryIn] | None = None
    article_and_parent_comment: dict[str, Any] | None = None


class AnalyzeCommentIn(_In):
    """``null`` stands for the default, as in proto3 JSON."""

    comment: TextEntryIn | None = None
    context: ContextIn | None = None
    requested_attributes: dict[str, AttributeParametersIn | None] | None = None
    span_annotations: bool | None = None
    languages: list[str] | None = None
    do_not_store: bool | None = None
    client_token: str | None = None
    session_id: str | None = None
    community_id: str | None = None
    drop_unsupported_attributes: bool | None = None


class ScoreIn(_In):
    value: float | None = None


class SuggestedAttributeIn(_In):
    summary_score: ScoreIn | None = None


class SuggestCommentScoreIn(_In):
    comment: TextEntryIn | None = None
    attribute_scores: dict[str, SuggestedAttributeIn] | None = None
    community_id: str | None = None
    client_token: str | None = None
    languages: list[str] | None = None


#: A suggested summary score at or above this is a "yes" for the attribute.
SUGGESTION_POSITIVE = 0.5


def suggested_label(payload: SuggestCommentScoreIn) -> tuple[bool, dict[str, int]]:
    """The label a ``comments:suggestscore`` request means: ``(violation, {category: 0|1})``.

    An attribute with one category (``INSULT`` -> attack, ...) labels that category; the
    composite ones (``TOXICITY``, ``SEVERE_TOXICITY``) only say whether the comment violates.
    Raises the 400 Perspective gives when no attribute has a summary score in [0, 1].
    """
    labels: dict[str, int] = {}
    votes: list[bool] = []
    for name, suggested in (payload.attribute_scores or {}).items():
        attribute = ATTRIBUTES.get(base_name(name))
        value = suggested.summary_score.value if suggested.summary_score else None
        if attribute is None or value is None:
            continue
        if not 0.0 <= value <= 1.0:
            field = f"attribute_scores[{name}].summary_score.value"
            raise bad_payload(f"Invalid value at '{field}': must be in [0, 1].", field=field)
        positive = value >= SUGGESTION_POSITIVE
        votes.append(positive)
        if len(attribute.categories) == 1:
            labels[attribute.categories[0].value] = int(positive)
    if not votes:
        raise bad_payload(
            "Invalid value at 'attribute_scores': no supported attribute with a summary score.",
            field="attribute_scores",
        )
    return any(votes), labels


def parse(model: type[_In], data: dict[str, Any]) -> Any:
    """``model`` from a JSON object, or Google's "Invalid value at 'field'" 400."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise bad_payload(f"Invalid value at '{field}': {first['msg']}.", field=field) from None


@dataclass(frozen=True, slots=True)
class Requested:
    key: str  # as the client spelled it: the response mirrors it
    attribute: Attribute
    threshold: float | None


@dataclass(frozen=True, slots=True)
class Plan:
    text: str
    attributes: tuple[Requested, ...]
    languages: tuple[str, ...]  # as requested; empty when the client gave none
    detected: tuple[str, ...]  # the comment's detected language; empty without letters
    spans: bool
    do_not_store: bool
    client_token: str | None


def check_comment(comment: TextEntryIn | None, max_chars: int) -> str:
    """The comment's text, or the 400 Perspective gives for an empty, too long or non-plain
    comment."""
    if comment is None or not comment.text:
        raise analyzer_error("Comment must be non-empty.", COMMENT_EMPTY)
    if comment.type not in _PLAIN:
        if comment.type == "HTML":
            raise analyzer_error("Currently, only 'PLAIN_TEXT' comments are supported")
        raise analyzer_error("Unknown text type")
    try:
        size = len(comment.text.encode("utf-8"))
    except UnicodeEncodeError:
        raise bad_payload(
            "Invalid value at 'comment.text': not valid UTF-8 (lone surrogate).",
            field="comment.text",
        ) from None
    if size > MAX_TEXT_BYTES or len(comment.text) > max_chars:
        raise analyzer_error("Comment text too long.", COMMENT_TOO_LONG)
    return comment.text


def validate(
    request: AnalyzeCommentIn, *, max_chars: int, supported: Iterable[str] = SUPPORTED_LANGUAGES
) -> Plan:
    """Check ``request`` in the order Perspective does and return what to score.

    The comment's language is the request's ``languages`` when it gives some; otherwise it
    is detected (:func:`~moderation.scoring.language.detect_language`; uncertain text counts
    as English, text without letters as unknown and so allowed). ``supported`` are the
    languages the attributes accept: the site policy's ``languages.supported``.

    Raises :class:`GoogleAPIError`: 400 for an empty or too long comment, HTML, a context
    with both kinds of entries, no attributes, an unknown attribute, a score type other than
    probability, a threshold outside [0, 1], and (unless ``dropUnsupportedAttributes``) an
    attribute we do not score or a language not in ``supported`` — Perspective's
    ``LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE`` with ``requestedLanguages`` or
    ``detectedLanguages``.
    """
    text = check_comment(request.comment, max_chars)
    context = request.context
    if context is not None and context.entries and context.article_and_parent_comment:
        raise analyzer_error(
            "Context can have either entries or article_and_parent_comment, "
            "but both fields were populated."
        )
    if not request.requested_attributes:
        raise analyzer_error("Missing requested_attributes", NO_REQUESTED_ATTRIBUTES)
    languages = tuple(request.languages or ())
    found = detect_language(text)
    detected = () if found.code == UNDETERMINED else (found.code,)
    effective = [primary_language(code) for code in languages] or list(detected) or ["en"]
    allowed = frozenset(supported)
    language_ok = all(code in allowed for code in effective)
    chosen: list[Requested] = []
    for key, given in request.requested_attributes.items():
        params = given or AttributeParametersIn()
        name = base_name(key)
        attribute = ATTRIBUTES.get(name)
        if attribute is None and name not in PERSPECTIVE_ONLY:
            raise analyzer_error(f"Unknown requested attribute: {key}")
        score_type = params.score_type or "SCORE_TYPE_UNSPECIFIED"
        if score_type not in _SCORE_TYPES:
            raise bad_payload(
                f"Invalid value at 'requestedAttributes.{key}.scoreType', {score_type!r}.",
                field=f"requestedAttributes.{key}.scoreType",
            )
        threshold = params.score_threshold
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise analyzer_error(
                f"Score threshold for attribute {key} must be between 0 and 1, not {threshold}"
            )
        if attribute is None or not language_ok:
            if request.drop_unsupported_attributes:
                continue
            raise _language_not_supported(name, languages, effective)
        if score_type not in ("SCORE_TYPE_UNSPECIFIED", PROBABILITY):
            raise analyzer_error(
                f"Requested score type {score_type} is not supported by attribute {name}"
            )
        chosen.append(Requested(key, attribute, threshold))
    return Plan(
        text=text,
        attributes=tuple(chosen),
        languages=languages,
        detected=detected,
        spans=bool(request.span_annotations),
        do_not_store=bool(request.do_not_store),
        client_token=request.client_token,
    )


def _language_not_supported(
    attribute: str, requested: tuple[str, ...], effective: list[str]
) -> GoogleAPIError:
    listed = ", ".join(requested or effective)
    # Perspective names the languages the client gave, or those it detected.
    which = "requestedLanguages" if requested else "detectedLanguages"
    return analyzer_error(
        f"Attribute {attribute} does not support request languages: {listed}",
        LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE,
        languageNotSupportedByAttributeError={
            which: list(requested or effective),
            "attribute": attribute,
        },
    )


def _score(value: float) -> dict[str, Any]:
    return {"value": round(float(value), 6), "type": PROBABILITY}


def analyze(
    plan: Plan,
    *,
    pipeline: Pipeline,
    policy: Policy,
    now: datetime,
    site: str | None = None,
    allow: SiteAllowList | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Perspective's ``AnalyzeCommentResponse`` for ``plan`` and the scorer versions used.

    Category scores are the policy's combined scores (classifier, word-list matches and
    links, as :func:`~moderation.policy.decide.decide` computes them, with no author); an
    attribute whose summary is below its ``scoreThreshold`` is left out, as are spans below
    it. ``allow`` is the site's allow-list of names, as for its webhook comments.
    ``languages`` mirrors the request (the detected language, or ``["en"]``, when it gave
    none); ``detectedLanguages`` is the language detected in the comment (``[]`` for text
    without letters). ``site`` picks the site's promoted model, as for its webhook comments.
    """
    needed = {c for r in plan.attributes for c in r.attribute.categories}
    explain = dict.fromkeys(needed, EXPLAIN_FLOOR) if plan.spans and needed else None
    result = pipeline.score(plan.text, explain_above=explain, site=site, allow=allow)
    scores = decide(result, policy, author=None, now=now).scores
    spans = category_spans(result, policy.rule_scores) if plan.spans else None
    utf16 = utf16_offsets(plan.text) if plan.spans else None
    attribute_scores: dict[str, Any] = {}
    for requested in plan.attributes:
        scored = score_attribute(requested.attribute, scores, spans, utf16)
        floor = requested.threshold
        if floor is not None and scored.summary < floor:
            continue
        entry: dict[str, Any] = {}
        span_scores = [
            {"begin": s.begin, "end": s.end, "score": _score(s.score)}
            for s in scored.spans
            if floor is None or s.score >= floor
        ]
        if span_scores:  # proto3 JSON leaves out empty lists
            entry["spanScores"] = span_scores
        entry["summaryScore"] = _score(scored.summary)
        attribute_scores[requested.key] = entry
    body: dict[str, Any] = {
        "attributeScores": attribute_scores,
        "languages": list(plan.languages) or list(plan.detected) or ["en"],
        "detectedLanguages": list(plan.detected),
    }
    if plan.client_token is not None:
        body["clientToken"] = plan.client_token
    return body, dict(result.versions)
