"""Property tests on the intake: whatever arrives, never a 5xx, and the database stays
consistent (a 2xx stores at most one row per comment; anything else stores nothing)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.extensions import db
from moderation.tables import Comment
from tests.support import comment_payload, signed

URL = "/api/v1/comments"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

odd_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=300
) | st.sampled_from(
    [
        "\u202e\u0000",
        "a" * 10_001,
        "\ufeff" * 50,
        "🏳️‍🌈" * 100,
        "ｆｕｃｋ",
        "f\u200bu\u200bc\u200bk",
        "<script>alert(1)</script>",
        "\ud7ff\ue000",
        "𝔣𝔲𝔠𝔨",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = ["site", "comment_id", "author", "article", "text", "posted_at", "parent_id"]


@st.composite
def mangled_payloads(draw: st.DrawFn) -> dict[str, Any]:
    payload = comment_payload(comment_id=draw(st.text(min_size=1, max_size=20)))
    for name in draw(st.lists(st.sampled_from(FIELDS[1:]), max_size=4, unique=True)):
        if draw(st.booleans()):
            payload.pop(name, None)
        else:
            payload[name] = draw(json_values)
    if draw(st.booleans()):
        payload["author"] = {"id": draw(odd_text), "name": draw(json_values)}
    if draw(st.booleans()):
        payload["text"] = draw(odd_text)
    return payload


def rows(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(sa.select(sa.func.count(Comment.id))).scalar_one())


@FUZZ
@given(payload=mangled_payloads())
def test_signed_arbitrary_payloads(
    app: Flask, site: tuple[str, str], payload: dict[str, Any]
) -> None:
    client = app.test_client()
    body = json.dumps(payload).encode()
    before = rows(app)
    response = client.post(URL, data=body, headers=signed(site[1], body))
    assert response.status_code < 500, response.data
    assert response.is_json
    after = rows(app)
    if response.status_code == 201 or (
        response.status_code == 202 and response.json["revision"] == 1
    ):
        assert after == before + 1
    elif response.status_code == 202:  # an edit: a new revision of a stored comment
        assert after == before
    else:
        assert after == before
        if response.status_code >= 400:
            assert set(response.json["error"]) >= {"code", "message"}


@FUZZ
@given(
    body=st.binary(max_size=2000) | st.builds(lambda n: b"[" * n + b"]" * n, st.integers(0, 50_000))
)
def test_arbitrary_bytes(app: Flask, site: tuple[str, str], body: bytes) -> None:
    client = app.test_client()
    before = rows(app)
    response = client.post(URL, data=body, headers=signed(site[1], body))
    assert 400 <= response.status_code < 500
    assert response.is_json
    assert rows(app) == before


@FUZZ
@given(depth=st.integers(1, 20_000), key=st.sampled_from(["text", "author", "article", "x"]))
def test_deeply_nested_fields(app: Flask, site: tuple[str, str], depth: int, key: str) -> None:
    payload = comment_payload()
    body = json.dumps(payload)[:-1] + f', "{key}": ' + "[" * depth + "]" * depth + "}"
    raw = body.encode()
    response = app.test_client().post(URL, data=raw, headers=signed(site[1], raw))
    assert response.status_code < 500
