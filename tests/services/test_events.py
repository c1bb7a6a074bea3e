"""Callback delivery against a real local HTTP receiver: signing, retries, order, dedupe."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_network
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.config import DeliverySettings
from moderation.extensions import db
from moderation.services import events
from moderation.services.callback_http import TargetPolicy
from moderation.services.events import attempt_delivery, due_events
from moderation.services.sites import require_site
from moderation.tables import DeliveryAttempt, Event, utcnow
from tests.services.test_decisions import ATTACK, score, submit
from tests.support import LOCAL_RECEIVER, Receiver, StallingReceiver, set_callback_url

# Delivery measures its retry window against the real clock, so events are created "now".
T0 = utcnow()
LOCAL = TargetPolicy(allow_http=True, allowed_networks=(ip_network("127.0.0.1/32"),))
FAST = DeliverySettings(
    timeout_seconds=5, backoff_base_seconds=10, backoff_max_seconds=3600, targets=LOCAL
)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    """The receivers here listen on 127.0.0.1 over http: allowed explicitly."""
    return {**settings_overrides, **LOCAL_RECEIVER}


@pytest.fixture
def wired(app: Flask, site: tuple[str, str], receiver: Receiver) -> tuple[str, Receiver]:
    with app.app_context():
        set_callback_url(require_site("news"), receiver.url, actor="test")
    return site[1], receiver


def events_of(app: Flask) -> list[Event]:
    with app.app_context():
        rows = db.session.execute(sa.select(Event).order_by(Event.seq)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def deliver(app: Flask, seq: int, when: object = None) -> str:
    with app.app_context():
        return attempt_delivery(seq, settings=FAST, now=when).outcome  # type: ignore[arg-type]


def test_decision_and_sanction_events_are_written_with_the_change(
    app: Flask, wired: tuple[str, Receiver]
) -> None:
    for n in (1, 2):
        score(app, submit(app, f"c{n}", ATTACK, T0), T0)
    rows = events_of(app)
    assert [r.type for r in rows] == ["comment.decided", "comment.decided", "author.sanctioned"]
    sanction = rows[2].payload
    assert sanction["author"]["status"] == "watched"
    assert sanction["details"]["comment_id"] == "c2"
    decided = rows[0].payload
    assert decided["comment"]["decision"] == "reject"
    assert decided["comment"]["reasons"]
    assert decided["comment"]["scores"]
    assert decided["policy_version"].startswith("default-")
    assert decided["id"] == rows[0].event_id and decided["id"].startswith("evt_")


def test_signed_delivery_with_retries_in_order(app: Flask, wired: tuple[str, Receiver]) -> None:
    secret, receiver = wired
    receiver.fail_first = 2
    score(app, submit(app, "c1", ATTACK, T0), T0)
    with app.app_context():  # a moderator changes the outcome: a second event, same comment
        from moderation import configured
        from moderation.services import review

        review.approve(1, actor="moderator:ann", policies=configured.policies(), now=T0)
    first, second = events_of(app)
    assert (first.type, second.type) == ("comment.decided", "comment.updated")

    assert deliver(app, second.seq) == "waiting"  # never before the earlier event
    assert receiver.attempts == []
    assert deliver(app, first.seq) == "retry"
    now = utcnow()
    row = events_of(app)[0]
    assert row.attempts == 1 and row.last_status_code == 503
    assert row.next_attempt_at is not None and row.next_attempt_at > now
    with app.app_context():
        assert due_events(now) == []
        later = row.next_attempt_at + timedelta(seconds=1)
        assert due_events(later) == [first.seq]  # the second waits behind the first

    while events_of(app)[0].status == "pending":
        deliver(app, first.seq, events_of(app)[0].next_attempt_at)
    assert deliver(app, second.seq) == "delivered"
    delivered = receiver.verified_events(secret)
    assert [e["id"] for e in delivered] == [first.event_id, second.event_id]
    assert [e["type"] for e in delivered] == ["comment.decided", "comment.updated"]
    assert receiver.accepted[0].headers["X-Moderation-Event-Id"] == first.event_id
    with app.app_context():
        log = db.session.execute(sa.select(DeliveryAttempt)).scalars().all()
        assert [a.status_code for a in log] == [503, 503, 204, 204]
    # Delivered events are not sent again.
    assert deliver(app, first.seq) == "done"
    assert len(receiver.accepted) == 2


def test_gives_up_after_the_retry_window_and_redelivers_on_request(
    app: Flask, wired: tuple[str, Receiver]
) -> None:
    secret, receiver = wired
    receiver.fail_first = 10_000
    score(app, submit(app, "c1", ATTACK, T0), T0)
    (row,) = events_of(app)
    settings = DeliverySettings(backoff_base_seconds=1, retry_hours=24, targets=LOCAL)
    with app.app_context():
        db.session.execute(sa.update(Event).values(retry_since=utcnow() - timedelta(hours=25)))
        db.session.commit()
        assert attempt_delivery(row.seq, settings=settings).outcome == "failed"
    assert events_of(app)[0].status == "failed"
    receiver.fail_first = 0
    receiver.attempts.clear()
    with app.app_context():
        count = events.redeliver(require_site("news"), since=None, until=None)
    assert count == 1
    assert deliver(app, row.seq) == "delivered"
    assert [e["id"] for e in receiver.verified_events(secret)] == [row.event_id]


def test_no_callback_url_means_skipped(app: Flask, site: tuple[str, str]) -> None:
    score(app, submit(app, "c1", ATTACK, T0), T0)
    assert {r.status for r in events_of(app)} == {"skipped"}
    with app.app_context():
        assert due_events(utcnow() + timedelta(days=1)) == []


def test_unreachable_receiver_is_logged(app: Flask, site: tuple[str, str]) -> None:
    with app.app_context():
        set_callback_url(require_site("news"), "http://127.0.0.1:9/closed", actor="test")
    score(app, submit(app, "c1", ATTACK, T0), T0)
    (row,) = events_of(app)
    assert deliver(app, row.seq) == "retry"
    row = events_of(app)[0]
    assert row.last_status_code is None
    assert row.last_error is not None and "ConnectError" in row.last_error


def test_an_attempt_ends_at_its_total_deadline_against_a_trickling_receiver(
    app: Flask, site: tuple[str, str]
) -> None:
    """The receiver answers 200 at once, then sends its 100-byte body a byte every 0.2 s: no
    per-read timeout fires, but the attempt as a whole ends at its 1 s deadline."""
    slow = StallingReceiver(interval=0.2, length=100).start()
    try:
        with app.app_context():
            set_callback_url(require_site("news"), slow.url, actor="test")
        score(app, submit(app, "c1", ATTACK, T0), T0)
        (row,) = events_of(app)
        with app.app_context():
            outcome = attempt_delivery(
                row.seq, settings=DeliverySettings(timeout_seconds=1, targets=LOCAL)
            ).outcome
            (attempt,) = db.session.execute(sa.select(DeliveryAttempt)).scalars().all()
        trickled = slow.trickled
    finally:
        slow.stop()
    assert outcome == "retry"
    assert attempt.status_code == 200  # it answered, but not in time
    assert attempt.error is not None
    assert "ReadTimeout" in attempt.error and "1 s deadline" in attempt.error
    assert attempt.duration_ms >= 1000
    # The client hung up after about 5 of the 100 bytes (1 s / 0.2 s), not at the end.
    assert slow.requests == 1 and trickled < 50
    assert events_of(app)[0].status == "pending"  # retried later
