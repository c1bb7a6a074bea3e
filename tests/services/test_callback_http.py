"""The callback client's total deadline and answer cap, against real local servers."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from ipaddress import ip_network
from typing import Any

import httpx
import pytest

from moderation.config import DeliverySettings
from moderation.services.callback_http import (
    Deadline,
    TargetError,
    TargetPolicy,
    check_url,
    delivery_client,
)
from moderation.services.events import post_event
from tests.support import Receiver, StallingReceiver

LOCAL = TargetPolicy(allow_http=True, allowed_networks=(ip_network("127.0.0.1/32"),))


@pytest.fixture
def slow() -> Iterator[StallingReceiver]:
    receiver = StallingReceiver(interval=0.25, length=1000).start()
    yield receiver
    receiver.stop()


def test_a_trickled_body_ends_at_the_deadline(slow: StallingReceiver) -> None:
    with (
        delivery_client(Deadline(1), LOCAL) as client,
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
        status, error = post_event(
            url, b"{}", {}, DeliverySettings(timeout_seconds=0.5, targets=LOCAL)
        )
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
            url,
            b"{}",
            {},
            DeliverySettings(timeout_seconds=10, max_response_bytes=64 * 1024, targets=LOCAL),
        )
    finally:
        stop.set()
    assert result == (200, None)


# --- where callbacks may go (issue 10, item 6) --------------------------------------------

STRICT = TargetPolicy()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local"),
        ("https://10.0.0.1/hook", "10.0.0.1 is a private"),
        ("https://192.168.1.20/hook", "192.168.1.20 is a private"),
        ("https://localhost:6379/", "127.0.0.1 is a loopback"),
        ("https://api.localhost/", "127.0.0.1 is a loopback"),
        ("https://2130706433/", "127.0.0.1 is a loopback"),
        ("https://0x7f.1/", "127.0.0.1 is a loopback"),
        ("https://127.1/", "127.0.0.1 is a loopback"),
        ("https://0177.0.0.1/", "Invalid IPv4 address"),  # httpx refuses it outright
        ("https://127.0.0.1./", "127.0.0.1 is a loopback"),
        ("https://[::1]/", "::1 is a loopback"),
        ("https://[::ffff:127.0.0.1]/", "loopback"),
        ("https://[::ffff:a9fe:a9fe]/", "link-local"),
        ("https://[2002:7f00:1::]/", "loopback"),  # 6to4 of 127.0.0.1
        ("https://[64:ff9b::a00:1]/", "private"),  # NAT64 of 10.0.0.1
        ("https://[fe80::1]/", "link-local"),
        ("https://[fc00::1]/", "private"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://224.0.0.1/", "multicast"),
        ("https://240.0.0.1/", "reserved"),
        ("https://100.64.0.1/", "non-public"),
        ("https://user:pass@news.example/hook", "must not contain credentials"),
        ("https://token@news.example/hook", "must not contain credentials"),
        ("http://news.example/hook", "must use https"),
        ("ftp://news.example/hook", "absolute https URL"),
        ("/relative/hook", "absolute https URL"),
        ("javascript:alert(1)", "absolute https URL"),
    ],
)
def test_callback_urls_are_refused_unless_public_https(url: str, problem: str) -> None:
    with pytest.raises(TargetError, match=re.escape(problem)):
        check_url(url, STRICT)


@pytest.mark.parametrize(
    "url", ["https://news.example/hooks", "https://93.184.216.34:8443/x", "https://[2606:4700::1]/"]
)
def test_public_https_urls_are_accepted(url: str) -> None:
    assert str(check_url(url, STRICT)) == url


def test_settings_allow_a_receiver_on_your_own_network() -> None:
    on_premise = TargetPolicy(allowed_networks=(ip_network("10.0.0.0/8"),))
    check_url("https://10.1.2.3/hook", on_premise)
    check_url("https://[::ffff:10.1.2.3]/hook", on_premise)
    with pytest.raises(TargetError, match=r"192\.168\.0\.1 is a private"):
        check_url("https://192.168.0.1/hook", on_premise)
    with pytest.raises(TargetError, match="must use https"):
        check_url("http://10.1.2.3/hook", on_premise)
    check_url("http://127.0.0.1:8000/hook", LOCAL)
    with pytest.raises(TargetError, match="credentials"):
        check_url("http://u:p@127.0.0.1:8000/hook", LOCAL)


class FakeDns:
    """Stands in for DNS: ``answers`` are returned in turn (the last one repeats)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[Any]:
            if host != "hooks.news.example":
                return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
            self.calls.append(host)
            answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in answer
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_resolving_to_a_private_address_is_refused_at_delivery(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    port = receiver.server.server_address[1]
    url = f"https://hooks.news.example:{port}/moderation-events"
    check_url(url, STRICT)  # a public-looking name passes registration...
    dns = FakeDns(monkeypatch, ["93.184.216.34", "127.0.0.1"])  # ...and resolves to loopback
    status, error = post_event(url, b"{}", {}, DeliverySettings(timeout_seconds=5))
    assert status is None
    assert error is not None and "refused hooks.news.example" in error
    assert "127.0.0.1 is a loopback address" in error
    assert dns.calls == ["hooks.news.example"]
    assert receiver.attempts == []


def test_the_connection_goes_to_the_address_that_was_checked(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """DNS rebinding: the name is resolved once per attempt, checked, and that address is
    the one connected to (a second answer, private, is never used). Host names the site."""
    port = receiver.server.server_address[1]
    url = f"http://hooks.news.example:{port}/moderation-events"
    dns = FakeDns(monkeypatch, ["127.0.0.1"], ["10.9.9.9"])
    status, error = post_event(url, b"{}", {}, DeliverySettings(timeout_seconds=5, targets=LOCAL))
    assert (status, error) == (204, None)
    assert dns.calls == ["hooks.news.example"]
    (request,) = receiver.accepted
    assert request.headers["Host"] == f"hooks.news.example:{port}"


def test_a_stored_url_the_settings_no_longer_allow_is_not_contacted(receiver: Receiver) -> None:
    status, error = post_event(receiver.url, b"{}", {}, DeliverySettings(timeout_seconds=5))
    assert status is None
    assert error is not None and error.startswith("refused: callback URL must use https")
    assert receiver.attempts == []
