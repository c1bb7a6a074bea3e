"""Admin pages: sites (callback URLs), dashboard users, and the policy in force (read-only:
the policy is a file under ``config/``, changed and reviewed like code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from moderation import configured
from moderation.clock import utcnow
from moderation.dashboard.auth import current_moderator, requires
from moderation.dashboard.blueprint import bp
from moderation.dashboard.forms import (
    ActiveInput,
    CallbackInput,
    FormError,
    NewUserInput,
    RoleInput,
)
from moderation.extensions import db
from moderation.scoring.types import CATEGORIES, Severity
from moderation.services import sites as site_service
from moderation.services import users as user_service

if TYPE_CHECKING:
    from moderation.tables import User


@bp.get("/admin/sites")
@requires("admin")
def sites() -> str:
    now = utcnow()
    rows = site_service.sites_by_name()
    held = site_service.held_counts()
    return render_template(
        "dashboard/admin_sites.html",
        sites=[(site, len(site.valid_secrets(now)), held.get(site.id, 0)) for site in rows],
    )


@bp.post("/admin/sites/<int:site_id>/callback")
@requires("admin")
def site_callback(site_id: int) -> Response:
    site = site_service.site_by_id(site_id)
    if site is None:
        abort(404)
    try:
        form = CallbackInput.parse(request.form)
        site_service.set_callback_url(
            site,
            form.callback_url,
            actor=current_moderator().actor,
            policy=configured.settings().callback_targets(),
        )
    except (FormError, site_service.SiteError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(
            f"Callback URL of {site.name} {'saved' if site.callback_url else 'removed'}.", "success"
        )
    return redirect(url_for("dashboard.sites"))


@bp.get("/admin/users")
@requires("admin")
def users() -> str:
    return render_template(
        "dashboard/admin_users.html",
        users=user_service.list_users(),
        roles=user_service.ROLES,
        min_password=user_service.MIN_PASSWORD_LENGTH,
        now=utcnow(),
    )


def _user_or_404(user_id: int) -> User:
    user = user_service.user_by_id(user_id)
    if user is None:
        abort(404)
    return user


def _back_to_users(done: str | None = None, error: str | None = None) -> Response:
    flash(error or done or "", "error" if error else "success")
    return redirect(url_for("dashboard.users"))


@bp.post("/admin/users")
@requires("admin")
def create_user() -> Response:
    try:
        form = NewUserInput.parse(request.form)
        user = user_service.create_user(
            form.username,
            form.password,
            form.role,
            actor=current_moderator().actor,
            now=utcnow(),
        )
    except (FormError, user_service.UserError) as exc:
        db.session.rollback()
        return _back_to_users(error=str(exc))
    return _back_to_users(f"User {user.username} ({user.role}) created.")


@bp.post("/admin/users/<int:user_id>/role")
@requires("admin")
def user_role(user_id: int) -> Response:
    user = _user_or_404(user_id)
    try:
        form = RoleInput.parse(request.form)
        user_service.set_role(user, form.role, actor=current_moderator().actor, now=utcnow())
    except (FormError, user_service.UserError) as exc:
        db.session.rollback()
        return _back_to_users(error=str(exc))
    return _back_to_users(f"{user.username} is now {user.role}.")


@bp.post("/admin/users/<int:user_id>/active")
@requires("admin")
def user_active(user_id: int) -> Response:
    user = _user_or_404(user_id)
    try:
        form = ActiveInput.parse(request.form)
        user_service.set_active(user, form.active, actor=current_moderator().actor, now=utcnow())
    except (FormError, user_service.UserError) as exc:
        db.session.rollback()
        return _back_to_users(error=str(exc))
    return _back_to_users(f"{user.username} {'reactivated' if user.active else 'deactivated'}.")


@bp.post("/admin/users/<int:user_id>/unlock")
@requires("admin")
def user_unlock(user_id: int) -> Response:
    user = _user_or_404(user_id)
    user_service.unlock(user, actor=current_moderator().actor, now=utcnow())
    return _back_to_users(f"{user.username} unlocked.")


@bp.get("/admin/policy")
@requires("admin")
def policy() -> str:
    policies = configured.policies()
    return render_template(
        "dashboard/admin_policy.html",
        policies=[("default", policies.default), *sorted(policies.sites.items())],
        categories=list(CATEGORIES),
        severities=list(Severity),
    )
