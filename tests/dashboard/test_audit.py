"""The audit log page and its CSV export."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.services import audit
from moderation.tables import utcnow
from tests.dashboard.seed import add_comment, token


def record(app: Flask, actor: str, action: str, **details: object) -> None:
    with app.app_context():
        audit.record(
            actor,
            action,
            now=utcnow(),
            target_type="comment",
            target_id="c-9",
            details=dict(details),
        )
        db.session.commit()


def test_audit_page_lists_and_filters(app: Flask, as_moderator: FlaskClient) -> None:
    comment_id = add_comment(app, "c1", "text")
    as_moderator.post(
        f"/dashboard/comments/{comment_id}/approve", data={"csrf_token": token(as_moderator)}
    )
    page = as_moderator.get("/dashboard/audit")
    assert page.status_code == 200
    assert "comment.approved" in page.text
    assert "auth.login" in page.text
    only = as_moderator.get("/dashboard/audit?action=comment.").text
    assert "<code>comment.approved</code>" in only
    assert "<code>auth.login</code>" not in only
    by_actor = as_moderator.get("/dashboard/audit?actor=moderator:ann&action=auth").text
    assert "<code>auth.login</code>" in by_actor
    assert "<code>comment.approved</code>" not in as_moderator.get("/dashboard/audit?site=x").text
    assert "Export CSV" in page.text


def test_csv_export_streams_and_neutralises_formulas(app: Flask, as_moderator: FlaskClient) -> None:
    record(app, "=cmd|' /C calc'!A0", "comment.note", note="+SUM(1,2)")
    record(app, "@evil", "-2+3")
    record(app, "policy", "comment.decided", text="plain")
    response = as_moderator.get("/dashboard/audit.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "id",
        "time_utc",
        "actor",
        "action",
        "site",
        "target_type",
        "target_id",
        "details",
    ]
    by_actor = {row[2]: row for row in rows[1:]}
    assert "'=cmd|' /C calc'!A0" in by_actor
    assert by_actor["'@evil"][3] == "'-2+3"
    assert by_actor["policy"][3] == "comment.decided"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    filtered = as_moderator.get("/dashboard/audit.csv?actor=policy").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(filtered)))) == 2


def test_details_read_as_words_not_python_dumps(app: Flask, as_moderator: FlaskClient) -> None:
    reason = {
        "code": "category_score",
        "outcome": "hold",
        "category": "attack",
        "score": 0.6234,
        "threshold": 0.5,
        "source": "model",
    }
    record(app, "policy", "comment.decided", decision="hold", reasons=[reason])
    record(
        app,
        "policy",
        "author.suspended",
        until="2026-11-08T12:00:00.123456+00:00",
        reason="3 active strikes reached the ladder step at 3",
        comment_id=None,
    )
    html = as_moderator.get("/dashboard/audit").text
    assert "hold: attack 0.62 ≥ 0.50 (model)" in html
    assert "2026-11-08 12:00 UTC" in html
    assert '<span class="k">decision:</span> hold' in html
    for dump in ("{&#39;", "[{", "&#39;code&#39;", ".123456", "None"):
        assert dump not in html, dump


def test_readable_values() -> None:
    from moderation.dashboard.cards import readable, readable_details

    assert readable({"a": 1, "b": None, "c": [1.5, True]}) == "a: 1, c: 1.5; yes"
    assert readable([]) == "none"
    assert readable("2026-11-08T12:00:59.999999+01:00") == "2026-11-08 11:00 UTC"
    assert readable("not a time") == "not a time"
    assert readable_details({"x": None, "y": "z"}) == [("y", "z")]


def test_the_threat_target_note_reads_as_words() -> None:
    from moderation.dashboard.cards import describe_reason

    note = {
        "code": "threat_untargeted",
        "outcome": "publish",
        "score": 0.7891,
        "threshold": 0.35,
        "source": "model",
        "term": "figurative: no person targeted",
    }
    assert describe_reason(note) == (
        "threat capped: figurative: no person targeted (model 0.79 → 0.35)"
    )
