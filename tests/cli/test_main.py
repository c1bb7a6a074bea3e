"""The ``moderation`` group itself: its options and version are the service's, not Flask's."""

from __future__ import annotations

from importlib.metadata import version

from click.testing import CliRunner

from moderation.cli import main


def test_help_lists_the_service_commands_and_no_flask_options() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for flask_option in ("--env-file", "--app", "-A,", "--debug", "python-dotenv"):
        assert flask_option not in result.output
    for command in ("serve", "worker", "site", "sign", "db", "user", "policy"):
        assert f"\n  {command} " in result.output


def test_version_is_the_service_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"moderation {version('moderation')}\n"
    assert "Flask" not in result.output and "Werkzeug" not in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 2
    assert "No such command 'run'" in result.output
