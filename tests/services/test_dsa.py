"""Statements of reasons through the real services: one for every restriction, valid,
stored once, sent with the site's events and the comment record, free of personal data;
and their submission to a local fake of the Transparency Database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation import configured
from moderation.dsa.schema import StatementOfReasons
from moderation.extensions import db
from moderation.policy.schema import Sanction
from moderation.schemas import CommentIn
from moderation.services import dsa, intake, review
from moderation.services.sites import require_site
from moderation.tables import Author, Comment, DsaStatement, Event
from tests.dsa.fake_tdb import FakeTDB, running_fake
from tests.services.test_decisions import ATTACK, CLEAN, T0, score
from tests.support import comment_payload, signed

AUTHOR_ID = "reader-7f3a9"
AUTHOR_NAME = "Annabel Quigley"


def post(app: Flask, comment_id: str, text: str, now: datetime) -> int:
    with app.app_context():
        payload = CommentIn.model_validate(
            comment_payload(
                comment_id=comment_id, text=text, author={"id": AUTHOR_ID, "name": AUTHOR_NAME}
            )
        )
        stored = intake.store_comment(
            require_site("news"), payload, now, policy_version=configured.policies().default.version
        )
        return stored.id


def statements(app: Flask) -> list[DsaStatement]:
    with app.app_context():
        rows = list(db.session.execute(sa.select(DsaStatement).order_by(DsaStatement.id)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def payloads(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return list(db.session.execute(sa.select(Event.payload).order_by(Event.seq)).scalars())


def author_id(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(
            sa.select(Author.id).where(Author.external_id == AUTHOR_ID)
        ).scalar_one()


def assert_no_personal_data(text: str, *comment_texts: str) -> None:
    assert AUTHOR_ID not in text
    assert AUTHOR_NAME not in text
    for comment_text in comment_texts:
        for word in comment_text.split():
            if len(word) > 5:  # its distinctive words: none is quoted
                assert word not in text, word


def walk_every_path(app: Flask) -> dict[str, Any]:
    """Policy reject x2 (the author is then watched), a policy hold (watched author), a
    moderator reject of that held comment, a moderator reject of a published comment, a
    suspension with an end date, a block, and a reversal."""
    policies = configured.policies(app)
    first = post(app, "c1", ATTACK, T0)
    score(app, first, T0)  # policy reject
    score(app, post(app, "c2", ATTACK, T0), T0)  # policy reject -> watch (the ladder)
    held = post(app, "c3", CLEAN, T0 + timedelta(hours=1))
    score(app, held, T0 + timedelta(hours=1))  # policy hold: the author is watched
    published_author = "someone-else"
    with app.app_context():
        other = CommentIn.model_validate(
            comment_payload(comment_id="c4", text=CLEAN, author={"id": published_author})
        )
        published = intake.store_comment(
            require_site("news"), other, T0, policy_version=policies.default.version
        ).id
    score(app, published, T0)
    t = T0 + timedelta(hours=2)
    with app.app_context():
        review.reject(held, actor="moderator:ann", policies=policies, reason="attack", now=t)
        review.reject(
            published, actor="moderator:bob", policies=policies, reason="off_topic", now=t
        )
        review.sanction_author(
            author_id(app),
            Sanction.SUSPEND,
            actor="moderator:ann",
            policies=policies,
            reason="repeated insults",
            days=7,
            now=t + timedelta(minutes=1),
        )
        review.sanction_author(
            author_id(app),
            Sanction.BLOCK,
            actor="moderator:ann",
            policies=policies,
            reason="threats",
            now=t + timedelta(minutes=2),
        )
        review.approve(
            first, actor="moderator:cat", policies=policies, now=t + timedelta(minutes=3)
        )
    return {"first": first, "held": held, "published": published}


@pytest.mark.usefixtures("site")
def test_every_decision_path_gets_a_valid_statement(app: Flask) -> None:
    walk_every_path(app)
    rows = statements(app)
    kinds = [row.kind for row in rows]
    assert kinds.count("content_removed") == 4  # c1, c2 by policy; c3, c4 by moderators
    assert kinds.count("content_disabled") == 1  # c3 held
    assert kinds.count("account_watched") == 1
    # the moderator's reject of c3 was a third strike: the ladder suspended, then the
    # moderator suspended again
    assert kinds.count("account_suspended") == 2
    assert kinds.count("account_terminated") == 1
    assert len({row.puid for row in rows}) == len(rows)
    for row in rows:
        StatementOfReasons.model_validate(row.statement)
        assert_no_personal_data(json.dumps(row.statement), ATTACK, CLEAN)
    by_kind = {row.kind: row.statement for row in rows}
    assert by_kind["account_suspended"]["end_date_account_restriction"] == "2026-11-08"
    assert by_kind["account_watched"]["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert by_kind["account_terminated"]["automated_decision"] == (
        "AUTOMATED_DECISION_NOT_AUTOMATED"
    )
    removed = [row.statement for row in rows if row.kind == "content_removed"]
    assert [s["automated_decision"] for s in removed] == [
        "AUTOMATED_DECISION_FULLY",
        "AUTOMATED_DECISION_FULLY",
        "AUTOMATED_DECISION_NOT_AUTOMATED",  # the held comment: held for the watch, no score
        "AUTOMATED_DECISION_NOT_AUTOMATED",
    ]
    assert removed[0]["automated_detection"] == "Yes"
    assert removed[3]["category_specification_other"] == "off topic"


@pytest.mark.usefixtures("site")
def test_the_site_events_carry_the_statement(app: Flask) -> None:
    ids = walk_every_path(app)
    events = payloads(app)
    by_puid = {row.puid: row.statement for row in statements(app)}
    carried = [e for e in events if "statement_of_reasons" in e]
    assert {e["type"] for e in carried} == {
        "comment.decided",
        "comment.updated",
        "author.sanctioned",
    }
    for event in carried:
        assert by_puid[event["statement_of_reasons"]["puid"]] == event["statement_of_reasons"]
    assert len(carried) == len(by_puid)  # every stored statement was announced
    for event in events:
        if event["type"] == "author.sanctioned":
            assert "statement_of_reasons" in event
        published = event.get("comment", {}).get("status") == "published"
        if event["type"] == "author.reinstated" or published:
            assert "statement_of_reasons" not in event  # the reversal restricts nothing
    with app.app_context():
        reversed_ = db.session.get(Comment, ids["first"])
        assert reversed_ is not None and dsa.comment_statement(reversed_) is None


@pytest.mark.usefixtures("site")
def test_the_comment_record_carries_its_statement(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    score(app, post(app, "c1", ATTACK, T0), T0)
    record = client.get("/api/v1/comments/news/c1", headers=signed(site[1], b"")).json
    statement = record["statement_of_reasons"]
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    StatementOfReasons.model_validate(statement)
    score(app, post(app, "c2", CLEAN, T0), T0)
    # a second published comment of another author: no restriction, no statement
    record = client.get("/api/v1/comments/news/c2", headers=signed(site[1], b"")).json
    assert record["status"] in ("published", "held")


@pytest.mark.usefixtures("site")
def test_a_statement_is_stored_once_per_restriction(app: Flask) -> None:
    comment = post(app, "c1", ATTACK, T0)
    score(app, comment, T0)
    with app.app_context():
        row = db.session.get(Comment, comment)
        assert row is not None
        dsa.for_comment(row, now=T0)  # again, e.g. a replay
        db.session.commit()
    assert len(statements(app)) == 1


# --- submission --------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeTDB]:
    with running_fake() as server:
        yield server


def many_statements(app: Flask, count: int) -> None:
    """``count`` stored statements for site news, made by the real builder."""
    with app.app_context():
        site = require_site("news")
        author = db.session.execute(
            sa.select(Author).where(Author.external_id == AUTHOR_ID)
        ).scalar_one_or_none()
        if author is None:
            author = Author(site_id=site.id, external_id=AUTHOR_ID, name=AUTHOR_NAME)
            db.session.add(author)
            db.session.flush()
        for n in range(count):
            comment = Comment(
                site_id=site.id,
                external_id=f"m{n}",
                author_id=author.id,
                article_id="a-1",
                text=f"{ATTACK} number {n}",
                received_at=T0,
                status="rejected",
                decision="reject",
                auto_decision="reject",
                reasons=[{"code": "category_score", "outcome": "reject", "category": "attack"}],
                decided_by="policy",
                decided_at=T0 + timedelta(seconds=n),
            )
            db.session.add(comment)
            db.session.flush()
            dsa.for_comment(comment, now=T0)
        db.session.commit()


def config(fake: FakeTDB, **changes: Any) -> dsa.SubmitConfig:
    return dsa.SubmitConfig(url=fake.url, token=fake.token, backoff_seconds=0.0, **changes)


def run(app: Flask, fake: FakeTDB, **changes: Any) -> dsa.SubmitReport:
    with app.app_context():
        return dsa.submit(
            require_site("news"), config(fake, **changes), now=lambda: T0, sleep=lambda _s: None
        )


@pytest.mark.usefixtures("site")
def test_submission_in_batches_of_at_most_100_and_each_statement_once(
    app: Flask, fake: FakeTDB
) -> None:
    many_statements(app, 230)
    report = run(app, fake)
    assert (report.sent, report.batches, report.refused, report.failed) == (230, 3, {}, 0)
    assert [len(b["statements"]) for b in fake.bodies] == [100, 100, 30]
    assert len(fake.stored) == 230
    again = run(app, fake)  # a second run sends nothing
    assert (again.sent, again.batches) == (0, 0)
    assert len(fake.bodies) == 3
    many_statements_more = 5
    with app.app_context():
        assert all(
            r.submitted_at == T0 for r in db.session.execute(sa.select(DsaStatement)).scalars()
        )
    assert many_statements_more == 5


@pytest.mark.usefixtures("site")
def test_a_batch_of_more_than_100_is_never_sent(app: Flask, fake: FakeTDB) -> None:
    many_statements(app, 150)
    report = run(app, fake, batch_size=500)  # clamped to the documented maximum
    assert report.sent == 150
    assert max(len(b["statements"]) for b in fake.bodies) == 100


@pytest.mark.usefixtures("site")
def test_a_5xx_is_retried_and_nothing_is_sent_twice(app: Flask, fake: FakeTDB) -> None:
    many_statements(app, 3)
    fake.fail_next = [503]
    waits: list[float] = []
    with app.app_context():
        report = dsa.submit(
            require_site("news"),
            dsa.SubmitConfig(url=fake.url, token=fake.token, backoff_seconds=0.5),
            now=lambda: T0,
            sleep=waits.append,
        )
    assert report.sent == 3
    assert len(fake.raw_bodies) == 2  # the failed attempt, then the accepted one
    assert waits == [0.5]
    assert len(fake.stored) == 3


@pytest.mark.usefixtures("site")
def test_a_database_that_stays_down_leaves_the_statements_for_the_next_run(
    app: Flask, fake: FakeTDB
) -> None:
    many_statements(app, 2)
    fake.fail_next = [500, 502, 503]
    report = run(app, fake, retries=2)
    assert (report.sent, report.failed) == (0, 2)
    rows = statements(app)
    assert all(r.submitted_at is None and r.attempts == 1 for r in rows)
    assert all("gave up after 3 attempt(s): HTTP 503" in (r.last_error or "") for r in rows)
    assert run(app, fake).sent == 2  # next run


@pytest.mark.usefixtures("site")
def test_a_refused_statement_is_recorded_and_the_others_still_go(app: Flask, fake: FakeTDB) -> None:
    many_statements(app, 3)
    with app.app_context():
        bad = (
            db.session.execute(sa.select(DsaStatement).order_by(DsaStatement.id)).scalars().first()
        )
        assert bad is not None
        bad.statement = {**bad.statement, "category": "RUDENESS"}
        db.session.commit()
        bad_puid = bad.puid
    report = run(app, fake)
    assert report.sent == 2
    assert list(report.refused) == [bad_puid]
    assert "category" in report.refused[bad_puid]
    row = next(r for r in statements(app) if r.puid == bad_puid)
    assert row.submitted_at is None and (row.last_error or "").startswith("refused: category")


@pytest.mark.usefixtures("site")
def test_a_statement_already_in_the_database_counts_as_sent(app: Flask, fake: FakeTDB) -> None:
    many_statements(app, 2)
    first = statements(app)[0]
    fake.stored[first.puid] = first.statement  # sent before, its record lost
    report = run(app, fake)
    assert (report.sent, report.refused) == (2, {})
    assert all(r.submitted_at is not None for r in statements(app))


@pytest.mark.usefixtures("site")
def test_no_personal_data_in_any_request_body(app: Flask, fake: FakeTDB) -> None:
    walk_every_path(app)
    many_statements(app, 5)
    run(app, fake)
    assert fake.raw_bodies
    for raw in fake.raw_bodies:
        text = raw.decode()
        assert_no_personal_data(text, ATTACK, CLEAN)
        assert "someone-else" not in text
        for statement in json.loads(text)["statements"]:
            StatementOfReasons.model_validate(statement)


@pytest.mark.usefixtures("site")
def test_a_wrong_token_is_refused_and_reported(app: Flask, fake: FakeTDB) -> None:
    many_statements(app, 1)
    with app.app_context():
        report = dsa.submit(
            require_site("news"),
            dsa.SubmitConfig(url=fake.url, token="wrong", backoff_seconds=0),
            now=lambda: T0,
        )
    assert report.sent == 0 and len(report.refused) == 1
    assert "HTTP 401" in next(iter(report.refused.values()))


def test_only_https_or_this_machine() -> None:
    with pytest.raises(dsa.SubmissionError, match="https"):
        dsa.check_api_url("http://tdb.example/api/v1/statements")
    assert dsa.check_api_url("http://127.0.0.1:9/api/v1/statements")


@pytest.mark.usefixtures("site")
def test_an_upheld_appeal_makes_no_second_statement(
    app: Flask, client: FlaskClient, site: tuple[str, str]
) -> None:
    rejected = post(app, "c1", ATTACK, T0)
    score(app, rejected, T0)
    body = b'{"message": "I was quoting someone else."}'
    answer = client.post(
        "/api/v1/comments/news/c1/appeal", data=body, headers=signed(site[1], body)
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "held"  # back in the queue, still removed for readers
    removal = answer.json["statement_of_reasons"]
    assert removal["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    with app.app_context():
        review.reject(
            rejected, actor="moderator:ann", policies=configured.policies(), reason="attack", now=T0
        )
    assert [row.kind for row in statements(app)] == ["content_removed"]
    resolved = payloads(app)[-1]
    assert resolved["type"] == "comment.appeal_resolved"
    assert "statement_of_reasons" not in resolved


@pytest.mark.usefixtures("site")
def test_a_notice_naming_a_law_gives_the_illegal_content_ground(app: Flask) -> None:
    comment = post(app, "c1", CLEAN, T0)
    score(app, comment, T0)
    policies = configured.policies(app)
    with app.app_context():
        row = db.session.get(Comment, comment)
        assert row is not None
        dsa.note_notice(
            row, legal_ground=dsa.LegalGround("§ 185 StGB (insult)", "Insults a named person.")
        )
        review.reject(comment, actor="moderator:ann", policies=policies, reason="attack", now=T0)
    statement = statements(app)[-1].statement
    StatementOfReasons.model_validate(statement)
    assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement["illegal_content_legal_ground"] == "§ 185 StGB (insult)"
    assert statement["source_type"] == "SOURCE_ARTICLE_16"
    with app.app_context():  # forgotten after the commit: the next decision is voluntary
        assert dsa._NOTICES_KEY not in db.session.info
