"""Writing the audit log: one row per automatic or human action.

Reading it (search, CSV export) is :mod:`moderation.services.audit_query`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from moderation.extensions import db
from moderation.services.kept_aside import add_or_keep_aside, kept_aside
from moderation.tables import AuditEntry

_TOGETHER_KEY = "moderation.audit.together"


def record(
    actor: str,
    action: str,
    *,
    now: datetime,
    site_id: int | None = None,
    target_type: str | None = None,
    target_id: object = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry to the caller's transaction. Never put secrets in ``details``."""
    row = {
        "created_at": now,
        "actor": actor,
        "action": action,
        "site_id": site_id,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "details": details or {},
    }
    add_or_keep_aside(_TOGETHER_KEY, AuditEntry, row)  # in written_together(): at its end


@contextmanager
def written_together() -> Iterator[None]:
    """Within, the entries :func:`record` makes are kept aside, and on leaving (without an
    error) inserted in the order they were made, in one statement (a batch of decisions,
    services/decisions.py, writes many), still in the caller's transaction."""
    with kept_aside(_TOGETHER_KEY, []) as together:
        yield
    if together:
        db.session.execute(sa.insert(AuditEntry.__table__), together)
