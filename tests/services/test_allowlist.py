"""A site's allow-list of names: what may be added, the audit trail, and the scorer seeing a
change at the next comment (issue 13, "Obfuscation and names")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from moderation import configured
from moderation.extensions import db
from moderation.scoring.names import MAX_ALLOW_ENTRIES
from moderation.services import allowlist
from moderation.services.sites import require_site
from moderation.tables import AuditEntry, Comment
from tests.services.test_decisions import score, submit

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def add(app: Flask, term: str) -> tuple[int, str]:
    with app.app_context():
        entry = allowlist.add_entry(
            require_site("news"),
            term,
            rules=configured.pipeline().rules,
            actor="dashboard:ann",
            now=T0,
        )
        db.session.commit()
        return entry.id, entry.term


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize(
    ("term", "problem"),
    [
        ("Lakeside", "holds no listed word"),  # would change nothing
        ("bugger", "is itself a listed word"),
        ("Shits", "is itself a listed word"),
        ("fucking", "is itself a listed word"),
        ("f*ck", "only letters"),
        ("Nigger Creek", "slur"),
        ("a b c d e", "more than 4 words"),
        ("x" * 61, "longer than 60"),
        ("   ", "empty"),
    ],
)
def test_entries_that_would_allow_too_much_are_refused(app: Flask, term: str, problem: str) -> None:
    with app.app_context(), pytest.raises(allowlist.AllowListError, match=problem):
        allowlist.add_entry(
            require_site("news"), term, rules=configured.pipeline().rules, actor="x", now=T0
        )


@pytest.mark.usefixtures("site")
def test_added_and_removed_entries_are_audited_and_bump_the_version(app: Flask) -> None:
    entry_id, term = add(app, "  Lake   Shitwater ")
    assert term == "Lake Shitwater"
    with app.app_context():
        site = require_site("news")
        assert site.allowlist_version == 1
        with pytest.raises(allowlist.AllowListError, match="already on the allow-list"):
            allowlist.add_entry(
                site, "lake shitwater", rules=configured.pipeline().rules, actor="x", now=T0
            )
        allowlist.remove_entry(site, entry_id, actor="dashboard:ann", now=T0)
        db.session.commit()
        assert site.allowlist_version == 2
        with pytest.raises(allowlist.AllowListError, match="no allow-list entry"):
            allowlist.remove_entry(site, entry_id, actor="x", now=T0)
        rows = db.session.execute(
            sa.select(AuditEntry.action, AuditEntry.details).order_by(AuditEntry.id)
        ).all()
    assert [(a, d["term"]) for a, d in rows if a.startswith("allowlist.")] == [
        (allowlist.ADDED, "Lake Shitwater"),
        (allowlist.REMOVED, "Lake Shitwater"),
    ]


@pytest.mark.usefixtures("site")
def test_a_site_has_at_most_so_many_entries(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allowlist, "MAX_ALLOW_ENTRIES", 1)
    add(app, "Bitchford")
    with app.app_context(), pytest.raises(allowlist.AllowListError, match="already has 1"):
        allowlist.add_entry(
            require_site("news"), "Shitwater", rules=configured.pipeline().rules, actor="x", now=T0
        )
    assert MAX_ALLOW_ENTRIES >= 100


@pytest.mark.usefixtures("site")
def test_the_scorer_sees_a_change_at_the_next_comment(app: Flask) -> None:
    text = "The Bitchford under-12s won the cup."
    first = submit(app, "c1", text, T0)
    score(app, first, T0)
    entry_id, _ = add(app, "Bitchford")
    second = submit(app, "c2", text, T0)
    score(app, second, T0)
    with app.app_context():
        site = require_site("news")
        allowlist.remove_entry(site, entry_id, actor="x", now=T0)
        db.session.commit()
    third = submit(app, "c3", text, T0)
    score(app, third, T0)
    with app.app_context():
        rows = {c.external_id: c for c in db.session.execute(sa.select(Comment)).scalars()}
        assert rows["c1"].decision == "reject"
        assert rows["c2"].decision == "publish"
        assert rows["c2"].versions["allowlist"].startswith("allow-")
        assert rows["c3"].decision == "reject"
