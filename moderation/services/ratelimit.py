"""Intake rate limits per site and per author, shared by every web process via Redis.

Built on the ``limits`` library (the one Flask-Limiter uses), with a sliding-window counter.
Limits come from the site's policy (``rate_limits``). If the store is unreachable the check
fails open — the comment is accepted and a warning logged — because refusing every comment
while Redis restarts would lose more than a missed limit.

On Redis, an intake check counts all of a comment's limits (the author's, then the site's) in
one script, one round trip, with the library's own sliding-window arithmetic and keys (see
:data:`_ACQUIRE_IN_TURN`); other stores count them one by one through the library.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from moderation.policy.schema import RateLimits

log = logging.getLogger(__name__)


#: The ``limits`` library's sliding-window acquire (``acquire_sliding_window.lua``, amount 1)
#: applied to each limit in turn, in one script: KEYS are each limit's previous- and
#: current-window keys, ARGV each limit's amount and window in seconds. Like one ``hit`` per
#: limit in order, it counts the request against each limit until one is exhausted, and
#: returns that limit's 1-based position (0: admitted by all).
_ACQUIRE_IN_TURN = """
for i = 1, #ARGV / 2 do
    local limit = tonumber(ARGV[2 * i - 1])
    local expiry = tonumber(ARGV[2 * i]) * 1000
    local previous_key, current_key = KEYS[2 * i - 1], KEYS[2 * i]
    if limit < 1 then
        return i
    end
    local current_ttl = tonumber(redis.call('pttl', current_key))
    if current_ttl > 0 and current_ttl < expiry then
        redis.call('rename', current_key, previous_key)
        redis.call('set', current_key, 0, 'PX', current_ttl + expiry)
    end
    local previous_count = tonumber(redis.call('get', previous_key)) or 0
    local previous_ttl = tonumber(redis.call('pttl', previous_key)) or 0
    local current_count = tonumber(redis.call('get', current_key)) or 0
    current_ttl = tonumber(redis.call('pttl', current_key)) or 0
    if previous_ttl <= 0 then
        previous_ttl = 0
    end
    if current_ttl <= 0 then
        current_ttl = 0
    end
    local weighted_count = math.floor(previous_count * previous_ttl / expiry) + current_count
    if weighted_count + 1 > limit then
        return i
    end
    if redis.call('exists', current_key) == 1 then
        redis.call('incrby', current_key, 1)
    else
        redis.call('set', current_key, 1, 'PX', expiry * 2)
    end
end
return 0
"""


#: One limit to count a request against: (scope, limit, identifiers).
_Check = tuple[str, RateLimitItem, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Refusal:
    scope: str  # "site" or "author"
    limit: str
    retry_after: int  # seconds


class IntakeLimiter:
    def __init__(self, storage_uri: str) -> None:
        self._uri = storage_uri
        self._lock = threading.Lock()
        self._limiter: SlidingWindowCounterRateLimiter | None = None
        self._parsed: dict[str, list[RateLimitItem]] = {}
        self._script: Any = None  # the registered _ACQUIRE_IN_TURN (a redis-py Script)

    def _strategy(self) -> SlidingWindowCounterRateLimiter:
        with self._lock:
            if self._limiter is None:  # connect on first use, never at start-up
                options = (
                    {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
                    if self._uri.startswith("redis")
                    else {}
                )
                storage = cast(Storage, storage_from_string(self._uri, **options))
                self._limiter = SlidingWindowCounterRateLimiter(storage)
            return self._limiter

    def _items(self, spec: str) -> list[RateLimitItem]:
        items = self._parsed.get(spec)
        if items is None:
            items = self._parsed[spec] = list(parse_many(spec)) if spec else []
        return items

    def check(self, limits: RateLimits, site: str, author: str) -> Refusal | None:
        """Count this request against the author's and then the site's limits.

        Returns a :class:`Refusal` for the first exhausted limit. Each limit is counted as it
        is checked (no separate test), so a refused request has been counted against the
        limits checked before the one that refused it. On Redis all of them are counted in
        one script (one round trip); elsewhere with one ``hit`` per limit.
        """
        # The author first: a flooder's refused requests then never eat into the site's
        # allowance, so other authors are not slowed down by them.
        checks: list[_Check] = [
            (scope, item, keys)
            for scope, spec, keys in (
                ("author", limits.author, (site, author)),
                ("site", limits.site, (site,)),
            )
            for item in self._items(spec)
        ]
        return self._count(checks)

    def hit(self, scope: str, spec: str, *keys: str) -> Refusal | None:
        """Count one request against ``spec`` (e.g. "10/minute;100/day") under ``scope`` and
        ``keys``; a :class:`Refusal` for the first exhausted limit. Fails open like
        :meth:`check`."""
        return self._count([(scope, item, keys) for item in self._items(spec)])

    def _count(self, checks: list[_Check]) -> Refusal | None:
        """Count one request against each check in turn: a :class:`Refusal` for the first
        that is exhausted; None when all admit it, or when the store is unreachable."""
        if not checks:
            return None
        try:
            strategy = self._strategy()
            refused = self._acquire_in_turn(strategy, checks)
            if refused is None:
                return None
            scope, item, keys = refused
            reset = strategy.get_window_stats(item, scope, *keys).reset_time
            return Refusal(scope, str(item), max(1, math.ceil(reset - time.time())))
        except Exception as exc:
            log.warning(
                "rate-limit store unavailable; request allowed", extra={"error": type(exc).__name__}
            )
        return None

    def _acquire_in_turn(
        self, strategy: SlidingWindowCounterRateLimiter, checks: list[_Check]
    ) -> _Check | None:
        """Count one request against each check in turn; the first that refuses, if any."""
        storage = strategy.storage
        if not isinstance(storage, RedisStorage):
            for check in checks:
                scope, item, keys = check
                if not strategy.hit(item, scope, *keys):
                    return check
            return None
        with self._lock:
            if self._script is None:
                self._script = storage.get_connection().register_script(_ACQUIRE_IN_TURN.encode())
            script = self._script
        window_keys: list[str] = []
        window_args: list[int] = []
        for scope, item, keys in checks:
            # The library's own key scheme (``SlidingWindowCounterRateLimiter.hit``), so its
            # ``get_window_stats`` reads what this script counted.
            key = item.key_for(scope, *keys)
            window_keys.append(storage.prefixed_key(storage._previous_window_key(key)))
            window_keys.append(storage.prefixed_key(storage._current_window_key(key)))
            window_args.extend((item.amount, item.get_expiry()))
        position = int(script(keys=window_keys, args=window_args))
        return checks[position - 1] if position else None
