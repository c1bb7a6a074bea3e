"""Intake and decision throughput against a minimal reference endpoint (issue 14), one run.

    python bench/intake.py                         # all phases, 10 s each, 300 req/s paced
    python bench/intake.py --seconds 5 --rates 100,300 --backlog 3000 --only 1,2
    python bench/intake.py --worker-env MODERATION_SOMETHING=value   # extra worker settings

The load generator is Debian's ``wrk`` 4.1 (``apt-get install -y wrk``), driven by
``bench/intake.lua``: complete requests, signed (v2) just before each wrk run, are written to
one file per wrk thread, each thread with its own comment-id range, every request a new
comment by one of many authors. wrk has no fixed-rate mode (that is wrk2): fixed offered
rates come from the script's ``delay()`` hook, a per-thread schedule that sends a request
only when a connection is free, i.e. closed-loop pacing (see the script's header; late
requests are counted and printed).

What runs, all on this machine: a private ``redis-server``, a throw-away PostgreSQL database
(``--database-url`` names the server; SQLite is refused), migrated by the Procfile's
``release`` line; the service's Procfile ``web`` line (gunicorn 2 workers x 8 gthread); the
reference endpoint ``bench/reference_intake.py`` under the same gunicorn settings, in the same
database and Redis; and, from phase 3, the Procfile's ``worker`` line (2 pool processes).

Phases (``--only 1,2,...``), with the issue's targets:

1. max throughput, ``wrk -t2 -c16``, reference and ``POST /api/v1/comments`` (no worker),
   ``--pairs`` times in alternating order: requests/s, p50, p99, non-2xx of the pair with
   the median ratio, and every pair's ratio; median ratio service/reference >= 0.7.
2. fixed offered rates (``--rates``): p50/p99 of both; service p99 <= 25 ms at 300 req/s.
3. backlog drain by a running worker: ``--backlog`` comments posted while its consumer is
   paused (Celery's remote control ``cancel_consumer``), as if a burst outran it, then
   resumed (``add_consumer``); decided/s from the resume until none is pending >= 800/s.
   Printed beside it, not judged: a cold worker, started after ``--backlog`` comments were
   posted, with its start-up time and its decided/s from its start (a figure that depends
   on the backlog's size: the start-up weighs less in a larger one).
4. sustained: worker running, ``--sustain-rate`` offered for ``--seconds``; intake to
   decision p95 (``decided_at - received_at``) <= 250 ms, every comment decided.
5. memory: peak RSS of the worker's main process and of each pool process (``VmHWM``: the
   most each has held since it started, its loading included), read during phases 3-4,
   <= 250 MB per process.

The bench site's policy raises only the site-wide intake limit (3000/minute by default, far
below what is measured here); the per-author limits stay as configured and the limiter stays
on. Authors are taken in turn from a pool of 50,000, so none reaches its limit.

Reading the figures: latencies are wrk's, from the moment a request is sent (a request that
waited for a free connection is reported as a "late send", not as latency). "server CPU ms
per request" is the CPU time of the gunicorn processes over a run divided by its requests:
it depends less on other load than requests/s does; "PostgreSQL / Redis CPU" is likewise
that of every ``postgres`` process and every ``redis-server`` on the machine (the work each
request causes there). The load average is printed at the start
and the end; above the core count, something else shared the machine and every figure is
pessimistic. Before phase 3 the comments phases 1-2 left pending (and their queued tasks) are
dropped, so phases 3-4 measure their own comments only; run with ``--only 4`` alone, the
worker starts cold and its first comments bear its warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.load import pct, texts  # noqa: E402
from bench.procstat import children, cpu_by_command, cpu_tree, peak_rss  # noqa: E402
from bench.reference_intake import PATH, QUEUE, ensure_table  # noqa: E402
from moderation.signing import signature_headers  # noqa: E402
from tests.support import (  # noqa: E402
    Process,
    Services,
    create_test_database,
    drop_test_database,
    free_port,
    procfile_commands,
    spawn,
)

PG = "postgresql://postgres@127.0.0.1:5432/test"
LUA = ROOT / "bench" / "intake.lua"
THREADS, CONNECTIONS = 2, 16
AUTHORS = 50_000
SITE = "bench"
MB = 1024 * 1024

# The targets.
RATIO_MIN = 0.7
P99_MAX_MS, P99_AT_RATE = 25.0, 300
DRAIN_MIN = 800.0
DECISION_P95_MAX_MS = 250.0
RSS_MAX_MB = 250.0


# --- requests -----------------------------------------------------------------------------


@dataclass
class Signer:
    """Writes pre-signed requests for wrk: one file per thread, NUL between requests."""

    secret: str
    host: str
    corpus: list[str]
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    authors_used: int = 0

    def write(self, directory: Path, prefix: str, per_thread: int) -> str:
        """Sign ``per_thread`` new comments for each thread into ``directory``; the comment
        ids all start with the returned prefix."""
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        now = time.time()
        full = f"{self.run}-{prefix}"
        for thread in range(1, THREADS + 1):
            chunks = []
            for i in range(per_thread):
                n = self.authors_used
                self.authors_used += 1
                payload = {
                    "site": SITE,
                    "comment_id": f"{full}-t{thread}-{i}",
                    "author": {"id": f"reader-{n % AUTHORS}", "name": "Bench Reader"},
                    "article": {"id": f"article-{n % 50}"},
                    "text": self.corpus[n % len(self.corpus)],
                }
                body = json.dumps(payload).encode()
                headers = {
                    "Host": self.host,
                    "Content-Type": "application/json",
                    "Content-Length": str(len(body)),
                    **signature_headers(self.secret, body, now, method="POST", target=PATH),
                }
                head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                chunks.append(f"POST {PATH} HTTP/1.1\r\n{head}\r\n".encode() + body)
            (directory / f"requests-{thread}.bin").write_bytes(b"\0".join(chunks))
        return full


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]  # by status code, or "2xx-3xx" / "4xx-5xx" (wrk's summary)
    socket_errors: int
    late: int
    exhausted: int
    wrk_cpu_s: float
    server_cpu_s: float
    database_cpu_s: float = 0.0
    redis_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return self.socket_errors + sum(n for s, n in self.statuses.items() if s[0] != "2")

    def server_ms_per_request(self) -> float:
        return self.server_cpu_s * 1000 / max(self.requests, 1)

    def ms_per_request(self, cpu_s: float) -> float:
        return cpu_s * 1000 / max(self.requests, 1)


def run_wrk(
    url: str,
    directory: Path,
    seconds: float,
    *,
    rate: float = 0,
    stop: bool = False,
    count_statuses: bool = False,
    server: Process | None = None,
    log: Path | None = None,
) -> WrkResult:
    """Run wrk once over ``directory``'s requests; ``stop``: until every request is answered
    (``seconds`` is then only the bound)."""
    argv = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        str(directory),
        f"{rate:g}",
        "1" if stop else "0",
        str(THREADS),
        str(CONNECTIONS),
    ]
    server_before = cpu_tree(server.popen.pid) if server else 0.0
    database_before, redis_before = cpu_by_command("postgres"), cpu_by_command("redis-server")
    # The script's response() exists only with INTAKE_BENCH_COUNT=1 (it costs wrk CPU).
    env = {**os.environ, "INTAKE_BENCH_COUNT": "1" if stop or count_statuses else "0"}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        if stop:
            # wrk's main thread sleeps for -d whatever its threads do: each thread leaves a
            # mark when all its requests are answered (see the script); SIGINT ends the sleep.
            markers = [directory / f"done-{t}" for t in range(1, THREADS + 1)]
            deadline = time.monotonic() + seconds
            while proc.poll() is None and time.monotonic() < deadline:
                if all(m.exists() for m in markers):
                    proc.send_signal(signal.SIGINT)
                    break
                time.sleep(0.05)
        assert proc.stdout is not None
        output = proc.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
    server_cpu = (cpu_tree(server.popen.pid) - server_before) if server else 0.0
    database_cpu = cpu_by_command("postgres") - database_before
    redis_cpu = cpu_by_command("redis-server") - redis_before
    if log is not None:
        with log.open("a") as fh:
            fh.write(f"$ {shlex.join(argv)}\n{output}\n")
    line = next((x for x in output.splitlines() if x.startswith("INTAKE-BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed (exit {proc.returncode}):\n{output}")
    data = json.loads(line.removeprefix("INTAKE-BENCH "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        statuses=(
            dict(data["statuses"])
            # Without per-status counts: wrk's summary tells the 4xx/5xx answers apart.
            or {
                "2xx-3xx": data["requests"] - data["errors"]["status"],
                "4xx-5xx": data["errors"]["status"],
            }
        ),
        socket_errors=sum(v for k, v in data["errors"].items() if k != "status"),
        late=data["late"],
        exhausted=data["exhausted_threads"],
        wrk_cpu_s=usage.ru_utime + usage.ru_stime,
        server_cpu_s=server_cpu,
        database_cpu_s=database_cpu,
        redis_cpu_s=redis_cpu,
    )


# --- processes ------------------------------------------------------------------------------


def venv_path() -> str:
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def web_command(reference: bool) -> str:
    """The Procfile's ``web`` line, bound to 127.0.0.1; for the reference, the same gunicorn
    settings serving ``bench/reference_intake.py`` (without the service's gunicorn hooks,
    which warm up the scoring model)."""
    command = procfile_commands()["web"].replace("0.0.0.0", "127.0.0.1")
    if reference:
        from moderation import gunicorn_conf

        replaced = command.replace(
            "'moderation.app:create_app()'", "'bench.reference_intake:create_app()'"
        ).replace("-c python:moderation.gunicorn_conf", f"--keep-alive {gunicorn_conf.keepalive}")
        if replaced.count("bench.reference_intake") != 1 or "gunicorn_conf" in replaced:
            raise SystemExit(f"the Procfile's web line changed shape: {command}")
        command = replaced
    return command


def start_web(services: Services, env: dict[str, str], reference: bool) -> tuple[Process, str]:
    port = free_port()
    process = spawn(
        "reference" if reference else "web",
        ["bash", "-c", f"exec {web_command(reference)}"],
        {**env, "PATH": venv_path(), "PORT": str(port), "PYTHONPATH": str(ROOT)},
        services.log_dir,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if not process.alive():
            raise SystemExit(f"{process.name} exited:\n{process.output()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{process.name} did not answer /healthz:\n{process.output()}")
        time.sleep(0.1)
    return process, base


def wait_quiet(process: Process, timeout: float = 90.0) -> None:
    """Wait until ``process`` and its children use under 5 % of a core (a warm-up is over)."""
    deadline = time.monotonic() + timeout
    before = cpu_tree(process.popen.pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_tree(process.popen.pid)
        if now - before < 0.025:
            return
        before = now


@dataclass
class WorkerMemory:
    """Peak RSS of the worker's main process and of each of its pool processes."""

    pid: int
    main: int = 0
    pool: dict[int, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            self.main = max(self.main, peak_rss(self.pid))
            for child in children(self.pid):
                self.pool[child] = max(self.pool.get(child, 0), peak_rss(child))
            time.sleep(0.2)


def start_worker(services: Services, env: dict[str, str], extra: dict[str, str]) -> Process:
    """The Procfile's ``worker`` line (2 pool processes unless the extra env says otherwise)."""
    return services.start_procfile(
        "worker",
        {},  # the settings are in env already
        {
            **env,
            "PATH": venv_path(),
            "WORKER_METRICS_PORT": str(free_port()),
            **extra,
        },
    )


# --- database -------------------------------------------------------------------------------


def count(engine: sa.Engine, prefix: str, pending: bool | None = None) -> int:
    where = "external_id LIKE :p"
    if pending is not None:
        where += " AND status " + ("= 'pending'" if pending else "!= 'pending'")
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(f"SELECT count(*) FROM comments WHERE {where}"), {"p": f"{prefix}-%"}
            ).scalar_one()
        )


def forget_pending(engine: sa.Engine, redis_url: str, queue: str) -> int:
    """Drop what phases 1-2 left for a worker (their comments and queued tasks), so that the
    drain and sustained phases measure their own comments only."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{queue}*"):
        name = key.decode(errors="replace")
        if name == queue or name.startswith(f"{queue}\x06\x16"):  # kombu's priority lists
            client.delete(key)
    client.delete(QUEUE)
    with engine.begin() as conn:
        dropped = conn.execute(sa.text("DELETE FROM comments WHERE status = 'pending'")).rowcount
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE comments")
    return int(dropped or 0)


def decision_times(engine: sa.Engine, prefix: str) -> tuple[list[float], int, int, int]:
    """(intake-to-decision seconds of comments the worker decided, undecided, decided at
    intake, stored) for the comments whose id starts with ``prefix``."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT received_at, decided_at, status FROM comments WHERE external_id LIKE :p"
            ),
            {"p": f"{prefix}-%"},
        ).all()
    undecided = sum(1 for r in rows if r.status == "pending" or r.decided_at is None)
    at_intake = sum(1 for r in rows if r.decided_at is not None and r.decided_at == r.received_at)
    times = [
        (r.decided_at - r.received_at).total_seconds()
        for r in rows
        if r.decided_at is not None and r.decided_at != r.received_at
    ]
    return times, undecided, at_intake, len(rows)


def wait_decided(engine: sa.Engine, prefix: str, timeout: float = 600) -> tuple[float, int]:
    """Wait until no comment under ``prefix`` is pending: (when that was seen, left pending
    at the timeout)."""
    deadline = time.monotonic() + timeout
    while count(engine, prefix, pending=True) and time.monotonic() < deadline:
        time.sleep(0.1)
    return time.monotonic(), count(engine, prefix, pending=True)


def decision_span(engine: sa.Engine, prefix: str) -> float:
    """Seconds from the first to the last decision of the comments under ``prefix``."""
    with engine.connect() as conn:
        first, last = conn.execute(
            sa.text(
                "SELECT min(decided_at), max(decided_at) FROM comments "
                "WHERE external_id LIKE :p AND decided_at > received_at"
            ),
            {"p": f"{prefix}-%"},
        ).one()
    return (last - first).total_seconds() if first and last else 0.0


def consumer(broker_url: str, queue: str, *, consume: bool) -> None:
    """Pause (``consume=False``) or resume the running worker's consumption of ``queue``,
    by Celery's remote control, once the (one) worker has answered."""
    from celery import Celery

    control = Celery("bench-control", broker=broker_url).control
    if consume:
        replies = control.add_consumer(queue, reply=True, timeout=10, limit=1)
    else:
        replies = control.cancel_consumer(queue, reply=True, timeout=10, limit=1)
    if not replies:
        action = "resume" if consume else "pause"
        raise SystemExit(f"the worker did not answer the request to {action} {queue}")


# --- report ---------------------------------------------------------------------------------


@dataclass
class Report:
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(
        self, what: str, reference: str, service: str, target: str = "", verdict: str = ""
    ) -> None:
        self.rows.append((what, reference, service, target, verdict))

    def print(self) -> None:
        header = ("measure", "reference", "service", "target", "result")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(5)]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        print(line.format(*header))
        print(line.format(*("-" * w for w in widths)))
        for row in self.rows:
            print(line.format(*row))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ms(value: float) -> str:
    return f"{value:.1f}"


def statuses(result: WrkResult) -> str:
    return ",".join(f"{k}:{v}" for k, v in sorted(result.statuses.items()))


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model or 'unknown CPU'})"


def load_average() -> str:
    """The 1-minute load average: above the core count, other work shared the machine."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def git_commit() -> str:
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)

    commit = git("rev-parse", "--short", "HEAD").stdout.strip() or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return commit + (" with uncommitted changes" if dirty else "")


def wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].split("Copyright")[0].strip()


def parse_phases(value: str) -> set[int]:
    phases = {int(p) for p in value.replace(" ", "").split(",") if p}
    if not phases <= {1, 2, 3, 4, 5}:
        raise argparse.ArgumentTypeError("phases are 1 to 5")
    return phases


def parse_env(values: Iterable[str]) -> dict[str, str]:
    env = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"--worker-env wants NAME=VALUE, not {item!r}")
        env[name] = value
    return env


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of each wrk run.")
    parser.add_argument(
        "--pairs", type=int, default=3, help="Phase 1's reference/service runs (median reported)."
    )
    parser.add_argument("--rates", default="300", help="Offered req/s for phase 2, e.g. 100,300")
    parser.add_argument("--backlog", type=int, default=6000, help="Comments drained in phase 3.")
    parser.add_argument("--sustain-rate", type=float, default=300.0, help="Phase 4's req/s.")
    parser.add_argument(
        "--settle",
        type=float,
        default=60.0,
        help="Phase 4: wait this long after the load for every comment to be decided.",
    )
    parser.add_argument(
        "--max-rate",
        type=int,
        default=5000,
        help="Phase 1 signs enough requests for this many req/s (a thread that runs out says so).",
    )
    parser.add_argument(
        "--count-statuses",
        action="store_true",
        help="Count answers per status code (costs wrk CPU; by default 2xx-3xx vs 4xx-5xx).",
    )
    parser.add_argument("--only", type=parse_phases, default={1, 2, 3, 4, 5}, help="e.g. 1,2")
    parser.add_argument(
        "--database-url",
        default=PG,
        help=f"PostgreSQL server (default {PG}); a throw-away database is created on it.",
    )
    parser.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Extra environment for the worker (repeatable).",
    )
    args = parser.parse_args()
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    # A SIGTERM (a timeout, say) ends the run through the finally below: no stray processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    phases: set[int] = args.only
    rates = [float(r) for r in args.rates.split(",") if r]
    worker_extra = parse_env(args.worker_env)

    if not sa.make_url(args.database_url).get_backend_name().startswith("postgresql"):
        raise SystemExit(
            "--database-url must be PostgreSQL: the benchmark compares against a PostgreSQL "
            "endpoint and measures a multi-process deployment, which SQLite does not serve."
        )
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)")
    if args.seconds + 30 > 300:
        raise SystemExit("--seconds must stay under 270: signatures are valid for 300 s")

    from moderation.app import create_app
    from moderation.services.sites import create_site

    log_dir = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    services = Services(log_dir=log_dir)
    wrk_log = log_dir / "wrk.log"
    redis = services.start_redis()
    name = f"moderation_bench_{uuid.uuid4().hex[:8]}"
    try:
        url = create_test_database(args.database_url, name)
    except BaseException as exc:  # the helper raises pytest's Skipped when PG is unreachable
        redis.stop()
        raise SystemExit(f"cannot create a database on {args.database_url}: {exc}") from None
    libpq_url = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    config = Path(tempfile.mkdtemp(prefix="bench-config-")) / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "sites").mkdir(exist_ok=True)
    (config / "sites" / f"{SITE}.yaml").write_text('rate_limits: {site: "1000000/minute"}\n')
    overrides = {
        "database_url": url,
        "redis_url": redis.url,
        "instance_path": tempfile.mkdtemp(prefix="bench-instance-"),
        "config_dir": str(config),
        "log_level": "WARNING",
        "metrics_address": "127.0.0.1",
        "secret_key": "bench-intake",
    }
    env = services.service_env(overrides)
    processes: list[Process] = []
    report = Report()
    notes: list[str] = []
    try:
        release = spawn(
            "release",
            ["bash", "-c", f"exec {procfile_commands()['release']}"],
            {**env, "PATH": venv_path()},
            log_dir,
        )
        if release.popen.wait(300) != 0:
            raise SystemExit(f"`moderation db upgrade` failed:\n{release.output()}")
        with create_app(dict(overrides)).app_context():
            _, secret = create_site(SITE)
        ensure_table(libpq_url)
        corpus = texts()

        web, base = start_web(services, env, reference=False)
        processes.append(web)
        ref_env = {
            "BENCH_REFERENCE_DATABASE_URL": libpq_url,
            "BENCH_REFERENCE_REDIS_URL": redis.url,
            "BENCH_REFERENCE_SECRET": secret,
        }
        reference: Process | None = None
        ref_base = ""
        if phases & {1, 2}:
            reference, ref_base = start_web(services, ref_env, reference=True)
            processes.append(reference)
        workers_seen = len(children(web.popen.pid))
        print(
            f"machine: {machine()} | git {git_commit()} | {wrk_version()} | "
            f"PostgreSQL database {name} | gunicorn {workers_seen} workers x 8 gthread | "
            f"load average {load_average()}",
            flush=True,
        )
        print(f"command: {shlex.join(['python', 'bench/intake.py', *sys.argv[1:]])}", flush=True)
        print(f"logs: {log_dir}", flush=True)

        host = base.removeprefix("http://")
        signer = Signer(secret, host, corpus)
        ref_signer = Signer(secret, ref_base.removeprefix("http://"), corpus, run=signer.run)
        work = log_dir / "requests"
        wrk_cpu_s = 0.0
        wrk_requests = 0
        wrk_seconds = 0.0

        def measure(
            which: str,
            prefix: str,
            seconds: float,
            rate: float = 0,
            per_thread: int = 0,
            stop: bool = False,
        ) -> WrkResult:
            nonlocal wrk_cpu_s, wrk_requests, wrk_seconds
            is_ref = which == "reference"
            sig = ref_signer if is_ref else signer
            if not per_thread:
                per_second = rate * 1.1 + 20 if rate else args.max_rate
                per_thread = int(per_second * seconds / THREADS) + 50
            sig.write(work, prefix, per_thread)
            target = ref_base if is_ref else base
            server = reference if is_ref else web
            result = run_wrk(
                target + PATH,
                work,
                seconds,
                rate=rate,
                stop=stop,
                count_statuses=args.count_statuses,
                server=server,
                log=wrk_log,
            )
            wrk_cpu_s += result.wrk_cpu_s
            wrk_requests += result.requests
            wrk_seconds += result.seconds
            if result.exhausted:
                notes.append(
                    f"{which} {prefix}: {result.exhausted} wrk thread(s) ran out of requests "
                    "(raise --max-rate): its figure is a lower bound"
                )
            return result

        if phases & {1, 2}:
            assert reference is not None
            for which, process in (("reference", reference), ("service", web)):
                wait_quiet(process)
                measure(which, f"warm-{which}", 2, rate=200)
                wait_quiet(process)

        if 1 in phases:
            # Pairs, in alternating order: on a shared machine one run of each can differ by
            # a fifth from the next; the pair with the median ratio is reported.
            pairs: list[tuple[WrkResult, WrkResult]] = []
            for n in range(args.pairs):
                order = ("reference", "service") if n % 2 == 0 else ("service", "reference")
                runs = {which: measure(which, f"max-{which}-{n}", args.seconds) for which in order}
                pairs.append((runs["reference"], runs["service"]))
            ratios = [svc.rps / ref.rps if ref.rps else 0.0 for ref, svc in pairs]
            ref, svc = pairs[sorted(range(len(pairs)), key=ratios.__getitem__)[len(pairs) // 2]]
            ratio = svc.rps / ref.rps if ref.rps else 0.0
            failed = sum(s.non_2xx for _, s in pairs)
            report.add(
                f"1 max throughput, req/s (wrk -t2 -c16; median of {len(pairs)} pairs)",
                f"{ref.rps:.0f}",
                f"{svc.rps:.0f}",
            )
            report.add("1   p50 ms", ms(ref.p50_ms), ms(svc.p50_ms))
            report.add("1   p99 ms", ms(ref.p99_ms), ms(svc.p99_ms))
            report.add("1   non-2xx", str(ref.non_2xx), str(svc.non_2xx))
            report.add("1   statuses", statuses(ref), statuses(svc))
            report.add(
                "1   server CPU ms per request",
                f"{ref.server_ms_per_request():.2f}",
                f"{svc.server_ms_per_request():.2f}",
            )
            report.add(
                "1   PostgreSQL / Redis CPU ms per request",
                f"{ref.ms_per_request(ref.database_cpu_s):.2f} / "
                f"{ref.ms_per_request(ref.redis_cpu_s):.2f}",
                f"{svc.ms_per_request(svc.database_cpu_s):.2f} / "
                f"{svc.ms_per_request(svc.redis_cpu_s):.2f}",
            )
            report.add(
                "1   wrk CPU: % of one core",
                f"{100 * ref.wrk_cpu_s / ref.seconds:.0f} %",
                f"{100 * svc.wrk_cpu_s / svc.seconds:.0f} %",
            )
            report.add(
                "1   ratio of each pair",
                "",
                " ".join(f"{r:.2f}" for r in ratios),
            )
            report.add(
                "1   ratio service/reference (median pair)",
                "",
                f"{ratio:.2f}",
                f">= {RATIO_MIN}",
                verdict(ratio >= RATIO_MIN and failed == 0),
            )
            print("phase 1 done", flush=True)

        if 2 in phases:
            for rate in rates:
                ref = measure("reference", f"rate{rate:g}-ref", args.seconds, rate=rate)
                svc = measure("service", f"rate{rate:g}-svc", args.seconds, rate=rate)
                target, result = "", ""
                if rate == P99_AT_RATE:
                    target = f"service p99 <= {P99_MAX_MS:g} ms"
                    result = verdict(svc.p99_ms <= P99_MAX_MS and svc.non_2xx == 0)
                report.add(
                    f"2 offered {rate:g} req/s: achieved req/s", f"{ref.rps:.0f}", f"{svc.rps:.0f}"
                )
                report.add(
                    "2   p50 / p99 ms",
                    f"{ms(ref.p50_ms)} / {ms(ref.p99_ms)}",
                    f"{ms(svc.p50_ms)} / {ms(svc.p99_ms)}",
                    target,
                    result,
                )
                report.add(
                    "2   late sends (>10 ms) / non-2xx",
                    f"{ref.late} / {ref.non_2xx}",
                    f"{svc.late} / {svc.non_2xx}",
                )
            print("phase 2 done", flush=True)

        if reference is not None:
            reference.stop()
            processes.remove(reference)

        worker: Process | None = None
        memory: WorkerMemory | None = None
        watcher: threading.Thread | None = None

        def start_measured_worker() -> Process:
            nonlocal memory, watcher
            process = start_worker(services, env, worker_extra)
            processes.append(process)
            memory = WorkerMemory(process.popen.pid)
            watcher = threading.Thread(target=memory.run, daemon=True)
            watcher.start()
            return process

        if phases & {3, 4}:
            dropped = forget_pending(engine, redis.url, "scoring")
            if dropped:
                print(f"dropped {dropped} pending comments of phases 1-2", flush=True)
            wait_quiet(web)

        if 3 in phases:
            per_thread = -(-args.backlog // THREADS)
            # 3a. A cold worker: the backlog posted with no worker running, then one started.
            posted = measure("service", "drain", 600, per_thread=per_thread, stop=True)
            prefix = f"{signer.run}-drain"
            pending = count(engine, prefix, pending=True)
            started = time.monotonic()
            worker = start_measured_worker()
            ready = time.monotonic()
            finished, left = wait_decided(engine, prefix)
            cold_rate = (pending - left) / (finished - started)
            cold_span = decision_span(engine, prefix)
            # 3b. A running worker: a burst's backlog, posted while its consumer is paused (as
            # if the burst outran it), then drained. The verdict: a backlog forms while
            # workers run, and a cold start's share of a figure depends on the backlog's size.
            wait_quiet(worker)
            consumer(redis.url, "scoring", consume=False)
            burst = measure("service", "burst", 600, per_thread=per_thread, stop=True)
            burst_prefix = f"{signer.run}-burst"
            time.sleep(1.0)  # every web process has published its last ids (within 20 ms)
            burst_pending = count(engine, burst_prefix, pending=True)
            burst_stored = count(engine, burst_prefix)
            resumed = time.monotonic()
            consumer(redis.url, "scoring", consume=True)
            burst_finished, burst_left = wait_decided(engine, burst_prefix)
            rate = (burst_pending - burst_left) / (burst_finished - resumed)
            span = decision_span(engine, burst_prefix)
            report.add(
                f"3 backlog: posted at req/s (wrk, {statuses(burst)})", "", f"{burst.rps:.0f}"
            )
            report.add(
                f"3 drain of {burst_pending} pending by a running worker: decided/s",
                "",
                f"{rate:.0f}",
                f">= {DRAIN_MIN:g}/s",
                verdict(rate >= DRAIN_MIN and burst_left == 0 and burst_pending == burst_stored),
            )
            report.add(
                "3   decided/s first-to-last decision / left pending",
                "",
                f"{(burst_pending - burst_left) / max(span, 1e-9):.0f} / {burst_left}",
            )
            report.add(
                f"3 cold worker, {pending} posted before it started (at "
                f"{posted.rps:.0f} req/s): decided/s from its start",
                "",
                f"{cold_rate:.0f}",
            )
            report.add(
                "3   decided/s from ready / first-to-last decision",
                "",
                f"{(pending - left) / max(finished - ready, 1e-9):.0f} / "
                f"{(pending - left) / max(cold_span, 1e-9):.0f}",
            )
            report.add(
                "3   worker start to ready, s / left pending", "", f"{ready - started:.1f} / {left}"
            )
            print("phase 3 done", flush=True)

        if 4 in phases:
            if worker is None:
                worker = start_measured_worker()
                wait_quiet(worker)
            result = measure("service", "sustain", args.seconds, rate=args.sustain_rate)
            prefix = f"{signer.run}-sustain"
            deadline = time.monotonic() + args.settle
            while count(engine, prefix, pending=True) and time.monotonic() < deadline:
                time.sleep(0.25)
            times, undecided, at_intake, stored = decision_times(engine, prefix)
            p95 = pct([t * 1000 for t in times], 95)
            report.add(
                f"4 sustained {args.sustain_rate:g} req/s offered: achieved req/s",
                "",
                f"{result.rps:.0f}",
            )
            report.add(
                "4   intake p50 / p99 ms; late sends (>10 ms) / non-2xx",
                "",
                f"{ms(result.p50_ms)} / {ms(result.p99_ms)}; {result.late} / {result.non_2xx}",
            )
            report.add(
                "4   intake-to-decision p50 / p95 ms",
                "",
                f"{pct([t * 1000 for t in times], 50):.0f} / {p95:.0f}",
                f"p95 <= {DECISION_P95_MAX_MS:g} ms",
                verdict(p95 <= DECISION_P95_MAX_MS),
            )
            report.add(
                f"4   stored / undecided after {args.settle:g} s (decided at intake)",
                "",
                f"{stored} / {undecided} ({at_intake})",
                "all decided",
                verdict(undecided == 0 and stored >= result.requests - result.non_2xx),
            )
            print("phase 4 done", flush=True)

        if memory is not None:
            memory.stop.set()
            if watcher is not None:
                watcher.join()
            if 5 in phases:
                largest = max(memory.pool.values(), default=0)
                report.add(
                    "5 worker peak RSS MB: main process",
                    "",
                    f"{memory.main / MB:.0f}",
                    f"<= {RSS_MAX_MB:g} MB",
                    verdict(memory.main / MB <= RSS_MAX_MB),
                )
                report.add(
                    f"5   each of {len(memory.pool)} pool process(es)",
                    "",
                    " ".join(f"{v / MB:.0f}" for v in memory.pool.values()) or "-",
                    f"<= {RSS_MAX_MB:g} MB",
                    verdict(bool(memory.pool) and largest / MB <= RSS_MAX_MB),
                )

        if wrk_seconds:
            report.add(
                "wrk CPU: ms per 1000 requests / % of one core",
                "",
                f"{wrk_cpu_s * 1e6 / max(wrk_requests, 1):.0f} / "
                f"{100 * wrk_cpu_s / wrk_seconds:.0f} %",
            )
    finally:
        for process in reversed(processes):
            process.stop()
        redis.stop()
        engine.dispose()
        drop_test_database(args.database_url, url)

    print()
    report.print()
    print(f"load average at the end: {load_average()} (on {os.cpu_count()} cores)")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
