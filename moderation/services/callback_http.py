"""The HTTP client that delivers callbacks: one total deadline per attempt.

httpx's timeouts apply per operation (connect, each read, each write), so a receiver that
answers ``200`` with ``Content-Length: 1000`` and then sends one byte every few seconds keeps
an attempt alive for an hour without any timeout firing. Here every network operation of an
attempt — connecting, the TLS handshake, each write and each read — gets at most the time
left until the attempt's deadline, and fails with a timeout once it has passed.

The guard sits in httpcore's network backend (the layer that opens sockets), so it applies
to whatever httpx does above it; the client never reads proxy settings from the environment
and never follows redirects.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class Deadline:
    """A point on the monotonic clock ``seconds`` from now."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self, timeout: float | None = None) -> float:
        """Seconds left (never more than ``timeout``); ``<= 0`` once the deadline passed."""
        remaining = self.at - time.monotonic()
        return remaining if timeout is None else min(timeout, remaining)

    @property
    def passed(self) -> bool:
        return self.left() <= 0

    @property
    def message(self) -> str:
        return f"callback attempt exceeded its {self.seconds:g} s deadline"


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        left = self._deadline.left(timeout)
        if left <= 0:
            raise httpcore.ReadTimeout(self._deadline.message)
        try:
            return self._inner.read(max_bytes, left)
        except httpcore.ReadTimeout:
            if self._deadline.passed:
                raise httpcore.ReadTimeout(self._deadline.message) from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        left = self._deadline.left(timeout)
        if left <= 0:
            raise httpcore.WriteTimeout(self._deadline.message)
        self._inner.write(buffer, left)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline.left(timeout)
        if left <= 0:
            raise httpcore.ConnectTimeout(self._deadline.message)
        secured = self._inner.start_tls(ssl_context, server_hostname, left)
        return _DeadlineStream(secured, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Opens TCP connections for one delivery attempt, within its deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self.deadline.left(timeout)
        if left <= 0:
            raise httpcore.ConnectTimeout(self.deadline.message)
        stream = self._sockets.connect_tcp(host, port, left, local_address, socket_options)
        return _DeadlineStream(stream, self.deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("callbacks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self.deadline.left())))


class _Transport(httpx.HTTPTransport):
    """httpx's own transport (request and error mapping) over :class:`GuardedBackend`."""

    def __init__(self, backend: GuardedBackend) -> None:  # builds its own pool: no super()
        self._pool = httpcore.ConnectionPool(
            network_backend=backend, max_connections=1, keepalive_expiry=0
        )


def delivery_client(deadline: Deadline) -> httpx.Client:
    """A client for one delivery attempt: every operation ends by ``deadline``."""
    return httpx.Client(
        transport=_Transport(GuardedBackend(deadline)),
        timeout=deadline.seconds,
        follow_redirects=False,
        trust_env=False,
    )
