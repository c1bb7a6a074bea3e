"""Edits as revisions: stored, rescored and decided, against the real database."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation import configured
from moderation.extensions import db
from moderation.schemas import CommentIn
from moderation.services import review, revisions
from moderation.services.sites import require_site
from moderation.tables import Author, Comment, CommentRevision, Event, Strike
from tests.api.test_intake import snapshot
from tests.services.test_decisions import ATTACK, CLEAN, score, submit

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
INSULT = CLEAN + " And you are a fucking moron."


def edit(app: Flask, text: str, now: datetime, **changes: Any) -> revisions.EditResult:
    body: dict[str, Any] = {
        "site": "news",
        "comment_id": "c1",
        "author": {"id": "u1"},
        "article": {"id": "a-1"},
        "text": text,
        **changes,
    }
    with app.app_context():
        payload = CommentIn.model_validate_json(json.dumps(body))  # as the webhook reads it
        return revisions.edit_comment(require_site("news"), payload, now)


def comment_row(app: Flask, comment_id: int) -> Comment:
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        db.session.expunge(comment)
        return comment


def revision_rows(app: Flask, comment_id: int) -> list[tuple[Any, ...]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                CommentRevision.revision,
                CommentRevision.text,
                CommentRevision.status,
                CommentRevision.decision,
                CommentRevision.decided_by,
            )
            .where(CommentRevision.comment_id == comment_id)
            .order_by(CommentRevision.revision)
        ).all()
        return [tuple(r) for r in rows]


def decided_events(app: Flask, comment_id: int) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            e.payload["comment"]
            for e in db.session.execute(
                sa.select(Event)
                .where(Event.comment_id == comment_id, Event.type == "comment.decided")
                .order_by(Event.seq)
            ).scalars()
        ]


@pytest.mark.usefixtures("site")
def test_an_edit_of_a_published_comment_is_rescored_and_rejected(app: Flask) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    score(app, comment_id, T0)
    assert comment_row(app, comment_id).status == "published"

    result = edit(app, INSULT, T0 + timedelta(minutes=1))
    assert result == revisions.EditResult(comment_id, 2, edited=True)
    pending = comment_row(app, comment_id)
    assert (pending.status, pending.decision, pending.text, pending.revision) == (
        "pending",
        None,
        INSULT,
        2,
    )
    assert revision_rows(app, comment_id) == [
        (1, CLEAN, "published", "publish", "policy"),
        (2, INSULT, "pending", None, None),
    ]
    assert score(app, comment_id, T0 + timedelta(minutes=2)).value == "decided"
    decided = comment_row(app, comment_id)
    assert (decided.status, decided.decision) == ("rejected", "reject")
    assert revision_rows(app, comment_id)[1] == (2, INSULT, "rejected", "reject", "policy")
    events = decided_events(app, comment_id)
    assert [(e["revision"], e["decision"]) for e in events] == [(1, "publish"), (2, "reject")]
    with app.app_context():
        author = db.session.execute(sa.select(Author)).scalar_one()
        assert (author.comments_count, author.published_count, author.rejected_count) == (1, 0, 1)


@pytest.mark.usefixtures("site")
def test_the_same_text_again_is_a_duplicate_and_writes_nothing(app: Flask) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    score(app, comment_id, T0)
    before = snapshot(app)
    assert edit(app, CLEAN, T0) == revisions.EditResult(comment_id, 1, edited=False)
    assert snapshot(app) == before


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"author": {"id": "someone-else"}}, "author_mismatch", "author.id"),
        ({"article": {"id": "another-article"}}, "article_mismatch", "article.id"),
        ({"parent_id": "c0"}, "parent_mismatch", "parent_id"),
    ],
)
def test_an_edit_that_cannot_apply_names_the_problem_and_writes_nothing(
    app: Flask, changes: dict[str, Any], code: str, field: str
) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    score(app, comment_id, T0)
    before = snapshot(app)
    with pytest.raises(revisions.EditError) as raised:
        edit(app, INSULT, T0, **changes)
    assert (raised.value.status, raised.value.code, raised.value.field) == (409, code, field)
    assert snapshot(app) == before


@pytest.mark.usefixtures("site")
def test_an_older_edit_arriving_late_does_not_overwrite_a_newer_one(app: Flask) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    newer = edit(app, CLEAN + " Second thoughts.", T0, edited_at="2026-11-01T12:10:00Z")
    assert newer.revision == 2
    before = snapshot(app)
    with pytest.raises(revisions.EditError) as raised:
        edit(app, CLEAN + " First thoughts.", T0, edited_at="2026-11-01T12:05:00Z")
    assert (raised.value.code, raised.value.field) == ("stale_edit", "edited_at")
    assert snapshot(app) == before
    assert comment_row(app, comment_id).text == CLEAN + " Second thoughts."


@pytest.mark.usefixtures("site")
def test_a_moderators_decision_stays_with_its_revision(app: Flask) -> None:
    """A held comment approved by a moderator, then edited: back to pending, the approval
    kept on revision 1, and a moderator acting on what they saw before the edit is refused."""
    comment_id = submit(app, "c1", "You are an idiot.", T0)
    score(app, comment_id, T0)
    with app.app_context():
        review.approve(
            comment_id, actor="mod", policies=configured.policies(), now=T0, seen_version=0
        )
    seen = comment_row(app, comment_id).version
    edit(app, INSULT, T0 + timedelta(minutes=1))
    edited = comment_row(app, comment_id)
    assert (edited.status, edited.decision, edited.decided_by) == ("pending", None, None)
    assert revision_rows(app, comment_id)[0][2:] == ("published", "publish", "mod")
    with app.app_context(), pytest.raises(review.ConflictError):
        review.approve(
            comment_id, actor="mod", policies=configured.policies(), now=T0, seen_version=seen
        )


@pytest.mark.usefixtures("site")
def test_a_rejected_edit_of_a_rejected_comment_does_not_strike_twice(app: Flask) -> None:
    comment_id = submit(app, "c1", ATTACK, T0)
    score(app, comment_id, T0)
    edit(app, ATTACK + " Really.", T0 + timedelta(minutes=1))
    score(app, comment_id, T0 + timedelta(minutes=2))
    assert comment_row(app, comment_id).decision == "reject"
    with app.app_context():
        strikes = db.session.execute(sa.select(Strike)).scalars().all()
        assert [(s.comment_id, s.revoked_at) for s in strikes] == [(comment_id, None)]


@pytest.mark.usefixtures("site")
def test_a_task_for_an_old_revision_does_not_decide_the_new_text(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit lands between the worker's read and its write (possible where rows are not
    locked): the stale decision is dropped, and the edit's own task decides revision 2."""
    comment_id = submit(app, "c1", CLEAN, T0)
    with app.app_context():
        pipeline_type = type(configured.pipeline())
    real_score = pipeline_type.score_batch

    def score_then_edit(self: Any, texts: list[str], **kwargs: Any) -> Any:
        result = real_score(self, texts, **kwargs)
        if CLEAN in texts:  # as if an edit committed while revision 1 was scored
            db.session.execute(
                sa.update(Comment).values(revision=2).execution_options(synchronize_session=False)
            )
        return result

    monkeypatch.setattr(pipeline_type, "score_batch", score_then_edit)
    assert score(app, comment_id, T0).value == "already_decided"
    assert comment_row(app, comment_id).status == "pending"
    assert decided_events(app, comment_id) == []


@pytest.mark.usefixtures("site")
def test_an_edit_that_loses_the_compare_and_set_reads_again(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another change commits between the edit's read and its write: the compare-and-set on
    the version misses, nothing of the attempt is kept, and the edit re-reads and applies."""
    comment_id = submit(app, "c1", CLEAN, T0)
    real_load = revisions._load
    loads: list[int] = []

    def load_then_race(site: Any, external_id: str) -> Comment | None:
        found = real_load(site, external_id)
        loads.append(1)
        if len(loads) == 1:  # someone else moves the version on, after our read
            db.session.execute(
                sa.update(Comment)
                .values(version=Comment.version + 1)
                .execution_options(synchronize_session=False)
            )
        return found

    monkeypatch.setattr(revisions, "_load", load_then_race)
    assert edit(app, INSULT, T0).revision == 2
    assert len(loads) == 2
    assert [r[0] for r in revision_rows(app, comment_id)] == [1, 2]


@pytest.mark.usefixtures("site")
def test_a_revision_number_is_stored_once(app: Flask) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    edit(app, INSULT, T0)
    with app.app_context():
        db.session.add(CommentRevision(comment_id=comment_id, revision=2, text="x", received_at=T0))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()


@pytest.mark.usefixtures("site")
def test_concurrent_edits_each_get_their_own_revision(app: Flask) -> None:
    comment_id = submit(app, "c1", CLEAN, T0)
    texts = [CLEAN + f" (edit {n})" for n in range(4)]
    start = threading.Barrier(len(texts))
    results: list[revisions.EditResult] = []

    def run(text: str) -> None:
        start.wait()
        results.append(edit(app, text, T0))

    threads = [threading.Thread(target=run, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.revision for r in results) == [2, 3, 4, 5]
    rows = revision_rows(app, comment_id)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert sorted(r[1] for r in rows[1:]) == sorted(texts)
    assert comment_row(app, comment_id).text == rows[-1][1]


@pytest.mark.usefixtures("site")
def test_revisions_go_with_their_author(app: Flask) -> None:
    """Erasing an author (the row and, by cascade, their comments) erases every revision."""
    comment_id = submit(app, "c1", CLEAN, T0)
    edit(app, INSULT, T0)
    assert len(revision_rows(app, comment_id)) == 2
    with app.app_context():
        db.session.execute(sa.delete(Author))
        db.session.commit()
    assert revision_rows(app, comment_id) == []


THREAT = "I know where you live and I will kill you tonight."


@pytest.mark.usefixtures("site")
def test_a_heavier_rejected_edit_replaces_the_comments_strike(app: Flask) -> None:
    """One active strike per comment: an edit into a threat weighs more than the insult's
    strike, so it replaces it (and the threat's immediate block applies)."""
    comment_id = submit(app, "c1", ATTACK, T0)
    score(app, comment_id, T0)
    edit(app, THREAT, T0 + timedelta(minutes=1))
    score(app, comment_id, T0 + timedelta(minutes=2))
    with app.app_context():
        strikes = db.session.execute(sa.select(Strike).order_by(Strike.id)).scalars().all()
        assert [(s.category, s.revoked_at is None) for s in strikes] == [
            ("attack", False),
            ("threat", True),
        ]
        assert db.session.execute(sa.select(Author.status)).scalar_one() == "blocked"


@pytest.mark.usefixtures("site")
def test_an_edit_ends_a_pending_appeal_and_records_visible_changes(app: Flask) -> None:
    comment_id = submit(app, "c1", ATTACK, T0)
    score(app, comment_id, T0)
    with app.app_context():
        stored = db.session.get(Comment, comment_id)
        assert stored is not None
        review.appeal(stored, message="it was a joke", now=T0)
    edit(app, CLEAN, T0, article={"id": "a-1", "title": "Budget vote, updated"})
    edited = comment_row(app, comment_id)
    assert (edited.status, edited.appeal_state, edited.article_title) == (
        "pending",
        None,
        "Budget vote, updated",
    )
    with app.app_context():
        changes = db.session.execute(
            sa.select(CommentRevision.changes).where(CommentRevision.revision == 2)
        ).scalar_one()
        assert changes == {"article_title": "Budget vote, updated"}
