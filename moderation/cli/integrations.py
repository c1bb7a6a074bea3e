"""``moderation site api-key …`` and ``moderation site coral-secret …``: the credentials of
the Perspective-compatible API and of the Coral external moderation phase."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from moderation.services import api_keys, coral, sites

if TYPE_CHECKING:
    from moderation.tables import Site


def _site(name: str) -> Site:
    try:
        return sites.require_site(name)
    except sites.SiteError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("api-key")
def api_key_group() -> None:
    """Keys for the Perspective-compatible API (POST /v1alpha1/comments:analyze?key=…)."""


@api_key_group.command("add")
@click.argument("name")
@with_appcontext
def add_key(name: str) -> None:
    """Create a key for site NAME and print it (shown once: only its SHA-256 is kept)."""
    row, key = api_keys.create_key(_site(name))
    click.echo(f"api key for {name!r} created (prefix {row.prefix})")
    click.echo(f"key: {key}")


@api_key_group.command("list")
@click.argument("name")
@with_appcontext
def list_keys(name: str) -> None:
    """List the keys of site NAME by prefix, with when they were created and revoked."""
    rows = api_keys.list_keys(_site(name))
    if not rows:
        click.echo(f"no keys; add one with: moderation site api-key add {name}")
        return
    click.echo(f"{'prefix':<14} {'created':<25} revoked")
    for row in rows:
        revoked = row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else "-"
        click.echo(f"{row.prefix:<14} {row.created_at.isoformat(timespec='seconds'):<25} {revoked}")


@api_key_group.command("revoke")
@click.argument("name")
@click.argument("prefix")
@with_appcontext
def revoke_key(name: str, prefix: str) -> None:
    """Revoke the key of site NAME whose prefix (from `list`) is PREFIX; it stops at once."""
    try:
        row = api_keys.revoke_key(_site(name), prefix)
    except api_keys.ApiKeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"key {row.prefix} of {name!r} revoked")


@click.group("coral-secret")
def coral_group() -> None:
    """The signing secret of the site's Coral external moderation phase."""


@coral_group.command("set")
@click.argument("name")
@with_appcontext
def set_coral_secret(name: str) -> None:
    """Store the signing secret Coral shows for NAME's phase (read from the prompt or stdin,
    so it stays out of the shell history)."""
    secret = click.prompt("Coral signing secret", hide_input=True)
    try:
        coral.set_signing_secret(_site(name), secret)
    except coral.CoralError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"coral signing secret stored for {name!r}")
    click.echo(f"phase URL: <this service>/integrations/coral/{name}/moderate")


@coral_group.command("clear")
@click.argument("name")
@with_appcontext
def clear_coral_secret(name: str) -> None:
    """Forget NAME's Coral secret: its phase's requests are refused from now on."""
    coral.clear_signing_secret(_site(name))
    click.echo(f"coral signing secret removed for {name!r}")
