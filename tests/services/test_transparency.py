"""The transparency report's figures equal counts taken directly from the database with
independent queries (raw SQL, counted in Python), and its CSV is formula-injection safe."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation import configured
from moderation.categories import CATEGORIES
from moderation.extensions import db
from moderation.policy.schema import Sanction
from moderation.report_schemas import ReportIn
from moderation.services import complaints, intake, reports, review, transparency
from moderation.services.sites import require_site
from moderation.tables import utcnow
from tests.dashboard.seed import add_author
from tests.services.test_decisions import ATTACK, CLEAN, score, submit


def _when(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def raw(app: Flask, sql: str) -> list[Any]:
    with app.app_context():
        return list(db.session.execute(sa.text(sql)).all())


def report(app: Flask, comment_id: str, reason: str, **extra: Any) -> None:
    with app.app_context():
        site = require_site("news")
        comment = intake.find_comment(site, comment_id)
        assert comment is not None
        reports.file_report(
            site,
            comment,
            ReportIn.model_validate({"reason": reason, **extra}),
            reporter=None,
            now=utcnow(),
        )


def seed(app: Flask) -> None:
    policies = configured.policies(app)
    ids = {}
    for n, text in enumerate([CLEAN, CLEAN, ATTACK, ATTACK, CLEAN]):
        ids[n] = submit(app, f"c{n}", text, utcnow(), author=f"u{n % 3}")
        score(app, ids[n], utcnow())
    add_author(app, "w9", status="watched", by_moderator=True)
    held = submit(app, "held", CLEAN, utcnow(), author="w9")  # a watched author: held
    score(app, held, utcnow())
    report(app, "c0", "attack")
    report(app, "c0", "spam")
    report(app, "c1", "illegal", law="Law X", explanation="because", good_faith=True)
    with app.app_context():
        review.reject(
            ids[0], actor="moderator:ann", policies=policies, reason="attack", now=utcnow()
        )
        review.reject(
            ids[1],
            actor="moderator:ann",
            policies=policies,
            reason="hate",
            sanction=Sanction.SUSPEND,
            days=3,
            now=utcnow(),
        )
    report(app, "c0", "attack")  # grouped
    report(app, "c0", "attack")  # grouped
    with app.app_context():
        site = require_site("news")
        for cid in ("c0", "c2"):
            comment = intake.find_comment(site, cid)
            assert comment is not None
            complaints.receive(site, comment, subject="decision", message="no", now=utcnow())
        first, second = complaints.pending()
        complaints.handle(
            first.id,
            actor="moderator:bob",
            outcome="reverse",
            reply="ok",
            policies=policies,
            now=utcnow() + timedelta(hours=2),
        )
        complaints.handle(
            second.id,
            actor="moderator:bob",
            outcome="uphold",
            reply="no",
            policies=policies,
            now=utcnow() + timedelta(hours=4),
        )
        # A report from long ago, outside the period.
        db.session.execute(
            sa.text("UPDATE comments SET status='held', decision='hold' WHERE external_id='c4'")
        )
        db.session.commit()
    report(app, "c4", "spam")
    with app.app_context():
        db.session.execute(
            sa.text(
                "UPDATE comment_reports SET created_at = :old WHERE reason = 'spam' "
                "AND comment_id = (SELECT id FROM comments WHERE external_id='c4')"
            ),
            {"old": datetime.now(UTC).replace(tzinfo=None) - timedelta(days=60)},
        )
        db.session.commit()


@pytest.mark.usefixtures("site")
def test_figures_equal_independent_counts(app: Flask) -> None:
    seed(app)
    since, until = utcnow() - timedelta(days=7), utcnow() + timedelta(days=1)
    with app.app_context():
        got = transparency.build(require_site("news"), since=since, until=until)

    def inside(value: Any) -> bool:
        return value is not None and since <= _when(value) < until

    report_rows = raw(
        app, "SELECT reason, created_at, grouped, state, resolved_at FROM comment_reports"
    )
    in_period = [r for r in report_rows if inside(r[1])]
    assert got.reports_by_reason == dict(Counter(r[0] for r in in_period))
    assert got.reports_received == len(in_period) == 5
    assert got.reports_grouped == sum(1 for r in in_period if r[2]) == 2
    answered = [r for r in in_period if not r[2] and r[3] == "resolved"]
    assert got.reports_answered == len(answered)

    audit_rows = raw(
        app,
        "SELECT a.action, a.actor, a.created_at, a.details, c.reasons FROM audit_log a "
        "LEFT JOIN comments c ON c.site_id = a.site_id AND c.external_id = a.target_id",
    )
    outcomes = {"comment.approved": "publish", "comment.rejected": "reject", "comment.kept": "keep"}
    decided: list[tuple[str, str, str]] = []  # (who, outcome, category)
    for action, actor, created_at, details, reasons in audit_rows:
        if not inside(created_at):
            continue
        info = json.loads(details) if isinstance(details, str) else details
        if action == "comment.decided":
            outcome = info["decision"]
            first = (info.get("reasons") or [{}])[0]
        elif action in outcomes:
            outcome = outcomes[action]
            first = (json.loads(reasons or "[]") or [{}])[0]
        else:
            continue
        reason = info.get("reason")
        category = reason if reason in CATEGORIES else first.get("category") or "uncategorised"
        who = "human" if str(actor).startswith("moderator:") else "automated"
        decided.append((who, outcome, category))
    assert got.restrictions_by_type["reject"] == sum(1 for d in decided if d[1] == "reject")
    assert got.restrictions_by_type["hold"] == sum(1 for d in decided if d[1] == "hold") == 1
    assert got.restrictions_by_category == dict(
        Counter(d[2] for d in decided if d[1] in ("reject", "hold"))
    )
    assert got.decisions == {
        "human": dict(Counter(d[1] for d in decided if d[0] == "human")),
        "automated": dict(Counter(d[1] for d in decided if d[0] == "automated")),
    }
    # The reversed rejection still counts: two moderator rejections, one reversal (publish).
    assert got.decisions["human"]["reject"] == 2 and got.decisions["human"]["publish"] == 1

    action_rows = raw(
        app,
        "SELECT a.to_status, a.actor, a.created_at FROM author_actions a "
        "JOIN authors au ON au.id = a.author_id",
    )
    sanctions = [
        r for r in action_rows if inside(r[2]) and r[0] in ("watched", "suspended", "blocked")
    ]
    for name, status in (("watch", "watched"), ("suspend", "suspended"), ("block", "blocked")):
        assert got.restrictions_by_type[name] == sum(1 for r in sanctions if r[0] == status)
    assert got.restrictions_by_type["suspend"] >= 1
    by_human = Counter(r[0] for r in sanctions if str(r[1]).startswith("moderator:"))
    by_policy = Counter(r[0] for r in sanctions if not str(r[1]).startswith("moderator:"))
    assert got.sanctions == {"human": dict(by_human), "automated": dict(by_policy)}

    complaint_rows = raw(app, "SELECT state, received_at, handled_at FROM complaints")
    received = [r for r in complaint_rows if inside(r[1])]
    assert got.complaints["received"] == len(received) == 2
    assert got.complaints["upheld"] == sum(1 for r in received if r[0] == "upheld") == 1
    assert got.complaints["reversed"] == sum(1 for r in received if r[0] == "reversed") == 1
    hours = sorted((_when(r[2]) - _when(r[1])).total_seconds() / 3600 for r in received)
    assert got.complaints["median_handling_hours"] == pytest.approx(sum(hours) / 2, abs=0.01)


@pytest.mark.usefixtures("site")
def test_csv_is_escaped_and_formula_safe(app: Flask) -> None:
    report_data = transparency.TransparencyReport(
        site="news",
        since="2026-11-01T00:00:00+00:00",
        until="2026-12-01T00:00:00+00:00",
        reports_received=1,
        reports_by_reason={'=HYPERLINK("x")': 1, "a,b": 2},
        reports_grouped=0,
        reports_answered=0,
        median_hours_to_action=None,
        restrictions_by_type={},
        restrictions_by_category={"-cmd": 1},
        decisions={"automated": {}, "human": {}},
        complaints={},
        sanctions={"automated": {}, "human": {}},
    )
    rows = list(csv.reader(io.StringIO(transparency.csv_text(report_data))))
    assert rows[0] == ["figure", "value"]
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert ["reports_by_reason.a,b", "2"] in rows
    assert ["median_hours_to_action", ""] in rows
