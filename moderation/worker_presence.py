"""Which queues have a live worker: heartbeats in Redis, for ``/readyz``.

Each worker process (``celery worker``, not the embedded thread) adds itself every
``MODERATION_WORKER_HEARTBEAT_SECONDS`` to one sorted set per queue it consumes — member:
its node name, score: when the entry expires (three intervals later, on Redis's clock, so
machines' clocks need not agree). A worker that stops cleanly removes itself; one that dies
drops out when its entry expires. Asking "is anyone consuming the scoring queue?" is then
one ``ZCOUNT``, cheap enough for a readiness probe (``celery inspect ping`` waits for
replies).
"""

from __future__ import annotations

import logging
import threading

import redis

log = logging.getLogger(__name__)

KEY = "moderation:workers:{queue}"


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


class WorkerHeartbeat:
    """Announces ``node`` as a consumer of ``queues`` until :meth:`stop`."""

    def __init__(self, url: str, node: str, queues: list[str], interval: float) -> None:
        self.url = url
        self.node = node
        self.queues = queues
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        client = _client(self.url)
        seconds, _ = client.time()
        expires = seconds + 3 * self.interval
        with client.pipeline() as pipe:
            for queue in self.queues:
                key = KEY.format(queue=queue)
                pipe.zadd(key, {self.node: expires})
                pipe.zremrangebyscore(key, "-inf", seconds)
                pipe.expire(key, int(3 * self.interval) + 1)
            pipe.execute()

    def start(self) -> None:
        """Announce at once (before the worker reports ready), then in a daemon thread."""
        try:
            self.beat()
        except redis.RedisError as exc:
            log.warning("worker heartbeat failed: %s", type(exc).__name__)
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except redis.RedisError as exc:
                log.warning("worker heartbeat failed: %s", type(exc).__name__)

    def stop(self) -> None:
        """Stop announcing and withdraw at once (a clean shutdown is not ready any more)."""
        self._stop.set()
        try:
            client = _client(self.url)
            for queue in self.queues:
                client.zrem(KEY.format(queue=queue), self.node)
        except redis.RedisError as exc:
            log.warning("worker heartbeat withdrawal failed: %s", type(exc).__name__)


def live_workers(url: str, queue: str) -> int:
    """How many workers announced themselves for ``queue`` and have not expired.

    Raises :class:`redis.RedisError` when Redis cannot be asked."""
    client = _client(url)
    seconds, _ = client.time()
    count: int = client.zcount(KEY.format(queue=queue), seconds, "+inf")
    return count
