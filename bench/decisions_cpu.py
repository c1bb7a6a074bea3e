"""Worker CPU per decided comment: ``decisions.score_comments`` over a backlog on PostgreSQL.

    python bench/decisions_cpu.py [--backlog 2000] [--authors 700] [--batch 50]
                                  [--profile [--sort tottime]]

Stores ``--backlog`` pending comments (texts of bench/load.py, authors taken in turn) in a
fresh database, decides them in batches of ``--batch`` in this process, and prints the
process CPU time (``time.process_time``) and wall time per decided comment; ``--profile``
adds the cProfile listing. CPU time depends less on other load than throughput does; the
PostgreSQL server's own CPU is not counted. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import texts  # noqa: E402
from bench.timing import timed  # noqa: E402
from tests.support import comment_payload, create_test_database, drop_test_database  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=PG, help="a PostgreSQL server (base URL)")
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--authors", type=int, default=700)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--sort", default="cumulative", help="cProfile sort key with --profile (e.g. tottime)"
    )
    args = parser.parse_args()

    from flask_migrate import upgrade

    from moderation import configured
    from moderation.app import create_app
    from moderation.extensions import db
    from moderation.schemas import CommentIn
    from moderation.services import decisions, intake
    from moderation.services.sites import create_site, require_site
    from moderation.tables import utcnow

    url = create_test_database(args.database_url, f"moderation_cpu_{uuid.uuid4().hex[:8]}")
    try:
        app = create_app(
            {"database_url": url, "instance_path": "/tmp/bench-cpu", "log_level": "WARNING"}
        )
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            create_site("bench")
            site = require_site("bench")
            corpus = texts()
            version = configured.policies().default.version
            received = utcnow()
            ids = []
            for n in range(args.backlog):
                payload = CommentIn.model_validate(
                    comment_payload(
                        comment_id=f"c{n}",
                        text=corpus[n % len(corpus)],
                        author={"id": f"a{n % args.authors}"},
                    )
                )
                ids.append(intake.store_comment(site, payload, received, policy_version=version).id)
            pipeline, policies = configured.pipeline(), configured.policies()
            warm, rest = ids[: args.batch], ids[args.batch :]
            decisions.score_comments(warm, pipeline=pipeline, policies=policies)  # loads models
            with timed(args.profile) as run:
                for start in range(0, len(rest), args.batch):
                    chunk = rest[start : start + args.batch]
                    decisions.score_comments(chunk, pipeline=pipeline, policies=policies)
            per_comment = run.per(len(rest))
            print(f"{len(rest)} comments in batches of {args.batch}, per comment: {per_comment}")
            run.print_profile(args.sort, limit=50)
            db.engine.dispose()
    finally:
        drop_test_database(args.database_url, url)


if __name__ == "__main__":
    main()
