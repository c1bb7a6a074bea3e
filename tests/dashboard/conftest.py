from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.dashboard.seed import fast_password_hashing, login, make_user

__all__ = ["fast_password_hashing"]


@pytest.fixture(autouse=True)
def _cheap_hashes(fast_password_hashing: None) -> None:
    pass


@pytest.fixture
def moderator(app: Flask, site: tuple[str, str]) -> str:
    make_user(app, "ann", "moderator")
    return "ann"


@pytest.fixture
def admin(app: Flask, site: tuple[str, str]) -> str:
    make_user(app, "root", "admin")
    return "root"


@pytest.fixture
def as_moderator(client: FlaskClient, moderator: str) -> FlaskClient:
    assert login(client, moderator).status_code == 302
    return client


@pytest.fixture
def as_admin(client: FlaskClient, admin: str) -> FlaskClient:
    assert login(client, admin).status_code == 302
    return client
