"""Sign-in, roles, CSRF, lock-out and the login rate limit."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from moderation.dashboard.auth import safe_next
from moderation.extensions import db
from moderation.services import users
from moderation.tables import AuditEntry, User, utcnow
from tests.dashboard.seed import (
    PASSWORD,
    add_comment,
    audit_actions,
    comment_row,
    csrf_from,
    login,
    token,
)
from tests.support import comment_payload, encode, signed

ADMIN_PAGES = ["/dashboard/admin/sites", "/dashboard/admin/users", "/dashboard/admin/policy"]


def dashboard_rules(app: Flask) -> list[tuple[str, str]]:
    """(method, url) of every dashboard route, with 1 for each id."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("dashboard.") or rule.endpoint == "dashboard.login":
            continue
        url = rule.rule.replace("<int:comment_id>", "1").replace("<int:author_id>", "1")
        url = url.replace("<int:site_id>", "1").replace("<int:user_id>", "1")
        url = url.replace("<int:complaint_id>", "1")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, url))
    return out


def test_every_dashboard_view_declares_a_role(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("dashboard."):
            assert getattr(view, "dashboard_role", None) in {"public", "moderator", "admin"}, (
                endpoint
            )


@pytest.mark.usefixtures("site")
def test_every_route_without_login_redirects_to_login(app: Flask, client: FlaskClient) -> None:
    routes = dashboard_rules(app)
    assert len(routes) >= 20
    for method, url in routes:
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/dashboard/login"), (method, url)
    assert client.get("/").headers["Location"] == "/dashboard/"


@pytest.mark.usefixtures("site")
def test_fetch_without_login_gets_401(client: FlaskClient) -> None:
    response = client.post("/dashboard/comments/1/approve", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 401


def test_login_then_logout(app: Flask, client: FlaskClient, moderator: str) -> None:
    page = client.get("/dashboard/login")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text
    response = login(client, moderator)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP: development
    queue = client.get("/dashboard/")
    assert queue.status_code == 200
    assert "Review queue" in queue.text
    out = client.post("/dashboard/logout", data={"csrf_token": csrf_from(queue.text)})
    assert out.status_code == 302
    assert client.get("/dashboard/").status_code == 302
    assert audit_actions(app)[-2:] == ["auth.login", "auth.logout"]
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.username == moderator)).scalar_one()
        assert user.last_login_at is not None


@pytest.mark.parametrize(
    ("kwargs", "headers"),
    [({"base_url": "https://dash.example"}, {}), ({}, {"X-Forwarded-Proto": "https"})],
    ids=["https", "behind-proxy"],
)
def test_session_cookie_is_secure_over_https(
    client: FlaskClient, moderator: str, kwargs: dict[str, str], headers: dict[str, str]
) -> None:
    host = "dash.example" if kwargs else "localhost"
    page = client.get("/dashboard/login", headers=headers, **kwargs)
    response = client.post(
        "/dashboard/login",
        data={"username": moderator, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        # Over HTTPS, Flask-WTF also wants a same-origin Referer (browsers send it).
        headers={**headers, "Referer": f"https://{host}/dashboard/login"},
        **kwargs,
    )
    assert response.status_code == 302, response.text
    assert "Secure" in response.headers["Set-Cookie"]


def test_wrong_password_is_refused_and_audited_without_secrets(
    app: Flask, client: FlaskClient, moderator: str
) -> None:
    response = login(client, moderator, "not the password at all")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    unknown = login(client, "nobody", "hunter2-hunter2")
    assert unknown.status_code == 401
    assert unknown.text.count("Wrong username or password") == 1
    with app.app_context():
        entries = (
            db.session.execute(
                sa.select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
            )
            .scalars()
            .all()
        )
        assert [e.details["reason"] for e in entries] == ["bad_password", "unknown_user"]
        text = repr([(e.actor, e.target_id, e.details) for e in entries])
        assert "not the password" not in text
        assert "hunter2" not in text
        assert "nobody" not in text
        assert entries[0].actor == "moderator:ann"


def test_lock_out_after_repeated_failures(app: Flask, client: FlaskClient, moderator: str) -> None:
    for _ in range(users.MAX_FAILED_LOGINS):
        assert login(client, moderator, "wrong password!!").status_code == 401
    locked = login(client, moderator)  # the right password, but the account is locked
    assert locked.status_code == 401
    with app.app_context():
        user = db.session.execute(sa.select(User).where(User.username == moderator)).scalar_one()
        assert user.locked_until is not None
        assert user.locked_until > utcnow()
        reasons = [
            e.details["reason"]
            for e in db.session.execute(
                sa.select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
            ).scalars()
        ]
        assert reasons[-2:] == ["bad_password_locked", "locked"]
        user.locked_until = utcnow() - timedelta(seconds=1)  # the period has passed
        db.session.commit()
    assert login(client, moderator).status_code == 302


@pytest.mark.usefixtures("site")
def test_login_is_rate_limited_per_address(client: FlaskClient) -> None:
    responses = [login(client, f"someone{i}", "guess-guess-guess") for i in range(11)]
    assert [r.status_code for r in responses[:10]] == [401] * 10
    assert responses[10].status_code == 429
    assert "Too many attempts" in responses[10].text
    assert 'name="password"' in responses[10].text  # still the sign-in page


def test_deactivated_user_is_signed_out(
    app: Flask, client: FlaskClient, moderator: str, admin: str
) -> None:
    login(client, moderator)
    assert client.get("/dashboard/").status_code == 200
    with app.app_context():
        user = users.require_user(moderator)
        users.set_active(user, False, actor="test", now=utcnow())
    assert client.get("/dashboard/").status_code == 302
    assert login(client, moderator).status_code == 401


def test_password_change_ends_other_sessions(
    app: Flask, client: FlaskClient, moderator: str
) -> None:
    login(client, moderator)
    with app.app_context():
        users.set_password(
            users.require_user(moderator), "a brand new passphrase", actor="test", now=utcnow()
        )
    assert client.get("/dashboard/").status_code == 302


def test_moderator_cannot_reach_admin_pages(app: Flask, as_moderator: FlaskClient) -> None:
    for url in ADMIN_PAGES:
        assert as_moderator.get(url).status_code == 403, url
    csrf = token(as_moderator)
    for method, url in dashboard_rules(app):
        if "/admin/" in url and method == "POST":
            response = as_moderator.post(url, data={"csrf_token": csrf, "role": "admin"})
            assert response.status_code == 403, url
    with app.app_context():
        assert users.require_user("ann").role == "moderator"


def test_admin_reaches_admin_pages(as_admin: FlaskClient) -> None:
    for url in ADMIN_PAGES:
        assert as_admin.get(url).status_code == 200, url


def test_actions_without_a_valid_csrf_token_change_nothing(
    app: Flask, as_moderator: FlaskClient
) -> None:
    assert app.config["WTF_CSRF_ENABLED"]
    comment_id = add_comment(app, "c1", "You are a jackass.")
    before = audit_actions(app)
    for data in ({}, {"csrf_token": "forged"}):
        response = as_moderator.post(f"/dashboard/comments/{comment_id}/approve", data=data)
        assert response.status_code == 400
        assert "nothing was changed" in response.text
        response = as_moderator.post(
            f"/dashboard/comments/{comment_id}/reject", data={**data, "reason": "attack"}
        )
        assert response.status_code == 400
    refused = as_moderator.post("/dashboard/logout", data={})
    assert refused.status_code == 400
    assert comment_row(app, comment_id).status == "held"
    assert audit_actions(app) == before
    # the same action with the page's token (as a header, like the page's script) works
    response = as_moderator.post(
        f"/dashboard/comments/{comment_id}/approve",
        headers={"X-CSRFToken": token(as_moderator), "X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    assert comment_row(app, comment_id).status == "published"


def test_login_form_needs_csrf_too(client: FlaskClient, moderator: str) -> None:
    response = client.post("/dashboard/login", data={"username": moderator, "password": PASSWORD})
    assert response.status_code == 400


def test_next_parameter_stays_on_this_site(client: FlaskClient, moderator: str) -> None:
    redirect = client.get("/dashboard/audit?actor=policy")
    location = urlsplit(redirect.headers["Location"])
    assert location.path == "/dashboard/login"
    assert parse_qs(location.query) == {"next": ["/dashboard/audit?actor=policy"]}
    page = client.get(redirect.headers["Location"])
    response = client.post(
        "/dashboard/login",
        data={
            "username": moderator,
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": "/dashboard/audit?actor=policy",
        },
    )
    assert response.headers["Location"] == "/dashboard/audit?actor=policy"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_safe_next_refuses_other_hosts(target: str) -> None:
    assert safe_next(target) is None


def test_sessions_last_the_documented_twelve_hours(app: Flask, client: FlaskClient) -> None:
    assert app.permanent_session_lifetime == timedelta(hours=12)


def test_a_cookie_captured_before_logout_no_longer_opens_admin_pages(
    app: Flask, client: FlaskClient, admin: str
) -> None:
    login(client, admin)
    page = client.get("/dashboard/admin/users")
    assert page.status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    captured = cookie.value
    other_browser = app.test_client()
    other_browser.set_cookie("session", captured)
    assert other_browser.get("/dashboard/admin/users").status_code == 200
    client.post("/dashboard/logout", data={"csrf_token": csrf_from(page.text)})
    replay = app.test_client()
    replay.set_cookie("session", captured)
    response = replay.get("/dashboard/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dashboard/login")
    # logging out ends every session of the user, the other browser's too
    assert other_browser.get("/dashboard/").status_code == 302
    # and signing in again works
    assert login(client, admin).status_code == 302
    assert client.get("/dashboard/admin/users").status_code == 200


def test_a_session_older_than_the_lifetime_is_refused_however_active(
    app: Flask, client: FlaskClient, moderator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moderation.dashboard import auth

    start = utcnow()
    clock = {"now": start}
    monkeypatch.setattr(auth, "utcnow", lambda: clock["now"])
    login(client, moderator)
    for hours in (1, 6, 11.9):  # in use all along: the lifetime does not slide
        clock["now"] = start + timedelta(hours=hours)
        assert client.get("/dashboard/").status_code == 200, hours
    clock["now"] = start + timedelta(hours=12, minutes=1)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dashboard/login")


def test_password_change_kills_a_session_copied_elsewhere(
    app: Flask, client: FlaskClient, moderator: str
) -> None:
    login(client, moderator)
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    assert copy.get("/dashboard/").status_code == 200
    with app.app_context():
        users.set_password(
            users.require_user(moderator), "a brand new passphrase", actor="test", now=utcnow()
        )
    assert copy.get("/dashboard/").status_code == 302
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize(
    "forged",
    ["1", "1:abc", "1:abc:0", "x:abc:0:1", "99999999999999999999:abc:0:1", "1:abc:0:99999999999"],
)
def test_malformed_session_ids_sign_nobody_in(app: Flask, forged: str) -> None:
    from moderation.dashboard.auth import load_moderator

    with app.test_request_context():
        assert load_moderator(forged) is None


def test_api_answers_carry_no_session_cookie_nor_vary(
    client: FlaskClient, site: tuple[str, str]
) -> None:
    """The API's answers may not be stored by any cache and never touch the session: no
    ``Set-Cookie``, no ``Vary: Cookie``. A page that read the (empty) session still says
    that it varies with the cookie."""
    body = encode(comment_payload(comment_id="no-vary"))
    answer = client.post("/api/v1/comments", data=body, headers=signed(site[1], body))
    assert answer.status_code == 202
    assert "no-store" in answer.headers["Cache-Control"]
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")
    page = client.get("/")
    assert page.status_code == 302
    assert "Cookie" in page.headers.get("Vary", "")
