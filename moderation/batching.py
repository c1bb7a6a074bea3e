"""Hand items to a sender in batches, from a thread of this process.

The intake publishes the ids of new comments for scoring through a :class:`Batcher`: each
request only appends its id, and one thread per process publishes one message for up to
``max_items`` ids, at most ``max_wait`` seconds after the first of them arrived. Publishing a
Celery message costs far more than the rest of the intake's Python work, so under load this
divides that cost by the batch size; at low load an id waits at most ``max_wait``.

Nothing here is durable, and nothing needs to be: every id stands for a comment already
committed as ``pending``, and the sweeper (``moderation.sweep_pending``) re-enqueues any that
a crash or a broker outage left behind, exactly as for a publish that failed.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Batcher(Generic[T]):
    def __init__(
        self,
        send: Callable[[list[T]], object],
        *,
        max_items: int,
        max_wait: float,
        name: str = "batcher",
    ) -> None:
        if max_items < 1 or max_wait < 0:
            raise ValueError("max_items must be at least 1 and max_wait not negative")
        self._send = send
        self._max_items = max_items
        self._max_wait = max_wait
        self._name = name
        self._items: list[T] = []
        self._cond = threading.Condition()
        self._sending = threading.Lock()  # one send at a time: batches leave in order
        self._thread: threading.Thread | None = None
        self._exit_flush = False
        # A fork keeps only the thread that forked: the child starts afresh, with new locks
        # (one may have been held by a thread it does not have) and none of the parent's
        # items, which are the parent's to send.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _reset_in_child(ref))

    def add(self, item: T) -> None:
        """Queue ``item``; the thread sends it within ``max_wait`` seconds."""
        with self._cond:
            self._start_if_needed()
            self._items.append(item)
            if len(self._items) == 1 or len(self._items) >= self._max_items:
                self._cond.notify()

    def flush(self) -> None:
        """Send everything queued now, in this thread (at exit, and for tests)."""
        while True:
            with self._cond:
                batch = self._take()
            if not batch:
                return
            self._deliver(batch)

    def pending(self) -> int:
        with self._cond:
            return len(self._items)

    def _start_if_needed(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        if not self._exit_flush:
            atexit.register(self.flush)
            self._exit_flush = True
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def _after_fork(self) -> None:
        self._items = []
        self._cond = threading.Condition()
        self._sending = threading.Lock()
        self._thread = None

    def _take(self) -> list[T]:
        batch, self._items = self._items[: self._max_items], self._items[self._max_items :]
        return batch

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items:
                    self._cond.wait()
                deadline = time.monotonic() + self._max_wait
                while len(self._items) < self._max_items:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                batch = self._take()
            if batch:
                self._deliver(batch)

    def _deliver(self, batch: list[T]) -> None:
        with self._sending:
            try:
                self._send(batch)
            except Exception:  # the thread must survive; the sweeper recovers the items
                log.exception("batch not sent", extra={"batcher": self._name, "items": len(batch)})


def _reset_in_child(ref: weakref.ReferenceType[Batcher[Any]]) -> None:
    batcher = ref()
    if batcher is not None:
        batcher._after_fork()
