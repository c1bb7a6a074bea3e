"""Deciding comments in batches (``decisions.score_comments``): the same decisions, strikes,
sanctions and events as deciding them one by one, each comment decided once."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation import configured
from moderation.extensions import db
from moderation.schemas import CommentIn
from moderation.services import decisions, intake
from moderation.services.sites import require_site
from moderation.tables import (
    AuditEntry,
    Author,
    AuthorAction,
    Comment,
    CommentRevision,
    DsaStatement,
    Event,
    Strike,
)
from tests.services.test_decisions import ATTACK, CLEAN, T0
from tests.services.test_revisions import INSULT, edit
from tests.support import comment_payload, make_site

Outcome = decisions.ScoreOutcome
DECIDE_AT = T0 + timedelta(hours=1)

#: (comment, author, text), received one second apart. u1's strikes reach a watch at c3 (its
#: c4 is then held) and a suspension at c6 (c8 is then rejected); u2 and u3 are interleaved.
SCENARIO = [
    ("c1", "u1", ATTACK),
    ("c2", "u2", CLEAN),
    ("c3", "u1", ATTACK),
    ("c4", "u1", CLEAN),
    ("c5", "u3", ATTACK),
    ("c6", "u1", ATTACK),
    ("c7", "u2", CLEAN),
    ("c8", "u1", CLEAN),
    ("c9", "u3", CLEAN),
]


def submit_to(app: Flask, site: str, comment_id: str, text: str, author: str, at: Any) -> int:
    with app.app_context():
        payload = CommentIn.model_validate(
            comment_payload(comment_id=comment_id, text=text, author={"id": author})
        )
        stored = intake.store_comment(
            require_site(site), payload, at, policy_version=configured.policies().default.version
        )
        assert stored.created
        return stored.id


def submit_scenario(app: Flask, site: str) -> list[int]:
    return [
        submit_to(app, site, cid, text, author, T0 + timedelta(seconds=n))
        for n, (cid, author, text) in enumerate(SCENARIO)
    ]


def batch(app: Flask, ids: list[int], **kwargs: Any) -> dict[int, decisions.ScoreOutcome]:
    with app.app_context():
        return decisions.score_comments(
            ids,
            pipeline=configured.pipeline(),
            policies=configured.policies(),
            now=kwargs.pop("now", DECIDE_AT),
            **kwargs,
        )


def snapshot(app: Flask, site: str) -> dict[str, Any]:
    """Everything a decision writes, keyed by external ids (not primary keys)."""
    with app.app_context():
        site_id = require_site(site).id
        comments = {c.id: c for c in db.session.execute(sa.select(Comment)).scalars()}
        authors = {a.id: a for a in db.session.execute(sa.select(Author)).scalars()}
        mine = {i for i, c in comments.items() if c.site_id == site_id}
        ext = {i: comments[i].external_id for i in mine}
        aext = {i: a.external_id for i, a in authors.items() if a.site_id == site_id}
        return {
            "comments": {
                c.external_id: (
                    c.status,
                    c.decision,
                    c.reasons,
                    c.scores,
                    c.risk,
                    c.score_attempts,
                    c.decided_by,
                    c.language,
                )
                for i, c in comments.items()
                if i in mine
            },
            "authors": {
                a.external_id: (
                    a.status,
                    a.status_until,
                    a.published_count,
                    a.held_count,
                    a.rejected_count,
                )
                for i, a in authors.items()
                if i in aext
            },
            "strikes": sorted(
                (aext[s.author_id], ext[s.comment_id], s.category, s.weight, s.revoked_at)
                for s in db.session.execute(sa.select(Strike)).scalars()
                if s.author_id in aext
            ),
            "actions": [
                (aext[a.author_id], a.from_status, a.to_status, ext.get(a.comment_id))
                for a in db.session.execute(sa.select(AuthorAction).order_by(AuthorAction.id))
                .scalars()
                .all()
                if a.author_id in aext
            ],
            "events": [
                (e.type, ext.get(e.comment_id), aext.get(e.author_id))
                for e in db.session.execute(sa.select(Event).order_by(Event.seq)).scalars()
                if e.site_id == site_id
            ],
            "audit": [
                (a.action, a.target_id)
                for a in db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id))
                .scalars()
                .all()
                if a.site_id == site_id and a.actor == "policy"
            ],
        }


@pytest.mark.usefixtures("site")
def test_a_batch_decides_as_one_by_one_would_strikes_and_sanctions_included(app: Flask) -> None:
    make_site(app, "other")
    one_ids = submit_scenario(app, "news")
    batch_ids = submit_scenario(app, "other")
    for comment_id in one_ids:  # one by one, in the order received
        with app.app_context():
            outcome = decisions.score_comment(
                comment_id,
                pipeline=configured.pipeline(),
                policies=configured.policies(),
                now=DECIDE_AT,
            )
        assert outcome is Outcome.DECIDED
    shuffled = [*reversed(batch_ids[::2]), *batch_ids[1::2]]  # the order given is irrelevant
    assert batch(app, shuffled) == dict.fromkeys(batch_ids, Outcome.DECIDED)

    one, batched = snapshot(app, "news"), snapshot(app, "other")
    assert batched == one
    # The scenario does what it says: a watch, then a suspension, mid-batch.
    assert [a[1:3] for a in batched["actions"]] == [("active", "watched"), ("watched", "suspended")]
    assert batched["comments"]["c4"][1] == "hold"
    assert batched["comments"]["c8"][1] == "reject"
    assert batched["authors"]["u1"][2:] == (0, 1, 4)
    # Each sanction's event follows the decision that caused it.
    events = batched["events"]
    sanctions = [n for n, e in enumerate(events) if e[0] == "author.sanctioned"]
    causes = [events.index(("comment.decided", c, "u1")) for c in ("c3", "c6")]
    assert len(sanctions) == 2
    assert all(cause < sanction for cause, sanction in zip(causes, sanctions, strict=True))


@pytest.mark.usefixtures("site")
def test_duplicates_decided_ids_and_missing_ids_are_each_reported_and_decided_once(
    app: Flask,
) -> None:
    first = submit_to(app, "news", "c1", ATTACK, "u1", T0)
    second = submit_to(app, "news", "c2", CLEAN, "u2", T0)
    assert batch(app, [second]) == {second: Outcome.DECIDED}

    outcomes = batch(app, [first, first, second, 999_999, first])
    assert outcomes == {
        first: Outcome.DECIDED,
        second: Outcome.ALREADY_DECIDED,
        999_999: Outcome.MISSING,
    }
    again = batch(app, [first, second], now=DECIDE_AT + timedelta(minutes=1))  # a re-delivery
    assert again == {first: Outcome.ALREADY_DECIDED, second: Outcome.ALREADY_DECIDED}
    with app.app_context():
        rows = db.session.execute(sa.select(Comment).order_by(Comment.id)).scalars().all()
        assert [(c.score_attempts, c.status) for c in rows] == [(1, "rejected"), (1, "published")]
        assert db.session.execute(sa.select(sa.func.count(Strike.id))).scalar_one() == 1
        decided_events = db.session.execute(
            sa.select(Event.comment_id).where(Event.type == "comment.decided")
        ).scalars()
        assert sorted(decided_events) == [first, second]
        author = db.session.execute(
            sa.select(Author).where(Author.external_id == "u1")
        ).scalar_one()
        assert author.rejected_count == 1


@pytest.mark.usefixtures("site")
def test_an_edited_comment_in_a_batch_is_decided_at_its_new_revision(app: Flask) -> None:
    comment_id = submit_to(app, "news", "c1", CLEAN, "u1", T0)
    assert batch(app, [comment_id]) == {comment_id: Outcome.DECIDED}
    edit(app, INSULT, T0 + timedelta(minutes=1))
    other = submit_to(app, "news", "c2", CLEAN, "u2", T0 + timedelta(minutes=2))

    assert batch(app, [other, comment_id], now=DECIDE_AT + timedelta(minutes=5)) == {
        comment_id: Outcome.DECIDED,
        other: Outcome.DECIDED,
    }
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment is not None
        assert (comment.revision, comment.status) == (2, "rejected")
        current = db.session.execute(
            sa.select(CommentRevision).where(
                CommentRevision.comment_id == comment_id, CommentRevision.revision == 2
            )
        ).scalar_one()
        assert (current.status, current.decision) == ("rejected", "reject")


@pytest.mark.usefixtures("site")
def test_two_concurrent_overlapping_batches_decide_each_comment_once(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks (SKIP LOCKED) need PostgreSQL: set TEST_DATABASE_URL")
    ids = [
        submit_to(app, "news", f"c{n}", ATTACK if n % 3 == 0 else CLEAN, f"u{n % 4}", T0)
        for n in range(40)
    ]
    start = threading.Barrier(2)
    results: list[dict[int, decisions.ScoreOutcome]] = []
    errors: list[BaseException] = []

    def run(order: list[int]) -> None:
        try:
            start.wait(timeout=30)
            results.append(batch(app, order))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(ids,)),
        threading.Thread(target=run, args=(list(reversed(ids[10:])),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(results) == 2
    decided = [i for r in results for i, o in r.items() if o is Outcome.DECIDED]
    assert sorted(decided) == sorted(ids)  # each by exactly one of the two
    # The other batch found a comment decided or skipped it as locked: never decided twice.
    for r in results:
        assert set(r.values()) <= {Outcome.DECIDED, Outcome.ALREADY_DECIDED, Outcome.LOCKED}
    with app.app_context():
        attempts = db.session.execute(sa.select(Comment.score_attempts)).scalars().all()
        assert attempts == [1] * 40
        events = db.session.execute(
            sa.select(sa.func.count(Event.seq)).where(Event.type == "comment.decided")
        ).scalar_one()
        assert events == 40
        counted = db.session.execute(
            sa.select(
                sa.func.sum(Author.published_count + Author.held_count + Author.rejected_count)
            )
        ).scalar_one()
        assert counted == 40


def _without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


def rows(app: Flask, site: str) -> dict[str, Any]:
    """Every row a decision writes, in full and in id order, with what names the site or a
    row id (the site's name, event ids, puids, ordering keys) left out or made external."""
    with app.app_context():
        site_id = require_site(site).id
        ext = dict(
            db.session.execute(
                sa.select(Comment.id, Comment.external_id).where(Comment.site_id == site_id)
            ).all()
        )
        aext = dict(
            db.session.execute(
                sa.select(Author.id, Author.external_id).where(Author.site_id == site_id)
            ).all()
        )

        def payload(p: dict[str, Any]) -> dict[str, Any]:
            out = _without(p, "id", "site")
            if "statement_of_reasons" in out:
                out["statement_of_reasons"] = _without(out["statement_of_reasons"], "puid")
            return out

        skip = {"id", "site_id", "author_id", "external_id", "text"}
        comments = db.session.execute(
            sa.select(Comment).where(Comment.site_id == site_id).order_by(Comment.id)
        ).scalars()
        return {
            "comments": [
                {
                    **{c.key: getattr(x, c.key) for c in Comment.__table__.c if c.key not in skip},
                    "external_id": x.external_id,
                }
                for x in comments
            ],
            "events": [
                (
                    e.type,
                    e.ordering_key.split(":")[0],
                    ext.get(e.comment_id),
                    aext.get(e.author_id),
                    payload(e.payload),
                    e.created_at,
                    e.status,
                )
                for e in db.session.execute(
                    sa.select(Event).where(Event.site_id == site_id).order_by(Event.seq)
                ).scalars()
            ],
            "audit": [
                (a.actor, a.action, a.target_type, a.target_id, a.details, a.created_at)
                for a in db.session.execute(
                    sa.select(AuditEntry)
                    .where(AuditEntry.site_id == site_id, AuditEntry.actor == "policy")
                    .order_by(AuditEntry.id)
                ).scalars()
            ],
            "statements": [
                (
                    s.kind,
                    ext.get(s.comment_id),
                    aext.get(s.author_id),
                    s.created_at,
                    _without(s.statement, "puid"),
                )
                for s in db.session.execute(
                    sa.select(DsaStatement)
                    .where(DsaStatement.site_id == site_id)
                    .order_by(DsaStatement.id)
                ).scalars()
            ],
            "strikes": [
                (
                    aext[s.author_id],
                    ext.get(s.comment_id),
                    s.category,
                    s.weight,
                    s.created_at,
                    s.expires_at,
                    s.created_by,
                    s.revoked_at,
                    s.revoked_by,
                )
                for s in db.session.execute(sa.select(Strike).order_by(Strike.id)).scalars()
                if s.author_id in aext
            ],
            "actions": [
                (
                    aext[a.author_id],
                    a.from_status,
                    a.to_status,
                    a.until,
                    a.actor,
                    a.reason,
                    ext.get(a.comment_id),
                    a.created_at,
                )
                for a in db.session.execute(
                    sa.select(AuthorAction).order_by(AuthorAction.id)
                ).scalars()
                if a.author_id in aext
            ],
        }


@pytest.mark.usefixtures("site")
def test_a_batch_writes_the_same_rows_as_one_by_one_decisions(app: Flask) -> None:
    """Row for row and in the same order: comments, events (payloads included), audit
    entries, statements of reasons, strikes and author actions."""
    make_site(app, "other")
    one_ids = submit_scenario(app, "news")
    batch_ids = submit_scenario(app, "other")
    for comment_id in one_ids:
        with app.app_context():
            decisions.score_comment(
                comment_id,
                pipeline=configured.pipeline(),
                policies=configured.policies(),
                now=DECIDE_AT,
            )
    assert batch(app, batch_ids) == dict.fromkeys(batch_ids, Outcome.DECIDED)

    one, batched = rows(app, "news"), rows(app, "other")
    assert batched == one
    # The comparison covers what the scenario writes: statements for comments and sanctions.
    assert {s[0] for s in batched["statements"]} >= {"content_removed", "account_watched"}
    assert len(batched["events"]) == len(SCENARIO) + 2
