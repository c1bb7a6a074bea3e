"""Dashboard accounts: hashing, lock-out, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from moderation.services import users
from moderation.tables import utcnow
from tests.dashboard.seed import fast_password_hashing

__all__ = ["fast_password_hashing"]

pytestmark = pytest.mark.usefixtures("fast_password_hashing")
PASSWORD = "correct horse battery staple"


def test_passwords_are_hashed_with_argon2id(app: Flask) -> None:
    with app.app_context():
        user = users.create_user("ann", PASSWORD, "moderator", actor="test", now=utcnow())
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("ann", "short", "moderator", "at least 12"),
        ("has space", PASSWORD, "moderator", "invalid username"),
        ("ann", PASSWORD, "owner", "unknown role"),
        ("ann", "x" * 2000, "moderator", "at most"),
    ],
)
def test_invalid_accounts_are_refused(
    app: Flask, username: str, password: str, role: str, message: str
) -> None:
    with app.app_context(), pytest.raises(users.UserError, match=message):
        users.create_user(username, password, role, actor="test", now=utcnow())


def test_lock_out_and_expiry(app: Flask) -> None:
    now = utcnow()
    with app.app_context():
        users.create_user("ann", PASSWORD, "moderator", actor="test", now=now)
        for _n in range(3):
            result = users.authenticate("ann", "wrong", now=now, client="10.0.0.1", max_failures=3)
            assert result.user is None
        assert result.reason == "bad_password_locked"
        assert users.authenticate("ann", PASSWORD, now=now, client=None).reason == "locked"
        later = now + users.LOCKOUT + timedelta(seconds=1)
        assert users.authenticate("ann", PASSWORD, now=later, client=None).user is not None
        assert users.require_user("ann").failed_logins == 0


def test_the_last_admin_stays(app: Flask) -> None:
    with app.app_context():
        root = users.create_user("root", PASSWORD, "admin", actor="test", now=utcnow())
        with pytest.raises(users.UserError, match="last active admin"):
            users.set_role(root, "moderator", actor="test", now=utcnow())
        with pytest.raises(users.UserError, match="last active admin"):
            users.set_active(root, False, actor="test", now=utcnow())
        users.create_user("second", PASSWORD, "admin", actor="test", now=utcnow())
        users.set_role(root, "moderator", actor="test", now=utcnow())
        assert users.require_user("root").role == "moderator"
