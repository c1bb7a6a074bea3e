"""``moderation worker``: a Celery worker process (production mode)."""

from __future__ import annotations

import click

from moderation.cli.common import app_for_cli


@click.command(
    "worker", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Serve this worker's metrics for Prometheus on this port.",
)
@click.pass_context
def worker_command(ctx: click.Context, metrics_port: int | None) -> None:
    """Start a Celery worker (production mode). Extra arguments go to `celery worker`
    (e.g. `-Q scoring`, `-Q callbacks`; see the Procfile)."""
    from moderation.metrics_dir import ensure_multiprocess_dir

    ensure_multiprocess_dir()  # before the app (and prometheus_client) is first imported
    app = app_for_cli()
    celery = app.extensions["celery"]
    # Without mingle, as in the Procfile: it asks the other workers for revoked task ids (none
    # are ever revoked here) and waits a second for their answer at every start.
    argv = ["worker", "--without-mingle", "--loglevel", "INFO", *ctx.args]
    if metrics_port is not None:
        argv += ["--metrics-port", str(metrics_port)]
    celery.worker_main(argv)
