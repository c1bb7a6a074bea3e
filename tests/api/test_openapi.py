"""The served OpenAPI document: valid, complete, and true to what the API answers."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_pydantic import OpenAPI

from moderation.schemas import AcceptedOut, CommentOut, ErrorOut
from tests.support import comment_payload, encode, signed

DOCUMENT = "/api/v1/openapi.json"
PREFIX = "/api/v1"


def test_the_served_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    response = client.get(DOCUMENT)
    assert response.status_code == 200
    document = OpenAPI.model_validate(response.json)
    assert document.openapi == "3.1.0"
    schemas = response.json["components"]["schemas"]
    for name in ("CommentIn", "AppealIn", "Accepted", "Comment", "Error"):
        assert name in schemas
    # Every reference points at a component that exists.
    for ref in re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', response.get_data(True)):
        assert ref in schemas, ref


def test_the_document_lists_every_route_of_the_api_blueprint(
    app: Flask, client: FlaskClient
) -> None:
    paths = client.get(DOCUMENT).json["paths"]
    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
    ]
    assert routes, "the api blueprint has no routes: the test proves nothing"
    for rule in routes:
        assert rule.rule.startswith(PREFIX)
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        assert path in paths, f"{rule.rule} is not in the OpenAPI document"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {rule.rule} is not described"


def test_real_answers_match_their_response_models(
    client: FlaskClient, site: tuple[str, str]
) -> None:
    body = encode(comment_payload())
    accepted = client.post(f"{PREFIX}/comments", data=body, headers=signed(site[1], body))
    assert accepted.status_code == 202, accepted.json
    AcceptedOut.model_validate(accepted.json)

    record = client.get(f"{PREFIX}/comments/news/c-1", headers=signed(site[1], b""))
    assert record.status_code == 200, record.json
    CommentOut.model_validate(record.json)

    bad = b'{"site": "news"}'
    refused = client.post(f"{PREFIX}/comments", data=bad, headers=signed(site[1], bad))
    assert refused.status_code == 400
    error = ErrorOut.model_validate(refused.json)
    assert error.error.fields, "a 400 for bad fields names them"
