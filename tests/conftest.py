"""Shared fixtures: a database per test session (SQLite, or PostgreSQL when
``TEST_DATABASE_URL`` is set), an app per test, signed requests, and real services
(a private ``redis-server``, ``celery worker`` and gunicorn processes) for integration tests.

A test that needs a service this machine lacks is skipped with the reason; with
``MODERATION_TEST_REQUIRE_SERVICES=1`` (set by ``.ci/run``) such a skip fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings

from tests.support import (
    ROOT,
    Receiver,
    Services,
    create_test_database,
    drop_test_database,
    make_site,
    need,
)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("MODERATION_LOG_LEVEL", "WARNING")
    # Property and fuzz tests explore new inputs on every local run; CI (which sets
    # MODERATION_TEST_REQUIRE_SERVICES) replays a fixed sequence so that a red run is the
    # code's doing and can be reproduced. A local find becomes a fixed test case.
    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("MODERATION_TEST_REQUIRE_SERVICES") == "1":
        settings.load_profile("ci")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """One fresh database for the session, migrated to head once."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = create_test_database(base, f"moderation_test_{uuid.uuid4().hex[:10]}")
    else:
        path = Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"mod-{uuid.uuid4().hex}.sqlite3"
        url = f"sqlite:///{path}"
    from flask_migrate import upgrade

    from moderation.app import create_app

    app = create_app({"database_url": url, "instance_path": "/tmp/moderation-test-instance"})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        from moderation.extensions import db

        db.engine.dispose()
    yield url
    if base:
        drop_test_database(base, url)
    elif url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


@pytest.fixture
def settings_overrides(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "instance_path": str(tmp_path / "instance"),
        "config_dir": str(ROOT / "config"),
        "models_dir": str(ROOT / "models"),
    }


@pytest.fixture
def app(settings_overrides: dict[str, Any]) -> Iterator[Flask]:
    from moderation.app import create_app
    from moderation.extensions import db

    app = create_app(settings_overrides)
    app.config["TESTING"] = True
    yield app
    with app.app_context():
        _empty_all_tables(db.engine)
        db.engine.dispose()


def _empty_all_tables(engine: sa.Engine) -> None:
    from moderation.extensions import db

    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for name in tables:
                conn.exec_driver_sql(f"DELETE FROM {name}")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def site(app: Flask) -> tuple[str, str]:
    """A site named ``news`` and its secret."""
    return make_site(app, "news")


@pytest.fixture(scope="session")
def services() -> Services:
    return Services()


@pytest.fixture
def redis_server(services: Services) -> Iterator[str]:
    """A private redis-server on a free port (it may be stopped and restarted by a test)."""
    need("redis-server")
    server = services.start_redis()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def stack_overrides(settings_overrides: dict[str, Any], redis_server: str) -> dict[str, Any]:
    """Settings for real service processes: the session database plus a private Redis."""
    return {**settings_overrides, "redis_url": redis_server}
