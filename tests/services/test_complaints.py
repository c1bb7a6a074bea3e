"""Complaints (DSA Art. 20): a different moderator from the one who decided; a reversal
undoes the decision and tells the site; the reply is required; statistics kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation import configured
from moderation.extensions import db
from moderation.policy.schema import Sanction
from moderation.services import complaints, intake, review
from moderation.tables import Author, Comment, Complaint, Event, utcnow
from tests.services.test_decisions import ATTACK, CLEAN, score, submit


def event_types(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(Event.type).order_by(Event.seq)).scalars())


def complain(app: Flask, comment_id: str, subject: str = "decision") -> int:
    with app.app_context():
        from moderation.services.sites import require_site

        site = require_site("news")
        comment = intake.find_comment(site, comment_id)
        assert comment is not None
        return complaints.receive(
            site, comment, subject=subject, message="It was satire.", now=utcnow()
        ).id


def handle(app: Flask, complaint_id: int, actor: str, outcome: str = "reverse") -> Complaint:
    with app.app_context():
        done = complaints.handle(
            complaint_id,
            actor=actor,
            outcome=outcome,  # type: ignore[arg-type]
            reply="On a second reading the comment criticises a policy, not a person.",
            policies=configured.policies(),
            now=utcnow(),
        )
        db.session.refresh(done)
        db.session.expunge(done)
        return done


def held_then_rejected_by(app: Flask, actor: str) -> int:
    pk = submit(app, "c1", CLEAN, utcnow())
    score(app, pk, utcnow())
    with app.app_context():
        review.reject(
            pk, actor=actor, policies=configured.policies(), reason="attack", now=utcnow()
        )
    return pk


@pytest.mark.usefixtures("site")
def test_the_moderator_who_decided_is_refused_another_reverses_and_the_site_is_told(
    app: Flask,
) -> None:
    pk = held_then_rejected_by(app, "moderator:ann")
    complaint_id = complain(app, "c1")
    before = event_types(app)
    with pytest.raises(complaints.ComplaintError, match="different moderator"):
        handle(app, complaint_id, "moderator:ann")
    assert event_types(app) == before  # nothing written
    with app.app_context():
        still = db.session.get(Complaint, complaint_id)
        assert still is not None and still.state == "pending"
    done = handle(app, complaint_id, "moderator:bob")
    assert (done.state, done.handled_by) == ("reversed", "moderator:bob")
    assert event_types(app)[len(before) :][-2:] == ["comment.updated", "complaint.resolved"]
    with app.app_context():
        comment = db.session.get(Comment, pk)
        assert comment is not None and comment.status == "published"
        resolved = db.session.execute(
            sa.select(Event).where(Event.type == "complaint.resolved")
        ).scalar_one()
        assert resolved.payload["details"]["outcome"] == "reversed"
        assert "second reading" in resolved.payload["details"]["reply"]
        assert resolved.payload["details"]["contested"]["automated"] is False


@pytest.mark.usefixtures("site")
def test_a_policy_decision_can_be_handled_by_any_moderator_and_upheld(app: Flask) -> None:
    pk = submit(app, "c1", ATTACK, utcnow())
    score(app, pk, utcnow())
    complaint_id = complain(app, "c1")
    done = handle(app, complaint_id, "moderator:ann", outcome="uphold")
    assert done.state == "upheld"
    with app.app_context():
        comment = db.session.get(Comment, pk)
        assert comment is not None and comment.status == "rejected"
    assert event_types(app)[-1] == "complaint.resolved"
    with pytest.raises(complaints.ComplaintError, match="already handled"):
        handle(app, complaint_id, "moderator:bob")


@pytest.mark.usefixtures("site")
def test_a_reply_is_required(app: Flask) -> None:
    held_then_rejected_by(app, "moderator:ann")
    complaint_id = complain(app, "c1")
    with app.app_context(), pytest.raises(complaints.ComplaintError, match="reply"):
        complaints.handle(
            complaint_id,
            actor="moderator:bob",
            outcome="reverse",
            reply="   ",
            policies=configured.policies(),
            now=utcnow(),
        )


@pytest.mark.usefixtures("site")
def test_a_sanction_complaint_reversed_lifts_the_sanction(app: Flask) -> None:
    pk = submit(app, "c1", CLEAN, utcnow())
    score(app, pk, utcnow())
    with app.app_context():
        review.reject(
            pk,
            actor="moderator:ann",
            policies=configured.policies(),
            reason="attack",
            sanction=Sanction.BLOCK,
            now=utcnow(),
        )
    complaint_id = complain(app, "c1", subject="sanction")
    with pytest.raises(complaints.ComplaintError, match="different moderator"):
        handle(app, complaint_id, "moderator:ann")
    handle(app, complaint_id, "moderator:bob")
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        assert author.status == "active"
    assert event_types(app)[-2:] == ["author.reinstated", "complaint.resolved"]


@pytest.mark.parametrize(
    ("decided", "last"),
    [
        (datetime(2026, 8, 31, 10, tzinfo=UTC), datetime(2027, 2, 28, 10, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC)),
        (datetime(2027, 12, 31, tzinfo=UTC), datetime(2028, 6, 30, tzinfo=UTC)),
    ],
)
def test_the_deadline_is_six_calendar_months(decided: datetime, last: datetime) -> None:
    assert complaints.deadline(decided) == last


@pytest.mark.usefixtures("site")
def test_statistics(app: Flask) -> None:
    held_then_rejected_by(app, "moderator:ann")
    first = complain(app, "c1")
    handle(app, first, "moderator:bob", outcome="uphold")
    with app.app_context():
        stats = complaints.stats(
            site_id=None, since=utcnow() - timedelta(days=1), until=utcnow() + timedelta(days=1)
        )
    assert (stats.received, stats.upheld, stats.reversed, stats.pending) == (1, 1, 0, 0)
    assert stats.median_handling_hours is not None and stats.median_handling_hours >= 0
