"""``moderation events …``: the callback delivery log and redelivery."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from moderation.cli.common import parse_moment
from moderation.clock import utcnow
from moderation.services import events as outbox
from moderation.services import sites
from moderation.statuses import EventStatus
from moderation.tasks import enqueue_delivery


@click.group("events")
def events_group() -> None:
    """Decision callbacks sent to sites: the delivery log, and redelivery."""


@events_group.command("list")
@click.option("--site", "site_name", default=None)
@click.option("--status", type=click.Choice(EventStatus.ALL), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def list_events(site_name: str | None, status: str | None, limit: int) -> None:
    """Newest events first, with attempts, last status code and last error."""
    try:
        site = sites.require_site(site_name) if site_name else None
    except sites.SiteError as exc:
        raise click.ClickException(str(exc)) from None
    for ev in outbox.recent_events(site=site, status=status, limit=limit):
        click.echo(
            f"{ev.seq:>7} {ev.created_at.isoformat(timespec='seconds')} {ev.event_id} "
            f"{ev.type:<24} {ev.status:<9} attempts={ev.attempts} "
            f"code={ev.last_status_code or '-'} {ev.last_error or ''}"
        )


@events_group.command("redeliver")
@click.option("--site", "site_name", required=True)
@click.option("--since", default=None, help="ISO time or a duration ago (e.g. 2d).")
@click.option("--until", default=None, help="ISO time or a duration ago.")
@click.option("--type", "types", multiple=True, type=click.Choice(outbox.EVENT_TYPES))
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([EventStatus.FAILED, EventStatus.SKIPPED, EventStatus.DELIVERED]),
    help="Which events to send again (default: all three).",
)
@with_appcontext
def redeliver(
    site_name: str,
    since: str | None,
    until: str | None,
    types: tuple[str, ...],
    statuses: tuple[str, ...],
) -> None:
    """Send a range of a site's events again (same event ids, so receivers de-duplicate)."""
    try:
        site = sites.require_site(site_name)
    except sites.SiteError as exc:
        raise click.ClickException(str(exc)) from None
    if not site.callback_url:
        raise click.ClickException(f"site {site_name!r} has no callback URL")
    count = outbox.redeliver(
        site,
        since=parse_moment(since) if since else None,
        until=parse_moment(until) if until else None,
        types=types,
        statuses=statuses or (EventStatus.FAILED, EventStatus.SKIPPED, EventStatus.DELIVERED),
    )
    for seq in outbox.due_events(utcnow()):
        enqueue_delivery(seq)
    click.echo(f"{count} event(s) queued for redelivery")
