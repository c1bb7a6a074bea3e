"""``moderation dsa submit``: statements of reasons to the DSA Transparency Database."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from moderation.cli.common import parse_moment


@click.group("dsa")
def dsa_group() -> None:
    """Statements of reasons under the EU Digital Services Act (docs/dsa.md)."""


@dsa_group.command("submit")
@click.option("--site", "site_name", required=True)
@click.option("--since", default=None, help="Only statements made since: ISO time or 30d.")
@click.option("--dry-run", is_flag=True, help="Write the JSON that would be sent; send nothing.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="With --dry-run: write the JSON here instead of stdout.",
)
@with_appcontext
def submit_command(site_name: str, since: str | None, dry_run: bool, out: Path | None) -> None:
    """Send the site's unsent statements in batches of at most 100, each once."""
    from moderation import configured
    from moderation.services import dsa, sites

    moment = parse_moment(since) if since else None
    if dry_run:
        try:
            site = sites.require_site(site_name)
        except sites.SiteError as exc:
            raise click.ClickException(str(exc)) from None
        text = json.dumps(dsa.dry_run(site, since=moment), indent=2, ensure_ascii=False)
        if out is None:
            click.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
            click.echo(f"wrote {out}", err=True)
        return
    try:
        report = dsa.submit_site(site_name, configured.settings(), since=moment)
    except (dsa.SubmissionError, sites.SiteError) as exc:
        raise click.ClickException(str(exc)) from None
    for puid, reason in report.refused.items():
        click.echo(f"refused {puid}: {reason}", err=True)
    click.echo(report.summary())
    if report.refused or report.failed:
        raise SystemExit(1)
