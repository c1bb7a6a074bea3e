"""A bounded Schemathesis run against a live gunicorn: every operation of the OpenAPI
description, signed as a site signs, never answers 5xx and conforms to the description;
afterwards the database is consistent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.core import NotSet

from moderation.extensions import db
from moderation.tables import Author, Comment
from tests.support import Process, Services, signed


@pytest.fixture(scope="module")
def live(
    services: Services, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Process]]:
    from tests.support import ROOT

    overrides = {
        "database_url": database_url,
        "instance_path": str(tmp_path_factory.mktemp("instance")),
        "config_dir": str(ROOT / "config"),
        "models_dir": str(ROOT / "models"),
    }
    process, base = services.start_web(overrides, workers=1)
    yield base, process
    process.stop()


def _call(case: Any, base: str, secret: str) -> httpx.Response:
    body = b""
    if case.body is not None and not isinstance(case.body, NotSet):
        payload = case.body
        if isinstance(payload, dict) and case.path == "/comments" and case.method == "POST":
            payload = {**payload, "site": "news"}  # a known site, so the body is judged
        body = json.dumps(payload).encode()
    headers = {**(case.headers or {}), **signed(secret, body)}
    path = case.formatted_path
    if case.path != "/comments":
        path = path.replace(f"/{case.path_parameters.get('site')}/", "/news/", 1)
    return httpx.request(
        case.method, f"{base}/api/v1{path}", content=body, headers=headers, timeout=10
    )


def test_api_never_fails(live: tuple[str, Process], app: Flask, site: tuple[str, str]) -> None:
    base, process = live
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method, op.path) for op in operations} == {
        ("post", "/comments"),
        ("get", "/comments/{site}/{comment_id}"),
        ("post", "/comments/{site}/{comment_id}/appeal"),
        ("post", "/comments/{site}/{comment_id}/reports"),
        ("post", "/comments/{site}/{comment_id}/complaints"),
    }
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            response = _call(case, base, site[1])
            statuses.append(response.status_code)
            assert response.status_code < 500, response.text
            case.validate_response(response, excluded_checks=[checks.ignored_auth])

        run()
    assert process.alive()
    assert any(200 <= s < 300 for s in statuses), "no request was accepted: the run proved little"
    with app.app_context():
        orphans = db.session.execute(
            sa.select(sa.func.count(Comment.id)).where(~Comment.author_id.in_(sa.select(Author.id)))
        ).scalar_one()
        undecided_refusals = db.session.execute(
            sa.select(sa.func.count(Comment.id)).where(
                Comment.status == "rejected", Comment.decision.is_(None)
            )
        ).scalar_one()
    assert (orphans, undecided_refusals) == (0, 0)
