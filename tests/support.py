"""Helpers for tests: signed requests, comment bodies, and real service processes."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.signing import signature_headers

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("MODERATION_TEST_REQUIRE_SERVICES") == "1"
T = TypeVar("T")


def need(binary: str) -> str:
    """Path of ``binary``; skip the test (fail under CI) when it is not installed."""
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is not installed"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message} (MODERATION_TEST_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return path


def skip_or_fail(message: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (MODERATION_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    check: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(interval)


# --- requests -------------------------------------------------------------------------


def config_copy(tmp_path: Path) -> Path:
    """A copy of the project's ``config/`` under ``tmp_path``, for a test to change."""
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def comment_payload(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site": "news",
        "comment_id": "c-1",
        "author": {"id": "reader-1", "name": "Ann Reader"},
        "article": {"id": "a-1", "url": "https://news.example/a-1", "title": "Budget vote"},
        "text": "Thanks for the thoughtful article, I learned a lot.",
    }
    body.update(changes)
    return body


def signed(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", **signature_headers(secret, body, now)}


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def make_site(app: Flask, name: str) -> tuple[str, str]:
    from moderation.services.sites import create_site

    with app.app_context():
        site, secret = create_site(name)
        return site.name, secret


# --- databases ------------------------------------------------------------------------


def create_test_database(base_url: str, name: str) -> str:
    from moderation.config import _normalise_database_url

    url = sa.make_url(_normalise_database_url(base_url))
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        skip_or_fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc.orig}")
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_test_database(base_url: str, url: str) -> None:
    from moderation.config import _normalise_database_url

    name = sa.make_url(url).database
    engine = sa.create_engine(_normalise_database_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


# --- processes ------------------------------------------------------------------------


@dataclass
class Process:
    """A child process with its output captured to a log file for failure reports."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


def spawn(name: str, argv: list[str], env: Mapping[str, str], log_dir: Path) -> Process:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            cwd=ROOT,
            start_new_session=True,
        )
    return Process(name, popen, log_path)


@dataclass
class RedisServer:
    port: int
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, log_dir: Path) -> None:
        argv = [
            need("redis-server"),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = spawn("redis", argv, {}, log_dir)
        wait_until(self.ping, timeout=10, what="redis-server to accept connections")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@dataclass
class Services:
    log_dir: Path = field(default_factory=lambda: ROOT / "test-artifacts" / "logs")

    def start_redis(self) -> RedisServer:
        server = RedisServer(free_port())
        server.start(self.log_dir)
        return server

    def service_env(self, overrides: Mapping[str, Any]) -> dict[str, str]:
        env = {
            "MODERATION_SECRET_KEY": "test-secret-key-not-for-production",
            "MODERATION_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        for key, value in overrides.items():
            env[f"MODERATION_{key.upper()}"] = str(value)
        return env

    def start_worker(self, overrides: Mapping[str, Any], *extra: str) -> Process:
        """A real ``celery worker`` process on the app's broker, ready to consume."""
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "moderation.worker:celery_app",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *extra,
        ]
        process = spawn("worker", argv, self.service_env(overrides), self.log_dir)
        wait_until(
            lambda: "ready" in process.output() or not process.alive(),
            timeout=60,
            what="celery worker to be ready",
        )
        if not process.alive():
            pytest.fail(f"celery worker exited:\n{process.output()}")
        return process

    def start_procfile(
        self, name: str, overrides: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> Process:
        """The Procfile's ``name`` process, its command run by a shell exactly as written
        (the virtualenv's scripts on ``PATH``); waits until a worker says it is ready."""
        command = procfile_commands()[name]
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        process = spawn(
            name,
            ["bash", "-c", f"exec {command}"],
            {**self.service_env(overrides), "PATH": path, **(env or {})},
            self.log_dir,
        )
        wait_until(
            lambda: " ready." in process.output() or not process.alive(),
            timeout=60,
            what=f"the Procfile's {name} process to be ready",
        )
        if not process.alive():
            pytest.fail(f"the Procfile's {name} process exited:\n{process.output()}")
        return process

    def start_web(
        self, overrides: Mapping[str, Any], workers: int = 2, threads: int = 4
    ) -> tuple[Process, str]:
        """A real gunicorn serving the app factory; returns (process, base URL)."""
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:moderation.gunicorn_conf",
            "moderation.app:create_app()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
        ]
        process = spawn("web", argv, self.service_env(overrides), self.log_dir)
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            import httpx

            if not process.alive():
                pytest.fail(f"gunicorn exited:\n{process.output()}")
            try:
                return httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=60, what="gunicorn to serve /healthz")
        return process, base


def procfile_commands() -> dict[str, str]:
    """The Procfile's processes: name → command."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and not line.startswith("#"):
            commands[name.strip()] = command.strip()
    return commands


#: Settings that let callbacks reach a receiver on this machine (http://127.0.0.1:…): by
#: default only public https targets are accepted (issue 10, item 6).
LOCAL_RECEIVER = {"callback_allow_http": True, "callback_allowed_networks": "127.0.0.1/32"}


# --- a site's callback receiver ---------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server standing in for the publishing site's callback endpoint.

    ``fail_first`` answers 503 to that many requests before accepting. ``accepted`` holds the
    requests answered 2xx, ``attempts`` every request.
    """

    fail_first: int = 0
    attempts: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    server: Any = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/moderation-events"

    def start(self) -> Receiver:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                item = Received(dict(self.headers.items()), self.rfile.read(length))
                receiver.attempts.append(item)
                if len(receiver.attempts) <= receiver.fail_first:
                    self.send_response(503)
                else:
                    receiver.accepted.append(item)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def verified_events(self, secret: str) -> list[dict[str, Any]]:
        """Accepted events whose signature checks out with ``secret`` (as a site would)."""
        out = []
        for item in self.accepted:
            ts = item.headers["X-Moderation-Timestamp"]
            expected = (
                "sha256="
                + hmac.new(
                    secret.encode(), ts.encode() + b"." + item.body, hashlib.sha256
                ).hexdigest()
            )
            assert hmac.compare_digest(expected, item.headers["X-Moderation-Signature"])
            out.append(item.json)
        return out


# --- a TCP proxy that can cut a connection (the database "goes away") --------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; :meth:`cut` drops every connection and
    refuses new ones until :meth:`restore`."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        import threading

        self.upstream = upstream
        self.port = free_port()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> TcpProxy:
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        import threading

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes accept(); close() alone would not
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def restore(self) -> None:
        self.start()


# --- a receiver that stalls: answers 200, then trickles its body ------------------------


class StallingReceiver:
    """A callback receiver that answers ``200`` with ``Content-Length: 1000`` and then sends
    one byte every ``interval`` seconds: no per-read timeout ever fires against it.

    ``requests`` counts the requests it answered, ``open`` the connections still trickling,
    ``trickled`` the body bytes it managed to send before the client hung up."""

    def __init__(self, interval: float = 3.0, length: int = 1000) -> None:
        import threading

        self.interval = interval
        self.length = length
        self.requests = 0
        self.open = 0
        self.trickled = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._listener: socket.socket | None = None

    @property
    def url(self) -> str:
        assert self._listener is not None
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/moderation-events"

    def start(self) -> StallingReceiver:
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        import threading

        while not self._stopped.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            with self._lock:
                self.requests += 1
                self.open += 1
            try:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    + f"Content-Length: {self.length}\r\n\r\n".encode()
                )
                for _ in range(self.length):
                    if self._stopped.wait(self.interval):
                        return
                    conn.sendall(b"x")
                    with self._lock:
                        self.trickled += 1
            except OSError:
                return
            finally:
                with self._lock:
                    self.open -= 1

    def stop(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()


def set_callback_url(site: Any, url: str | None, *, actor: str) -> None:
    """Set ``site``'s callback URL under the current app's callback settings."""
    from moderation import configured
    from moderation.services import sites

    sites.set_callback_url(site, url, actor=actor, policy=configured.settings().callback_targets())
