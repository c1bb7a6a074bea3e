"""The intake's one-statement path borrows a pool connection in autocommit: it must give it
back as the pool lends it, and raise driver errors as SQLAlchemy's (PostgreSQL only)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation.extensions import db
from moderation.services.intake import _autocommit_cursor
from tests.support import free_port, skip_or_fail


@pytest.fixture
def engine(app: Flask) -> sa.Engine:
    with app.app_context():
        engine = db.engine
    if engine.dialect.driver != "psycopg":
        skip_or_fail("the one-statement intake runs on PostgreSQL (set TEST_DATABASE_URL)")
    return engine


def lent(engine: sa.Engine) -> tuple[object, bool]:
    """The driver connection the pool lends next, and whether it is in autocommit."""
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        return driver, bool(getattr(driver, "autocommit", None))


def test_the_connection_goes_back_in_transaction_mode(engine: sa.Engine) -> None:
    engine.dispose()
    with _autocommit_cursor(engine) as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
        # In autocommit: nothing is left open for the statement.
        assert cursor.connection.info.transaction_status.name == "IDLE"
    driver, autocommit = lent(engine)
    assert autocommit is False
    with _autocommit_cursor(engine) as cursor:
        assert cursor.connection is driver  # the same pooled connection, reused


def borrow(engine: sa.Engine, sql: str | None = None, error: Exception | None = None) -> Any:
    """Borrow a connection, run ``sql`` and/or raise ``error`` with it; the driver connection
    borrowed (when nothing was raised)."""
    with _autocommit_cursor(engine) as cursor:
        if sql is not None:
            cursor.execute(sql)
        if error is not None:
            raise error
        return cursor.connection


def test_a_driver_error_is_sqlalchemys_and_the_connection_is_not_lent_again(
    engine: sa.Engine,
) -> None:
    engine.dispose()
    used = borrow(engine)  # the pool's one connection: lent again to the next statement
    with pytest.raises(sa.exc.ProgrammingError) as raised:
        borrow(engine, "SELECT no_such_column FROM comments")
    assert raised.value.connection_invalidated
    assert used.closed
    driver, autocommit = lent(engine)
    assert driver is not used and autocommit is False


def test_any_other_error_closes_the_connection_too(engine: sa.Engine) -> None:
    engine.dispose()
    used = borrow(engine)
    with pytest.raises(KeyError):
        borrow(engine, "SELECT 1", KeyError("while the connection is in autocommit"))
    assert used.closed
    assert lent(engine)[1] is False


def test_an_unreachable_server_is_an_operational_error(engine: sa.Engine) -> None:
    unreachable = sa.create_engine(engine.url.set(host="127.0.0.1", port=free_port()))
    with pytest.raises(sa.exc.OperationalError):
        borrow(unreachable)


def test_a_lost_server_gives_up_every_pooled_connection(engine: sa.Engine) -> None:
    """After PostgreSQL drops its connections (a restart, a failover) the first statement
    fails (503 at the API) and the pool lends no other stale connection: the next statement
    runs on a new one, as after a Connection's disconnect."""
    engine.dispose()
    with _autocommit_cursor(engine) as first, _autocommit_cursor(engine) as second:
        pids = [first.connection.info.backend_pid, second.connection.info.backend_pid]
    admin = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)  # not one of the pool's
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM unnest(:p) AS pid"), {"p": pids}
        )
    with pytest.raises(sa.exc.OperationalError) as raised:
        borrow(engine, "SELECT 1")
    assert raised.value.connection_invalidated
    fresh = borrow(engine, "SELECT 1")
    assert fresh.info.backend_pid not in pids
