"""The batcher the intake publishes comment ids through: batches, order, failures, fork."""

from __future__ import annotations

import os
import threading

import pytest

from moderation.batching import Batcher
from tests.support import wait_until


class Recorder:
    def __init__(self, fail_first: int = 0) -> None:
        self.batches: list[list[int]] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def __call__(self, batch: list[int]) -> None:
        with self.lock:
            if self.fail_first:
                self.fail_first -= 1
                raise ConnectionError("broker down")
            self.batches.append(list(batch))

    def sent(self) -> list[int]:
        with self.lock:
            return [item for batch in self.batches for item in batch]


def test_items_leave_in_order_in_batches_no_larger_than_the_limit() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, max_items=7, max_wait=0.05)
    for item in range(100):
        batcher.add(item)
    wait_until(lambda: len(recorder.sent()) == 100, timeout=10, what="every item sent")
    assert recorder.sent() == list(range(100))
    assert all(1 <= len(batch) <= 7 for batch in recorder.batches)
    assert len(recorder.batches) < 100  # gathered, not one message per item


def test_concurrent_adders_lose_and_repeat_nothing() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, max_items=50, max_wait=0.01)

    def add(start: int) -> None:
        for item in range(start, start + 500):
            batcher.add(item)

    threads = [threading.Thread(target=add, args=(n * 1000,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until(lambda: len(recorder.sent()) == 4000, timeout=20, what="every item sent")
    assert sorted(recorder.sent()) == sorted(n * 1000 + i for n in range(8) for i in range(500))


def test_a_lone_item_is_sent_without_waiting_for_company() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, max_items=100, max_wait=0.02)
    batcher.add(1)
    wait_until(lambda: recorder.sent() == [1], timeout=5, what="the lone item sent")


def test_a_failed_send_does_not_stop_the_thread() -> None:
    recorder = Recorder(fail_first=1)
    batcher = Batcher(recorder, max_items=1, max_wait=0)
    batcher.add(1)  # lost with the failed send (its comment waits for the sweeper)
    wait_until(lambda: recorder.fail_first == 0, timeout=5, what="the failed send")
    batcher.add(2)
    wait_until(lambda: recorder.sent() == [2], timeout=5, what="the next send")


def test_flush_sends_everything_now() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder, max_items=3, max_wait=60)  # the thread would wait a minute
    for item in range(5):
        batcher.add(item)
    batcher.flush()
    assert sorted(recorder.sent()) == [0, 1, 2, 3, 4]
    assert batcher.pending() == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_sends_its_own_items_not_its_parents() -> None:
    read, write = os.pipe()
    parent = os.getpid()
    parent_sent: list[int] = []

    def send(batch: list[int]) -> None:
        if os.getpid() == parent:
            parent_sent.extend(batch)
        else:
            os.write(write, (",".join(map(str, batch)) + ";").encode())

    batcher = Batcher(send, max_items=100, max_wait=60)
    batcher.add(1)  # queued in the parent, whose thread waits a minute
    pid = os.fork()
    if pid == 0:  # the child: its own thread, its own items
        try:
            batcher.add(2)
            batcher.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    os.close(write)
    child_sent = os.read(read, 1024).decode()
    os.close(read)
    assert child_sent == "2;"
    assert batcher.pending() == 1  # the parent's item is still the parent's to send
    batcher.flush()
    assert parent_sent == [1]


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_items must be at least 1"):
        Batcher(Recorder(), max_items=0, max_wait=0.01)
    with pytest.raises(ValueError, match="max_items must be at least 1"):
        Batcher(Recorder(), max_items=1, max_wait=-1)
