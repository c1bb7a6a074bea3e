"""Database tables (SQLAlchemy 2.0 typed mappings).

Naming: these are *tables*; ``models/`` in this project holds trained classifier artefacts.
All timestamps are timezone-aware UTC (:class:`UTCDateTime` restores the zone SQLite drops).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from moderation.clock import utcnow as utcnow
from moderation.extensions import db
from moderation.statuses import AuthorStatus, Outcome
from moderation.statuses import CommentStatus as CommentStatus
from moderation.statuses import EventStatus as EventStatus
from moderation.statuses import LabelSource as LabelSource


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores aware datetimes; always returns them aware, in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


class Site(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    callback_url: Mapped[str | None] = mapped_column(sa.String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # integrations: the signing secret of the site's Coral external moderation phase
    # ("empsec_…", copied from Coral's admin). Stored as given: HMAC needs the key itself.
    coral_signing_secret: Mapped[str | None] = mapped_column(sa.String(128))
    # Oldest request-signature scheme accepted from the site: 1 also accepts the deprecated
    # v1 (timestamp and body only) during the transition; 2 accepts only v2 (method and path
    # bound too). See moderation.signing.
    signature_min_version: Mapped[int] = mapped_column(
        sa.SmallInteger, default=1, server_default=sa.text("1")
    )
    # Bumped by every change to the site's allow-list of names (SiteAllowEntry): a worker's
    # cached list is stale once the number it was read at differs (services/allowlist.py).
    allowlist_version: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))

    secrets: Mapped[list[SiteSecret]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="SiteSecret.id"
    )

    def valid_secrets(self, now: datetime) -> list[str]:
        """Secrets accepted now: the current one plus any still inside its rotation grace."""
        return [s.secret for s in self.secrets if s.expires_at is None or s.expires_at > now]


class SiteSecret(db.Model):  # type: ignore[name-defined,misc]
    """HMAC key shared with a site. Stored as given: HMAC verification needs the key itself."""

    __tablename__ = "site_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    secret: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship(back_populates="secrets")

    def __repr__(self) -> str:
        return f"SiteSecret(id={self.id}, site_id={self.site_id})"  # never the secret


class Author(db.Model):  # type: ignore[name-defined,misc]
    """A commenter's record on one site."""

    __tablename__ = "authors"
    __table_args__ = (sa.UniqueConstraint("site_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(
        _enum(tuple(s.value for s in AuthorStatus), "author_status"),
        default=AuthorStatus.ACTIVE.value,
    )
    status_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_by_moderator: Mapped[bool] = mapped_column(default=False)
    comments_count: Mapped[int] = mapped_column(default=0)
    published_count: Mapped[int] = mapped_column(default=0)
    held_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    strikes: Mapped[list[Strike]] = relationship(
        back_populates="author", order_by="Strike.id", cascade="all, delete-orphan"
    )
    actions: Mapped[list[AuthorAction]] = relationship(
        back_populates="author", order_by="AuthorAction.id", cascade="all, delete-orphan"
    )


class Comment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "comments"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "external_id"),
        sa.Index("ix_comments_status_received_at", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(sa.String(255))
    author_id: Mapped[int] = mapped_column(
        sa.ForeignKey("authors.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[str] = mapped_column(sa.String(255), index=True)
    article_url: Mapped[str | None] = mapped_column(sa.String(2048))
    article_title: Mapped[str | None] = mapped_column(sa.String(1000))
    parent_id: Mapped[str | None] = mapped_column(sa.String(255))
    text: Mapped[str] = mapped_column(sa.Text)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    status: Mapped[str] = mapped_column(
        _enum(CommentStatus.ALL, "comment_status"), default=CommentStatus.PENDING
    )
    decision: Mapped[str | None] = mapped_column(_enum(tuple(o.value for o in Outcome), "decision"))
    # What the policy decided automatically; ``decision`` may later be a moderator's.
    auto_decision: Mapped[str | None] = mapped_column(
        _enum(tuple(o.value for o in Outcome), "auto_decision")
    )
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    scores: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    model_scores: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    explanations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    versions: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    policy_version: Mapped[str | None] = mapped_column(sa.String(100))
    risk: Mapped[float] = mapped_column(default=0.0)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    score_attempts: Mapped[int] = mapped_column(default=0)
    # Appeals: one per comment. ``appeal_state``: pending -> upheld | overturned.
    appeal_state: Mapped[str | None] = mapped_column(
        _enum(("pending", "upheld", "overturned"), "appeal_state")
    )
    appeal_message: Mapped[str | None] = mapped_column(sa.String(2000))
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The moderator's reason code and note for their last decision on this comment.
    review_reason: Mapped[str | None] = mapped_column(sa.String(64))
    review_note: Mapped[str | None] = mapped_column(sa.String(2000))
    # Bumped by every moderator action and appeal: a compare-and-set guard, so of two people
    # acting on what they both saw, one wins and the other is told (see services/review.py).
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Edits: the number of the revision whose text ``text`` is (1: as first posted) and the
    # site's time of that edit, if it sent one. Earlier revisions are ``comment_revisions``.
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The detected language (ISO 639-1; "und" without letters) and the detector's confidence,
    # set when the comment is scored (moderation/scoring/language.py); NULL before that.
    language: Mapped[str | None] = mapped_column(sa.String(8), index=True)
    language_confidence: Mapped[float | None] = mapped_column(sa.Float)

    site: Mapped[Site] = relationship()
    author: Mapped[Author] = relationship()
    revisions: Mapped[list[CommentRevision]] = relationship(
        back_populates="comment",
        order_by="CommentRevision.revision",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CommentRevision(db.Model):  # type: ignore[name-defined,misc]
    """One text of an edited comment and what was decided about it.

    Written when a comment is first edited (revision 1: the text as first posted, with its
    final decision) and at every later edit. The current revision's row mirrors the comment
    (``Comment.revision``); the comment row stays authoritative for it. Unique per
    (comment, revision), so two concurrent edits cannot both become revision n. Goes with its
    comment (``ON DELETE CASCADE``), and so with its author.
    """

    __tablename__ = "comment_revisions"
    __table_args__ = (sa.UniqueConstraint("comment_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    # Author-visible fields other than the text that this revision changed: name -> new value.
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(
        _enum(CommentStatus.ALL, "revision_status"), default=CommentStatus.PENDING
    )
    decision: Mapped[str | None] = mapped_column(
        _enum(tuple(o.value for o in Outcome), "revision_decision")
    )
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    scores: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    policy_version: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))

    comment: Mapped[Comment] = relationship(back_populates="revisions")


class Strike(db.Model):  # type: ignore[name-defined,misc]
    """One rejected comment counted against its author, until it expires or is revoked."""

    __tablename__ = "strikes"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(
        sa.ForeignKey("authors.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(16))
    weight: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(sa.String(100))

    author: Mapped[Author] = relationship(back_populates="strikes")

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class AuthorAction(db.Model):  # type: ignore[name-defined,misc]
    """A change of an author's status: who or what caused it, and why."""

    __tablename__ = "author_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(
        sa.ForeignKey("authors.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Author] = relationship(back_populates="actions")


class Event(db.Model):  # type: ignore[name-defined,misc]
    """An outbox row: a notification for the site, written in the same transaction as the
    change it describes and delivered afterwards (at least once, in order per ``ordering_key``).
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_events_ordering_key_seq", "ordering_key", "seq"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    ordering_key: Mapped[str] = mapped_column(sa.String(64))
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("authors.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(_enum(EventStatus.ALL, "event_status"))
    attempts: Mapped[int] = mapped_column(default=0)
    # Retries continue until ``retry_since`` + the retry window; a redelivery resets it.
    retry_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()
    deliveries: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="event", order_by="DeliveryAttempt.id", cascade="all, delete-orphan"
    )


class DeliveryAttempt(db.Model):  # type: ignore[name-defined,misc]
    """One HTTP attempt to deliver an event: the delivery log."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_seq: Mapped[int] = mapped_column(
        sa.ForeignKey("events.seq", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    url: Mapped[str] = mapped_column(sa.String(2048))
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))
    duration_ms: Mapped[float] = mapped_column(default=0.0)

    event: Mapped[Event] = relationship(back_populates="deliveries")


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """Every automatic and human action: decisions, sanctions, logins, site and policy changes."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(100), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    site_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(255))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class User(db.Model):  # type: ignore[name-defined,misc]
    """A dashboard account (moderator or admin)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(_enum(("moderator", "admin"), "user_role"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's id: moving it on (sign-out, password change) ends every
    # session of the user, including cookies copied before.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    def __repr__(self) -> str:
        return f"User(id={self.id}, username={self.username!r}, role={self.role!r})"


class AuthorNote(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "author_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(
        sa.ForeignKey("authors.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(sa.String(100))
    text: Mapped[str] = mapped_column(sa.String(4000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(db.Model):  # type: ignore[name-defined,misc]
    """A key for the Perspective-compatible API. Only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()


class SiteLabel(db.Model):  # type: ignore[name-defined,misc]
    """A human judgement of one comment of one site: the training data of its site model.

    One row per (site, comment reference): a later judgement of the same comment replaces the
    earlier one. ``labels`` maps a category to 0/1 where the judge named categories; it is
    empty when only ``violation`` is known. The row goes with its comment or author
    (``ON DELETE CASCADE``); imported rows reference no comment row, only ``comment_ref``.
    """

    __tablename__ = "site_labels"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "comment_ref"),
        sa.Index("ix_site_labels_site_id_decided_at", "site_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    comment_ref: Mapped[str] = mapped_column(sa.String(255))
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("authors.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    violation: Mapped[bool]
    labels: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    source: Mapped[str] = mapped_column(
        sa.Enum(
            *LabelSource.ALL,
            name="label_source",
            native_enum=False,
            create_constraint=True,
            length=32,
        )
    )
    actor: Mapped[str] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()


class SiteAllowEntry(db.Model):  # type: ignore[name-defined,misc]
    """A name a site allows although it holds a listed word ("Bitchford", "Lake Shitwater").

    ``term`` is the entry as the moderator wrote it (spaces collapsed); the scorer matches its
    words exactly, in any case (``moderation.scoring.names.SiteAllowList``). One row per
    (site, case-folded entry, ``key``). Edited in the dashboard; every change is audited.
    """

    __tablename__ = "site_allowlist"
    __table_args__ = (sa.UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(sa.String(60))
    key: Mapped[str] = mapped_column(sa.String(60))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DsaStatement(db.Model):  # type: ignore[name-defined,misc]
    """A statement of reasons (DSA Art. 17) for one restriction, and its submission to the
    Transparency Database (Art. 24(5)).

    ``statement`` is the JSON object sent (the schema's fields only: no personal data).
    ``comment_id`` and ``author_id`` link it to what it is about inside this service; they
    are never sent. ``submitted_at`` is set once the database accepted it: a statement is
    sent at most once (its ``puid`` is unique). ``attempts`` and ``last_error`` record
    refused or failed submissions.
    """

    __tablename__ = "dsa_statements"
    __table_args__ = (
        sa.Index("ix_dsa_statements_site_id_submitted_at", "site_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    puid: Mapped[str] = mapped_column(sa.String(500), unique=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("authors.id", ondelete="SET NULL"), index=True
    )
    statement: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))

    site: Mapped[Site] = relationship()


class CommentReport(db.Model):  # type: ignore[name-defined,misc]
    """A reader's report of a comment, forwarded by the site (DSA Art. 16 notice and action).

    ``state``: ``open`` waits in the Reported queue for a person; ``resolved`` was answered
    (``report.resolved`` sent). ``grouped`` marks a report on a comment a moderator had
    already reviewed, for a reason seen before: stored and counted, answered with the earlier
    outcome, never queued. ``reporter_hash`` is an HMAC of the site's reporter reference
    (never stored in clear).
    """

    __tablename__ = "comment_reports"
    __table_args__ = (
        sa.Index("ix_comment_reports_comment_id_state", "comment_id", "state"),
        sa.Index("ix_comment_reports_site_id_created_at", "site_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(32))
    law: Mapped[str | None] = mapped_column(sa.String(500))
    explanation: Mapped[str | None] = mapped_column(sa.String(4000))
    good_faith: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(sa.String(2000))
    reporter_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(_enum(("open", "resolved"), "report_state"))
    grouped: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(100))
    # The comment's status after the review that answered the report, and whether the
    # review changed it ("changed") or left it as it was ("no_change").
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    action: Mapped[str | None] = mapped_column(sa.String(16))

    comment: Mapped[Comment] = relationship()


class Complaint(db.Model):  # type: ignore[name-defined,misc]
    """A complaint against a decision (DSA Art. 20): a comment's restriction or an author's
    sanction. It records who made the contested decision, so that a different person
    handles it (unless the policy made it), and the reasoned reply that goes to the site."""

    __tablename__ = "complaints"
    __table_args__ = (sa.Index("ix_complaints_site_id_received_at", "site_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("authors.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(_enum(("decision", "sanction"), "complaint_subject"))
    message: Mapped[str] = mapped_column(sa.String(2000))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str] = mapped_column(sa.String(16))  # what was contested: rejected, …
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(sa.String(100))
    state: Mapped[str] = mapped_column(
        _enum(("pending", "upheld", "reversed"), "complaint_state"), default="pending"
    )
    handled_by: Mapped[str | None] = mapped_column(sa.String(100))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str | None] = mapped_column(sa.String(2000))

    comment: Mapped[Comment] = relationship()
    author: Mapped[Author] = relationship()
