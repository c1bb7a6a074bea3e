"""The Perspective-compatible endpoint: ``POST /v1alpha1/comments:analyze?key=API_KEY``.

A Perspective client switches by changing its base URL (``https://commentanalyzer.googleapis.com``
→ this service) and its key (``moderation site api-key add SITE``). The key is read from the
``key`` query parameter or the ``X-Goog-Api-Key`` header, as Google APIs do, and picks the
site whose policy combines the scores. Scoring runs here, in the web process, synchronously.

What is stored: with ``doNotStore: true`` nothing at all (no row, no audit entry, no log line
about the request); otherwise one audit entry per request naming the key and the attributes,
never the text or the scores. No comment is created: analyze calls are not moderation
decisions. ``comments:suggestscore`` (Perspective's feedback method, which Coral's
Perspective client also implements) stores a labelled example of the key's site
(:mod:`moderation.services.labels`), referenced by its ``clientToken`` (or the text's
SHA-256 when there is none); the site's model learns from it, and nothing leaves this server.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from moderation import configured
from moderation.clock import utcnow
from moderation.integrations import analyze as perspective
from moderation.integrations.discovery import discovery_document
from moderation.integrations.google_errors import (
    GoogleAPIError,
    bad_payload,
    invalid_key,
    missing_key,
    register_google_error_handlers,
)
from moderation.services import api_keys, labels
from moderation.services.allowlist import allow_list_for

if TYPE_CHECKING:
    from moderation.tables import ApiKey, Site

KEY_HEADER = "X-Goog-Api-Key"
VERSIONS_HEADER = "X-Moderation-Versions"

bp = Blueprint("perspective", __name__)
register_google_error_handlers(bp)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def authenticate() -> tuple[Site, ApiKey]:
    """The site of the request's key; 403 without a key, 400 for a bad or revoked one."""
    key = request.args.get("key") or request.headers.get(KEY_HEADER)
    if not key:
        raise missing_key()
    found = api_keys.site_for_key(key)
    if found is None:
        raise invalid_key()
    return found


def read_json() -> dict[str, Any]:
    """The body's JSON object (an empty body is an empty request, as in proto3)."""
    body = request.get_data(cache=True)  # 413 past MAX_CONTENT_LENGTH
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise bad_payload(f"{exc.msg} at line {exc.lineno} column {exc.colno}.") from None
    except (ValueError, RecursionError):  # not UTF-8, or nested too deeply
        raise bad_payload("The body is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise bad_payload("Root element must be a message.")
    return data


@bp.post("/v1alpha1/comments:analyze")
def analyze_comment() -> tuple[Response, int, dict[str, str]]:
    site, key = authenticate()
    payload = perspective.parse(perspective.AnalyzeCommentIn, read_json())
    policy = configured.policies().for_site(site.name)
    plan = perspective.validate(
        payload,
        max_chars=configured.settings().max_text_chars,
        supported=policy.languages.supported,
    )
    now = utcnow()
    body, versions = perspective.analyze(
        plan,
        pipeline=configured.pipeline(),
        policy=policy,
        now=now,
        site=site.name,
        allow=allow_list_for(site),
    )
    if not plan.do_not_store:
        api_keys.record_analysis(
            key,
            site,
            attributes=[r.key for r in plan.attributes],
            span_annotations=plan.spans,
            languages=list(plan.languages),
            now=now,
        )
    header = ",".join(f"{name}={version}" for name, version in sorted(versions.items()))
    return jsonify(body), 200, {VERSIONS_HEADER: header}


@bp.post("/v1alpha1/comments:suggestscore")
def suggest_comment_score() -> tuple[Response, int]:
    """A client's judgement of a comment: stored as a label of the key's site."""
    site, key = authenticate()
    payload = perspective.parse(perspective.SuggestCommentScoreIn, read_json())
    text = perspective.check_comment(
        payload.comment, max_chars=configured.settings().max_text_chars
    )
    violation, categories = perspective.suggested_label(payload)
    labels.record_suggestion(
        site,
        text=text,
        client_token=payload.client_token,
        violation=violation,
        labels=categories,
        actor=f"api-key:{key.prefix}",
        now=utcnow(),
    )
    body: dict[str, Any] = {}
    if payload.client_token is not None:
        body["clientToken"] = payload.client_token
    if payload.languages:
        body["requestedLanguages"] = list(payload.languages)
    return jsonify(body), 200


@bp.get("/$discovery/rest")
def discovery() -> tuple[Response, int]:
    """The client-library description (``?version=v1alpha1``), with this service as root."""
    version = request.args.get("version", "v1alpha1")
    if version != "v1alpha1":
        raise GoogleAPIError(404, f"Discovery document not found for API service version {version}")
    return jsonify(discovery_document(request.url_root)), 200
