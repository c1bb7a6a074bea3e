"""Readers' reports and complaints (DSA Art. 16 and 20), signed like the intake webhook.
Views parse, call the services, and answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from flask import Response, current_app, jsonify, request
from pydantic import BaseModel, ValidationError

from moderation import configured
from moderation.api.auth import authenticate
from moderation.api.blueprint import bp
from moderation.api.errors import APIError, check_identifiers
from moderation.clock import utcnow
from moderation.report_schemas import ComplaintIn, ReportIn, illegal_problems
from moderation.schemas import field_errors
from moderation.services import complaints, intake, reports
from moderation.services.sites import SiteRef

if TYPE_CHECKING:
    from moderation.tables import Comment

M = TypeVar("M", bound=BaseModel)


def _signed_body(site: str, comment_id: str) -> tuple[SiteRef, bytes]:
    check_identifiers(site=site, comment_id=comment_id)
    body = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    known = authenticate(site, body)
    if request.mimetype != "application/json":
        raise APIError(415, "unsupported_media_type", "send the body as application/json")
    return known, body


def _validated(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise APIError(
            400, "invalid_fields", "some fields are missing or invalid", fields=field_errors(exc)
        ) from None


def _comment(known: SiteRef, site: str, comment_id: str) -> Comment:
    comment = intake.find_comment(known, comment_id)
    if comment is None:
        raise APIError(404, "not_found", f"no comment {comment_id!r} from site {site!r}")
    return comment


def _rate_limit(site: str, reporter: str | None) -> None:
    limits = configured.policies().for_site(site).rate_limits
    limiter = configured.limiter()
    checks: list[tuple[str, str, tuple[str, ...]]] = [("reports", limits.reports, (site,))]
    if reporter is not None:
        checks.insert(0, ("reporter", limits.reporter, (site, reporter)))
    for scope, spec, keys in checks:
        refusal = limiter.hit(scope, spec, *keys) if spec else None
        if refusal is not None:
            raise APIError(
                429,
                "rate_limited",
                f"too many reports from this {refusal.scope} ({refusal.limit}); retry later",
                headers={"Retry-After": str(refusal.retry_after)},
            )


@bp.post("/comments/<site>/<comment_id>/reports")
def report_comment(site: str, comment_id: str) -> tuple[Response, int]:
    """A reader's report of a comment: 201 with the stored report."""
    known, body = _signed_body(site, comment_id)
    payload = _validated(ReportIn, body)
    problems = illegal_problems(payload)
    if problems:
        raise APIError(
            400, "invalid_fields", "an illegal-content report is incomplete", fields=problems
        )
    comment = _comment(known, site, comment_id)
    reporter = None
    if payload.reporter is not None:
        key = str(current_app.config["SECRET_KEY"])
        reporter = reports.reporter_hash(key, known.name, payload.reporter)
    _rate_limit(known.name, reporter)
    row = reports.file_report(known, comment, payload, reporter=reporter, now=utcnow())
    answer: dict[str, Any] = {
        "id": row.id,
        "site": known.name,
        "comment_id": comment_id,
        "reason": row.reason,
        "state": row.state,
        "queued": row.state == "open",
        "grouped": row.grouped,
        "reporter": row.reporter_hash,
        "received_at": row.created_at.isoformat(),
    }
    return jsonify(answer), 201


@bp.post("/comments/<site>/<comment_id>/complaints")
def complain(site: str, comment_id: str) -> tuple[Response, int]:
    """A complaint against the comment's restriction or its author's sanction: 201."""
    known, body = _signed_body(site, comment_id)
    payload = _validated(ComplaintIn, body)
    comment = _comment(known, site, comment_id)
    try:
        row = complaints.receive(
            known, comment, subject=payload.subject, message=payload.message, now=utcnow()
        )
    except complaints.ComplaintError as exc:
        raise APIError(exc.status, exc.code, str(exc)) from None
    answer = {
        "id": row.id,
        "site": known.name,
        "comment_id": comment_id,
        "subject": row.subject,
        "state": row.state,
        "received_at": row.received_at.isoformat(),
        "deadline": complaints.deadline(row.decided_at).isoformat(),
    }
    return jsonify(answer), 201
