"""The states a comment, a decision, an author, a callback event and a label can be in.

The bottom layer: the tables store these, the policy decides with them, and views show
them, so they import nothing of the package.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    PUBLISH = "publish"
    HOLD = "hold"
    REJECT = "reject"

    @property
    def rank(self) -> int:
        return _OUTCOME_RANK[self]


_OUTCOME_RANK = {Outcome.PUBLISH: 0, Outcome.HOLD: 1, Outcome.REJECT: 2}


class AuthorStatus(StrEnum):
    ACTIVE = "active"
    WATCHED = "watched"
    SUSPENDED = "suspended"
    BLOCKED = "blocked"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]


_STATUS_RANK = {
    AuthorStatus.ACTIVE: 0,
    AuthorStatus.WATCHED: 1,
    AuthorStatus.SUSPENDED: 2,
    AuthorStatus.BLOCKED: 3,
}


class CommentStatus:
    """Where a comment is. ``pending`` until scored; ``held`` waits for a moderator."""

    PENDING = "pending"
    PUBLISHED = "published"
    HELD = "held"
    REJECTED = "rejected"
    ALL = (PENDING, PUBLISHED, HELD, REJECTED)

    @staticmethod
    def for_outcome(outcome: Outcome) -> str:
        return {
            Outcome.PUBLISH: CommentStatus.PUBLISHED,
            Outcome.HOLD: CommentStatus.HELD,
            Outcome.REJECT: CommentStatus.REJECTED,
        }[outcome]


class EventStatus:
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the retry window
    SKIPPED = "skipped"  # the site has no callback URL
    ALL = (PENDING, DELIVERED, FAILED, SKIPPED)


class LabelSource:
    """Where a labelled example came from."""

    MODERATOR = "moderator_decision"
    APPEAL = "appeal"
    SUGGEST = "suggestscore"
    IMPORT = "import"
    ALL = (MODERATOR, APPEAL, SUGGEST, IMPORT)
