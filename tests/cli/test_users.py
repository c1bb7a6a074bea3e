"""`moderation user …`: creating the first admin and managing accounts."""

from __future__ import annotations

import pytest
from flask import Flask

from moderation.services import users
from tests.dashboard.seed import fast_password_hashing

__all__ = ["fast_password_hashing"]
pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def test_add_list_set_role_deactivate(app: Flask) -> None:
    runner = app.test_cli_runner()
    from moderation.cli.users import user_group

    result = runner.invoke(
        user_group,
        ["add", "root", "--role", "admin", "--password-stdin"],
        input="correct horse battery staple\n",
    )
    assert result.exit_code == 0, result.output
    assert "created (admin)" in result.output
    result = runner.invoke(user_group, ["add", "ann"], input="long enough pass\nlong enough pass\n")
    assert result.exit_code == 0, result.output
    listing = runner.invoke(user_group, ["list"]).output
    assert "root" in listing
    assert "admin" in listing
    assert "ann" in listing
    assert runner.invoke(user_group, ["set-role", "ann", "admin"]).exit_code == 0
    assert runner.invoke(user_group, ["deactivate", "ann"]).exit_code == 0
    refused = runner.invoke(user_group, ["add", "bob", "--password-stdin"], input="short\n")
    assert refused.exit_code != 0
    assert "at least 12" in refused.output
    missing = runner.invoke(user_group, ["set-role", "nobody", "admin"])
    assert missing.exit_code != 0
    assert "no user named" in missing.output
    with app.app_context():
        ann = users.require_user("ann")
        assert (ann.role, ann.active) == ("admin", False)
        assert "long enough pass" not in ann.password_hash
