"""Readers' reports and complaints through the API: every validation error answered 4xx
naming the field, nothing half-written; grouping after review; rate limits per reporter."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import configured
from moderation.extensions import db
from moderation.services import review
from moderation.tables import Comment, CommentReport, Complaint, Event, utcnow
from tests.services.test_decisions import ATTACK, CLEAN, score, submit
from tests.support import ROOT, encode, make_site, signed

ILLEGAL = {
    "reason": "illegal",
    "law": "StGB § 130 (incitement to hatred)",
    "explanation": "It calls for violence against a group.",
    "good_faith": True,
}


def report_url(comment_id: str = "c1", site: str = "news") -> str:
    return f"/api/v1/comments/{site}/{comment_id}/reports"


def send(client: FlaskClient, secret: str, url: str, payload: Any) -> Any:
    body = payload if isinstance(payload, bytes) else encode(payload)
    return client.post(url, data=body, headers=signed(secret, body))


def published(app: Flask, comment_id: str = "c1") -> int:
    pk = submit(app, comment_id, CLEAN, utcnow())
    score(app, pk, utcnow())
    return pk


def rejected(app: Flask, comment_id: str = "bad") -> int:
    pk = submit(app, comment_id, ATTACK, utcnow())
    score(app, pk, utcnow())
    return pk


def reports(app: Flask) -> list[CommentReport]:
    with app.app_context():
        rows = list(
            db.session.execute(sa.select(CommentReport).order_by(CommentReport.id)).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def event_types(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(Event.type).order_by(Event.seq)).scalars())


def moderator_rejects(app: Flask, pk: int, actor: str = "moderator:ann") -> None:
    with app.app_context():
        review.reject(
            pk, actor=actor, policies=configured.policies(), reason="attack", now=utcnow()
        )


def test_a_report_is_stored_queued_and_the_reporter_only_as_a_keyed_hash(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    published(app)
    answer = send(client, site[1], report_url(), {"reason": "attack", "reporter": "reader-77"})
    assert answer.status_code == 201, answer.json
    assert answer.json["queued"] is True and answer.json["state"] == "open"
    digest = answer.json["reporter"]
    assert len(digest) == 64 and "reader-77" not in digest
    (row,) = reports(app)
    assert row.reporter_hash == digest and row.reason == "attack"
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT * FROM comment_reports")).all()
    assert "reader-77" not in repr(stored)
    # The same reference hashes the same way (counted per reader), another differently.
    again = send(client, site[1], report_url(), {"reason": "spam", "reporter": "reader-77"})
    other = send(client, site[1], report_url(), {"reason": "spam", "reporter": "reader-78"})
    assert again.json["reporter"] == digest != other.json["reporter"]


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({}, "reason", "Field required"),
        ({"reason": "rude"}, "reason", "must be one of"),
        ({"reason": 3}, "reason", "string"),
        ({"reason": "attack", "reporter": "ann@example.org"}, "reporter", "email"),
        ({"reason": "attack", "reporter": "ann%40example.org"}, "reporter", "email"),
        ({"reason": "attack", "reporter": ""}, "reporter", "at least 1"),
        ({"reason": "attack", "reporter": "x" * 256}, "reporter", "at most 255"),
        ({"reason": "attack", "note": "x" * 1001}, "note", "at most 1000"),
        ({"reason": "attack", "note": "a\x00b"}, "note", "pattern"),
        ({**ILLEGAL, "law": None}, "law", "name the law"),
        ({**ILLEGAL, "law": "  "}, "law", "name the law"),
        ({**ILLEGAL, "law": "x" * 501}, "law", "at most 500"),
        ({**ILLEGAL, "explanation": None}, "explanation", "explain"),
        ({**ILLEGAL, "good_faith": False}, "good_faith", "good faith"),
        ({**ILLEGAL, "good_faith": None}, "good_faith", "good faith"),
        ({**ILLEGAL, "good_faith": "yes"}, "good_faith", "boolean"),
    ],
)
def test_bad_reports_are_400_naming_the_field_and_store_nothing(
    app: Flask,
    client: FlaskClient,
    site: tuple[str, str],
    payload: dict[str, Any],
    field: str,
    words: str,
) -> None:
    published(app)
    answer = send(client, site[1], report_url(), payload)
    assert answer.status_code == 400, answer.json
    problems = {p["field"]: p["problem"] for p in answer.json["error"]["fields"]}
    assert field in problems, problems
    assert words.lower() in problems[field].lower()
    assert reports(app) == []


def test_transport_errors(app: Flask, client: FlaskClient, site: tuple[str, str]) -> None:
    published(app)
    assert send(client, site[1], report_url(), b"{not json").status_code == 400
    assert send(client, site[1], report_url(), b"[1]").status_code == 400
    body = encode({"reason": "attack"})
    headers = {**signed(site[1], body), "Content-Type": "text/plain"}
    assert client.post(report_url(), data=body, headers=headers).status_code == 415
    unsigned = client.post(report_url(), data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert send(client, "wrong-secret", report_url(), {"reason": "attack"}).status_code == 401
    bad_id = send(client, site[1], report_url("..", "news"), {"reason": "attack"})
    assert bad_id.status_code in (400, 404)
    missing = send(client, site[1], report_url("nope"), {"reason": "attack"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert reports(app) == []


def test_illegal_report_with_law_explanation_and_good_faith_is_stored(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    published(app)
    answer = send(client, site[1], report_url(), {**ILLEGAL, "note": "<b>look</b>"})
    assert answer.status_code == 201, answer.json
    (row,) = reports(app)
    assert (row.reason, row.law, row.good_faith, row.note) == (
        "illegal",
        ILLEGAL["law"],
        True,
        "<b>look</b>",
    )


def test_after_review_same_reasons_are_grouped_new_reason_and_illegal_requeue(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    pk = published(app)
    first = send(client, site[1], report_url(), {"reason": "attack", "reporter": "r0"})
    assert first.json["queued"]
    moderator_rejects(app, pk)
    (answered,) = reports(app)
    assert (answered.state, answered.outcome, answered.action) == (
        "resolved",
        "rejected",
        "changed",
    )
    assert event_types(app)[-2:] == ["comment.updated", "report.resolved"]
    with app.app_context():
        resolved = db.session.execute(
            sa.select(Event).where(Event.type == "report.resolved")
        ).scalar_one()
        assert resolved.payload["details"]["reports"][0]["id"] == answered.id
        assert resolved.payload["details"]["reports"][0]["reporter"] == first.json["reporter"]
        assert resolved.payload["details"]["outcome"] == "rejected"

    for n in range(20):
        again = send(client, site[1], report_url(), {"reason": "attack", "reporter": f"r{n + 1}"})
        assert again.status_code == 201
        assert (again.json["queued"], again.json["grouped"]) == (False, True)
    rows = reports(app)
    assert len(rows) == 21 and all(r.state == "resolved" for r in rows)
    assert sum(r.grouped for r in rows) == 20

    new_reason = send(client, site[1], report_url(), {"reason": "spam", "reporter": "x"})
    assert new_reason.json["queued"] is True
    with app.app_context():
        review.keep(pk, actor="moderator:bob", now=utcnow())
    illegal = send(client, site[1], report_url(), {**ILLEGAL, "reporter": "y"})
    assert illegal.json["queued"] is True
    # spam was seen at the last review: grouped now
    spam_again = send(client, site[1], report_url(), {"reason": "spam", "reporter": "z"})
    assert spam_again.json["queued"] is True  # the comment is in the queue (illegal open)


@pytest.fixture
def limited_app(settings_overrides: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "sites").mkdir(exist_ok=True)
    (config / "sites" / "news.yaml").write_text(
        'rate_limits: {site: "100/minute", author: "100/minute", reporter: "2/minute",'
        ' reports: "4/minute"}\n'
    )
    from moderation.app import create_app

    app = create_app({**settings_overrides, "config_dir": str(config)})
    yield app
    with app.app_context():
        from tests.conftest import _empty_all_tables

        _empty_all_tables(db.engine)
        db.engine.dispose()


def test_reports_are_rate_limited_per_reporter_and_per_site(limited_app: Flask) -> None:
    _, secret = make_site(limited_app, "news")
    client = limited_app.test_client()
    published(limited_app)
    codes = [
        send(client, secret, report_url(), {"reason": "attack", "reporter": "flood"}).status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    refused = send(client, secret, report_url(), {"reason": "attack", "reporter": "flood"})
    assert refused.json["error"]["code"] == "rate_limited"
    assert "reporter" in refused.json["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert (
        send(client, secret, report_url(), {"reason": "attack", "reporter": "calm"}).status_code
        == 201
    )
    # The site's overall limit (4/minute) counts every report, anonymous ones too.
    assert send(client, secret, report_url(), {"reason": "attack"}).status_code == 201
    site_refused = send(client, secret, report_url(), {"reason": "attack"})
    assert site_refused.status_code == 429 and "reports" in site_refused.json["error"]["message"]
    assert len(reports(limited_app)) == 4


# --- complaints --------------------------------------------------------------------------


def complaint_url(comment_id: str) -> str:
    return f"/api/v1/comments/news/{comment_id}/complaints"


def test_a_complaint_about_a_rejection_is_taken_with_its_deadline(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    rejected(app)
    answer = send(client, site[1], complaint_url("bad"), {"message": "I was quoting someone."})
    assert answer.status_code == 201, answer.json
    assert answer.json["state"] == "pending" and answer.json["subject"] == "decision"
    with app.app_context():
        complaint = db.session.execute(sa.select(Complaint)).scalar_one()
        assert complaint.decided_by == "policy" and complaint.decision == "rejected"
    twice = send(client, site[1], complaint_url("bad"), {"message": "again"})
    assert twice.status_code == 409 and "pending" in twice.json["error"]["message"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "message"),
        ({"message": ""}, "message"),
        ({"message": "x" * 2001}, "message"),
        ({"message": 5}, "message"),
        ({"message": "ok", "subject": "moon"}, "subject"),
    ],
)
def test_bad_complaints_are_400_naming_the_field(
    app: Flask, client: FlaskClient, site: tuple[str, str], payload: dict[str, Any], field: str
) -> None:
    rejected(app)
    answer = send(client, site[1], complaint_url("bad"), payload)
    assert answer.status_code == 400
    assert field in {p["field"] for p in answer.json["error"]["fields"]}
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Complaint.id))).scalar_one() == 0


def test_complaints_after_six_months_name_the_deadline(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    pk = rejected(app)
    with app.app_context():
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == pk)
            .values(decided_at=utcnow() - timedelta(days=190))
        )
        db.session.commit()
    late = send(client, site[1], complaint_url("bad"), {"message": "please"})
    assert late.status_code == 422
    assert late.json["error"]["code"] == "complaint_too_late"
    assert "accepted until" in late.json["error"]["message"]


def test_nothing_to_complain_about(app: Flask, client: FlaskClient, site: tuple[str, str]) -> None:
    published(app, "fine")
    answer = send(client, site[1], complaint_url("fine"), {"message": "why?"})
    assert answer.status_code == 409 and answer.json["error"]["code"] == "nothing_to_contest"
    sanction = send(client, site[1], complaint_url("fine"), {"message": "x", "subject": "sanction"})
    assert sanction.status_code == 409
    assert send(client, site[1], complaint_url("nope"), {"message": "x"}).status_code == 404


def test_report_and_complaint_answers_match_their_openapi_models(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    from moderation.report_schemas import ComplaintOut, ReportOut
    from moderation.schemas import ErrorOut

    published(app)
    rejected(app)
    ReportOut.model_validate(send(client, site[1], report_url(), {"reason": "spam"}).json)
    ComplaintOut.model_validate(send(client, site[1], complaint_url("bad"), {"message": "m"}).json)
    ErrorOut.model_validate(send(client, site[1], report_url(), {"reason": "no"}).json)
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/comments/{site}/{comment_id}/reports"]
    assert "post" in paths["/comments/{site}/{comment_id}/complaints"]
