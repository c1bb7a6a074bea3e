"""Intake rate limits per site and per author, shared by every web process via Redis.

Built on the ``limits`` library (the one Flask-Limiter uses), with a sliding-window counter.
Limits come from the site's policy (``rate_limits``). If the store is unreachable the check
fails open — the comment is accepted and a warning logged — because refusing every comment
while Redis restarts would lose more than a missed limit.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from moderation.policy.schema import RateLimits

log = logging.getLogger(__name__)


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
        """Count this request against the site's and the author's limits.

        Returns a :class:`Refusal` for the first exhausted limit. One round trip per limit:
        each is counted with ``hit`` (no separate test), so a refused request may have been
        counted against the limits checked before the one that refused it.
        """
        # The author first: a flooder's refused requests then never eat into the site's
        # allowance, so other authors are not slowed down by them.
        scopes = [
            ("author", limits.author, (site, author)),
            ("site", limits.site, (site,)),
        ]
        try:
            strategy = self._strategy()
            for scope, spec, keys in scopes:
                for item in self._items(spec):
                    if not strategy.hit(item, scope, *keys):
                        reset = strategy.get_window_stats(item, scope, *keys).reset_time
                        wait = max(1, math.ceil(reset - time.time()))
                        return Refusal(scope, str(item), wait)
        except Exception as exc:
            log.warning(
                "rate-limit store unavailable; request allowed", extra={"error": type(exc).__name__}
            )
        return None

    def hit(self, scope: str, spec: str, *keys: str) -> Refusal | None:
        """Count one request against ``spec`` (e.g. "10/minute;100/day") under ``scope`` and
        ``keys``; a :class:`Refusal` for the first exhausted limit. Fails open like
        :meth:`check`."""
        try:
            strategy = self._strategy()
            for item in self._items(spec):
                if not strategy.hit(item, scope, *keys):
                    reset = strategy.get_window_stats(item, scope, *keys).reset_time
                    return Refusal(scope, str(item), max(1, math.ceil(reset - time.time())))
        except Exception as exc:
            log.warning(
                "rate-limit store unavailable; request allowed", extra={"error": type(exc).__name__}
            )
        return None
