"""The callback client's total deadline and answer cap, against real local servers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from moderation.services.callback_http import Deadline, delivery_client
from moderation.services.events import DeliverySettings, post_event
from tests.support import StallingReceiver


@pytest.fixture
def slow() -> Iterator[StallingReceiver]:
    receiver = StallingReceiver(interval=0.25, length=1000).start()
    yield receiver
    receiver.stop()


def test_a_trickled_body_ends_at_the_deadline(slow: StallingReceiver) -> None:
    with (
        delivery_client(Deadline(1)) as client,
        pytest.raises(httpx.ReadTimeout, match="1 s deadline"),
    ):
        client.post(slow.url, content=b"{}")
    assert slow.requests == 1
    assert slow.trickled < 100  # about 4 of its 1000 bytes were sent when the client left


def serve_forever(answer: bytes, repeat: bytes = b"") -> tuple[str, threading.Event]:
    """A server that sends ``answer`` to each request, then ``repeat`` until the client
    hangs up (or nothing more, and keeps the connection open)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(answer)
                while not stop.is_set():
                    if repeat:
                        conn.sendall(repeat)
                    else:
                        stop.wait(0.1)
            except OSError:
                return

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    stop_all = threading.Event()

    def closer() -> None:
        stop_all.wait()
        stop.set()
        listener.close()

    threading.Thread(target=closer, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/hook", stop_all


def test_silent_receiver_ends_at_the_deadline() -> None:
    url, stop = serve_forever(b"")  # accepts the request, never answers
    try:
        status, error = post_event(url, b"{}", {}, DeliverySettings(timeout_seconds=0.5))
    finally:
        stop.set()
    assert status is None
    assert error is not None and "0.5 s deadline" in error


def test_only_the_first_bytes_of_an_endless_answer_are_read() -> None:
    """An answer that never ends is cut at the cap; its status counts (it would otherwise
    run into the deadline and be retried for ever)."""
    url, stop = serve_forever(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"4000\r\n" + b"x" * 0x4000 + b"\r\n",
    )
    try:
        result = post_event(
            url, b"{}", {}, DeliverySettings(timeout_seconds=10, max_response_bytes=64 * 1024)
        )
    finally:
        stop.set()
    assert result == (200, None)
