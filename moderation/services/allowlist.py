"""A site's allow-list of names: entries moderators add in the dashboard, read by the scorer.

An entry is an exact name or phrase ("Bitchford", "Lake Shitwater") that holds a listed word;
the scorer drops a word-list match only where the text spells the whole entry (any case), and
never where it is addressed to someone ("you bitchford"). So that the list cannot quietly allow
everything, an entry is refused when it is not a name of letters (at most 60 characters and 4
words), when it holds no listed word (it would do nothing), when it *is* a listed word or one
of its inflections ("bugger", "shits": allow a phrase such as "Mount Buggery" instead), when
it holds a slur (a severe term), or when the site already has :data:`MAX_ALLOW_ENTRIES`.
Every addition and removal is written to the audit log with the entry.

Workers cache each site's list and re-read it when ``sites.allowlist_version``, bumped by
every change and loaded with the comment's site, differs: a change reaches scoring at the
next comment, without a restart. Functions add to the caller's transaction and never commit.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from moderation.extensions import db
from moderation.scoring.names import MAX_ALLOW_ENTRIES, SiteAllowList, allow_entry_words
from moderation.scoring.types import Category, Severity
from moderation.services import audit
from moderation.tables import Site, SiteAllowEntry

if TYPE_CHECKING:
    from moderation.scoring.rules import RuleFilter

__all__ = [
    "ADDED",
    "REMOVED",
    "AllowListError",
    "add_entry",
    "allow_list_for",
    "entries",
    "remove_entry",
]

ADDED = "allowlist.added"
REMOVED = "allowlist.removed"
_SUFFIXES = ("", "s", "es", "ed", "er", "ers", "ing", "in", "y", "ier", "iest")


class AllowListError(ValueError):
    """An entry that cannot be added or removed; the message is safe to show."""


def entries(site_id: int) -> list[SiteAllowEntry]:
    """The site's entries, alphabetically."""
    return list(
        db.session.execute(
            sa.select(SiteAllowEntry)
            .where(SiteAllowEntry.site_id == site_id)
            .order_by(SiteAllowEntry.key)
        ).scalars()
    )


def check_entry(term: str, rules: RuleFilter) -> tuple[str, str]:
    """``(entry as shown, key)`` for a valid entry; raises :class:`AllowListError` why not."""
    try:
        words = allow_entry_words(term)
    except ValueError as exc:
        raise AllowListError(str(exc)) from None
    shown = " ".join(term.split())
    key = " ".join(words)
    found = [m for m in rules.find(shown, names=False) if m.category is not Category.SPAM]
    if not found:
        raise AllowListError(f"{shown!r} holds no listed word: allowing it would change nothing")
    if any(m.severity is Severity.SEVERE for m in found):
        raise AllowListError(f"{shown!r} holds a slur; slurs cannot be allowed")
    names = {name for name, *_ in rules.entries}
    if len(words) == 1 and any(
        key == stem + suffix or (stem.endswith("e") and key == stem[:-1] + suffix)
        for stem in {m.term for m in found} | {w for w in names if w == key}
        for suffix in _SUFFIXES
    ):
        raise AllowListError(
            f"{shown!r} is itself a listed word; allow the name it is part of instead "
            "(a phrase such as 'Mount Buggery')"
        )
    return shown, key


def add_entry(
    site: Site, term: str, *, rules: RuleFilter, actor: str, now: datetime
) -> SiteAllowEntry:
    """Add ``term`` to the site's list (audited). Raises :class:`AllowListError` why not."""
    shown, key = check_entry(term, rules)
    existing = entries(site.id)
    if any(e.key == key for e in existing):
        raise AllowListError(f"{shown!r} is already on the allow-list of {site.name}")
    if len(existing) >= MAX_ALLOW_ENTRIES:
        raise AllowListError(f"{site.name} already has {MAX_ALLOW_ENTRIES} entries; remove some")
    entry = SiteAllowEntry(site_id=site.id, term=shown, key=key, created_by=actor, created_at=now)
    db.session.add(entry)
    _changed(site, ADDED, shown, actor=actor, now=now)
    return entry


def remove_entry(site: Site, entry_id: int, *, actor: str, now: datetime) -> SiteAllowEntry:
    """Remove entry ``entry_id`` of the site (audited). Raises :class:`AllowListError` if the
    site has no such entry."""
    entry = db.session.get(SiteAllowEntry, entry_id)
    if entry is None or entry.site_id != site.id:
        raise AllowListError(f"{site.name} has no allow-list entry {entry_id}")
    db.session.delete(entry)
    _changed(site, REMOVED, entry.term, actor=actor, now=now)
    return entry


def _changed(site: Site, action: str, term: str, *, actor: str, now: datetime) -> None:
    """Bump the site's allow-list version (workers re-read the list when it changes), write
    the pending change, and audit it."""
    site.allowlist_version = Site.allowlist_version + 1
    db.session.flush()
    audit.record(
        actor,
        action,
        now=now,
        site_id=site.id,
        target_type="site",
        target_id=site.id,
        details={"site": site.name, "term": term},
    )


_lock = threading.Lock()
_cache: dict[tuple[int, str, datetime], tuple[int, SiteAllowList | None]] = {}


def allow_list_for(site: Site) -> SiteAllowList | None:
    """The site's allow-list for the scorer (None when empty), cached per process and
    re-read when ``site.allowlist_version`` has changed since."""
    version = site.allowlist_version or 0
    key = (site.id, site.name, site.created_at)  # ids are reused after a site is deleted
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    keys = db.session.execute(
        sa.select(SiteAllowEntry.key).where(SiteAllowEntry.site_id == site.id)
    ).scalars()
    found = SiteAllowList(frozenset(tuple(k.split(" ")) for k in keys))
    allow = found if found.entries else None
    with _lock:
        _cache[key] = (version, allow)
    return allow
