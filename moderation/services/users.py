"""Dashboard accounts: creation, roles, passwords (argon2id) and login with lock-out.

Every change and every login attempt is written to the audit log, never with a password or
hash. Dashboard users act as ``moderator:<username>`` whatever their role, so a promotion
does not split a person's history in the audit log.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from moderation.extensions import db
from moderation.services import audit
from moderation.tables import User

ROLES = ("moderator", "admin")
USERNAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 handles more, but a megabyte "password" is a DoS
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

# argon2id with the library's defaults (RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


class UserError(ValueError):
    """An account operation cannot be done; the message says why (and is safe to show)."""


def actor_name(username: str) -> str:
    """How a dashboard user appears as the actor of audit entries and decisions."""
    return f"moderator:{username}"


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def session_fingerprint(user: User) -> str:
    """Changes whenever the password does: part of the session's user id, so changing a
    password signs out every other session. One-way, so the session cookie (readable by
    its holder) reveals nothing about the hash."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-but-costs-the-same")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def get_user(username: str) -> User | None:
    return db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def require_user(username: str) -> User:
    user = get_user(username)
    if user is None:
        raise UserError(f"no user named {username!r}")
    return user


def list_users() -> list[User]:
    return list(db.session.execute(sa.select(User).order_by(User.username)).scalars())


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


def create_user(username: str, password: str, role: str, *, actor: str, now: datetime) -> User:
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise UserError(f"invalid username {username!r}: use 1-64 letters, digits, '.', '_' or '-'")
    _check_role(role)
    if get_user(username) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role, created_at=now)
    db.session.add(user)
    db.session.flush()
    _audit(actor, "user.created", user, now, role=role)
    db.session.commit()
    return user


def set_role(user: User, role: str, *, actor: str, now: datetime) -> None:
    _check_role(role)
    if user.role == role:
        raise UserError(f"{user.username} is already {role}")
    if user.role == "admin" and _is_last_active_admin(user):
        raise UserError("cannot demote the last active admin")
    previous, user.role = user.role, role
    _audit(actor, "user.role_changed", user, now, **{"from": previous, "to": role})
    db.session.commit()


def set_active(user: User, active: bool, *, actor: str, now: datetime) -> None:
    """Deactivated users cannot log in, and their open sessions end at the next request."""
    if user.active == active:
        raise UserError(f"{user.username} is already {'active' if active else 'deactivated'}")
    if not active and user.role == "admin" and _is_last_active_admin(user):
        raise UserError("cannot deactivate the last active admin")
    user.active = active
    _audit(actor, "user.activated" if active else "user.deactivated", user, now)
    db.session.commit()


def unlock(user: User, *, actor: str, now: datetime) -> None:
    user.failed_logins = 0
    user.locked_until = None
    _audit(actor, "user.unlocked", user, now)
    db.session.commit()


def end_sessions(user: User) -> None:
    """Invalidate every dashboard session of ``user`` (the caller commits)."""
    user.session_version = User.session_version + 1


def set_password(user: User, password: str, *, actor: str, now: datetime) -> None:
    """Also ends every session of the user (the password fingerprint and the session
    version both change)."""
    user.password_hash = hash_password(password)
    end_sessions(user)
    user.failed_logins = 0
    user.locked_until = None
    _audit(actor, "user.password_changed", user, now)
    db.session.commit()


def _is_last_active_admin(user: User) -> bool:
    others = db.session.execute(
        sa.select(sa.func.count(User.id)).where(
            User.role == "admin", User.active.is_(True), User.id != user.id
        )
    ).scalar_one()
    return others == 0


def _audit(actor: str, action: str, user: User, now: datetime, **details: object) -> None:
    audit.record(
        actor, action, now=now, target_type="user", target_id=user.username, details=details
    )


@dataclass(frozen=True, slots=True)
class LoginResult:
    """``user`` is set only on success. ``reason`` is for the audit log, never the page:
    the page says the same thing for a wrong password, an unknown user and a lock-out."""

    user: User | None
    reason: str


def authenticate(
    username: str,
    password: str,
    *,
    now: datetime,
    client: str | None,
    max_failures: int = MAX_FAILED_LOGINS,
    lockout: timedelta = LOCKOUT,
) -> LoginResult:
    """Check a login and record it. ``max_failures`` wrong passwords in a row lock the
    account for ``lockout`` (a correct password is refused meanwhile). The password is
    always hashed, so timing tells nothing about whether the account exists or is locked.
    """
    user = None
    if len(password) <= MAX_PASSWORD_LENGTH:
        user = db.session.execute(
            sa.select(User).where(User.username == username).with_for_update()
        ).scalar_one_or_none()
    if user is None:
        _verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        # The typed name is not recorded: people type passwords into the username field.
        audit.record(
            "anonymous",
            "auth.login_failed",
            now=now,
            details={"reason": "unknown_user", "client": client},
        )
        db.session.commit()
        return LoginResult(None, "unknown_user")

    correct = _verify(user.password_hash, password)
    actor = actor_name(user.username)
    reason = None
    if not user.active:
        reason = "inactive"
    elif user.locked_until is not None and user.locked_until > now:
        reason = "locked"
    elif not correct:
        reason = "bad_password"
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.failed_logins = 0
            user.locked_until = now + lockout
            reason = "bad_password_locked"
    if reason is not None:
        details: dict[str, object] = {"reason": reason, "client": client}
        if user.locked_until is not None and user.locked_until > now:
            details["locked_until"] = user.locked_until.isoformat()
        audit.record(
            actor,
            "auth.login_failed",
            now=now,
            target_type="user",
            target_id=user.username,
            details=details,
        )
        db.session.commit()
        return LoginResult(None, reason)

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    audit.record(
        actor,
        "auth.login",
        now=now,
        target_type="user",
        target_id=user.username,
        details={"client": client},
    )
    db.session.commit()
    return LoginResult(user, "ok")


def record_logout(user: User, *, now: datetime) -> None:
    """Sign-out ends every session of the user, not just the one that asked: a cookie
    captured earlier (or open in another browser) stops working too."""
    end_sessions(user)
    audit.record(
        actor_name(user.username),
        "auth.logout",
        now=now,
        target_type="user",
        target_id=user.username,
    )
    db.session.commit()
