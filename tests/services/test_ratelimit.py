"""The intake limiter's one-script check on a real Redis agrees with the ``limits`` library
counting the same limits one ``hit`` at a time (the memory store's path)."""

from __future__ import annotations

import uuid

import pytest
import redis

from moderation.policy.schema import RateLimits
from moderation.services.ratelimit import IntakeLimiter, Refusal


def outcomes(
    limiter: IntakeLimiter, limits: RateLimits, site: str, authors: list[str]
) -> list[str]:
    """What each request in turn is answered: "ok", or the refusing scope and limit."""
    answers = []
    for author in authors:
        refusal = limiter.check(limits, site, author)
        answers.append("ok" if refusal is None else f"{refusal.scope} {refusal.limit}")
    return answers


REQUESTS = ["flooder"] * 5 + ["calm", "calm", "third", "flooder", "calm", "fourth"]
LIMITS = RateLimits(site="7/minute", author="3/minute;4/hour")


def test_one_script_counts_like_one_hit_per_limit(redis_server: str) -> None:
    site = f"s-{uuid.uuid4().hex[:8]}"
    on_redis = outcomes(IntakeLimiter(redis_server), LIMITS, site, REQUESTS)
    in_memory = outcomes(IntakeLimiter("memory://"), LIMITS, site, REQUESTS)
    assert on_redis == in_memory
    # The author's limit refuses first and its refusals do not eat the site's allowance.
    assert on_redis[:5] == ["ok"] * 3 + ["author 3 per 1 minute"] * 2
    assert on_redis.count("ok") == 7
    assert on_redis[-1] == "site 7 per 1 minute"


def test_the_library_reads_what_the_script_counted(redis_server: str) -> None:
    """The script uses the library's keys: its window stats (Retry-After) see the counts."""
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import SlidingWindowCounterRateLimiter

    site = f"s-{uuid.uuid4().hex[:8]}"
    limiter = IntakeLimiter(redis_server)
    for _ in range(2):
        assert limiter.check(LIMITS, site, "reader") is None
    library = SlidingWindowCounterRateLimiter(storage_from_string(redis_server))
    stats = library.get_window_stats(parse("3/minute"), "author", site, "reader")
    assert stats.remaining == 1
    assert library.hit(parse("3/minute"), "author", site, "reader")
    refusal = limiter.check(LIMITS, site, "reader")
    assert isinstance(refusal, Refusal)
    assert refusal.scope == "author"
    assert 1 <= refusal.retry_after <= 60


def test_one_round_trip_per_check(redis_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    execute = redis.Redis.execute_command

    def counting(self: redis.Redis, *args: object, **options: object) -> object:
        sent.append(str(args[0]))
        return execute(self, *args, **options)

    limiter = IntakeLimiter(redis_server)
    site = f"s-{uuid.uuid4().hex[:8]}"
    assert limiter.check(LIMITS, site, "warm-up") is None  # loads the script
    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    assert limiter.check(LIMITS, site, "reader") is None
    assert sent == ["EVALSHA"]


def test_a_zero_limit_refuses_everything(redis_server: str) -> None:
    limiter = IntakeLimiter(redis_server)
    refusal = limiter.check(RateLimits(site="0/minute", author="5/minute"), "zero", "a")
    assert refusal is not None and refusal.scope == "site"


@pytest.mark.parametrize("store", ["redis", "memory"])
def test_admit_counts_each_thing_once_and_release_gives_it_back(
    store: str, redis_server: str
) -> None:
    limiter = IntakeLimiter(redis_server if store == "redis" else "memory://")
    site = f"s-{uuid.uuid4().hex[:8]}"
    limits = RateLimits(site="100/minute", author="2/minute")
    assert limiter.admit(limits, site, "reader", "comment-1") is True
    # Copies of the same request (the same once key) are admitted without being counted.
    assert limiter.admit(limits, site, "reader", "comment-1") is False
    assert limiter.admit(limits, site, "reader", "comment-1") is False
    assert limiter.admit(limits, site, "reader", "comment-2") is True
    refusal = limiter.admit(limits, site, "reader", "comment-3")
    assert isinstance(refusal, Refusal) and refusal.scope == "author"
    # Given back: one less counted, and the once key forgotten (counted again when sent).
    limiter.release(limits, site, "reader", "comment-2")
    assert limiter.admit(limits, site, "reader", "comment-3") is True
    assert isinstance(limiter.admit(limits, site, "reader", "comment-4"), Refusal)
    assert limiter.admit(limits, site, "reader", "comment-2") is not False


def test_release_never_counts_below_zero(redis_server: str) -> None:
    limiter = IntakeLimiter(redis_server)
    site = f"s-{uuid.uuid4().hex[:8]}"
    limits = RateLimits(site="100/minute", author="1/minute")
    limiter.release(limits, site, "reader", "never-admitted")
    assert limiter.admit(limits, site, "reader", "a") is True
    assert isinstance(limiter.admit(limits, site, "reader", "b"), Refusal)


def test_admit_fails_open_uncounted() -> None:
    limiter = IntakeLimiter("redis://127.0.0.1:1/0")
    assert limiter.admit(RateLimits(site="1/minute", author="1/minute"), "s", "a", "x") is False
