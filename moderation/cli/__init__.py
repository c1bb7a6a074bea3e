"""The ``moderation`` command. Subcommands live in the modules of this package.

Commands that need the app (database, sites) get it from :class:`flask.cli.FlaskGroup`;
``score``, ``train`` and ``evaluate`` work on files alone and import their heavy
dependencies only when run.
"""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import FlaskGroup

from moderation.config import ConfigError

# name -> "module:attribute", imported only when the command is used.
LAZY_COMMANDS = {
    "score": "moderation.cli.scoring:score_command",
    "serve": "moderation.cli.serve:serve_command",
    "worker": "moderation.cli.serve:worker_command",
    "sweep": "moderation.cli.serve:sweep_command",
    "site": "moderation.cli.sites:site_group",
    "sign": "moderation.cli.sites:sign_command",
    "events": "moderation.cli.events:events_group",
    "policy": "moderation.cli.policy:policy_group",
    "user": "moderation.cli.users:user_group",
    "feedback": "moderation.cli.feedback:feedback_group",
    "model": "moderation.cli.models:model_group",
    "train": "moderation.training.cli:train_command",
    "evaluate": "moderation.training.cli:evaluate_command",
}


def app_for_cli() -> Flask:
    """The app, or a one-line error naming the bad setting (no traceback)."""
    from moderation.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


class ModerationGroup(FlaskGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(LAZY_COMMANDS) | {"db"})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return super().get_command(ctx, name)
        module_name, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


main = ModerationGroup(
    create_app=app_for_cli,
    add_default_commands=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="Comment moderation service: serve, run workers, manage sites, score and train.",
)
