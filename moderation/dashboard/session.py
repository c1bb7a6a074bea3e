"""Signing in and out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user  # type: ignore[import-untyped]
from werkzeug.wrappers import Response

from moderation.clock import utcnow
from moderation.dashboard.auth import (
    LOGIN_LIMIT,
    Moderator,
    current_moderator,
    requires,
    safe_next,
)
from moderation.dashboard.blueprint import bp
from moderation.dashboard.forms import FormError, LoginInput
from moderation.extensions import limiter
from moderation.services import users

# Said for a wrong password, an unknown user, a locked and a deactivated account alike.
LOGIN_FAILED = "Wrong username or password, or the account is locked. Try again later."


@bp.route("/login", methods=["GET", "POST"])
@requires("public")
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.queue"))
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("dashboard/login.html", next_url=next_url)
    try:
        form = LoginInput.parse(request.form)
    except FormError:
        return render_template("dashboard/login.html", next_url=next_url, error=LOGIN_FAILED), 401
    result = users.authenticate(
        form.username, form.password, now=utcnow(), client=request.remote_addr
    )
    if result.user is None:
        return render_template("dashboard/login.html", next_url=next_url, error=LOGIN_FAILED), 401
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    login_user(Moderator.from_row(result.user, signed_in_at=utcnow()))
    session.permanent = True
    return redirect(next_url or url_for("dashboard.queue"))


@bp.post("/logout")
@requires("moderator")
def logout() -> Response:
    user = users.user_by_id(current_moderator().id)
    if user is not None:
        users.record_logout(user, now=utcnow())
    logout_user()
    session.clear()
    flash("Signed out.", "success")
    return redirect(url_for("dashboard.login"))
