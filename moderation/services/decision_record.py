"""Recording an automatic decision: its audit entry and the site's ``comment.decided`` event.

Both :mod:`.intake` (a comment refused on arrival) and :mod:`.decisions` (a scored or
unscored comment) record their decisions here, as :data:`POLICY_ACTOR`.
"""

from __future__ import annotations

from datetime import datetime

from moderation.services import audit, dsa, events
from moderation.tables import Comment

#: The actor of every automatic decision and sanction (audit log, ``decided_by``).
POLICY_ACTOR = "policy"


def record_decision(comment: Comment, actor: str, now: datetime) -> None:
    """Audit an automatic decision and tell the site (``comment.decided``)."""
    audit.record(
        actor,
        "comment.decided",
        now=now,
        site_id=comment.site_id,
        target_type="comment",
        target_id=comment.external_id,
        details={"decision": comment.decision, "reasons": comment.reasons},
    )
    statement = dsa.for_comment(comment, now=now)  # a statement of reasons if restricted
    events.emit("comment.decided", comment.site, now=now, comment=comment, statement=statement)
