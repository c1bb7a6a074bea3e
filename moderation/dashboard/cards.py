"""What a comment card shows, prepared for the templates: the highlighted text, the
category scores against the site's thresholds, the decision's reasons in words, a safe
article link and the author's standing. Templates only lay these out."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from markupsafe import Markup

from moderation.dashboard.highlight import Span, collect_spans, render
from moderation.policy.loader import PolicySet
from moderation.scoring.language import language_name
from moderation.scoring.types import CATEGORIES
from moderation.services import queue
from moderation.services.queue import QueueItem
from moderation.services.review import REJECT_REASONS
from moderation.statuses import CommentStatus

if TYPE_CHECKING:
    from moderation.tables import Author, Comment


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One category's score against the thresholds that applied to this comment: the ones
    its decision's reasons recorded, else those of the author tier the decision used (or
    the site's defaults) in the current policy."""

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
    tier: str | None = None  # the author tier whose thresholds applied, if any
    default_reason: str = "other"  # the reject reason preselected on the card

    @property
    def language(self) -> str | None:
        """ "Russian (ru)" when the comment was detected in a language; None before scoring."""
        code = self.comment.language
        return f"{language_name(code)} ({code})" if code else None

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
    "scoring_time_limit": "scoring took too long: held unscored for a moderator",
    "language_unsupported": "language not supported",
}


TIER_WORDS = {"new_authors": "new-author", "trusted_authors": "trusted-author"}


def format_moment(value: object) -> str:
    """A datetime or ISO 8601 string as ``2026-11-01 12:00 UTC`` (minutes are enough for a
    moderator); anything else as it is."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


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
        notes = []
        if source == "rules" and reason.get("term"):
            notes.append(f'rule "{reason["term"]}", {reason.get("severity", "?")}')
        elif source == "links" and reason.get("term"):
            notes.append(str(reason["term"]))
        elif source:
            notes.append(str(source))
        tier = reason.get("tier")
        if tier:
            notes.append(f"{TIER_WORDS.get(str(tier), str(tier))} threshold")
        if notes:
            text += f" ({'; '.join(notes)})"
        return text
    if reason.get("detail"):  # says it in words already ("language not supported: ...")
        return f"{outcome}: {reason['detail']}"
    if code == "threat_untargeted":
        score, cap = reason.get("score"), reason.get("threshold")
        text = f"threat capped: {reason.get('term', 'no person targeted')}"
        if isinstance(score, int | float) and isinstance(cap, int | float):
            text += f" (model {score:.2f} → {cap:.2f})"
        return text
    text = f"{outcome}: {_STANDING.get(code, code)}"
    if reason.get("until"):
        text += f" until {format_moment(reason['until'])}"
    return text


def readable(value: object) -> str:
    """An audit detail's value in words: reasons described, timestamps to the minute,
    mappings as ``key: value`` and lists joined — never a Python repr."""
    if isinstance(value, Mapping):
        if "code" in value and "outcome" in value:
            return describe_reason(value)
        return ", ".join(f"{k}: {readable(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list | tuple):
        return "; ".join(readable(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return format_moment(value)
    if isinstance(value, datetime):
        return format_moment(value)
    return str(value)


_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def readable_details(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """An audit entry's details as (key, value in words), absent values left out."""
    return [(str(k), readable(v)) for k, v in (details or {}).items() if v is not None]


def _applied_thresholds(
    category: str, reasons: Sequence[Mapping[str, Any]], hold: float, reject: float
) -> tuple[float, float]:
    for reason in reasons:
        threshold = reason.get("threshold")
        if reason.get("category") != category or not isinstance(threshold, int | float):
            continue
        if reason.get("outcome") == "reject":
            reject = float(threshold)
        elif reason.get("outcome") == "hold":
            hold = float(threshold)
    return hold, reject


def _default_reason(scores: Mapping[str, float], reasons: Sequence[Mapping[str, Any]]) -> str:
    """The reject reason to preselect: the category the decision named with the worst
    outcome and highest score, else the highest-scoring category, else ``other``."""
    rank = {"reject": 2, "hold": 1}
    named = [
        (rank.get(str(r.get("outcome")), 0), float(r.get("score") or 0.0), str(r["category"]))
        for r in reasons
        if r.get("category") in REJECT_REASONS
    ]
    if named:
        return max(named)[2]
    scored = [(float(v), str(k)) for k, v in scores.items() if k in REJECT_REASONS]
    if scored and max(scored)[0] > 0:
        return max(scored)[1]
    return "other"


def build_card(item: QueueItem, policies: PolicySet) -> Card:
    comment = item.comment
    policy = policies.for_site(comment.site.name)
    scores = comment.scores or {}
    model = comment.model_scores or {}
    raw_reasons = [r for r in comment.reasons or [] if isinstance(r, Mapping)]
    tier_key = next((str(r["tier"]) for r in raw_reasons if r.get("tier") in TIER_WORDS), None)
    tier = getattr(policy.authors, tier_key) if tier_key else None
    rows = []
    for category in CATEGORIES:
        limits = policy.thresholds(category, tier)
        hold, reject = _applied_thresholds(str(category), raw_reasons, limits.hold, limits.reject)
        rows.append(
            ScoreRow(
                category=str(category),
                score=float(scores.get(category, 0.0)),
                model=float(model[category]) if category in model else None,
                hold=hold,
                reject=reject,
            )
        )
    spans = collect_spans(comment.text, comment.matches or [], comment.explanations or [])
    reasons = [describe_reason(r) for r in raw_reasons]
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
        tier=TIER_WORDS.get(tier_key) if tier_key else None,
        default_reason=_default_reason(scores, raw_reasons),
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
