"""``moderation user …``: dashboard accounts (the first admin is created here)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from moderation.clock import utcnow
from moderation.services import users

if TYPE_CHECKING:
    from moderation.tables import User

ACTOR = "cli"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
        return password
    value: str = click.prompt(
        "Password", hide_input=True, confirmation_prompt="Repeat the password"
    )
    return value


def _user(name: str) -> User:
    try:
        return users.require_user(name)
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("user")
def user_group() -> None:
    """Manage dashboard accounts (moderators and admins)."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), default="moderator", show_default=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@with_appcontext
def add_user(name: str, role: str, password_stdin: bool) -> None:
    """Create dashboard user NAME (the password is prompted for, twice)."""
    password = _read_password(password_stdin)
    try:
        user = users.create_user(name, password, role, actor=ACTOR, now=utcnow())
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {user.username!r} created ({user.role})")


@user_group.command("list")
@with_appcontext
def list_users() -> None:
    """List dashboard users with their role and state."""
    rows = users.list_users()
    if not rows:
        click.echo("no users; create the first admin with: moderation user add NAME --role admin")
        return
    now = utcnow()
    click.echo(f"{'username':<24} {'role':<10} {'state':<28} last login")
    for user in rows:
        if not user.active:
            state = "deactivated"
        elif user.locked_until is not None and user.locked_until > now:
            state = f"locked until {user.locked_until.isoformat(timespec='minutes')}"
        else:
            state = "active"
        last = user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "-"
        click.echo(f"{user.username:<24} {user.role:<10} {state:<28} {last}")


@user_group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(users.ROLES))
@with_appcontext
def set_role(name: str, role: str) -> None:
    """Make user NAME a moderator or an admin."""
    try:
        users.set_role(_user(name), role, actor=ACTOR, now=utcnow())
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name} is now {role}")


@user_group.command("deactivate")
@click.argument("name")
@with_appcontext
def deactivate(name: str) -> None:
    """Stop user NAME from signing in (their open sessions end at once)."""
    try:
        users.set_active(_user(name), False, actor=ACTOR, now=utcnow())
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name} deactivated")


@user_group.command("activate")
@click.argument("name")
@with_appcontext
def activate(name: str) -> None:
    """Let a deactivated user NAME sign in again."""
    try:
        users.set_active(_user(name), True, actor=ACTOR, now=utcnow())
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{name} reactivated")


@user_group.command("unlock")
@click.argument("name")
@with_appcontext
def unlock(name: str) -> None:
    """Lift a lock-out after too many failed sign-ins."""
    users.unlock(_user(name), actor=ACTOR, now=utcnow())
    click.echo(f"{name} unlocked")


@user_group.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
@with_appcontext
def set_password(name: str, password_stdin: bool) -> None:
    """Change NAME's password (signs out their other sessions)."""
    user = _user(name)
    try:
        users.set_password(user, _read_password(password_stdin), actor=ACTOR, now=utcnow())
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password of {name} changed")
