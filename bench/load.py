"""Load benchmark: gunicorn + a real Celery worker pool on this machine, signed requests at
rising rates. Prints, per rate: accepted requests/s, intake latency p50/p95/p99, time from
intake to stored decision p50/p95, whether every accepted comment was decided, and the peak
memory (RSS) of the web and worker process trees.

    python bench/load.py                      # PostgreSQL at 127.0.0.1:5432 if reachable
    python bench/load.py --rates 100,300,500 --seconds 10 --web-workers 2 --worker-concurrency 2

It starts its own Redis (private port) and creates a throw-away database; nothing of the
developer's data is touched. Targets (issue 6, on a 2-core machine): intake >= 500 req/s with
p99 <= 50 ms; decision p95 <= 250 ms at 100 req/s; worker RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.procstat import rss_largest, rss_tree  # noqa: E402
from moderation.signing import signature_headers  # noqa: E402
from tests.support import (  # noqa: E402
    Process,
    Services,
    create_test_database,
    drop_test_database,
)

PG = "postgresql://postgres@127.0.0.1:5432/test"


def texts() -> list[str]:
    mixed = ROOT / "eval" / "mixed_comments.jsonl"
    if mixed.exists():
        return [json.loads(line)["text"] for line in mixed.read_text().splitlines() if line.strip()]
    return [
        "Thanks for the careful reporting on the council budget.",
        "The mayor's plan is a mess and the numbers do not add up.",
        "You are an idiot if you believe this.",
    ]


@dataclass
class MemoryWatch:
    processes: dict[str, Process]
    peak_tree: dict[str, int] = field(default_factory=dict)
    peak_single: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            for name, process in self.processes.items():
                pid = process.popen.pid
                self.peak_tree[name] = max(self.peak_tree.get(name, 0), rss_tree(pid))
                self.peak_single[name] = max(self.peak_single.get(name, 0), rss_largest(pid))
            time.sleep(0.25)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Phase:
    rate: int
    sent: int = 0
    accepted: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    duration: float = 0.0
    comment_ids: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)  # status 0: the client's exception


class _Connections:
    """Keep-alive HTTP/1.1 connections to the server, reused one request at a time.

    A deliberately small client (request bytes are prepared before the clock starts; the
    response is read by its Content-Length), so that the load generator, which shares the
    machine's cores with the server, costs as little CPU as possible: httpx spent several
    times more per request than the server's own Python.
    """

    def __init__(self, host: str, port: int, limit: int = 400) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)  # at most this many requests (connections) open

    async def post(self, request: bytes) -> int:
        async with self.slots:
            return await self._post(request)

    async def _post(self, request: bytes) -> int:
        reader, writer = (
            self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
        )
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if b"connection: close" in head.lower():
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def signed_request(host: str, secret: str, body: bytes) -> bytes:
    headers = {
        "Host": host,
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **signature_headers(secret, body),
    }
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST /api/v1/comments HTTP/1.1\r\n{head}\r\n".encode() + body


async def drive(base: str, secret: str, rate: int, seconds: float, corpus: list[str]) -> Phase:
    """Open-loop load: requests start on schedule whatever the server's latency."""
    phase = Phase(rate)
    total = int(rate * seconds)
    run = uuid.uuid4().hex[:6]
    url = httpx.URL(base)
    host = f"{url.host}:{url.port}"
    requests = []
    for i in range(total):
        cid = f"{run}-{rate}-{i}"
        payload = {
            "site": "bench",
            "comment_id": cid,
            "author": {"id": f"reader-{run}-{i}", "name": "Bench Reader"},
            "article": {"id": f"article-{i % 50}"},
            "text": corpus[i % len(corpus)],
        }
        requests.append((cid, signed_request(host, secret, json.dumps(payload).encode())))
    connections = _Connections(url.host, url.port or 80)

    async def one(cid: str, request: bytes) -> None:
        started = time.perf_counter()
        try:
            status = await asyncio.wait_for(connections.post(request), timeout=60)
        except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as exc:
            status = 0
            phase.errors[type(exc).__name__] = phase.errors.get(type(exc).__name__, 0) + 1
        phase.latencies.append(time.perf_counter() - started)
        phase.statuses[status] = phase.statuses.get(status, 0) + 1
        if status == 202:
            phase.accepted += 1
            phase.comment_ids.append(cid)

    tasks = []
    start = time.perf_counter()
    for i, (cid, request) in enumerate(requests):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(cid, request)))
    await asyncio.gather(*tasks)
    phase.duration = time.perf_counter() - start
    connections.close()
    phase.sent = total
    return phase


def client_cpu_ms(run: Callable[[], Phase]) -> tuple[Phase, float]:
    """Run a phase; also return this process's CPU time per request (the load generator's
    share of the two cores, which the server does not get)."""
    before = time.process_time()
    phase = run()
    return phase, (time.process_time() - before) * 1000 / max(phase.sent, 1)


def errors_note(phase: Phase) -> str:
    return f" errors: {phase.errors}" if phase.errors else ""


def decision_latencies(
    engine: sa.Engine, ids: list[str], timeout: float
) -> tuple[list[float], int]:
    """Seconds from intake to decision for ``ids``; waits until all are decided or timeout."""
    deadline = time.monotonic() + timeout
    query = sa.text(
        "SELECT c.external_id, c.received_at, c.decided_at FROM comments c "
        "JOIN sites s ON s.id = c.site_id WHERE s.name = 'bench' AND c.external_id IN :ids"
    ).bindparams(sa.bindparam("ids", expanding=True))
    while True:
        rows = []
        with engine.connect() as conn:
            for chunk in range(0, len(ids), 1000):
                rows += conn.execute(query, {"ids": ids[chunk : chunk + 1000]}).all()
        undecided = sum(1 for r in rows if r.decided_at is None)
        if undecided == 0 or time.monotonic() > deadline:
            lat = [(r.decided_at - r.received_at).total_seconds() for r in rows if r.decided_at]
            return lat, undecided + (len(ids) - len(rows))
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="100,250,500,750", help="Requests/s, comma-separated.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each rate.")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="Default: a new PostgreSQL db.")
    parser.add_argument(
        "--burst",
        type=int,
        default=500,
        help="Then this rate with the worker paused: what the webhook alone accepts while the "
        "queue absorbs the backlog (0: skip).",
    )
    args = parser.parse_args()

    from moderation.app import create_app
    from moderation.extensions import db
    from moderation.services.sites import create_site

    services = Services(log_dir=Path(tempfile.mkdtemp(prefix="bench-logs-")))
    redis = services.start_redis()
    base_pg = args.database_url or PG
    name = f"moderation_bench_{uuid.uuid4().hex[:8]}"
    try:
        url = create_test_database(base_pg, name)
    except BaseException:  # pytest.skip raised by the helper when PostgreSQL is unreachable
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    config = Path(tempfile.mkdtemp(prefix="bench-config-")) / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "sites").mkdir(exist_ok=True)
    # The benchmark measures capacity: no per-site/author throttling for the load site.
    (config / "sites" / "bench.yaml").write_text('rate_limits: {site: "", author: ""}\n')
    instance = tempfile.mkdtemp(prefix="bench-instance-")
    overrides = {
        "database_url": url,
        "redis_url": redis.url,
        "instance_path": instance,
        "config_dir": str(config),
        "log_level": "WARNING",
    }
    app = create_app({**overrides, "secret_key": "bench"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        _, secret = create_site("bench")
        engine = db.engine
    worker = services.start_worker(
        {**overrides, "log_level": "WARNING"}, "--concurrency", str(args.worker_concurrency)
    )
    web, base = services.start_web(overrides, workers=args.web_workers, threads=args.threads)
    watch = MemoryWatch({"web": web, "worker": worker})
    watcher = threading.Thread(target=watch.run, daemon=True)
    watcher.start()
    corpus = texts()
    print(
        f"machine: {os.cpu_count()} cores | database: {sa.make_url(url).get_backend_name()} | "
        f"gunicorn {args.web_workers}x{args.threads} gthread | celery prefork x"
        f"{args.worker_concurrency} | {args.seconds:g} s per rate | {len(corpus)} distinct texts"
    )
    header = (
        f"{'rate':>6} {'sent':>6} {'acc/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'dec p50':>8} {'dec p95':>8} {'decided':>9} statuses"
    )
    print(header)
    results = []
    try:
        asyncio.run(drive(base, secret, 50, 2, corpus))  # warm-up: connections, model load
        for rate in [int(r) for r in args.rates.split(",")]:
            phase, client_ms = client_cpu_ms(
                lambda rate=rate: asyncio.run(drive(base, secret, rate, args.seconds, corpus))
            )
            lat_ms = [x * 1000 for x in phase.latencies]
            decided, missing = decision_latencies(engine, phase.comment_ids, timeout=120)
            dec_ms = [x * 1000 for x in decided]
            all_decided = missing == 0
            print(
                f"{rate:>6} {phase.sent:>6} {phase.accepted / phase.duration:>7.0f} "
                f"{pct(lat_ms, 50):>7.1f} {pct(lat_ms, 95):>7.1f} {pct(lat_ms, 99):>7.1f} "
                f"{pct(dec_ms, 50):>8.0f} {pct(dec_ms, 95):>8.0f} "
                f"{'all' if all_decided else f'{missing} NOT':>9} "
                f"{dict(sorted(phase.statuses.items()))}{errors_note(phase)} "
                f"client {client_ms:.1f} ms CPU/req",
                flush=True,
            )
            results.append((rate, phase, lat_ms, dec_ms, all_decided))
            time.sleep(1)
        if args.burst:
            # Intake alone: the worker is stopped, the broker queue takes the backlog, then a
            # new worker drains it (decision times here include the wait for that worker).
            worker.stop()
            phase, client_ms = client_cpu_ms(
                lambda: asyncio.run(drive(base, secret, args.burst, args.seconds, corpus))
            )
            lat_ms = [x * 1000 for x in phase.latencies]
            drain_started = time.perf_counter()
            worker = services.start_worker(
                {**overrides, "log_level": "WARNING"},
                "--concurrency",
                str(args.worker_concurrency),
            )
            watch.processes["worker"] = worker
            decided, missing = decision_latencies(engine, phase.comment_ids, timeout=300)
            drain_s = time.perf_counter() - drain_started
            print(
                f"{args.burst:>6} {phase.sent:>6} {phase.accepted / phase.duration:>7.0f} "
                f"{pct(lat_ms, 50):>7.1f} {pct(lat_ms, 95):>7.1f} {pct(lat_ms, 99):>7.1f} "
                f"{'-':>8} {'-':>8} {'all' if missing == 0 else f'{missing} NOT':>9} "
                f"{dict(sorted(phase.statuses.items()))}{errors_note(phase)} "
                f"client {client_ms:.1f} ms CPU/req  <- burst, worker "
                f"paused; backlog of {phase.accepted} drained in {drain_s:.1f} s "
                f"({phase.accepted / max(drain_s, 1e-9):.0f}/s, incl. worker start)",
                flush=True,
            )
            results.append((args.burst, phase, lat_ms, [], missing == 0))
    finally:
        watch.stop.set()
        watcher.join()
        web.stop()
        worker.stop()
        redis.stop()
        engine.dispose()
        if url.startswith("postgresql"):
            drop_test_database(base_pg, url)

    mb = 1024 * 1024
    print(
        f"\npeak RSS  web: {watch.peak_tree['web'] / mb:.0f} MB in all, largest process "
        f"{watch.peak_single['web'] / mb:.0f} MB | worker: {watch.peak_tree['worker'] / mb:.0f} MB "
        f"in all, largest process {watch.peak_single['worker'] / mb:.0f} MB"
    )
    best = max(
        (r for r in results if pct(r[2], 99) <= 50 and r[4]),
        key=lambda r: r[1].accepted / r[1].duration,
        default=None,
    )
    at100 = next((r for r in results if r[0] == 100 and r[3]), None)  # not the burst row
    print("\ntargets:")
    if best is not None:
        rate = best[1].accepted / best[1].duration
        print(
            f"  intake >= 500 req/s with p99 <= 50 ms: {rate:.0f} req/s at p99 "
            f"{pct(best[2], 99):.1f} ms -> {'met' if rate >= 500 else 'NOT met'}"
        )
    else:
        print("  intake >= 500 req/s with p99 <= 50 ms: no rate kept p99 <= 50 ms -> NOT met")
    if at100 is not None:
        p95 = pct(at100[3], 95)
        print(
            f"  decision p95 <= 250 ms at 100 req/s: {p95:.0f} ms -> "
            f"{'met' if p95 <= 250 else 'NOT met'}"
        )
    worker_mb = watch.peak_single["worker"] / mb
    print(
        f"  worker RSS <= 300 MB (largest worker process): {worker_mb:.0f} MB -> "
        f"{'met' if worker_mb <= 300 else 'NOT met'}"
    )
    print(f"  every accepted comment decided: {'yes' if all(r[4] for r in results) else 'NO'}")
    print(f"\nlogs: {services.log_dir}")


if __name__ == "__main__":
    main()
