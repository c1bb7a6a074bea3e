"""``moderation sweep``: re-enqueue comments left pending (a lost task, a broker outage)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext


@click.command("sweep")
@click.option(
    "--older-than", default=60, show_default=True, type=click.IntRange(min=0), help="Seconds."
)
@with_appcontext
def sweep_command(older_than: int) -> None:
    """Re-enqueue comments still pending after --older-than seconds."""
    from moderation.clock import utcnow
    from moderation.tasks import sweep_pending_comments

    found, enqueued = sweep_pending_comments(timedelta(seconds=older_than), utcnow())
    click.echo(f"{found} pending comment(s) found, {enqueued} enqueued")
