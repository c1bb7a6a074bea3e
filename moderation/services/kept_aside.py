"""Rows that a batch of decisions keeps aside and inserts together.

Outside a batch, a service adds its row (an audit entry, an event, a statement of reasons)
to the session as an ORM object. Inside one of the services' ``..._together()`` blocks, the
row is appended to a store kept in ``db.session.info`` under the service's key instead, and
the block inserts the whole store in one statement when it ends without an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from moderation.extensions import db

Store = TypeVar("Store", list[dict[str, Any]], dict[str, dict[str, Any]])


@contextmanager
def kept_aside(key: str, store: Store) -> Iterator[Store]:
    """Within, :func:`store_for` (``key``) returns ``store``; it is forgotten on leaving,
    with or without an error (the caller inserts it after the ``with`` on success)."""
    db.session.info[key] = store
    try:
        yield store
    finally:
        db.session.info.pop(key, None)


def store_for(key: str) -> Any:
    """The store of the ``kept_aside`` block open for ``key``, or ``None`` outside one."""
    return db.session.info.get(key)


def add_or_keep_aside(key: str, model: type[Any], row: dict[str, Any]) -> None:
    """Append ``row`` to the open list store for ``key``, else add ``model(**row)`` now."""
    together: list[dict[str, Any]] | None = store_for(key)
    if together is not None:
        together.append(row)
    else:
        db.session.add(model(**row))
