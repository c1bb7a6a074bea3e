"""What a comment card shows, prepared for the templates: the highlighted text, the
category scores against the site's thresholds, the decision's reasons in words, a safe
article link and the author's standing. Templates only lay these out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from moderation.dashboard.highlight import Span, collect_spans, render
from moderation.policy.loader import PolicySet
from moderation.scoring.types import CATEGORIES
from moderation.services import queue
from moderation.services.queue import QueueItem
from moderation.tables import Author, Comment, CommentStatus


@dataclass(frozen=True, slots=True)
class ScoreRow:
    category: str
    score: float
    model: float | None
    hold: float
    reject: float

    @property
    def level(self) -> str:
        if self.score >= self.reject:
            return "reject"
        return "hold" if self.score >= self.hold else "ok"


@dataclass(frozen=True, slots=True)
class Card:
    comment: Comment
    author: Author
    site: str
    text_html: Markup
    spans: list[Span]
    scores: list[ScoreRow]
    reasons: list[str]
    article_link: str | None
    active_strikes: float
    priority: float

    @property
    def held(self) -> bool:
        return self.comment.status == CommentStatus.HELD

    @property
    def confidence(self) -> float:
        """How sure the scoring is, 0 (a coin flip) to 1 (see the queue's informative order)."""
        return queue.confidence(self.comment.risk)

    @property
    def appeal(self) -> bool:
        return self.comment.appeal_state == "pending"

    @property
    def can_approve(self) -> bool:
        return self.comment.status in (CommentStatus.HELD, CommentStatus.REJECTED)

    @property
    def can_reject(self) -> bool:
        return self.comment.status in (CommentStatus.HELD, CommentStatus.PUBLISHED)


def safe_link(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL without control characters, else None;
    anything else (``javascript:``, ``data:``, relative paths) is shown as text only."""
    if not url or any(ord(c) < 33 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


_STANDING = {
    "author_blocked": "author is blocked",
    "author_suspended": "author is suspended",
    "author_watched": "author is watched: every comment is held",
}


def describe_reason(reason: Mapping[str, Any]) -> str:
    """One reason of a decision, in words (plain text; escaped when rendered)."""
    code = str(reason.get("code", "?"))
    outcome = str(reason.get("outcome", ""))
    if code == "category_score":
        score, threshold = reason.get("score"), reason.get("threshold")
        text = f"{outcome}: {reason.get('category', '?')}"
        if isinstance(score, int | float) and isinstance(threshold, int | float):
            text += f" {score:.2f} ≥ {threshold:.2f}"
        source = reason.get("source")
        if source == "rules" and reason.get("term"):
            text += f' (rule "{reason["term"]}", {reason.get("severity", "?")})'
        elif source == "links" and reason.get("term"):
            text += f" ({reason['term']})"
        elif source:
            text += f" ({source})"
        return text
    text = f"{outcome}: {_STANDING.get(code, code)}"
    if reason.get("until"):
        text += f" until {reason['until']}"
    return text


def build_card(item: QueueItem, policies: PolicySet) -> Card:
    comment = item.comment
    policy = policies.for_site(comment.site.name)
    scores = comment.scores or {}
    model = comment.model_scores or {}
    rows = [
        ScoreRow(
            category=str(category),
            score=float(scores.get(category, 0.0)),
            model=float(model[category]) if category in model else None,
            hold=policy.categories[category].hold,
            reject=policy.categories[category].reject,
        )
        for category in CATEGORIES
    ]
    spans = collect_spans(comment.text, comment.matches or [], comment.explanations or [])
    reasons = [describe_reason(r) for r in comment.reasons or [] if isinstance(r, Mapping)]
    return Card(
        comment=comment,
        author=comment.author,
        site=comment.site.name,
        text_html=render(comment.text, spans),
        spans=spans,
        scores=rows,
        reasons=reasons,
        article_link=safe_link(comment.article_url),
        active_strikes=item.active_strikes,
        priority=item.priority,
    )


def age(moment: datetime | None, now: datetime) -> str:
    """``3 min``, ``5 h``, ``2 d``: how long ago ``moment`` was."""
    if moment is None:
        return "-"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
