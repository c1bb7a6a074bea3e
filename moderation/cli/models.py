"""``moderation model list|promote|rollback|shadow --site SITE`` and ``moderation train --site``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from moderation import configured
from moderation.clock import utcnow
from moderation.scoring.site_model import SiteModelError, SiteModelStore
from moderation.services import site_models

_site_option = click.option("--site", "site_name", required=True, help="The site's name.")


def store() -> SiteModelStore:
    return SiteModelStore(configured.settings().resolved_site_models_dir())


def train_site(site_name: str, seed: int, promote: bool) -> None:
    """Fit SITE's candidate, print the gate's table, promote it if it passes (app context)."""
    settings = configured.settings()
    pipeline = configured.pipeline()
    try:
        shared = site_models.shared_sets(settings.shared_eval_dir)
        outcome = site_models.train_site(
            site_name,
            pipeline=pipeline,
            store=store(),
            shared=shared,
            threshold=site_models.gate_threshold(
                configured.policies().for_site(site_name), pipeline
            )
            if pipeline.classifier is not None
            else 0.5,
            actor="cli",
            now=utcnow(),
            seed=seed,
            promote=promote,
        )
    except SiteModelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(outcome.report.table())
    if outcome.promoted:
        click.echo(f"{outcome.version} promoted: {site_name} is now scored by it")
    elif outcome.report.promoted:
        click.echo(f"{outcome.version} passed the gate; kept as a candidate (--no-promote)")
    else:
        click.echo(f"{outcome.version} refused and kept out: " + "; ".join(outcome.report.reasons))


@click.group("model")
def model_group() -> None:
    """A site's models: list versions, promote one, roll back."""


@model_group.command("list")
@_site_option
@with_appcontext
def list_models(site_name: str) -> None:
    """List SITE's model versions, the live one marked with *."""
    try:
        site_models.site_named(site_name)
        models = store()
        cards = models.versions(site_name)
        live = models.current(site_name)
    except SiteModelError as exc:
        raise click.ClickException(str(exc)) from None
    if not cards:
        click.echo(f"{site_name} has no site model: scored by the general model")
        return
    click.echo(f"  {'version':<24} {'labels':>6}  {'status':<9} {'created':<25} reasons")
    for card in cards:
        mark = "*" if card["version"] == live else " "
        reasons = "; ".join(card.get("gate", {}).get("reasons", []))
        click.echo(
            f"{mark} {card['version']:<24} {card.get('labels', 0):>6}  {card.get('status', ''):<9} "
            f"{card.get('created_at', '')[:25]:<25} {reasons}"
        )
    if live is None:
        click.echo("live: the general model")


@model_group.command("promote")
@_site_option
@click.argument("version")
@click.option("--force", is_flag=True, help="Promote a version the gate refused.")
@with_appcontext
def promote_model(site_name: str, version: str, force: bool) -> None:
    """Make VERSION SITE's live model."""
    try:
        site_models.promote(
            site_name, version, store=store(), actor="cli", now=utcnow(), force=force
        )
    except SiteModelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{version} is live on {site_name}")


@model_group.command("rollback")
@_site_option
@with_appcontext
def rollback_model(site_name: str) -> None:
    """Go back to SITE's previously promoted model (or the general model)."""
    try:
        previous = site_models.rollback(site_name, store=store(), actor="cli", now=utcnow())
    except SiteModelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{site_name} is now scored by {previous or 'the general model'}")


@model_group.command("shadow")
@_site_option
@click.argument("version", required=False)
@click.option("--off", is_flag=True, help="Stop the site's shadow model.")
@with_appcontext
def shadow_model(site_name: str, version: str | None, off: bool) -> None:
    """Score SITE's live traffic with VERSION too, deciding nothing (or --off)."""
    if off == (version is not None):
        raise click.UsageError("give a VERSION or --off (not both)")
    try:
        site_models.set_shadow(site_name, version, store=store(), actor="cli", now=utcnow())
    except SiteModelError as exc:
        raise click.ClickException(str(exc)) from None
    if version is None:
        click.echo(f"{site_name}: no shadow model")
    else:
        click.echo(f"{version} scores {site_name} in shadow: recorded beside each decision")
