"""Writing the audit log: one row per automatic or human action.

Reading it (search, CSV export) is :mod:`moderation.services.audit_query`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moderation.extensions import db
from moderation.tables import AuditEntry


def record(
    actor: str,
    action: str,
    *,
    now: datetime,
    site_id: int | None = None,
    target_type: str | None = None,
    target_id: object = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction. Never put secrets in ``details``."""
    entry = AuditEntry(
        created_at=now,
        actor=actor,
        action=action,
        site_id=site_id,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details or {},
    )
    db.session.add(entry)
    return entry
