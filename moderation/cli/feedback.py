"""``moderation feedback import|export|correct``: a site's labelled examples (JSON lines)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

import click
from flask.cli import with_appcontext

from moderation import configured
from moderation.clock import utcnow
from moderation.extensions import db
from moderation.services import labels
from moderation.services.sites import get_site

if TYPE_CHECKING:
    from moderation.tables import Site


@click.group("feedback")
def feedback_group() -> None:
    """Import, export or correct a site's labelled examples (its moderators' judgements)."""


def site_named(name: str) -> Site:
    site = get_site(name)
    if site is None:
        raise click.ClickException(f"no site named {name!r}")
    return site


@feedback_group.command("import")
@click.argument("site_name", metavar="SITE")
@click.argument("source", type=click.File("r", encoding="utf-8"), metavar="FILE")
@click.option("--actor", default="import", show_default=True, help="Recorded as who labelled.")
@with_appcontext
def import_command(site_name: str, source: IO[str], actor: str) -> None:
    """Import FILE (JSON lines, - for stdin) as SITE's labels. One bad line refuses all.

    Each line: {"comment_id", "text", "violation": true|false} or {"comment_id", "text",
    "labels": {"attack": 1, "profanity": 0, ...}}, optionally "decided_at" (ISO 8601).
    A comment_id seen before updates its label.
    """
    site = site_named(site_name)
    now = utcnow()
    try:
        found = labels.parse_lines(source, now=now, max_chars=configured.settings().max_text_chars)
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{source.name}: not UTF-8 ({exc.reason})") from None
    except labels.LabelError as exc:
        raise click.ClickException(f"{source.name}: {exc}; nothing imported") from None
    added, updated = labels.import_examples(site, found, actor=f"cli:{actor}", now=now)
    click.echo(f"{site.name}: {added} label(s) added, {updated} updated")


@feedback_group.command("export")
@click.argument("site_name", metavar="SITE")
@with_appcontext
def export_command(site_name: str) -> None:
    """Print SITE's labels as JSON lines (the format `feedback import` reads), oldest first."""
    site = site_named(site_name)
    for example in labels.examples(site.id):
        click.echo(labels.export_line(example))


@feedback_group.command("correct")
@click.argument("site_name", metavar="SITE")
@click.argument("comment_id", metavar="COMMENT_ID")
@click.option("--category", help="The one category that applies (e.g. spam).")
@click.option("--not-violation", is_flag=True, help="The comment violates nothing.")
@click.option("--actor", default="cli", show_default=True, help="Recorded as who corrected.")
@with_appcontext
def correct_command(
    site_name: str, comment_id: str, category: str | None, not_violation: bool, actor: str
) -> None:
    """Correct the stored label of SITE's COMMENT_ID ("not an attack: spam").

    Give exactly one of --category CATEGORY or --not-violation. Audited (label.corrected).
    """
    if (category is None) == (not not_violation):
        raise click.UsageError("give exactly one of --category CATEGORY or --not-violation")
    site = site_named(site_name)
    try:
        row = labels.correct(site.id, comment_id, category, actor=f"cli:{actor}", now=utcnow())
    except labels.LabelError as exc:
        raise click.ClickException(f"{site.name}: {exc}") from None
    db.session.commit()
    named = [c for c, v in sorted(row.labels.items()) if v]
    click.echo(
        f"{site.name}: comment {comment_id} labelled "
        + (", ".join(named) if row.violation else "not a violation")
    )
