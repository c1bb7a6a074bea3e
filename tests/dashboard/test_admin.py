"""Admin pages: sites, users, policy."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.extensions import db
from moderation.services import users
from moderation.tables import Site, utcnow
from tests.dashboard.seed import audit_actions, login, token


def test_sites_page_sets_the_callback_url(app: Flask, as_admin: FlaskClient) -> None:
    page = as_admin.get("/dashboard/admin/sites")
    assert page.status_code == 200
    assert "news" in page.text
    with app.app_context():
        site_id = db.session.execute(sa.select(Site.id)).scalar_one()
    csrf = token(as_admin, "/dashboard/admin/sites")
    as_admin.post(
        f"/dashboard/admin/sites/{site_id}/callback",
        data={"csrf_token": csrf, "callback_url": "https://news.example/hooks"},
    )
    bad = as_admin.post(
        f"/dashboard/admin/sites/{site_id}/callback",
        data={"csrf_token": csrf, "callback_url": "javascript:alert(1)"},
    )
    assert bad.status_code == 302
    with app.app_context():
        assert db.session.get(Site, site_id).callback_url == "https://news.example/hooks"  # type: ignore[union-attr]
    assert "must be an absolute https URL" in as_admin.get("/dashboard/admin/sites").text
    assert audit_actions(app).count("site.updated") == 1


def test_sites_page_refuses_internal_callback_targets(app: Flask, as_admin: FlaskClient) -> None:
    with app.app_context():
        site_id = db.session.execute(sa.select(Site.id)).scalar_one()
    csrf = token(as_admin, "/dashboard/admin/sites")
    for url, problem in [
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("https://0x7f.1:6379/", "127.0.0.1 is a loopback address"),
        ("https://user:pass@news.example/hooks", "must not contain credentials"),
        ("http://news.example/hooks", "must use https"),
    ]:
        response = as_admin.post(
            f"/dashboard/admin/sites/{site_id}/callback",
            data={"csrf_token": csrf, "callback_url": url},
        )
        assert response.status_code == 302
        assert problem in as_admin.get("/dashboard/admin/sites").text
    with app.app_context():
        assert db.session.get(Site, site_id).callback_url is None  # type: ignore[union-attr]
    assert "site.updated" not in audit_actions(app)


def test_users_page_creates_promotes_and_deactivates(
    app: Flask, as_admin: FlaskClient, client: FlaskClient
) -> None:
    csrf = token(as_admin, "/dashboard/admin/users")
    as_admin.post(
        "/dashboard/admin/users",
        data={
            "csrf_token": csrf,
            "username": "bea",
            "role": "moderator",
            "password": "a long enough password",
        },
    )
    short = as_admin.post(
        "/dashboard/admin/users",
        data={"csrf_token": csrf, "username": "cy", "role": "moderator", "password": "short"},
    )
    assert short.status_code == 302
    with app.app_context():
        bea = users.require_user("bea")
        assert users.get_user("cy") is None
    as_admin.post(
        f"/dashboard/admin/users/{bea.id}/role", data={"csrf_token": csrf, "role": "admin"}
    )
    as_admin.post(
        f"/dashboard/admin/users/{bea.id}/active", data={"csrf_token": csrf, "active": "false"}
    )
    with app.app_context():
        bea = users.require_user("bea")
        assert (bea.role, bea.active) == ("admin", False)
        root = users.require_user("root")
    # the last active admin cannot be demoted
    as_admin.post(
        f"/dashboard/admin/users/{root.id}/role", data={"csrf_token": csrf, "role": "moderator"}
    )
    page = as_admin.get("/dashboard/admin/users")
    assert "cannot demote the last active admin" in page.text
    assert "deactivated" in page.text
    assert {"user.created", "user.role_changed", "user.deactivated"} <= set(audit_actions(app))
    assert "a long enough password" not in repr(audit_actions(app))


def test_unlock_a_locked_user(app: Flask, as_admin: FlaskClient, client: FlaskClient) -> None:
    with app.app_context():
        users.create_user("dan", "password password", "moderator", actor="t", now=utcnow())
    other = app.test_client()
    for _ in range(users.MAX_FAILED_LOGINS):
        login(other, "dan", "nope nope nope")
    with app.app_context():
        dan = users.require_user("dan")
        assert dan.locked_until is not None
    as_admin.post(f"/dashboard/admin/users/{dan.id}/unlock", data={"csrf_token": token(as_admin)})
    assert login(other, "dan", "password password").status_code == 302


def test_policy_page_shows_thresholds_and_ladder(as_admin: FlaskClient) -> None:
    page = as_admin.get("/dashboard/admin/policy")
    assert page.status_code == 200
    assert "default" in page.text
    assert "version default-" in page.text
    assert "at 2.0 strikes" in page.text or "at 2 strikes" in page.text
