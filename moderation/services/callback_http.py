"""The HTTP client that delivers callbacks: only to permitted addresses, and within one total
deadline per attempt.

**Where callbacks may go.** A callback URL is chosen by whoever administers a site, and the
service POSTs to it from inside the deployment's network, so an unchecked URL reaches
whatever the workers can reach: the cloud metadata endpoint (``169.254.169.254``), Redis on
``localhost:6379``, internal admin pages. By default a callback URL must be ``https`` and
name a public address; no credentials (``user:pass@``) in it. The host is checked when the
URL is set (:func:`check_url`: literal addresses in every form a resolver accepts —
``2130706433``, ``0x7f.1``, ``127.1``, IPv4-mapped IPv6 — are normalised first) and again
at every delivery after DNS resolution: every address the name resolves to must be
permitted, and the connection goes to the address that was checked, so a DNS answer that
changes between check and connect (rebinding) cannot redirect it. Receivers on a private
network are allowed with ``MODERATION_CALLBACK_ALLOWED_NETWORKS`` (CIDRs) and plain http
with ``MODERATION_CALLBACK_ALLOW_HTTP``.

**One total deadline.**

httpx's timeouts apply per operation (connect, each read, each write), so a receiver that
answers ``200`` with ``Content-Length: 1000`` and then sends one byte every few seconds keeps
an attempt alive for an hour without any timeout firing. Here every network operation of an
attempt — connecting, the TLS handshake, each write and each read — gets at most the time
left until the attempt's deadline, and fails with a timeout once it has passed.

Both guards sit in httpcore's network backend (the layer that opens sockets), so they apply
to whatever httpx does above it; the client never reads proxy settings from the environment
and never follows redirects.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from moderation.config import TargetPolicy as TargetPolicy  # declared with the settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_HTTP_SETTING = "MODERATION_CALLBACK_ALLOW_HTTP"
ALLOWED_NETWORKS_SETTING = "MODERATION_CALLBACK_ALLOWED_NETWORKS"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LEGACY_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")


class TargetError(ValueError):
    """A callback URL or address is not permitted; the message says why and what allows it."""


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` names literally, in any form a resolver accepts (dotted quad,
    IPv6, and the legacy IPv4 forms ``2130706433``, ``0x7f.1``, ``127.1``, ``0177.0.0.1``);
    ``None`` for a name."""
    host = host.strip("[]").removesuffix(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: IPAddress) -> str | None:
    """Why ``address`` is not a public unicast address, or ``None`` when it is one."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "non-public"
    return None


def check_address(address: IPAddress, policy: TargetPolicy) -> None:
    """Raise :class:`TargetError` unless callbacks may be sent to ``address``."""
    if any(address in network for network in policy.allowed_networks):
        return
    inner = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    if inner is not None:
        if any(inner in network for network in policy.allowed_networks):
            return
        kind = _kind(inner) or _kind(address)
    else:
        kind = _kind(address)
    if kind is not None:
        raise TargetError(
            f"{address} is a {kind} address; callbacks go to public addresses only, unless "
            f"{ALLOWED_NETWORKS_SETTING} includes it (a receiver on your own network)"
        )


def check_url(url: str, policy: TargetPolicy) -> httpx.URL:
    """The parsed URL, or :class:`TargetError` saying what is wrong with it as a callback
    target. Names are not resolved here (delivery checks what they resolve to)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise TargetError(f"callback URL {url!r} is not a valid URL: {exc}") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise TargetError(f"callback URL must be an absolute https URL, not {url!r}")
    if parsed.scheme == "http" and not policy.allow_http:
        raise TargetError(
            "callback URL must use https; plain http is accepted only with "
            f"{ALLOW_HTTP_SETTING}=true (a receiver on your own network)"
        )
    if parsed.userinfo:
        raise TargetError(
            "callback URL must not contain credentials (user:password@): they would be "
            "stored and shown in clear; every callback is signed with the site's secret"
        )
    host = parsed.raw_host.decode("ascii").lower()
    address = literal_address(host)
    if address is not None:
        check_address(address, policy)
    elif host.removesuffix(".") == "localhost" or host.removesuffix(".").endswith(".localhost"):
        check_address(ipaddress.ip_address("127.0.0.1"), policy)
    return parsed


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

    def __init__(self, deadline: Deadline, policy: TargetPolicy) -> None:
        self.deadline = deadline
        self.policy = policy
        self._sockets = httpcore.SyncBackend()

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, each permitted, or ``ConnectError``.

        The resolver runs in a helper thread so that it too ends by the deadline."""
        found: dict[str, Any] = {}
        done = threading.Event()

        def lookup() -> None:
            try:
                found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                found["error"] = exc
            finally:
                done.set()

        threading.Thread(target=lookup, name="callback-dns", daemon=True).start()
        if not done.wait(max(0.0, self.deadline.left())):
            raise httpcore.ConnectTimeout(self.deadline.message)
        if "error" in found:
            raise httpcore.ConnectError(f"cannot resolve {host}: {found['error']}")
        addresses: list[IPAddress] = []
        for info in found["infos"]:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        for address in addresses:
            try:
                check_address(address, self.policy)
            except TargetError as exc:
                raise httpcore.ConnectError(f"refused {host}: {exc}") from None
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.resolve(host, port)
        error: httpcore.ConnectError | None = None
        for address in addresses:  # connect to a checked address, never to the name
            left = self.deadline.left(timeout)
            if left <= 0:
                raise httpcore.ConnectTimeout(self.deadline.message)
            try:
                stream = self._sockets.connect_tcp(
                    str(address), port, left, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return _DeadlineStream(stream, self.deadline)
        raise error or httpcore.ConnectError(f"no address for {host}")

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


def delivery_client(deadline: Deadline, policy: TargetPolicy) -> httpx.Client:
    """A client for one delivery attempt: it connects only to addresses ``policy`` permits,
    and every operation ends by ``deadline``."""
    return httpx.Client(
        transport=_Transport(GuardedBackend(deadline, policy)),
        timeout=deadline.seconds,
        follow_redirects=False,
        trust_env=False,
    )
