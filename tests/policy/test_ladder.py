from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from moderation.policy.decide import AuthorStatus, StrikeSpec
from moderation.policy.ladder import Standing, apply_strike, next_status, revoke_strikes
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


def _strikes(*weights: float, days: float = 10) -> tuple[tuple[datetime, float], ...]:
    return tuple((NOW + timedelta(days=days), w) for w in weights)


def test_apply_strike_stores_the_strike_and_climbs_the_ladder(policy: Policy) -> None:
    before = Standing(A, strikes=_strikes(1.0))
    move = apply_strike(before, ATTACK, rules=policy.authors, now=NOW)
    # the strike expires after the policy's window and counts with the earlier one
    assert move.strike == (NOW + timedelta(days=30), 1.0)
    assert move.change is not None and move.change.status is W
    assert "2 active strikes" in move.change.reason


def test_apply_strike_ignores_expired_strikes(policy: Policy) -> None:
    before = Standing(A, strikes=_strikes(1.0, 1.0, days=-1))
    move = apply_strike(before, ATTACK, rules=policy.authors, now=NOW)
    assert move.strike is not None
    assert move.change is None  # only the new strike is active: below the first step


def test_apply_strike_without_a_strike_only_lapses(policy: Policy) -> None:
    served = Standing(S, until=NOW - timedelta(days=1), strikes=_strikes(3.0))
    move = apply_strike(served, None, rules=policy.authors, now=NOW)
    assert move.strike is None
    assert move.change is not None and move.change.status is W  # probation, no new suspension
    assert apply_strike(Standing(A, strikes=_strikes(4.0)), None, rules=policy.authors, now=NOW) \
        .change is None  # fmt: skip


def test_apply_strike_immediate_sanction(policy: Policy) -> None:
    move = apply_strike(Standing(A), THREAT, rules=policy.authors, now=NOW)
    assert move.strike == (NOW + timedelta(days=30), 2.0)
    assert move.change is not None and move.change.status is B


@pytest.mark.parametrize(
    ("standing", "expected"),
    [
        # The reversal path: a rejection overturned, its strike gone from the standing.
        (Standing(W, strikes=_strikes(1.0)), A),  # below the first step: back to active
        (Standing(S, NOW + timedelta(days=5), strikes=_strikes(2.0)), W),  # lifted to watched
        (Standing(S, NOW + timedelta(days=5), strikes=_strikes(4.0)), W),  # never a new suspension
        (Standing(B, strikes=_strikes(3.0)), W),
        (Standing(B, strikes=_strikes(5.0)), W),  # lifting stops at watched, even at a block step
        (Standing(W, strikes=_strikes(2.0)), None),  # still at the watch step
        (Standing(W, strikes=_strikes(3.0)), None),  # nothing lighter applies
        (Standing(W, set_by_moderator=True), None),  # a moderator's status stays
        (Standing(A), None),
        (Standing(W, strikes=_strikes(3.0, days=-1)), A),  # expired strikes do not count
    ],
)
def test_revoke_strikes(policy: Policy, standing: Standing, expected: AuthorStatus | None) -> None:
    change = revoke_strikes(standing, rules=policy.authors, now=NOW)
    if expected is None:
        assert change is None
        return
    assert change is not None
    assert change.status is expected
    assert change.until is None
    assert "overturned" in change.reason
