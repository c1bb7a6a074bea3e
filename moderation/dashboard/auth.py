"""Dashboard sign-in: sessions, roles, CSRF and the login rate limit.

* **Roles.** Every dashboard view declares who may use it with :func:`requires`
  (``public``, ``moderator`` or ``admin``; admins can do everything moderators can). The
  blueprint's ``before_request`` hook (:func:`guard`) refuses a view that declares nothing,
  so a forgotten decorator fails closed.
* **Sessions.** Flask's signed cookie, HttpOnly and SameSite=Lax, valid for 12 hours from
  sign-in whatever the activity (:data:`SESSION_LIFETIME`, enforced by the user loader
  from the sign-in time in the session's user id, not only by the cookie's expiry). The
  ``Secure`` flag is set per response when the request came over HTTPS — directly, or via
  a proxy's ``X-Forwarded-Proto`` (:class:`~werkzeug.middleware.proxy_fix.ProxyFix` trusts
  one proxy hop for the scheme only) — or always when ``SESSION_COOKIE_SECURE`` is true.
  So plain-HTTP development logins work and production cookies never travel in clear.
  The session's user id carries the user's session version and a fingerprint of the
  password hash: signing out, changing the password or deactivating the account ends
  every session of that user at its next request, cookies copied before included.
* **CSRF.** Flask-WTF checks a token on every state-changing dashboard request, from the
  form field or, for ``fetch`` calls, the ``X-CSRFToken`` header. The signed JSON API has
  no cookies and is not subject to it.
* **Rate limit.** ``POST /login`` is limited per client address with Flask-Limiter, stored
  in Redis when ``REDIS_URL`` is set (shared by every web process) and in memory otherwise;
  independently, an account locks after repeated failures (:mod:`moderation.services.users`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, current_app, redirect, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_login import current_user  # type: ignore[import-untyped]
from werkzeug.middleware.proxy_fix import ProxyFix

from moderation.clock import utcnow
from moderation.config import Settings
from moderation.extensions import csrf, limiter, login_manager
from moderation.services.users import actor_name, session_fingerprint, user_by_id

if TYPE_CHECKING:
    from moderation.tables import User

Role = Literal["public", "moderator", "admin"]
F = TypeVar("F", bound=Callable[..., Any])

LOGIN_LIMIT = "10 per minute;100 per hour"
# Absolute: counted from sign-in, not from the last request.
SESSION_LIFETIME = timedelta(hours=12)
CLOCK_SKEW = 60  # seconds a sign-in time may lie ahead of this process's clock
MAX_ROW_ID = 2**63 - 1
_ROLE_ATTRIBUTE = "dashboard_role"


@dataclass(frozen=True, slots=True)
class Moderator:
    """The signed-in dashboard user, as Flask-Login sees it (a snapshot of the row), and
    when this session signed in (Unix seconds)."""

    id: int
    username: str
    role: str
    fingerprint: str
    session_version: int
    signed_in_at: int

    @classmethod
    def from_row(cls, user: User, *, signed_in_at: datetime) -> Moderator:
        return cls(
            user.id,
            user.username,
            user.role,
            session_fingerprint(user),
            user.session_version,
            int(signed_in_at.timestamp()),
        )

    @property
    def actor(self) -> str:
        return actor_name(self.username)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session cookie stores: ``<id>:<fingerprint>:<version>:<signed in at>``."""
        return f"{self.id}:{self.fingerprint}:{self.session_version}:{self.signed_in_at}"


def current_moderator() -> Moderator:
    """The signed-in user; only call from views that :func:`requires` a role."""
    user = current_user._get_current_object()
    assert isinstance(user, Moderator)
    return user


def load_moderator(session_id: str) -> Moderator | None:
    """The session's user, or None (signed out) when the account is gone or inactive, the
    password or session version changed since sign-in, or the session is older than the
    lifetime. Ids of the earlier ``<id>:<fingerprint>`` form carry no sign-in time and are
    refused: those sessions sign in again once."""
    parts = session_id.split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in (parts[0], parts[2], parts[3])):
        return None
    user_id, fingerprint, version, signed_in = parts[0], parts[1], int(parts[2]), int(parts[3])
    now = utcnow().timestamp()
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if not now - lifetime <= signed_in <= now + CLOCK_SKEW:
        return None
    if int(user_id) > MAX_ROW_ID:
        return None
    user = user_by_id(int(user_id))
    if (
        user is None
        or not user.active
        or fingerprint != session_fingerprint(user)
        or version != user.session_version
    ):
        return None
    return Moderator.from_row(user, signed_in_at=datetime.fromtimestamp(signed_in, UTC))


def requires(role: Role) -> Callable[[F], F]:
    """Declare who may use a view. Put it right below ``@bp.route``."""

    def mark(view: F) -> F:
        setattr(view, _ROLE_ATTRIBUTE, role)
        return view

    return mark


def guard() -> ResponseReturnValue | None:
    """The dashboard blueprint's ``before_request``: sign-in, role, then CSRF."""
    view = current_app.view_functions.get(request.endpoint or "")
    role = getattr(view, _ROLE_ATTRIBUTE, None)
    if role is None:
        abort(403)  # a view that declares no role is refused (fails closed)
    if role != "public":
        if not current_user.is_authenticated:
            return unauthorized()
        if role == "admin" and not current_moderator().is_admin:
            abort(403)
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    return None


def wants_fragment(req: Request | None = None) -> bool:
    """The request comes from the dashboard's script and expects an HTML fragment."""
    return (req or request).headers.get("X-Requested-With") == "fetch"


def unauthorized() -> ResponseReturnValue:
    if wants_fragment():
        return "Your session has ended; sign in again.", 401
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("dashboard.login", next=safe_next(target)))


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target.removesuffix("?")


class _SessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No cookie, nothing to verify: the API's requests never carry one, and building the
        # signing serializer for them would cost each request more than its JSON parsing.
        # Without a Cookie header at all, not even the cookies are parsed.
        if "HTTP_COOKIE" not in request.environ or self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # An empty session no one wrote: the parent would look up every cookie setting and
        # send nothing but ``Vary: Cookie`` if it was read (Flask-Login reads it on every
        # request), which a response no cache may store (every API answer) does not need.
        if (
            not session
            and not session.modified
            and (not session.accessed or "no-store" in response.headers.get("Cache-Control", ""))
        ):
            return
        super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


@limiter.request_filter
def _outside_the_dashboard() -> bool:
    """Flask-Limiter limits only the dashboard's login: every other request (the intake
    above all, which has its own limits) skips its per-request bookkeeping."""
    return "dashboard" not in request.blueprints


def init_auth(app: Flask, settings: Settings) -> None:
    """Bind Flask-Login, CSRFProtect and Flask-Limiter to ``app``; nothing connects yet."""
    # Set, not setdefault: Flask's own default (31 days) is always present and would win.
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    app.config.setdefault("SESSION_COOKIE_SECURE", False)
    app.session_interface = _SessionInterface()
    # Behind N trusted reverse proxies, take the client address (login rate limit, audit)
    # from X-Forwarded-For; the scheme is always taken from X-Forwarded-Proto so cookies are
    # marked Secure behind a TLS-terminating proxy (a client lying about it only hurts itself).
    hops = settings.trusted_proxies
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=hops, x_proto=max(hops, 1), x_host=0
    )

    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_moderator)
    login_manager.unauthorized_handler(unauthorized)

    # CSRF is checked by the dashboard's guard, not app-wide: the API is authenticated by
    # HMAC signatures and sends no cookies, so a CSRF token means nothing there.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the session's lifetime
    csrf.init_app(app)

    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.redis_url or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "moderation-dashboard")
    # If Redis is unreachable, count in memory instead of refusing every login; the
    # account lock-out (in the database) still applies.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    _limiter_hooks_in_dashboard_only(app)


def _limiter_hooks_in_dashboard_only(app: Flask) -> None:
    """Run Flask-Limiter's app-wide request hooks (its check, its headers, its context's
    release) for the dashboard's requests only.

    Every other request is exempt already (:func:`_outside_the_dashboard`), but the hooks
    still set up and consult the limiter's per-request context to find that out: about a
    tenth of the intake's own Python work. The login limit is unchanged (its decorator checks
    it too). A hook not found where this Flask-Limiter puts it is left as it is.
    """
    inject_headers = getattr(Limiter, "_Limiter__inject_headers", None)
    release = getattr(limiter, "_Limiter__release_context", None)

    def in_dashboard() -> bool:
        return "dashboard" in request.blueprints

    def guarded_check(hook: Any) -> Any:
        def check() -> None:
            if in_dashboard():
                hook()

        return check

    def guarded_after(hook: Any) -> Any:
        def after(response: Response) -> Response:
            result: Response = hook(response) if in_dashboard() else response
            return result

        return after

    def guarded_teardown(hook: Any) -> Any:
        def teardown(exc: BaseException | None = None) -> None:
            if in_dashboard():
                hook(exc)

        return teardown

    before = app.before_request_funcs.get(None, [])
    for i, hook in enumerate(before):
        if hook == limiter._check_request_limit:
            before[i] = guarded_check(hook)
    after = app.after_request_funcs.get(None, [])
    for i, after_hook in enumerate(after):
        if (
            isinstance(after_hook, partial)
            and after_hook.func is inject_headers
            and after_hook.args == (limiter,)
        ):
            after[i] = guarded_after(after_hook)
    teardown = app.teardown_request_funcs.get(None, [])
    for i, teardown_hook in enumerate(teardown):
        if release is not None and teardown_hook == release:
            teardown[i] = guarded_teardown(teardown_hook)
