from __future__ import annotations

from pathlib import Path

import pytest

from moderation.config import ConfigError, embedded_secret_key, load_settings
from moderation.services.callback_http import TargetPolicy


def test_defaults_are_embedded() -> None:
    settings = load_settings(environ={})
    assert settings.embedded
    assert settings.broker_url == "memory://localhost/"
    assert settings.resolved_database_url().startswith("sqlite:///")
    assert settings.max_text_chars == 10_000


def test_environment_layers_and_aliases() -> None:
    settings = load_settings(
        environ={
            "DATABASE_URL": "postgres://u:p@db/x",
            "REDIS_URL": "redis://r:6379/0",
            "MODERATION_SECRET_KEY": "k" * 32,
            "MODERATION_MAX_TEXT_CHARS": "500",
        }
    )
    assert not settings.embedded
    assert settings.resolved_database_url() == "postgresql+psycopg://u:p@db/x"
    assert settings.max_text_chars == 500


def test_prefixed_variable_wins_over_alias_and_overrides_win_over_env() -> None:
    env = {"DATABASE_URL": "sqlite:///a.db", "MODERATION_DATABASE_URL": "sqlite:///b.db"}
    assert load_settings(environ=env).database_url == "sqlite:///b.db"
    assert load_settings({"database_url": "sqlite:///c.db"}, environ=env).database_url == (
        "sqlite:///c.db"
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MODERATION_MAX_TEXT_CHARS": "lots"}, "MODERATION_MAX_TEXT_CHARS"),
        ({"MODERATION_MAX_TEXT_CHARS": "0"}, "MODERATION_MAX_TEXT_CHARS"),
        ({"MODERATION_LOG_LEVEL": "LOUD"}, "MODERATION_LOG_LEVEL"),
        ({"MODERATION_SCORING_BATCH_SIZE": "0"}, "MODERATION_SCORING_BATCH_SIZE"),
        ({"MODERATION_SCORING_BATCH_WAIT_MS": "soon"}, "MODERATION_SCORING_BATCH_WAIT_MS"),
        ({"MODERATION_SIGNATURE_TOLERANCE_SECONDS": "-5"}, "MODERATION_SIGNATURE_TOLERANCE"),
        ({"MODERATION_NO_SUCH_THING": "1"}, None),  # unknown variables are ignored
        ({"REDIS_URL": "redis://x"}, "MODERATION_SECRET_KEY"),  # production needs a key
        ({"MODERATION_CALLBACK_ALLOWED_NETWORKS": "10.0.0.0/8,intranet"}, "CALLBACK_ALLOWED"),
        ({"MODERATION_CALLBACK_ALLOW_HTTP": "perhaps"}, "MODERATION_CALLBACK_ALLOW_HTTP"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], named: str | None) -> None:
    if named is None:
        load_settings(environ=env)
        return
    with pytest.raises(ConfigError, match=named):
        load_settings(environ=env)


def test_config_error_is_one_readable_line_without_the_value() -> None:
    """A newcomer sees the variable and what is wrong, not pydantic's error dump."""
    with pytest.raises(ConfigError) as caught:
        load_settings(
            environ={
                "MODERATION_CALLBACK_ALLOWED_NETWORKS": "intranet",
                "DATABASE_URL": "sqlite:///x.db",
                "MODERATION_MAX_BODY_BYTES": "s3cr3t-looking",
            }
        )
    message = str(caught.value)
    assert message.startswith("invalid settings: ")
    assert message.count("MODERATION_CALLBACK_ALLOWED_NETWORKS") == 1
    assert "MODERATION_MAX_BODY_BYTES" in message
    assert "s3cr3t-looking" not in message
    assert "\n" not in message
    assert "pydantic" not in message


def test_settings_repr_hides_secrets() -> None:
    settings = load_settings(
        {"secret_key": "supersecretvalue", "database_url": "postgresql://u:hunter2@h/d"},
        environ={},
    )
    assert "supersecretvalue" not in repr(settings)
    assert "hunter2" not in repr(settings)


def test_embedded_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = embedded_secret_key(tmp_path / "inst")
    assert first == embedded_secret_key(tmp_path / "inst")
    assert len(first) == 64
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o077 == 0


def test_callback_targets_from_the_environment() -> None:
    """Strict by default; a documented setting admits receivers on your own network."""
    from ipaddress import ip_network

    assert load_settings(environ={}).callback_targets() == TargetPolicy()
    settings = load_settings(
        environ={
            "MODERATION_CALLBACK_ALLOW_HTTP": "true",
            "MODERATION_CALLBACK_ALLOWED_NETWORKS": "10.0.0.0/8, fd00::/8,127.0.0.1",
        }
    )
    assert settings.callback_targets() == TargetPolicy(
        allow_http=True,
        allowed_networks=(
            ip_network("10.0.0.0/8"),
            ip_network("fd00::/8"),
            ip_network("127.0.0.1/32"),
        ),
    )
    assert settings.delivery().targets == settings.callback_targets()
