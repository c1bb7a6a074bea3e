"""Labelled examples of a site: every human judgement of a comment becomes one.

Sources: a moderator's approve or reject in the dashboard (with the category the moderator
names), an appeal's outcome, a ``comments:suggestscore`` call on the Perspective-compatible API,
and ``moderation feedback import``. One row per (site, comment reference): a later judgement
replaces the earlier one. Rows go with their comment or author (foreign keys ``ON DELETE
CASCADE``). Functions add to the caller's transaction and never commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from moderation.extensions import db
from moderation.policy.decide import Outcome
from moderation.scoring.types import CATEGORIES
from moderation.services import audit
from moderation.tables import Comment, LabelSource, Site, SiteLabel

#: Categories a label can name (the policy's categories).
LABEL_CATEGORIES: Sequence[str] = CATEGORIES  # the registry's, live (moderation/categories.py)


class LabelError(ValueError):
    """A label that cannot be stored; the message says why."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled example, as stored and as imported or exported."""

    comment_ref: str
    text: str
    violation: bool
    labels: Mapping[str, int]
    decided_at: datetime


def check_labels(labels: Mapping[str, object]) -> dict[str, int]:
    """``labels`` as ``{category: 0|1}``. Raises :class:`LabelError` naming a bad entry."""
    out: dict[str, int] = {}
    for name, value in labels.items():
        if name not in LABEL_CATEGORIES:
            raise LabelError(f"unknown category {name!r}; use one of {', '.join(LABEL_CATEGORIES)}")
        if isinstance(value, bool) or value not in (0, 1):
            raise LabelError(f"label {name!r} must be 0 or 1, not {value!r}")
        out[name] = int(value)
    return out


def record(
    site_id: int,
    example: Example,
    *,
    source: str,
    actor: str,
    now: datetime,
    comment_id: int | None = None,
    author_id: int | None = None,
) -> SiteLabel:
    """Insert or replace the label of ``example.comment_ref`` on the site."""
    if source not in LabelSource.ALL:
        raise LabelError(f"unknown label source {source!r}")
    labels = check_labels(example.labels)
    row = db.session.execute(
        sa.select(SiteLabel).where(
            SiteLabel.site_id == site_id, SiteLabel.comment_ref == example.comment_ref
        )
    ).scalar_one_or_none()
    if row is None:
        row = SiteLabel(site_id=site_id, comment_ref=example.comment_ref, created_at=now)
        db.session.add(row)
    row.text = example.text
    row.violation = example.violation
    row.labels = labels
    row.source = source
    row.actor = actor
    row.decided_at = example.decided_at
    if comment_id is not None:
        row.comment_id = comment_id
    if author_id is not None:
        row.author_id = author_id
    return row


def review_labels(outcome: Outcome, reason: str | None) -> tuple[bool, dict[str, int]] | None:
    """The label a moderator's outcome and reason code mean, or ``None`` for a hold (not a
    judgement). Approving says no category applies; a reject names its category when the
    reason is a category code (``spam`` included), otherwise only that it is a violation."""
    if outcome is Outcome.HOLD:
        return None
    if outcome is Outcome.PUBLISH:
        return False, dict.fromkeys(LABEL_CATEGORIES, 0)
    if reason in LABEL_CATEGORIES:
        return True, {c: int(c == reason) for c in LABEL_CATEGORIES}
    return True, {}


def from_review(
    comment: Comment,
    outcome: Outcome,
    *,
    reason: str | None,
    actor: str,
    appeal: bool,
    now: datetime,
) -> SiteLabel | None:
    """The label of a moderator's decision on ``comment`` (an appeal's outcome if ``appeal``)."""
    meaning = review_labels(outcome, reason)
    if meaning is None:
        return None
    violation, labels = meaning
    return record(
        comment.site_id,
        Example(comment.external_id, comment.text, violation, labels, now),
        source=LabelSource.APPEAL if appeal else LabelSource.MODERATOR,
        actor=actor,
        now=now,
        comment_id=comment.id,
        author_id=comment.author_id,
    )


def stored(site_id: int, comment_ref: str) -> SiteLabel | None:
    """The site's label of ``comment_ref``, if it has one."""
    row: SiteLabel | None = db.session.execute(
        sa.select(SiteLabel).where(
            SiteLabel.site_id == site_id, SiteLabel.comment_ref == comment_ref
        )
    ).scalar_one_or_none()
    return row


def corrected_labels(category: str | None) -> tuple[bool, dict[str, int]]:
    """What a correction means: ``category`` the one category that applies, ``None`` not a
    violation. Raises :class:`LabelError` for an unknown category."""
    if category is None:
        return False, dict.fromkeys(LABEL_CATEGORIES, 0)
    if category not in LABEL_CATEGORIES:
        raise LabelError(f"unknown category {category!r}; use one of {', '.join(LABEL_CATEGORIES)}")
    return True, {c: int(c == category) for c in LABEL_CATEGORIES}


def _describe(violation: bool, labels: Mapping[str, int]) -> str:
    named = sorted(c for c, v in labels.items() if v)
    if not violation:
        return "not a violation"
    return ", ".join(named) if named else "violation (no category)"


def correct(
    site_id: int, comment_ref: str, category: str | None, *, actor: str, now: datetime
) -> SiteLabel:
    """Correct the stored label of ``comment_ref`` ("not an attack: spam"): ``category`` is
    the one category that applies, ``None`` says it is not a violation. The label keeps its
    source, text and decision time (a correction is not a newer judgement, so it does not move
    into the gate's held-out labels); ``actor`` becomes who gave it. Audited as
    ``label.corrected`` (from, to). Raises :class:`LabelError` for an unknown category or a
    comment without a label."""
    violation, new_labels = corrected_labels(category)
    row = stored(site_id, comment_ref)
    if row is None:
        raise LabelError(f"no label for comment {comment_ref!r} on this site")
    previous = _describe(bool(row.violation), dict(row.labels))
    row.violation = violation
    row.labels = new_labels
    row.actor = actor
    _audit_correction(site_id, comment_ref, previous, row, actor=actor, now=now)
    return row


def _audit_correction(
    site_id: int, comment_ref: str, previous: str, row: SiteLabel, *, actor: str, now: datetime
) -> None:
    audit.record(
        actor,
        "label.corrected",
        now=now,
        site_id=site_id,
        target_type="comment",
        target_id=comment_ref,
        details={"from": previous, "to": _describe(bool(row.violation), dict(row.labels))},
    )


def correct_category(
    comment: Comment, category: str | None, *, actor: str, now: datetime
) -> SiteLabel:
    """Correct the label of ``comment`` (see :func:`correct`). A rejected comment without a
    label (the policy rejected it, no moderator judged it) gets one from this judgement."""
    violation, new_labels = corrected_labels(category)
    if stored(comment.site_id, comment.external_id) is not None:
        return correct(comment.site_id, comment.external_id, category, actor=actor, now=now)
    if comment.decision != Outcome.REJECT.value:
        raise LabelError("this comment has no label yet: approve or reject it to give it one")
    row = record(
        comment.site_id,
        Example(comment.external_id, comment.text, violation, new_labels, now),
        source=LabelSource.MODERATOR,
        actor=actor,
        now=now,
        comment_id=comment.id,
        author_id=comment.author_id,
    )
    _audit_correction(
        comment.site_id,
        comment.external_id,
        "no label (rejected by the policy)",
        row,
        actor=actor,
        now=now,
    )
    return row


def correct_comment_label(
    comment_id: int, category: str | None, *, actor: str, now: datetime
) -> SiteLabel | None:
    """:func:`correct_category` for the comment with row id ``comment_id``; ``None`` when
    there is no such comment."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return None
    return correct_category(comment, category, actor=actor, now=now)


def examples(site_id: int) -> list[Example]:
    """The site's labelled examples, oldest decision first (ties by insertion)."""
    rows = db.session.execute(
        sa.select(SiteLabel)
        .where(SiteLabel.site_id == site_id)
        .order_by(SiteLabel.decided_at, SiteLabel.id)
    ).scalars()
    return [Example(r.comment_ref, r.text, r.violation, dict(r.labels), r.decided_at) for r in rows]


def count(site_id: int) -> int:
    return int(
        db.session.execute(
            sa.select(sa.func.count()).select_from(SiteLabel).where(SiteLabel.site_id == site_id)
        ).scalar_one()
    )


def record_suggestion(
    site: Site,
    *,
    text: str,
    client_token: str | None,
    violation: bool,
    labels: Mapping[str, int],
    actor: str,
    now: datetime,
) -> SiteLabel:
    """Store a ``comments:suggestscore`` judgement (audited without its text) and commit."""
    ref = client_token or "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]
    row = record(
        site.id,
        Example(ref[:255], text, violation, labels, now),
        source=LabelSource.SUGGEST,
        actor=actor,
        now=now,
    )
    audit.record(
        actor,
        "label.suggested",
        now=now,
        site_id=site.id,
        target_type="comment",
        target_id=ref[:255],
        details={"violation": violation, "labels": dict(labels)},
    )
    db.session.commit()
    return row


# --------------------------------------------------------------------------- import / export

_IMPORT_KEYS = frozenset({"comment_id", "text", "violation", "labels", "decided_at"})


def parse_line(line: str, *, now: datetime, max_chars: int) -> Example:
    """One JSON line of ``feedback import``. Raises :class:`LabelError` saying what is wrong.

    ``{"comment_id", "text", "violation": bool}`` or ``{"comment_id", "text", "labels":
    {category: 0|1}}`` (both may be given if they agree), optional ``"decided_at"`` (ISO 8601,
    UTC when it has no zone; ``now`` when absent).
    """
    try:
        item = json.loads(line)
    except (ValueError, RecursionError):
        raise LabelError("not valid JSON") from None
    if not isinstance(item, dict):
        raise LabelError("each line must be a JSON object")
    unknown = sorted(set(item) - _IMPORT_KEYS)
    if unknown:
        raise LabelError(f"unknown field(s) {', '.join(map(repr, unknown))}")
    ref = item.get("comment_id")
    if isinstance(ref, bool) or not isinstance(ref, str | int) or not str(ref).strip():
        raise LabelError("'comment_id' must be a non-empty string or an integer")
    if len(str(ref)) > 255:
        raise LabelError("'comment_id' is longer than 255 characters")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LabelError("'text' must be a non-empty string")
    if len(text) > max_chars:
        raise LabelError(f"'text' is longer than {max_chars} characters")
    given_labels = item.get("labels")
    violation = item.get("violation")
    if given_labels is None and violation is None:
        raise LabelError("give 'violation' (true/false) or 'labels' ({category: 0|1})")
    if violation is not None and not isinstance(violation, bool):
        raise LabelError("'violation' must be true or false")
    categories: dict[str, int] = {}
    if given_labels is not None:
        if not isinstance(given_labels, dict) or not given_labels:
            raise LabelError("'labels' must be a non-empty object of category: 0|1")
        categories = check_labels(given_labels)
        named = any(categories.values())
        if violation is None:
            violation = named
        elif named and not violation:
            raise LabelError("'violation' is false but 'labels' names a category")
    decided_at = now
    if "decided_at" in item:
        decided_at = _moment(item["decided_at"])
    return Example(str(ref), text, bool(violation), categories, decided_at)


def _moment(raw: object) -> datetime:
    try:
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise LabelError("'decided_at' must be an ISO 8601 time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_lines(lines: Iterable[str], *, now: datetime, max_chars: int) -> list[Example]:
    """Every example of a JSON-lines file, blank lines skipped; a later line with the same
    ``comment_id`` replaces the earlier one. Raises :class:`LabelError` naming the first bad
    line's number: then nothing may be imported."""
    found: dict[str, Example] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            example = parse_line(line, now=now, max_chars=max_chars)
        except LabelError as exc:
            raise LabelError(f"line {number}: {exc}") from None
        found.pop(example.comment_ref, None)  # keep file order for the update
        found[example.comment_ref] = example
    return list(found.values())


def import_examples(
    site: Site, found: Sequence[Example], *, actor: str, now: datetime
) -> tuple[int, int]:
    """Insert or update ``found`` on the site, audited, in one transaction (committed).
    Returns ``(added, updated)``."""
    existing: dict[str, SiteLabel] = {}
    refs = [e.comment_ref for e in found]
    for start in range(0, len(refs), 500):
        rows = db.session.execute(
            sa.select(SiteLabel).where(
                SiteLabel.site_id == site.id, SiteLabel.comment_ref.in_(refs[start : start + 500])
            )
        ).scalars()
        existing.update({r.comment_ref: r for r in rows})
    added = 0
    for example in found:
        row = existing.get(example.comment_ref)
        if row is None:
            row = SiteLabel(site_id=site.id, comment_ref=example.comment_ref, created_at=now)
            db.session.add(row)
            added += 1
        row.text = example.text
        row.violation = example.violation
        row.labels = dict(example.labels)
        row.source = LabelSource.IMPORT
        row.actor = actor
        row.decided_at = example.decided_at
    audit.record(
        actor,
        "labels.imported",
        now=now,
        site_id=site.id,
        target_type="site",
        target_id=site.name,
        details={"added": added, "updated": len(found) - added},
    )
    db.session.commit()
    return added, len(found) - added


def export_line(example: Example) -> str:
    """The JSON line of ``feedback export`` (what ``feedback import`` reads)."""
    item: dict[str, object] = {
        "comment_id": example.comment_ref,
        "text": example.text,
        "violation": example.violation,
    }
    if example.labels:
        item["labels"] = dict(example.labels)
    item["decided_at"] = example.decided_at.isoformat()
    return json.dumps(item, ensure_ascii=False)
