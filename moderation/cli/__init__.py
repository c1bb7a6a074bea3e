"""The ``moderation`` command. Subcommands live in the modules of this package.

The group is a plain click group, not :class:`flask.cli.FlaskGroup`: its options and
``--version`` are the service's own (Flask's ``--app``/``--env-file``/``--debug`` mean nothing
here). Commands that need the app (database, sites) get it through Flask's
:class:`~flask.cli.ScriptInfo` and ``with_appcontext``; ``score``, ``train`` and ``evaluate``
work on files alone and import their heavy dependencies only when run.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo

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
    "db": "flask_migrate.cli:db",
}
DISTRIBUTION = "moderation"


def app_for_cli() -> Flask:
    """The app, or a one-line error naming the bad setting (no traceback)."""
    from moderation.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


class ModerationGroup(click.Group):
    """Commands imported on use; the app is built only by a command that needs it."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # with_appcontext finds the app factory here (tests pass their own ScriptInfo).
        if extra.get("obj") is None:
            extra["obj"] = ScriptInfo(
                create_app=app_for_cli, set_debug_flag=False, load_dotenv_defaults=False
            )
        return super().make_context(info_name, args, parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


main = ModerationGroup(
    "moderation",
    help="Comment moderation service: serve, run workers, manage sites, score and train.",
)
main = click.version_option(
    package_name=DISTRIBUTION, prog_name="moderation", message="%(prog)s %(version)s"
)(main)
