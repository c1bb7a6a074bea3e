"""Every human judgement of a comment becomes a labelled example of its site."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import configured
from moderation.extensions import db
from moderation.services import labels, review
from moderation.tables import AuditEntry, Author, Comment, SiteLabel
from tests.services.test_decisions import ATTACK, CLEAN, T0, score, submit
from tests.services.test_review import appeal


def label_rows(app: Flask) -> list[tuple[str, bool, dict[str, int], str, str]]:
    with app.app_context():
        rows = db.session.execute(sa.select(SiteLabel).order_by(SiteLabel.id)).scalars()
        return [(r.comment_ref, r.violation, dict(r.labels), r.source, r.actor) for r in rows]


def held(app: Flask, external_id: str, text: str) -> int:
    comment_id = submit(app, external_id, text, T0)
    score(app, comment_id, T0)
    with app.app_context():
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == comment_id)
            .values(status="held", decision="hold")
        )
        db.session.commit()
    return comment_id


@pytest.mark.usefixtures("site")
def test_moderator_decisions_become_labels_with_the_named_category(app: Flask) -> None:
    first = held(app, "c1", ATTACK)
    second = held(app, "c2", CLEAN)
    with app.app_context():
        review.reject(
            first, actor="moderator:ann", policies=configured.policies(), reason="threat", now=T0
        )
        review.approve(second, actor="moderator:bob", policies=configured.policies(), now=T0)
    rows = label_rows(app)
    assert rows[0][:2] == ("c1", True)
    assert rows[0][2] == {"profanity": 0, "attack": 0, "threat": 1, "hate": 0, "spam": 0}
    assert rows[0][3:] == ("moderator_decision", "moderator:ann")
    assert rows[1][:2] == ("c2", False)
    assert set(rows[1][2].values()) == {0}


@pytest.mark.usefixtures("site")
def test_a_reason_that_is_no_category_labels_only_the_violation(app: Flask) -> None:
    comment_id = held(app, "c1", ATTACK)
    with app.app_context():
        review.reject(
            comment_id,
            actor="moderator:ann",
            policies=configured.policies(),
            reason="off_topic",
            now=T0,
        )
    assert label_rows(app)[0][1:3] == (True, {})


@pytest.mark.usefixtures("site")
def test_the_category_can_be_corrected_and_is_audited(app: Flask) -> None:
    comment_id = held(app, "c1", ATTACK)
    with app.app_context():
        review.reject(
            comment_id,
            actor="moderator:ann",
            policies=configured.policies(),
            reason="attack",
            now=T0,
        )
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        labels.correct_category(comment, "spam", actor="moderator:bob", now=T0)
        db.session.commit()
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "label.corrected")
        ).scalar_one()
        assert entry.details["to"] == "spam"
    (row,) = label_rows(app)
    assert row[2]["spam"] == 1 and row[2]["attack"] == 0
    assert row[4] == "moderator:bob"


@pytest.mark.usefixtures("site")
def test_a_stored_label_is_corrected_keeping_its_source_and_time(app: Flask) -> None:
    comment_id = held(app, "c1", ATTACK)
    with app.app_context():
        review.reject(
            comment_id,
            actor="moderator:ann",
            policies=configured.policies(),
            reason="attack",
            now=T0,
        )
        site_id = db.session.get(Comment, comment_id).site_id  # type: ignore[union-attr]
        later = T0 + timedelta(days=2)
        labels.correct(site_id, "c1", None, actor="moderator:bob", now=later)
        db.session.commit()
        row = labels.stored(site_id, "c1")
        assert row is not None and row.decided_at.replace(tzinfo=None) == T0.replace(tzinfo=None)
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "label.corrected")
        ).scalar_one()
        assert entry.details == {"from": "attack", "to": "not a violation"}
    (row_tuple,) = label_rows(app)
    assert row_tuple[1] is False and not any(row_tuple[2].values())
    assert row_tuple[3:] == ("moderator_decision", "moderator:bob")


@pytest.mark.usefixtures("site")
def test_a_correction_needs_a_known_category_and_a_label(app: Flask) -> None:
    comment_id = held(app, "c1", ATTACK)
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        with pytest.raises(labels.LabelError, match="unknown category 'rude'"):
            labels.correct(comment.site_id, "c1", "rude", actor="moderator:bob", now=T0)
        with pytest.raises(labels.LabelError, match="no label for comment 'c1'"):
            labels.correct(comment.site_id, "c1", "spam", actor="moderator:bob", now=T0)
        with pytest.raises(labels.LabelError, match="approve or reject it"):
            labels.correct_category(comment, "spam", actor="moderator:bob", now=T0)
    assert label_rows(app) == []


@pytest.mark.usefixtures("site")
def test_naming_the_category_of_a_policy_reject_gives_it_a_label(app: Flask) -> None:
    comment_id = held(app, "c1", ATTACK)
    with app.app_context():
        db.session.execute(
            sa.update(Comment)
            .where(Comment.id == comment_id)
            .values(status="rejected", decision="reject")
        )
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        labels.correct_category(comment, "spam", actor="moderator:bob", now=T0)
        db.session.commit()
        entry = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "label.corrected")
        ).scalar_one()
        assert entry.details["to"] == "spam" and entry.details["from"].startswith("no label")
    (row,) = label_rows(app)
    assert row[1] is True and row[2]["spam"] == 1 and row[2]["attack"] == 0


def test_an_appeal_outcome_replaces_the_label(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    comment_id = submit(app, "c1", ATTACK, T0)
    score(app, comment_id, T0)
    assert appeal(client, site[1], "c1", "quoting").status_code == 200  # type: ignore[attr-defined]
    with app.app_context():
        review.approve(
            comment_id,
            actor="moderator:ann",
            policies=configured.policies(),
            now=T0 + timedelta(hours=1),
        )
    (row,) = label_rows(app)
    assert row[:2] == ("c1", False)
    assert row[3] == "appeal"


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("erase", ["comment", "author"])
def test_labels_are_erased_with_their_comment_or_author(app: Flask, erase: str) -> None:
    comment_id = held(app, "c1", ATTACK)
    other = held(app, "c2", CLEAN)
    with app.app_context():
        review.approve(comment_id, actor="moderator:ann", policies=configured.policies(), now=T0)
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        author_id = comment.author_id
    with app.app_context():
        db.session.execute(
            sa.update(Comment).where(Comment.id == other).values(author_id=author_id)
        )
        if erase == "comment":
            db.session.execute(sa.delete(Comment).where(Comment.id == comment_id))
        else:
            db.session.execute(sa.delete(Author).where(Author.id == author_id))
        db.session.commit()
    assert label_rows(app) == []


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"attack": 2}, "must be 0 or 1"),
        ({"rudeness": 1}, "unknown category"),
        ({"hate": True}, "0 or 1"),
    ],
)
def test_bad_labels_are_refused(given: dict[str, object], problem: str) -> None:
    with pytest.raises(labels.LabelError, match=problem):
        labels.check_labels(given)
