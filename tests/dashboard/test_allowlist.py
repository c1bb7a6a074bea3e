"""The allow-list page: moderators add and remove names per site, with CSRF, audited, escaped."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.tables import Site, SiteAllowEntry
from tests.dashboard.seed import audit_actions, token

PAGE = "/dashboard/allowlist"


def site_id(app: Flask) -> int:
    with app.app_context():
        return int(db.session.execute(sa.select(Site.id)).scalar_one())


def entries(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(SiteAllowEntry.term)).scalars())


def test_moderator_adds_and_removes_a_name(app: Flask, as_moderator: FlaskClient) -> None:
    sid = site_id(app)
    page = as_moderator.get(PAGE)
    assert page.status_code == 200 and "news" in page.text
    csrf = token(as_moderator, PAGE)
    done = as_moderator.post(f"{PAGE}/{sid}/add", data={"csrf_token": csrf, "term": "Bitchford"})
    assert done.status_code == 302
    assert entries(app) == ["Bitchford"]
    assert "Bitchford added to the allow-list of news" in as_moderator.get(PAGE).text
    with app.app_context():
        entry_id = db.session.execute(sa.select(SiteAllowEntry.id)).scalar_one()
    as_moderator.post(f"{PAGE}/{sid}/remove", data={"csrf_token": csrf, "entry_id": entry_id})
    assert entries(app) == []
    assert audit_actions(app)[-2:] == ["allowlist.added", "allowlist.removed"]


def test_refused_entries_say_why_and_are_escaped(app: Flask, as_moderator: FlaskClient) -> None:
    sid = site_id(app)
    csrf = token(as_moderator, PAGE)
    as_moderator.post(f"{PAGE}/{sid}/add", data={"csrf_token": csrf, "term": "<b>shit</b>"})
    page = as_moderator.get(PAGE).text
    assert "only letters" in page
    assert "<b>shit" not in page
    as_moderator.post(f"{PAGE}/{sid}/add", data={"csrf_token": csrf, "term": "O'Brien"})
    page = as_moderator.get(PAGE).text
    assert "holds no listed word" in page and "O&#39;Brien" in page  # the entry, escaped
    as_moderator.post(f"{PAGE}/{sid}/add", data={"csrf_token": csrf, "term": "bugger"})
    assert "is itself a listed word" in as_moderator.get(PAGE).text
    assert entries(app) == []
    assert "allowlist.added" not in audit_actions(app)


def test_changes_need_the_csrf_token(app: Flask, as_moderator: FlaskClient) -> None:
    response = as_moderator.post(f"{PAGE}/{site_id(app)}/add", data={"term": "Bitchford"})
    assert response.status_code == 400
    assert entries(app) == []


def test_bad_input_is_a_4xx(app: Flask, as_moderator: FlaskClient) -> None:
    csrf = token(as_moderator, PAGE)
    assert (
        as_moderator.post(
            f"{PAGE}/999999/add", data={"csrf_token": csrf, "term": "Bitchford"}
        ).status_code
        == 404
    )
    bad = as_moderator.post(
        f"{PAGE}/{site_id(app)}/remove", data={"csrf_token": csrf, "entry_id": "x"}
    )
    assert bad.status_code == 400
    missing = as_moderator.post(
        f"{PAGE}/{site_id(app)}/remove", data={"csrf_token": csrf, "entry_id": "12345"}
    )
    assert missing.status_code == 302
    assert "has no allow-list entry 12345" in as_moderator.get(PAGE).text


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    assert client.get(PAGE).status_code in (302, 401)
