"""The application factory. Reads like a table of contents; each step is a small function.

Nothing here connects to the database or Redis or loads the model: connections open on first
use, the classifier loads lazily in the process that scores. Configuration problems (bad
settings, an invalid policy or word list) raise :class:`moderation.config.ConfigError` here,
so a misconfigured service refuses to start and says which setting or key is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from moderation.config import ConfigError, Settings, embedded_secret_key, load_settings
from moderation.extensions import db, migrate
from moderation.logs import configure_logging

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``overrides`` replace settings (tests, tools); see moderation.config."""
    settings = load_settings(overrides)
    configure_logging(settings.log_level)
    app = Flask(__name__, instance_path=str(settings.resolved_instance_path()))
    app.extensions["moderation.settings"] = settings
    configure_flask(app, settings)
    load_policies(app, settings)
    check_scoring_config(settings)
    register_extensions(app, settings)
    register_blueprints(app)
    register_error_pages(app)
    register_security_headers(app)
    register_metrics(app, settings)
    return app


def configure_flask(app: Flask, settings: Settings) -> None:
    secret = settings.secret_key
    if secret is None:  # embedded mode only; load_settings refuses production without one
        secret = embedded_secret_key(settings.resolved_instance_path())
    app.config.update(
        SECRET_KEY=secret,
        SQLALCHEMY_DATABASE_URI=settings.resolved_database_url(),
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings.resolved_database_url()),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    from moderation.security import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter  # before any route is registered


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Waits for a competing writer instead of failing at once.
        return {"connect_args": {"timeout": 15, "check_same_thread": False}}
    # No pre-ping: it costs every request a round trip. A connection found dead instead
    # fails its request (503, retryable) and SQLAlchemy then discards the whole pool, so
    # after an outage each process answers only the requests in flight with 503.
    # A pool as large as a web process's threads (the Procfile's 8): with SQLAlchemy's
    # default of 5, the other threads' connections are opened and closed per request.
    return {
        "pool_recycle": 1800,
        "pool_size": DATABASE_POOL_SIZE,
        "max_overflow": 10,
        "connect_args": {"connect_timeout": 5},
    }


#: Connections each process keeps open (web: one per gunicorn thread; a worker uses one).
DATABASE_POOL_SIZE = 8


def load_policies(app: Flask, settings: Settings) -> None:
    from moderation.policy.loader import load_policies as load
    from moderation.policy.schema import PolicyError

    try:
        app.extensions["moderation.policies"] = load(settings.config_dir)
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None


def check_scoring_config(settings: Settings) -> None:
    """Validate the word lists and find the model artefact now; the model loads on first use."""
    from moderation.scoring.classifier import default_model_path
    from moderation.scoring.pipeline import compile_rules
    from moderation.scoring.rules import RuleConfigError

    try:
        compile_rules(settings.config_dir)  # kept: the pipeline reuses what it compiles
    except RuleConfigError as exc:
        raise ConfigError(str(exc)) from None
    if default_model_path(settings.models_dir) is None:
        raise ConfigError(
            f"{settings.models_dir}: no classifier artefact found "
            "(set MODERATION_MODELS_DIR, or train one with `moderation train`)"
        )


def register_extensions(app: Flask, settings: Settings) -> None:
    from moderation.celery_app import celery_init_app
    from moderation.dashboard.auth import init_auth
    from moderation.database import init_database
    from moderation.services.ratelimit import IntakeLimiter
    from moderation.services.sites import SiteCache

    db.init_app(app)
    init_database(app)
    app.extensions["moderation.limiter"] = IntakeLimiter(settings.redis_url or "memory://")
    app.extensions["moderation.site_cache"] = SiteCache()
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True
    )
    celery_init_app(app, settings)
    init_auth(app, settings)  # dashboard sessions, CSRF, login rate limit


def register_blueprints(app: Flask) -> None:
    from moderation.api import bp as api_bp
    from moderation.dashboard import register_dashboard
    from moderation.health import bp as health_bp
    from moderation.integrations import register_integrations

    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    register_integrations(app)  # /v1alpha1 (Perspective-compatible), /integrations/coral
    register_dashboard(app)  # /dashboard, and / redirects there


def register_error_pages(app: Flask) -> None:
    from moderation.api.errors import register_app_error_handlers

    register_app_error_handlers(app)


def register_metrics(app: Flask, settings: Settings) -> None:
    from moderation.metrics import init_metrics

    init_metrics(app, settings)


def register_security_headers(app: Flask) -> None:
    from moderation.security import add_security_headers, refuse_nul_input

    app.before_request(refuse_nul_input)
    app.after_request(add_security_headers)
