"""The DSA pages: the Reported queue (escaped text, counts and reasons, CSRF on keep), the
complaints page (the refusal shown with its reason), the transparency report and exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import configured
from moderation.extensions import db
from moderation.report_schemas import ReportIn
from moderation.services import complaints, intake, reports, review
from moderation.services.sites import require_site
from moderation.tables import Comment, CommentReport, Complaint, Event, utcnow
from tests.dashboard.seed import login, make_user, token
from tests.services.test_decisions import CLEAN, score, submit

EVIL = '<script>alert("x")</script>'


def reported(app: Flask, *, text: str = CLEAN, note: str | None = None) -> int:
    pk = submit(app, "c1", text, utcnow())
    score(app, pk, utcnow())
    with app.app_context():
        site = require_site("news")
        comment = intake.find_comment(site, "c1")
        assert comment is not None
        for reason in ("attack", "attack", "spam"):
            reports.file_report(
                site,
                comment,
                ReportIn.model_validate({"reason": reason, "note": note}),
                reporter=None,
                now=utcnow(),
            )
        reports.file_report(
            site,
            comment,
            ReportIn.model_validate(
                {"reason": "illegal", "law": EVIL, "explanation": "x", "good_faith": True}
            ),
            reporter=None,
            now=utcnow(),
        )
    return pk


def test_the_reported_queue_shows_counts_and_reasons_escaped(
    app: Flask, as_moderator: FlaskClient
) -> None:
    pk = reported(app, note=EVIL)
    page = as_moderator.get("/dashboard/reported")
    assert page.status_code == 200
    html = page.text
    assert f'id="comment-{pk}"' in html
    assert "data-report-count>4<" in html
    assert "attack × 2" in html and "spam × 1" in html and "illegal × 1" in html
    assert EVIL not in html and "&lt;script&gt;" in html
    assert 'href="/dashboard/reported"' in html  # in the navigation


def test_keep_needs_csrf_and_answers_the_reports(app: Flask, as_moderator: FlaskClient) -> None:
    pk = reported(app)
    refused = as_moderator.post(f"/dashboard/comments/{pk}/keep", data={})
    assert refused.status_code in (400, 403)
    with app.app_context():
        assert (
            db.session.execute(
                sa.select(sa.func.count()).where(CommentReport.state == "open")
            ).scalar_one()
            == 4
        )
    done = as_moderator.post(
        f"/dashboard/comments/{pk}/keep",
        data={"csrf_token": token(as_moderator, "/dashboard/reported")},
    )
    assert done.status_code == 302
    with app.app_context():
        states = set(db.session.execute(sa.select(CommentReport.state)).scalars())
        assert states == {"resolved"}
        types = list(db.session.execute(sa.select(Event.type).order_by(Event.seq)).scalars())
        assert types[-1] == "report.resolved"
    assert "No reported comment waits" in as_moderator.get("/dashboard/reported").text


def test_rejecting_from_the_queue_answers_the_reports(
    app: Flask, as_moderator: FlaskClient
) -> None:
    pk = reported(app)
    done = as_moderator.post(
        f"/dashboard/comments/{pk}/reject",
        data={"csrf_token": token(as_moderator, "/dashboard/reported"), "reason": "attack"},
    )
    assert done.status_code == 302
    with app.app_context():
        outcomes = set(db.session.execute(sa.select(CommentReport.outcome)).scalars())
        assert outcomes == {"rejected"}


def _complaint_on_decision_by(app: Flask, actor: str) -> int:
    pk = submit(app, "c9", CLEAN, utcnow())
    score(app, pk, utcnow())
    with app.app_context():
        review.reject(
            pk, actor=actor, policies=configured.policies(), reason="attack", now=utcnow()
        )
        site = require_site("news")
        comment = intake.find_comment(site, "c9")
        assert comment is not None
        return complaints.receive(site, comment, subject="decision", message=EVIL, now=utcnow()).id


def test_the_complaints_page_refuses_the_deciding_moderator_with_a_reason(
    app: Flask, client: FlaskClient, moderator: str
) -> None:
    complaint_id = _complaint_on_decision_by(app, "moderator:ann")
    login(client, "ann")
    page = client.get("/dashboard/complaints").text
    assert EVIL not in page and "&lt;script&gt;" in page
    assert "different moderator" in page  # said before the moderator tries
    answer = client.post(
        f"/dashboard/complaints/{complaint_id}",
        data={"csrf_token": token(client), "outcome": "reverse", "reply": "fine"},
        follow_redirects=True,
    )
    assert "was not handled" in answer.text and "different moderator" in answer.text
    missing_reply = client.post(
        f"/dashboard/complaints/{complaint_id}",
        data={"csrf_token": token(client), "outcome": "reverse"},
        follow_redirects=True,
    )
    assert "reply" in missing_reply.text
    client.post("/dashboard/logout", data={"csrf_token": token(client)})
    make_user(app, "bob")
    login(client, "bob")
    answer = client.post(
        f"/dashboard/complaints/{complaint_id}",
        data={"csrf_token": token(client), "outcome": "reverse", "reply": "Satire; restored."},
        follow_redirects=True,
    )
    assert "reversed" in answer.text
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint is not None and complaint.state == "reversed"
        comment = db.session.get(Comment, complaint.comment_id)
        assert comment is not None and comment.status == "published"


def test_transparency_page_and_exports(app: Flask, as_moderator: FlaskClient) -> None:
    reported(app)
    today = utcnow().date()
    args = f"site=news&from={(today - timedelta(days=3)).isoformat()}&to={today.isoformat()}"
    page = as_moderator.get(f"/dashboard/transparency?{args}")
    assert page.status_code == 200 and "Restrictions by type" in page.text
    data = as_moderator.get(f"/dashboard/transparency.json?{args}").json
    assert data["reports_received"] == 4
    assert data["reports_by_reason"] == {"attack": 2, "illegal": 1, "spam": 1}
    text = as_moderator.get(f"/dashboard/transparency.csv?{args}").text
    rows = list(csv.reader(io.StringIO(text)))
    assert ["reports_by_reason.attack", "2"] in rows
    assert as_moderator.get("/dashboard/transparency").status_code == 302  # to the defaults


def test_transparency_query_errors_name_the_problem(app: Flask, as_moderator: FlaskClient) -> None:
    cases = {
        "from=2026-01-01&to=2026-01-31": "site",
        "site=news&from=2026-02-01&to=2026-01-01": "before",
        "site=news&from=2025-01-01&to=2026-12-01": "longer than",
        "site=news&from=yesterday&to=2026-01-01": "from",
        "site=nowhere&from=2026-01-01&to=2026-01-02": "no site",
        "site=news&from=2026-01-01": "to",
    }
    for query, words in cases.items():
        answer = as_moderator.get(f"/dashboard/transparency.json?{query}")
        assert answer.status_code == 400, query
        assert words in answer.json["error"]["message"], (query, answer.json)
        assert as_moderator.get(f"/dashboard/transparency.csv?{query}").status_code == 400
        page = as_moderator.get(f"/dashboard/transparency?{query}")
        assert page.status_code == 400 and words in page.text
