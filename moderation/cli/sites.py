"""``moderation site …`` and ``moderation sign``: sites, their secrets, signing by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import IO

import click
from flask.cli import with_appcontext

from moderation import configured
from moderation.clock import utcnow
from moderation.services import sites
from moderation.signing import signature_headers


@click.group("site")
def site_group() -> None:
    """Manage the sites allowed to post comments."""


@site_group.command("add")
@click.argument("name")
@with_appcontext
def add_site(name: str) -> None:
    """Create site NAME and print its new secret (shown once: store it at the site)."""
    try:
        site, secret = sites.create_site(name)
    except sites.SiteError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"site {site.name!r} created")
    click.echo(f"secret: {secret}")


@site_group.command("list")
@with_appcontext
def list_sites() -> None:
    """List sites with their callback URL and number of valid secrets."""
    now = utcnow()
    rows = sites.list_sites()
    if not rows:
        click.echo("no sites; add one with: moderation site add NAME")
        return
    click.echo(f"{'name':<24} {'secrets':>7}  {'sig':>3}  {'created':<25} callback")
    for site in rows:
        click.echo(
            f"{site.name:<24} {len(site.valid_secrets(now)):>7}  "
            f"v{site.signature_min_version:<2}  "
            f"{site.created_at.isoformat(timespec='seconds'):<25} {site.callback_url or '-'}"
        )


@site_group.command("rotate-secret")
@click.argument("name")
@click.option(
    "--grace-hours",
    default=24.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long the old secret stays valid.",
)
@with_appcontext
def rotate_secret(name: str, grace_hours: float) -> None:
    """Issue a new secret for NAME; the old one keeps working for the grace period."""
    try:
        site = sites.require_site(name)
    except sites.SiteError as exc:
        raise click.ClickException(str(exc)) from None
    secret = sites.rotate_secret(site, grace=timedelta(hours=grace_hours))
    click.echo(f"new secret for {name!r} (old secrets expire in {grace_hours:g} h):")
    click.echo(f"secret: {secret}")


@click.command("sign")
@click.option("--site", "site_name", required=True, help="Site whose current secret signs.")
@click.option(
    "--method",
    default="POST",
    show_default=True,
    help="HTTP method of the request (GET to read a comment).",
)
@click.option(
    "--path",
    "target",
    default="/api/v1/comments",
    show_default=True,
    help="Path (and query) of the request, e.g. /api/v1/comments/SITE/ID, or its full URL.",
)
@click.option(
    "--v1",
    "v1",
    is_flag=True,
    help="Deprecated v1 signature (timestamp and body only), for sites still on v1.",
)
@click.option("--curl", is_flag=True, help="Print as curl -H arguments.")
@click.argument("body", type=click.File("rb"), default="-")
@with_appcontext
def sign_command(
    site_name: str, method: str, target: str, v1: bool, curl: bool, body: IO[bytes]
) -> None:
    """Print the signature headers for the request BODY (a file, or - for stdin).

    The v2 signature binds the method and path too: sign each request for the method and
    path it is sent to (a GET signs an empty body: /dev/null).
    """
    try:
        site = sites.require_site(site_name)
    except sites.SiteError as exc:
        raise click.ClickException(str(exc)) from None
    secret, data = sites.current_secret(site), body.read()
    if v1:
        headers = signature_headers(secret, data)
    else:
        headers = signature_headers(secret, data, method=method.upper(), target=target)
    if curl:
        # For `curl ... $(moderation sign --curl FILE)`: the shell splits the substitution on
        # spaces and does not interpret quotes, so each header is one space-free word.
        click.echo(" ".join(f"-H {key}:{value}" for key, value in headers.items()))
        return
    for key, value in headers.items():
        click.echo(f"{key}: {value}")


@site_group.command("set")
@click.argument("name")
@click.option("--callback-url", default=None, help="https URL that receives decision events.")
@click.option("--no-callback", is_flag=True, help="Stop sending events to the site.")
@click.option(
    "--signature-version",
    type=click.IntRange(1, 2),
    default=None,
    help="Oldest request signature accepted: 1 (v1 and v2, the transition default) or 2.",
)
@with_appcontext
def set_site(
    name: str, callback_url: str | None, no_callback: bool, signature_version: int | None
) -> None:
    """Change a site's settings."""
    if callback_url is None and not no_callback and signature_version is None:
        raise click.UsageError(
            "nothing to change: give --callback-url URL, --no-callback or --signature-version"
        )
    try:
        site = sites.require_site(name)
        if callback_url is not None or no_callback:
            sites.set_callback_url(
                site,
                None if no_callback else callback_url,
                actor="cli",
                policy=configured.settings().callback_targets(),
            )
            click.echo(f"site {name!r}: callback URL {site.callback_url or 'removed'}")
        if signature_version is not None:
            sites.set_signature_min_version(site, signature_version, actor="cli")
            accepted = "v1 and v2" if signature_version == 1 else "v2 only"
            click.echo(f"site {name!r}: request signatures accepted: {accepted}")
    except sites.SiteError as exc:
        raise click.ClickException(str(exc)) from None


# integrations: `site api-key …` (Perspective-compatible API) and `site coral-secret …`.
from moderation.cli.integrations import api_key_group, coral_group  # noqa: E402

site_group.add_command(api_key_group)
site_group.add_command(coral_group)
