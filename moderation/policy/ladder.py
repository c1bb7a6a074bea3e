"""The sanctions ladder: active strikes → watch / suspend / block. Pure: no I/O.

Rules:

* Automatic sanctions only escalate, and only on a fresh strike. A step applies when its
  rank is above the author's effective status (an expired suspension counts as ``watched``).
* An ``immediate`` sanction for the rejected category (e.g. threats) applies at once.
* When strikes expire or are revoked so that no step applies any more, an *automatic*
  ``watched`` status lapses back to ``active``. Suspensions lapse by time. Blocks, and any
  status a moderator set, never lapse automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from moderation import sanctions
from moderation.policy.decide import AuthorStatus, StrikeSpec
from moderation.policy.schema import Authors
from moderation.sanctions import Sanction


def _status(sanction: Sanction) -> AuthorStatus:
    """The author status ``sanction`` sets (the sanctions registry, moderation/sanctions.py)."""
    return AuthorStatus(sanctions.info(sanction).status)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A transition the caller must store (with who caused it and why)."""

    status: AuthorStatus
    until: datetime | None
    reason: str


def step_for(total: float, rules: Authors) -> tuple[AuthorStatus, float | None, float] | None:
    """The highest ladder step reached by ``total`` strikes: (status, days, step threshold)."""
    reached = [step for step in rules.ladder if total >= step.strikes]
    if not reached:
        return None
    step = reached[-1]
    return _status(step.sanction), step.days, step.strikes


def next_status(
    *,
    status: AuthorStatus,
    until: datetime | None,
    set_by_moderator: bool,
    active_strikes: float,
    new_strike: StrikeSpec | None,
    rules: Authors,
    now: datetime,
) -> StatusChange | None:
    """Where the ladder takes an author after a decision; ``None`` means no change.

    ``active_strikes`` already includes ``new_strike``.
    """
    effective = status
    if status is AuthorStatus.SUSPENDED and until is not None and until <= now:
        effective = AuthorStatus.WATCHED

    candidates: list[StatusChange] = []
    if new_strike is not None and new_strike.category in rules.immediate:
        rule = rules.immediate[new_strike.category]
        if new_strike.score >= rule.min_score:
            target = _status(rule.sanction)
            days = rule.days
            candidates.append(
                StatusChange(
                    target,
                    now + timedelta(days=days) if days else None,
                    f"immediate {rule.sanction} for a rejected {new_strike.category} comment",
                )
            )
    step = step_for(active_strikes, rules)
    if step is not None and new_strike is not None:  # escalate only on a fresh strike
        target, days, threshold = step
        candidates.append(
            StatusChange(
                target,
                now + timedelta(days=days) if days else None,
                f"{active_strikes:g} active strikes reached the ladder step at {threshold:g}",
            )
        )
    if candidates:
        best = max(candidates, key=lambda c: c.status.rank)
        if best.status.rank > effective.rank:
            return best

    if set_by_moderator or effective is AuthorStatus.BLOCKED:
        return None
    ladder_status = step[0] if step is not None else AuthorStatus.ACTIVE
    if effective is AuthorStatus.WATCHED and ladder_status is AuthorStatus.ACTIVE:
        return StatusChange(AuthorStatus.ACTIVE, None, "strikes expired below the ladder")
    if status is AuthorStatus.SUSPENDED and effective is AuthorStatus.WATCHED:
        return StatusChange(AuthorStatus.WATCHED, None, "suspension ended; on probation")
    return None


def lifted_status(
    *,
    status: AuthorStatus,
    set_by_moderator: bool,
    active_strikes: float,
    rules: Authors,
) -> StatusChange | None:
    """After strikes were revoked (a rejection overturned): the lighter status the ladder now
    implies, or None. Lifting never starts a new suspension: it stops at ``watched``.
    A status a moderator set is left for a moderator to lift."""
    if set_by_moderator or status is AuthorStatus.ACTIVE:
        return None
    step = step_for(active_strikes, rules)
    target = step[0] if step is not None else AuthorStatus.ACTIVE
    if target.rank >= AuthorStatus.SUSPENDED.rank:
        target = AuthorStatus.WATCHED
    if target.rank >= status.rank:
        return None
    return StatusChange(
        target, None, f"strikes now {active_strikes:g} after an overturned rejection"
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """An author's place on the ladder: status, and the strikes still counting.

    ``strikes`` holds ``(expires_at, weight)`` of every strike not revoked; those whose
    expiry has passed are ignored by :meth:`active`.
    """

    status: AuthorStatus = AuthorStatus.ACTIVE
    until: datetime | None = None
    set_by_moderator: bool = False
    strikes: tuple[tuple[datetime, float], ...] = ()

    def active(self, now: datetime) -> float:
        return sum(weight for expires, weight in self.strikes if expires > now)


@dataclass(frozen=True, slots=True)
class Move:
    """What one step of the ladder does: the strike to store, ``(expires_at, weight)`` (None
    when the step added none), and the status change to store (None when the status stays)."""

    strike: tuple[datetime, float] | None
    change: StatusChange | None


def apply_strike(
    standing: Standing, strike: StrikeSpec | None, *, rules: Authors, now: datetime
) -> Move:
    """The one rule for "a strike moves an author along the ladder".

    With a ``strike`` (a rejected comment): the strike is added, expiring after the
    policy's window, and the ladder escalates on it (steps and ``immediate`` sanctions).
    Without one (any other decision): only lapses apply (expired strikes, a served
    suspension). Used by the worker's decisions, a moderator's rejection and the backtest.
    """
    new = None
    if strike is not None:
        new = (now + timedelta(days=rules.strike_window_days), strike.weight)
    active = standing.active(now) + (new[1] if new is not None and new[0] > now else 0.0)
    change = next_status(
        status=standing.status,
        until=standing.until,
        set_by_moderator=standing.set_by_moderator,
        active_strikes=active,
        new_strike=strike,
        rules=rules,
        now=now,
    )
    return Move(new, change)


def revoke_strikes(standing: Standing, *, rules: Authors, now: datetime) -> StatusChange | None:
    """The reverse of :func:`apply_strike`, when a rejection is overturned: ``standing``
    already lacks the revoked strikes; the answer is the lighter status the ladder now
    implies (see :func:`lifted_status`), or None."""
    return lifted_status(
        status=standing.status,
        set_by_moderator=standing.set_by_moderator,
        active_strikes=standing.active(now),
        rules=rules,
    )
