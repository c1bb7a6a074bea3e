"""``moderation serve``: the web app (and, embedded, its in-process worker)."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask

from moderation.cli.common import app_for_cli


def prepare_embedded(app: Flask) -> None:
    """First-run set-up of the embedded default: schema, development site, instructions."""
    from flask_migrate import upgrade

    from moderation import configured
    from moderation.extensions import db
    from moderation.services import sites

    settings = configured.settings(app)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        name = settings.dev_site
        if sites.get_site(name) is None:
            _, secret = sites.create_site(name)
            click.echo(
                f"\nCreated development site {name!r}. Its secret (shown once):\n  {secret}\n"
            )
        db.engine.dispose()  # no connection crosses the fork into gunicorn's worker


def this_command() -> str:
    """How to run this very ``moderation``, as a shell word or two, without relying on PATH.

    The console script next to the running interpreter (the virtualenv's ``bin``) when there
    is one, else ``<python> -m moderation.cli``: the printed instructions then work in a shell
    where the virtualenv is not activated.
    """
    script = shutil.which("moderation", path=str(Path(sys.executable).parent))
    if script is not None:
        return shlex.quote(str(Path(script).absolute()))
    return f"{shlex.quote(str(Path(sys.executable).absolute()))} -m moderation.cli"


def print_instructions(host: str, port: int, site: str) -> None:
    base = f"http://{host}:{port}"
    sign = f"{this_command()} sign --site {shlex.quote(site)}"
    read = f"/api/v1/comments/{site}/c1"
    body = json.dumps(
        {
            "site": site,
            "comment_id": "c1",
            "author": {"id": "u1", "name": "Ann"},
            "article": {"id": "a1"},
            "text": "Thanks for the thoughtful article!",
        }
    )
    click.echo(
        f"""Moderation service (embedded: SQLite + in-process worker) on {base}
(port {port}; the default is 8000, choose another with `moderation serve --port N`)

Post a signed comment:
  echo '{body}' > comment.json
  curl -s {base}/api/v1/comments -H 'Content-Type: application/json' \\
       $({sign} --curl comment.json) --data-binary @comment.json

Then fetch its decision (signed GET, empty body):
  curl -s {base}{read} $({sign} --method GET --path {read} --curl /dev/null)
"""
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="Gunicorn processes (production mode).")
@click.option("--threads", default=8, show_default=True, type=int)
def serve_command(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the web app with gunicorn.

    Embedded default (no REDIS_URL): migrates the SQLite database, creates the development
    site, and runs tasks in a Celery worker thread inside the single web process.
    Production (REDIS_URL set): web only; run `moderation worker` separately.
    """
    from moderation import configured
    from moderation.metrics_dir import ensure_multiprocess_dir

    ensure_multiprocess_dir()  # before the app (and prometheus_client) is first imported
    app = app_for_cli()
    settings = configured.settings(app)
    if settings.embedded:
        if workers not in (None, 1):
            raise click.ClickException("embedded mode runs one web process; set REDIS_URL to scale")
        prepare_embedded(app)
        print_instructions(host, port, settings.dev_site)
    run_gunicorn(
        bind=f"{host}:{port}",
        workers=workers or (1 if settings.embedded else 2),
        threads=threads,
        embedded=settings.embedded,
    )


def run_gunicorn(*, bind: str, workers: int, threads: int, embedded: bool) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("graceful_timeout", 10)
            from moderation import gunicorn_conf

            self.cfg.set("on_starting", gunicorn_conf.on_starting)
            self.cfg.set("post_worker_init", gunicorn_conf.post_worker_init)
            self.cfg.set("child_exit", gunicorn_conf.child_exit)

        def load(self) -> Any:
            # Runs in the gunicorn worker process: the app (and the embedded worker thread)
            # are created after the fork.
            app = app_for_cli()
            if embedded:
                from moderation.celery_app import start_embedded_worker

                start_embedded_worker(app.extensions["celery"])
            return app

    Server().run()
