"""A discovery document for the Perspective-compatible endpoint.

Perspective's own Python sample builds its client from Google's discovery document
(``discovery.build("commentanalyzer", "v1alpha1", developerKey=KEY,
discoveryServiceUrl="https://commentanalyzer.googleapis.com/$discovery/rest?version=v1alpha1",
static_discovery=False)``). Serving the same description with our ``rootUrl`` at
``/$discovery/rest?version=v1alpha1`` lets such a client switch by changing that URL and the
key. Only what a client library needs is described: the two methods, the ``key`` parameter
and the message names (the bodies are plain JSON objects, described in ``docs/integrations.md``).
"""

from __future__ import annotations

from typing import Any

_MESSAGES = (
    "AnalyzeCommentRequest",
    "AnalyzeCommentResponse",
    "SuggestCommentScoreRequest",
    "SuggestCommentScoreResponse",
)


def _method(name: str, request: str, response: str, description: str) -> dict[str, Any]:
    path = f"v1alpha1/comments:{name}"
    return {
        "id": f"commentanalyzer.comments.{name}",
        "path": path,
        "flatPath": path,
        "httpMethod": "POST",
        "parameters": {},
        "parameterOrder": [],
        "request": {"$ref": request},
        "response": {"$ref": response},
        "description": description,
    }


def discovery_document(root_url: str) -> dict[str, Any]:
    """The ``commentanalyzer`` v1alpha1 description, served from ``root_url`` (ends in ``/``)."""
    return {
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": "commentanalyzer:v1alpha1",
        "name": "commentanalyzer",
        "version": "v1alpha1",
        "title": "Perspective Comment Analyzer API (compatible endpoint of the moderation service)",
        "protocol": "rest",
        "rootUrl": root_url,
        "servicePath": "",
        "baseUrl": root_url,
        "batchPath": "batch",
        "parameters": {
            "key": {
                "type": "string",
                "location": "query",
                "description": "API key (`moderation site api-key add SITE`).",
            },
            "alt": {
                "type": "string",
                "location": "query",
                "default": "json",
                "enum": ["json"],
                "description": "Data format for the response.",
            },
        },
        "resources": {
            "comments": {
                "methods": {
                    "analyze": _method(
                        "analyze",
                        "AnalyzeCommentRequest",
                        "AnalyzeCommentResponse",
                        "Analyzes the provided text and returns scores for requested attributes.",
                    ),
                    "suggestscore": _method(
                        "suggestscore",
                        "SuggestCommentScoreRequest",
                        "SuggestCommentScoreResponse",
                        "Accepted and discarded.",
                    ),
                }
            }
        },
        "schemas": {name: {"id": name, "type": "object"} for name in _MESSAGES},
    }
