from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation.policy.decide import AuthorStatus, StrikeSpec
from moderation.policy.ladder import next_status
from moderation.policy.schema import Policy
from moderation.scoring.types import Category

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ATTACK = StrikeSpec(Category.ATTACK, 1.0, 0.9)
THREAT = StrikeSpec(Category.THREAT, 2.0, 0.97)
MILD_THREAT = StrikeSpec(Category.THREAT, 2.0, 0.85)

A, W, S, B = (
    AuthorStatus.ACTIVE,
    AuthorStatus.WATCHED,
    AuthorStatus.SUSPENDED,
    AuthorStatus.BLOCKED,
)


@pytest.mark.parametrize(
    ("status", "until", "by_moderator", "strikes", "new", "expected", "days"),
    [
        # The ladder, one strike at a time.
        (A, None, False, 1, ATTACK, None, None),
        (A, None, False, 2, ATTACK, W, None),
        (W, None, False, 3, ATTACK, S, 7),
        (S, NOW + timedelta(days=3), False, 4, None, None, None),
        (S, NOW - timedelta(days=1), False, 4, ATTACK, S, 7),  # expired: suspended again
        (S, NOW - timedelta(days=1), False, 5, ATTACK, B, None),
        (B, None, False, 6, ATTACK, None, None),
        # Jumping steps: the highest reached applies.
        (A, None, False, 5, ATTACK, B, None),
        # Immediate sanctions for credible threats only.
        (A, None, False, 2, THREAT, B, None),
        (A, None, False, 2, MILD_THREAT, W, None),
        # Lapsing automatic sanctions.
        (W, None, False, 1, None, A, None),
        (W, None, True, 0, None, None, None),  # a moderator's watch stays
        (S, NOW - timedelta(days=1), False, 0, None, A, None),
        (S, NOW - timedelta(days=1), False, 3, None, W, None),  # suspension over: probation
        (B, None, False, 0, None, None, None),  # blocks never lapse
        # Never downgrade on a fresh strike.
        (B, None, True, 1, ATTACK, None, None),
        (S, NOW + timedelta(days=3), True, 2, ATTACK, None, None),
    ],
)
def test_ladder(
    policy: Policy,
    status: AuthorStatus,
    until: datetime | None,
    by_moderator: bool,
    strikes: float,
    new: StrikeSpec | None,
    expected: AuthorStatus | None,
    days: float | None,
) -> None:
    change = next_status(
        status=status,
        until=until,
        set_by_moderator=by_moderator,
        active_strikes=strikes,
        new_strike=new,
        rules=policy.authors,
        now=NOW,
    )
    if expected is None:
        assert change is None
        return
    assert change is not None
    assert change.status is expected
    assert change.reason
    if days is None:
        assert change.until is None
    else:
        assert change.until == NOW + timedelta(days=days)
