"""Small helpers shared by the commands: building the app, parsing times."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import click
from flask import Flask

from moderation.clock import utcnow
from moderation.config import ConfigError


def app_for_cli() -> Flask:
    """The app, or a one-line error naming the bad setting (no traceback)."""
    from moderation.app import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s``."""
    match = _DURATION.match(value.strip())
    if not match:
        raise click.BadParameter(f"{value!r} is not a duration like 30d, 12h or 90m")
    amount, unit = match.groups()
    return timedelta(**{_UNITS[unit]: float(amount)})


def parse_moment(value: str) -> datetime:
    """A duration ago (``7d``) or an ISO-8601 time (UTC when no zone is given)."""
    if _DURATION.match(value.strip()):
        return utcnow() - parse_duration(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a duration (7d) nor an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
