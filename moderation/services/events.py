"""Decision callbacks: an outbox of signed events, delivered at least once, in order.

Writing: :func:`emit` adds an :class:`~moderation.tables.Event` row in the same transaction
as the change it describes. After that transaction commits, a session hook (registered by
:mod:`moderation.tasks`) enqueues one ``deliver_event`` task per new event (nothing is sent
for a transaction that rolls back).

Delivering: :func:`attempt_delivery` makes one signed HTTP POST. Events sharing an
``ordering_key`` (one comment, or one author) go out strictly in order: an event waits
while an earlier one of its key is undelivered. Failures are retried with exponential
backoff by the periodic ``deliver_due_events`` task, from the database (no long ETAs sit in
the broker), for at least ``callback_retry_hours``; then the event is marked ``failed`` and
can be replayed with ``moderation events redeliver``.

Receivers de-duplicate on the event id (``X-Moderation-Event-Id`` and ``id`` in the body).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import httpx
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from moderation.config import DeliverySettings
from moderation.extensions import db
from moderation.services.callback_http import (
    Deadline,
    TargetError,
    check_url,
    delivery_client,
)
from moderation.services.kept_aside import add_or_keep_aside, kept_aside
from moderation.services.sites import current_secret
from moderation.signing import callback_headers
from moderation.tables import (
    Author,
    Comment,
    DeliveryAttempt,
    Event,
    EventStatus,
    Site,
    utcnow,
)

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "comment.decided",
    "comment.updated",
    "comment.appeal_resolved",
    "author.sanctioned",
    "author.reinstated",
    "model.promoted",  # a site model passed the gate and now scores the site
    "model.rejected",  # a retrained candidate was refused by the gate (details: the reasons)
    "report.resolved",  # readers' reports of a comment answered (details: reports, outcome)
    "complaint.resolved",  # a complaint (DSA Art. 20) decided, with the reasoned reply
)
#: Site-level events: ordered per site, about neither a comment nor an author.
SITE_EVENT_TYPES = frozenset({"model.promoted", "model.rejected"})
EVENT_ID_HEADER = "X-Moderation-Event-Id"
EVENT_TYPE_HEADER = "X-Moderation-Event-Type"
USER_AGENT = "moderation-callbacks/1"


def recent_events(
    *, site: Site | None = None, status: str | None = None, limit: int = 50
) -> list[Event]:
    """The delivery log, newest first: a site's (or every site's) events, of one status."""
    query = sa.select(Event).order_by(Event.seq.desc()).limit(limit)
    if site is not None:
        query = query.where(Event.site_id == site.id)
    if status:
        query = query.where(Event.status == status)
    return list(db.session.execute(query).scalars())


def comment_summary(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.external_id,
        "revision": comment.revision,
        "article_id": comment.article_id,
        "status": comment.status,
        "decision": comment.decision,
        "reasons": comment.reasons or [],
        "scores": comment.scores or {},
        "matches": comment.matches or [],
        "language": comment.language,
        "decided_by": comment.decided_by,
        "decided_at": comment.decided_at.isoformat() if comment.decided_at else None,
        "appeal": comment.appeal_state,
    }


def author_summary(author: Author, now: datetime) -> dict[str, Any]:
    return {
        "id": author.external_id,
        "status": author.status,
        "until": author.status_until.isoformat() if author.status_until else None,
        "active_strikes": sum(s.weight for s in author.strikes if s.active(now)),
    }


def emit(
    type_: str,
    site: Site,
    *,
    now: datetime,
    comment: Comment | None = None,
    author: Author | None = None,
    policy_version: str | None = None,
    details: dict[str, Any] | None = None,
    statement: dict[str, Any] | None = None,
) -> None:
    """Add an event to the outbox (in the caller's transaction; not committed here).

    ``statement``: the statement of reasons of the restriction the event announces
    (services/dsa.py), sent as ``statement_of_reasons``."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    event_id = f"evt_{uuid.uuid4().hex}"
    if comment is not None:
        if comment.id is None:
            db.session.flush()  # a new comment: its id names the ordering key
        ordering_key = f"comment:{comment.id}"
        author = author or comment.author
    elif author is not None:
        if author.id is None:
            db.session.flush()
        ordering_key = f"author:{author.id}"
    elif type_ in SITE_EVENT_TYPES:
        ordering_key = f"site:{site.id}"
    else:
        raise ValueError("an event needs a comment or an author")
    payload: dict[str, Any] = {
        "id": event_id,
        "type": type_,
        "created_at": now.isoformat(),
        "site": site.name,
        "policy_version": policy_version or (comment.policy_version if comment else None),
    }
    if comment is not None:
        payload["comment"] = comment_summary(comment)
    if author is not None:
        payload["author"] = author_summary(author, now)
    if details:
        payload["details"] = details
    if statement is not None:
        payload["statement_of_reasons"] = statement
    row = {
        "event_id": event_id,
        "site_id": site.id,
        "type": type_,
        "ordering_key": ordering_key,
        "comment_id": comment.id if comment is not None else None,
        "author_id": author.id if author is not None else None,
        "payload": payload,
        "created_at": now,
        "retry_since": now,
        "status": EventStatus.PENDING if site.callback_url else EventStatus.SKIPPED,
        "next_attempt_at": now if site.callback_url else None,
    }
    add_or_keep_aside(_TOGETHER_KEY, Event, row)  # in emitted_together(): at its end


_TOGETHER_KEY = "moderation.events.together"


@contextmanager
def emitted_together() -> Iterator[None]:
    """Within, the events :func:`emit` makes are kept aside, and on leaving (without an
    error) inserted in the order they were made (their ``seq`` in that order), in one
    statement — a batch of decisions (services/decisions.py) emits many — and the pending
    ones go into the session's outbox like any other, to be enqueued after the commit."""
    with kept_aside(_TOGETHER_KEY, []) as together:
        yield
    if not together:
        return
    seqs = db.session.execute(
        sa.insert(Event.__table__).returning(Event.seq, sort_by_parameter_order=True), together
    ).scalars()
    outbox = _outbox(db.session())
    for seq, row in zip(seqs, together, strict=True):
        if row["status"] == EventStatus.PENDING:
            outbox.append(seq)


def site_notice(*, comment_id: int | None = None, author_id: int | None = None) -> str:
    """What becomes of the events of a moderator's action on a comment or an author, for the
    dashboard to say truthfully: queued for the site's callback URL, or not sent because the
    site has none. Reads only the site (the comment or author is not loaded)."""
    query = sa.select(Site)
    if comment_id is not None:
        query = query.join(Comment, Comment.site_id == Site.id).where(Comment.id == comment_id)
    else:
        query = query.join(Author, Author.site_id == Site.id).where(Author.id == author_id)
    site = db.session.execute(query).scalar_one_or_none()
    if site is None:
        return "the site was not notified"
    if site.callback_url:
        return f"{site.name} will be notified"
    return f"{site.name} has no callback URL configured, so it was not notified"


# --- the outbox: events committed, for moderation.tasks to enqueue --------------------
# These hooks only collect the new events of a transaction. ``moderation.tasks`` (registered
# by ``celery_init_app``) enqueues them after the commit, as Celery's ``delay_on_commit``
# does, so this module never talks to the queue.

OUTBOX_KEY = "moderation.outbox"


def _outbox(session: Session) -> list[Event | int]:
    """The transaction's new pending events: rows added to the session, or the ``seq`` of
    those inserted together (:func:`emitted_together`)."""
    pending: list[Event | int] = session.info.setdefault(OUTBOX_KEY, [])
    return pending


@sa_event.listens_for(Session, "before_flush")
def _collect_new_events(session: Session, _ctx: object, _instances: object) -> None:
    for obj in session.new:
        if isinstance(obj, Event) and obj.status == EventStatus.PENDING:
            _outbox(session).append(obj)


def take_committed(session: Session) -> list[int]:
    """The sequence numbers of the events ``session`` has just committed (once each)."""
    seqs: list[int] = []
    for row in session.info.pop(OUTBOX_KEY, []):
        if isinstance(row, int):
            seqs.append(row)
            continue
        identity = sa.inspect(row).identity
        if identity is not None:
            seqs.append(identity[0])
    return seqs


@sa_event.listens_for(Session, "after_rollback")
def _forget_rolled_back_events(session: Session) -> None:
    session.info.pop(OUTBOX_KEY, None)


# --- delivery ---------------------------------------------------------------------------


def backoff(attempts: int, settings: DeliverySettings) -> timedelta:
    """Delay before the next attempt after ``attempts`` failures: base·2^(n-1), capped."""
    seconds = settings.backoff_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.backoff_max_seconds))


def _blocked_by_earlier(row: Event) -> bool:
    earlier = db.session.execute(
        sa.select(sa.func.count(Event.seq)).where(
            Event.ordering_key == row.ordering_key,
            Event.seq < row.seq,
            Event.status == EventStatus.PENDING,
        )
    ).scalar_one()
    return bool(earlier)


def _claim(seq: int, now: datetime, settings: DeliverySettings) -> bool:
    """Take a lease on the event so concurrent workers never send it at the same time."""
    result = db.session.execute(
        sa.update(Event)
        .where(
            Event.seq == seq,
            Event.status == EventStatus.PENDING,
            sa.or_(Event.lease_until.is_(None), Event.lease_until < now),
        )
        .values(lease_until=now + timedelta(seconds=settings.lease_seconds))
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def next_in_line(row: Event) -> int | None:
    """The next undelivered event of the same ordering key, if any."""
    seq: int | None = db.session.execute(
        sa.select(Event.seq)
        .where(
            Event.ordering_key == row.ordering_key,
            Event.seq > row.seq,
            Event.status == EventStatus.PENDING,
        )
        .order_by(Event.seq)
        .limit(1)
    ).scalar_one_or_none()
    return seq


class Attempt(NamedTuple):
    """What one delivery attempt did, and the event to enqueue next (if any)."""

    #: ``delivered``, ``retry``, ``failed``, ``waiting`` (an earlier event of the same key is
    #: undelivered), ``busy`` (another worker holds it), ``done`` (nothing to do).
    outcome: str
    #: The next event of the same ordering key, now free to go (after ``delivered``).
    following: int | None = None


def attempt_delivery(
    seq: int, *, settings: DeliverySettings, now: datetime | None = None
) -> Attempt:
    """One delivery attempt for event ``seq``: what happened (for logs and tests), and the
    event the caller (``moderation.tasks.deliver_event``) enqueues next.

    The attempt as a whole — connecting, sending, the receiver's complete answer — ends
    within ``settings.timeout_seconds``: a receiver that stalls or trickles its answer gets
    a timeout failure (retried later), never a worker held indefinitely."""
    now = now or utcnow()
    row = db.session.get(Event, seq)
    if row is None or row.status != EventStatus.PENDING:
        db.session.rollback()
        return Attempt("done")
    if _blocked_by_earlier(row):
        db.session.rollback()
        return Attempt("waiting")
    if not _claim(seq, now, settings):
        return Attempt("busy")
    row = db.session.get(Event, seq)
    assert row is not None
    site = row.site
    url = site.callback_url
    if not url:
        row.status, row.lease_until = EventStatus.SKIPPED, None
        db.session.commit()
        return Attempt("done")
    body = json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: row.event_id,
        EVENT_TYPE_HEADER: row.type,
        **callback_headers(current_secret(site), body, url, min_version=site.signature_min_version),
    }
    event_id = row.event_id
    db.session.rollback()  # no transaction stays open during the HTTP call

    started = time.monotonic()
    status_code, error = post_event(url, body, headers, settings)
    elapsed_ms = (time.monotonic() - started) * 1000

    finished = utcnow()
    row = db.session.get(Event, seq)
    assert row is not None
    row.attempts += 1
    row.last_attempt_at = finished
    row.last_status_code = status_code
    row.last_error = error
    row.lease_until = None
    db.session.add(
        DeliveryAttempt(
            event_seq=seq,
            attempted_at=finished,
            url=url,
            status_code=status_code,
            error=error,
            duration_ms=round(elapsed_ms, 1),
        )
    )
    if error is None:
        row.status = EventStatus.DELIVERED
        row.delivered_at = finished
        row.next_attempt_at = None
        following = next_in_line(row)
        outcome = "delivered"
    elif finished - row.retry_since >= timedelta(hours=settings.retry_hours):
        row.status = EventStatus.FAILED
        row.next_attempt_at = None
        following = None
        outcome = "failed"
    else:
        row.next_attempt_at = finished + backoff(row.attempts, settings)
        following = None
        outcome = "retry"
    db.session.commit()
    log.info(
        "callback attempt",
        extra={
            "event_id": event_id,
            "event_seq": seq,
            "outcome": outcome,
            "status_code": status_code,
        },
    )
    return Attempt(outcome, following)


def post_event(
    url: str, body: bytes, headers: dict[str, str], settings: DeliverySettings
) -> tuple[int | None, str | None]:
    """POST one event within the attempt's deadline: (status code, error or None).

    At most ``settings.max_response_bytes`` of the answer are read; the rest is dropped with
    the connection."""
    try:
        check_url(url, settings.targets)  # the settings may have changed since it was set
    except TargetError as exc:
        return None, f"refused: {exc}"[:500]
    deadline = Deadline(settings.timeout_seconds)
    status_code: int | None = None
    try:
        with (
            delivery_client(deadline, settings.targets) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            status_code = response.status_code
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received >= settings.max_response_bytes:
                    break
    except httpx.HTTPError as exc:
        return status_code, f"{type(exc).__name__}: {exc}"[:500]
    if not 200 <= status_code < 300:
        return status_code, f"HTTP {status_code}"
    return status_code, None


def due_events(now: datetime, limit: int = 500) -> list[int]:
    """Pending events whose next attempt is due and that are first in their ordering key."""
    earlier = sa.orm.aliased(Event)
    blocked = (
        sa.select(earlier.seq)
        .where(
            earlier.ordering_key == Event.ordering_key,
            earlier.seq < Event.seq,
            earlier.status == EventStatus.PENDING,
        )
        .exists()
    )
    rows = (
        db.session.execute(
            sa.select(Event.seq)
            .where(
                Event.status == EventStatus.PENDING,
                Event.next_attempt_at <= now,
                sa.or_(Event.lease_until.is_(None), Event.lease_until < now),
                ~blocked,
            )
            .order_by(Event.seq)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    db.session.rollback()
    return list(rows)


def redeliver(
    site: Site,
    *,
    since: datetime | None,
    until: datetime | None,
    types: Iterable[str] = (),
    statuses: Iterable[str] = (EventStatus.FAILED, EventStatus.SKIPPED, EventStatus.DELIVERED),
    now: datetime | None = None,
) -> int:
    """Queue the site's events in a time range for delivery again; returns how many."""
    now = now or utcnow()
    query = sa.update(Event).where(Event.site_id == site.id, Event.status.in_(list(statuses)))
    if since is not None:
        query = query.where(Event.created_at >= since)
    if until is not None:
        query = query.where(Event.created_at < until)
    wanted = list(types)
    if wanted:
        query = query.where(Event.type.in_(wanted))
    result = db.session.execute(
        query.values(
            status=EventStatus.PENDING, next_attempt_at=now, retry_since=now, lease_until=None
        )
    )
    db.session.commit()
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count
