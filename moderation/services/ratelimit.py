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
#: applied to each limit in turn, in one script: KEYS[1] is the request's "once" key and
#: ARGV[1] how long it lasts in milliseconds (0: no such key), then KEYS are each limit's
#: previous- and current-window keys, ARGV each limit's amount and window in seconds. Like
#: one ``hit`` per limit in order, it counts the request against each limit until one is
#: exhausted, and returns that limit's 1-based position (0: admitted by all, and the once
#: key set; -1: the once key was set already, admitted without counting anything).
_ACQUIRE_IN_TURN = """
local once_key, once_ms = KEYS[1], tonumber(ARGV[1])
if once_ms > 0 and redis.call('exists', once_key) == 1 then
    return -1
end
for i = 1, (#ARGV - 1) / 2 do
    local limit = tonumber(ARGV[2 * i])
    local expiry = tonumber(ARGV[2 * i + 1]) * 1000
    local previous_key, current_key = KEYS[2 * i], KEYS[2 * i + 1]
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
if once_ms > 0 then
    redis.call('set', once_key, 1, 'PX', once_ms)
end
return 0
"""

#: How long :meth:`IntakeLimiter.admit` remembers what it counted: copies of a request sent
#: within this time (a site's retries, sent while the first is in flight) count once.
ONCE_SECONDS: float = 60


#: Takes back one request counted by :data:`_ACQUIRE_IN_TURN` (KEYS[1]: its once key, then
#: the current-window key of each limit it counted): the once key is deleted, and each count
#: above zero lowered by one, TTLs kept.
_RELEASE = """
redis.call('del', KEYS[1])
for i = 2, #KEYS do
    if (tonumber(redis.call('get', KEYS[i])) or 0) > 0 then
        redis.call('decrby', KEYS[i], 1)
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
        self._scripts: dict[str, Any] = {}  # source -> its registered redis-py Script

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
        answer = self._count(self._intake_checks(limits, site, author))
        return answer if isinstance(answer, Refusal) else None

    def admit(self, limits: RateLimits, site: str, author: str, once: str) -> Refusal | bool:
        """:meth:`check`, counted once per ``once`` (a key naming what the request stores,
        say the site, comment id and text) within :data:`ONCE_SECONDS`: True when this
        request was counted, False when it was admitted without counting, because a copy of
        it was counted already (or the store is unreachable), else the :class:`Refusal`."""
        return self._count(self._intake_checks(limits, site, author), once)

    def release(self, limits: RateLimits, site: str, author: str, once: str) -> None:
        """Take back a request :meth:`admit` counted that turned out not to count (a repeat
        of a comment stored earlier): one less in the current window of each limit, never
        below zero, and ``once`` forgotten. Best effort, like :meth:`check`: an unreachable
        store is logged."""
        checks = self._intake_checks(limits, site, author)
        if not checks:
            return
        try:
            strategy = self._strategy()
            storage = strategy.storage
            if not isinstance(storage, RedisStorage):
                self._release_one_by_one(storage, checks, once)
                return
            self._registered(storage, _RELEASE)(
                keys=[
                    storage.prefixed_key(f"once/{once}"),
                    *(self._window_keys(storage, check)[1] for check in checks),
                ]
            )
        except Exception as exc:
            log.warning(
                "rate-limit store unavailable; request not released",
                extra={"error": type(exc).__name__},
            )

    @staticmethod
    def _release_one_by_one(storage: Storage, checks: list[_Check], once: str) -> None:
        """:meth:`release` on a store without scripts (``memory://``): the library's keys."""
        storage.clear(f"once/{once}")
        now = time.time()
        for scope, item, keys in checks:
            key = item.key_for(scope, *keys)
            current = storage.sliding_window_keys(key, item.get_expiry(), now)[1]  # type: ignore[attr-defined]
            decrement = getattr(storage, "decr", None)
            if decrement is not None and storage.get(current) > 0:
                decrement(current, 1)

    def _intake_checks(self, limits: RateLimits, site: str, author: str) -> list[_Check]:
        # The author first: a flooder's refused requests then never eat into the site's
        # allowance, so other authors are not slowed down by them.
        return [
            (scope, item, keys)
            for scope, spec, keys in (
                ("author", limits.author, (site, author)),
                ("site", limits.site, (site,)),
            )
            for item in self._items(spec)
        ]

    def hit(self, scope: str, spec: str, *keys: str) -> Refusal | None:
        """Count one request against ``spec`` (e.g. "10/minute;100/day") under ``scope`` and
        ``keys``; a :class:`Refusal` for the first exhausted limit. Fails open like
        :meth:`check`."""
        answer = self._count([(scope, item, keys) for item in self._items(spec)])
        return answer if isinstance(answer, Refusal) else None

    def _count(self, checks: list[_Check], once: str | None = None) -> Refusal | bool:
        """Count one request against each check in turn: a :class:`Refusal` for the first
        that is exhausted, else whether it was counted (False: nothing to count, ``once``
        counted already, or the store is unreachable)."""
        if not checks:
            return False
        try:
            strategy = self._strategy()
            refused = self._acquire_in_turn(strategy, checks, once)
            if isinstance(refused, bool):
                return refused
            return self._refusal(strategy, refused)
        except Exception as exc:
            log.warning(
                "rate-limit store unavailable; request allowed", extra={"error": type(exc).__name__}
            )
        return False

    @staticmethod
    def _refusal(strategy: SlidingWindowCounterRateLimiter, refused: _Check) -> Refusal:
        scope, item, keys = refused
        reset = strategy.get_window_stats(item, scope, *keys).reset_time
        return Refusal(scope, str(item), max(1, math.ceil(reset - time.time())))

    def _acquire_in_turn(
        self,
        strategy: SlidingWindowCounterRateLimiter,
        checks: list[_Check],
        once: str | None = None,
    ) -> _Check | bool:
        """Count one request against each check in turn: the first that refuses, if any,
        else whether it was counted (False: ``once`` was counted within
        :data:`ONCE_SECONDS`, nothing was counted again)."""
        storage = strategy.storage
        if not isinstance(storage, RedisStorage):
            return self._acquire_one_by_one(strategy, checks, once)
        script = self._registered(storage, _ACQUIRE_IN_TURN)
        window_keys = [storage.prefixed_key(f"once/{once or ''}")]
        window_args = [max(1, round(ONCE_SECONDS * 1000)) if once is not None else 0]
        for check in checks:
            window_keys.extend(self._window_keys(storage, check))
            window_args.extend((check[1].amount, check[1].get_expiry()))
        position = int(script(keys=window_keys, args=window_args))
        if position > 0:
            return checks[position - 1]
        return position == 0

    def _registered(self, storage: RedisStorage, source: str) -> Any:
        """``source`` registered with the store once (a redis-py Script: EVALSHA, loaded
        again by itself if the server has forgotten it)."""
        with self._lock:
            script = self._scripts.get(source)
            if script is None:
                script = self._scripts[source] = storage.get_connection().register_script(
                    source.encode()
                )
            return script

    @staticmethod
    def _acquire_one_by_one(
        strategy: SlidingWindowCounterRateLimiter, checks: list[_Check], once: str | None
    ) -> _Check | bool:
        """:meth:`_acquire_in_turn` on a store without scripts (``memory://``: one process,
        development), with the library's own calls; not atomic."""
        storage = strategy.storage
        once_key = f"once/{once}"
        if once is not None and storage.get(once_key) > 0:
            return False
        for check in checks:
            scope, item, keys = check
            if not strategy.hit(item, scope, *keys):
                return check
        if once is not None:
            # The memory store keeps expiries as float seconds whatever its annotation.
            storage.incr(once_key, ONCE_SECONDS)  # type: ignore[arg-type]
        return True

    @staticmethod
    def _window_keys(storage: RedisStorage, check: _Check) -> tuple[str, str]:
        """The previous- and current-window keys of one check, in the library's own key
        scheme (``SlidingWindowCounterRateLimiter.hit``), so that its ``get_window_stats``
        reads what the scripts counted."""
        scope, item, keys = check
        key = item.key_for(scope, *keys)
        return (
            storage.prefixed_key(storage._previous_window_key(key)),
            storage.prefixed_key(storage._current_window_key(key)),
        )
