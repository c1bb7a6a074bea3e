"""Web CPU per accepted comment: signed ``POST /api/v1/comments`` through the app, in-process.

    python bench/intake_cpu.py [-n 4000] [--threads 1] [--profile] [--reference]

Creates a fresh PostgreSQL database with a site ``bench`` (the same site-wide limit as
``bench/intake.py``; the per-author limits and the limiter stay on) and starts a private
``redis-server`` (limiter and broker; ``--redis-url`` names another instead), builds ``-n``
signed requests (new comments, new authors) as WSGI environments beforehand, and calls the
app's WSGI entry point with each, on ``--threads`` threads. Prints the process CPU time
(``time.process_time``: the request threads and the scoring publisher's thread) and wall time
per request. ``--profile`` (one thread) adds the cProfile listing with the request thread's
CPU time as its clock, so that time spent waiting for PostgreSQL or Redis does not count.
``--reference`` then sends the same requests (other comment ids) to the reference endpoint of
``bench/intake.py`` (``bench/reference_intake.py``, in the same database and Redis) and
prints its CPU per request and the ratio. gunicorn's own HTTP work, and the database's and
Redis's CPU, are not counted: ``bench/intake.py`` measures the whole. A measurement, not a
test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import texts  # noqa: E402
from bench.reference_intake import PATH, ensure_table  # noqa: E402
from bench.reference_intake import create_app as create_reference  # noqa: E402
from bench.timing import timed  # noqa: E402
from moderation.signing import signature_headers  # noqa: E402
from tests.support import Services, create_test_database, drop_test_database  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=PG, help="a PostgreSQL server (base URL)")
    parser.add_argument("--redis-url", help="default: a private redis-server, stopped after")
    parser.add_argument("-n", type=int, default=4000, help="requests measured")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--reference", action="store_true", help="measure the reference endpoint too"
    )
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import make_url
    from werkzeug.test import EnvironBuilder

    from moderation.app import create_app
    from moderation.extensions import db
    from moderation.services.sites import create_site

    redis = None
    if args.redis_url is None:
        redis = Services(log_dir=Path(tempfile.mkdtemp(prefix="bench-intake-cpu-"))).start_redis()
    redis_url = redis.url if redis is not None else args.redis_url
    url = create_test_database(args.database_url, f"moderation_intake_cpu_{uuid.uuid4().hex[:8]}")
    config = Path(tempfile.mkdtemp(prefix="bench-config-")) / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "sites").mkdir(exist_ok=True)
    (config / "sites" / "bench.yaml").write_text('rate_limits: {site: "1000000/minute"}\n')
    app = create_app(
        {
            "database_url": url,
            "redis_url": redis_url,
            "instance_path": tempfile.mkdtemp(prefix="bench-instance-"),
            "config_dir": str(config),
            "log_level": "WARNING",
            "secret_key": "bench-intake-cpu",
        }
    )
    try:
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            _, secret = create_site("bench")
        corpus = texts()
        run = uuid.uuid4().hex[:6]

        def environs(n: int, tag: str) -> list[dict[str, Any]]:
            now = time.time()
            built = []
            for i in range(n):
                payload = {
                    "site": "bench",
                    "comment_id": f"{run}-{tag}-{i}",
                    "author": {"id": f"reader-{run}-{tag}-{i}", "name": "Bench Reader"},
                    "article": {"id": f"article-{i % 50}"},
                    "text": corpus[i % len(corpus)],
                }
                body = json.dumps(payload).encode()
                headers = {
                    "Content-Type": "application/json",
                    **signature_headers(secret, body, now, method="POST", target=PATH),
                }
                builder = EnvironBuilder(path=PATH, method="POST", data=body, headers=headers)
                built.append(builder.get_environ())
            return built

        def caller(wsgi: Any) -> Callable[[dict[str, Any]], str]:
            def call(environ: dict[str, Any]) -> str:
                status: list[str] = []
                b"".join(wsgi(environ, lambda s, h, e=None: status.append(s)))
                return status[0]

            return call

        def measure(name: str, call: Callable[[dict[str, Any]], str], tag: str) -> float:
            """CPU ms per request of ``args.n`` new comments sent to ``call``."""
            for environ in environs(200, f"warm-{tag}"):
                if not call(environ).startswith("202"):
                    raise SystemExit(f"a warm-up request to the {name} was not accepted")
            measured = environs(args.n, tag)
            with timed(args.profile, time.thread_time) as run:
                if args.threads > 1 and not args.profile:
                    with ThreadPoolExecutor(args.threads) as pool:
                        statuses = list(pool.map(call, measured))
                else:
                    statuses = [call(environ) for environ in measured]
            refused = sum(1 for s in statuses if not s.startswith("202"))
            if refused:
                raise SystemExit(f"{refused} of {args.n} requests were not answered 202")
            print(
                f"{name}: {args.n} signed POST {PATH} on {args.threads} thread(s), per request: "
                f"{run.per(args.n)}"
            )
            run.print_profile("cumulative", "tottime")
            return run.cpu * 1000 / args.n

        service = measure("service", caller(app.wsgi_app), "main")
        if args.reference:
            libpq_url = make_url(url).set(drivername="postgresql").render_as_string(False)
            ensure_table(libpq_url)
            reference_app = create_reference(libpq_url, redis_url, secret)
            try:
                reference = measure("reference", caller(reference_app.wsgi_app), "ref")
            finally:
                reference_app.extensions["bench_reference_close"]()
            print(f"CPU per request, reference/service: {reference / service:.2f}")
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_test_database(args.database_url, url)
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    main()
