"""Service settings: defaults in code, environment variables, then explicit overrides.

Layers, later wins:

1. defaults declared on :class:`Settings`;
2. environment variables ``MODERATION_<FIELD>`` (plus the conventional ``DATABASE_URL``
   and ``REDIS_URL`` that hosting platforms set), read by pydantic-settings;
3. the ``overrides`` mapping passed to :func:`load_settings` (tests, the CLI).

The posting policy and word lists are files in ``config/`` and are validated separately
(:mod:`moderation.policy.loader`, :mod:`moderation.scoring.rules`).

Two shapes are supported:

* **embedded** (no broker configured): SQLite in the instance folder, tasks run by a Celery
  worker thread inside the web process over an in-memory transport, and a secret key
  generated into the instance folder. For one machine and for trying the service out.
* **production** (``REDIS_URL`` set): a real broker, ``celery worker`` processes, and a
  ``MODERATION_SECRET_KEY`` that must be provided (no default).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from moderation.dsa.vocabulary import EU_COUNTRY_CODES, EUROPEAN_COUNTRY_CODES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "MODERATION_"

IPNetwork = IPv4Network | IPv6Network

# The environment load_settings() reads; None = os.environ (see settings_customise_sources).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("moderation_environ", default=None)


class ConfigError(RuntimeError):
    """A setting or configuration file is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """Where callbacks may be sent (from the ``MODERATION_CALLBACK_*`` settings)."""

    allow_http: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How decision callbacks are delivered (:mod:`moderation.services.events`)."""

    #: Total time for one attempt: connect, send, and the whole response.
    timeout_seconds: float = 10.0
    backoff_base_seconds: float = 10.0
    backoff_max_seconds: float = 3600.0
    retry_hours: float = 24.0
    lease_seconds: float = 60.0
    #: Bytes of the receiver's answer read at most (only its status matters).
    max_response_bytes: int = 64 * 1024
    #: Where callbacks may be sent (checked again at every attempt, after DNS resolution).
    targets: TargetPolicy = field(default_factory=TargetPolicy)


def _prefixed_or(alias: str, name: str) -> AliasChoices:
    """``MODERATION_<NAME>`` or the conventional un-prefixed variable a hosting platform sets;
    the prefixed form wins when both are set. (An explicit alias bypasses ``env_prefix``.)"""
    return AliasChoices(ENV_PREFIX + name.upper(), alias)


class Settings(BaseSettings):
    """Validated service settings. Field names map to ``MODERATION_<NAME>`` variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        validate_by_name=True,  # load_settings() overrides are keyed by field name
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=_prefixed_or("DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; SQLite in the instance folder when unset.",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=_prefixed_or("REDIS_URL", "redis_url"),
        description="Celery broker (and rate-limit store). Unset = embedded mode.",
    )
    secret_key: str | None = Field(
        default=None, description="Flask session signing key; required outside embedded mode."
    )
    instance_path: Path | None = Field(
        default=None, description="Writable folder for the embedded database and key."
    )
    config_dir: Path = Field(default=PROJECT_ROOT / "config")
    models_dir: Path = Field(default=PROJECT_ROOT / "models")
    site_models_dir: Path | None = Field(
        default=None,
        description="Site models, one folder per site; <instance path>/site-models when unset.",
    )
    shared_eval_dir: Path = Field(
        default=PROJECT_ROOT / "eval",
        description="Shared evaluation sets (*.jsonl) a site model's candidate must not lose on.",
    )
    site_retrain_min_labels: int = Field(
        default=200, ge=1, description="New labels that make a site's model due for retraining."
    )
    site_retrain_max_age_days: float = Field(
        default=7.0, gt=0, description="A site with new labels is retrained at least this often."
    )
    site_retrain_check_seconds: float = Field(
        default=3600.0, gt=0, description="How often celery beat looks for sites due."
    )
    max_text_chars: int = Field(default=10_000, ge=1, le=1_000_000)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    signature_tolerance_seconds: int = Field(default=300, ge=1, le=86_400)
    dev_site: str = Field(
        default="dev", description="Site created on first run in embedded mode.", max_length=64
    )
    log_level: str = Field(default="INFO")
    trusted_proxies: int = Field(
        default=0,
        ge=0,
        le=5,
        description="Reverse proxies in front of the web whose X-Forwarded-For is trusted.",
    )
    scoring_queue: str = Field(default="scoring")
    enqueue_max_batch: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="Most comment ids a web process publishes for scoring in one message.",
    )
    enqueue_wait_ms: int = Field(
        default=20,
        ge=0,
        le=1000,
        description="Longest a new comment's id waits in its web process to be published "
        "with others (0: each alone).",
    )
    callbacks_queue: str = Field(default="callbacks")
    scoring_batch_size: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Most comments a scoring worker decides in one batch (one transaction).",
    )
    scoring_batch_wait_ms: int = Field(
        default=50,
        ge=1,
        le=10_000,
        description="Longest a received comment waits for its batch to fill before it is "
        "decided anyway (milliseconds): the latency added at low load.",
    )
    sweep_interval_seconds: int = Field(default=60, ge=1)
    sweep_min_age_seconds: int = Field(
        default=60, ge=0, description="A comment pending this long is re-enqueued."
    )
    callback_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="Total time for one callback attempt: connect, send, the whole answer.",
    )
    callback_backoff_base_seconds: float = Field(default=10.0, gt=0)
    callback_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    callback_retry_hours: float = Field(
        default=24.0, ge=24.0, description="Failed callbacks are retried at least this long."
    )
    callback_allow_http: bool = Field(
        default=False,
        description="Accept plain-http callback URLs (receivers on your own network).",
    )
    # NoDecode: a comma-separated list (split below), not the JSON pydantic-settings expects.
    callback_allowed_networks: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated CIDRs callbacks may go to although they are not public "
        "(e.g. 10.0.0.0/8 for an on-premise receiver).",
    )
    delivery_poll_seconds: float = Field(default=15.0, gt=0)
    worker_heartbeat_seconds: float = Field(
        default=10.0,
        ge=0.5,
        le=300,
        description="How often a worker announces itself for /readyz (gone after 3 misses).",
    )
    metrics_address: str = Field(
        default="0.0.0.0",  # noqa: S104  (Prometheus scrapes from another machine)
        description="Address a worker's --metrics-port endpoint listens on.",
    )
    broker_visibility_timeout: int = Field(
        default=300,
        ge=10,
        description="Seconds before Redis re-delivers a task whose worker died unacked.",
    )
    # The DSA Transparency Database (docs/dsa.md): statements are always produced; they are
    # submitted only when the URL and token are set.
    dsa_api_url: str | None = Field(
        default=None,
        description="The Transparency Database's multiple-statements endpoint "
        "(https://<host>/api/v1/statements); unset: statements are kept, not submitted.",
    )
    dsa_api_token: SecretStr | None = Field(
        default=None, description="Bearer token of the Transparency Database API."
    )
    dsa_territorial_scope: Annotated[tuple[str, ...], NoDecode] = Field(
        default=EU_COUNTRY_CODES,
        description="Comma-separated EU/EEA country codes the decisions apply in (default: EU).",
    )
    dsa_terms_url: str | None = Field(
        default=None, description="Address of the terms the decisions rely on (optional)."
    )
    dsa_submit_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    dsa_submit_retries: int = Field(
        default=4, ge=0, le=10, description="Retries of a batch after a 5xx or a timeout."
    )
    dsa_submit_backoff_seconds: float = Field(default=2.0, ge=0, le=600)
    dsa_submit_interval_hours: float = Field(
        default=24.0, gt=0, description="How often beat submits, when submission is configured."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Overrides, then the environment (no ``.env`` or secrets files are read)."""
        environ = _ENVIRON.get()
        if environ is not None:
            env_settings = _MappingEnvSource(settings_cls, environ)
        return init_settings, env_settings

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper

    @field_validator("callback_allowed_networks", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("dsa_territorial_scope", mode="before")
    @classmethod
    def _country_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip().upper() for part in value.split(",") if part.strip())
        return value

    @field_validator("dsa_territorial_scope")
    @classmethod
    def _countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in EUROPEAN_COUNTRY_CODES]
        if unknown or not value:
            raise ValueError(f"give EU/EEA country codes, not {', '.join(unknown) or 'nothing'}")
        return value

    @field_validator("dsa_api_url", "dsa_terms_url")
    @classmethod
    def _blank_url_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def dsa_submission_configured(self) -> bool:
        """Both the Transparency Database URL and its token are set."""
        return bool(
            self.dsa_api_url and self.dsa_api_token and self.dsa_api_token.get_secret_value()
        )

    @field_validator("database_url", "redis_url", "secret_key")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def embedded(self) -> bool:
        """True when no broker is configured: tasks run inside the web process."""
        return self.redis_url is None

    @property
    def broker_url(self) -> str:
        return self.redis_url or "memory://localhost/"

    def resolved_instance_path(self) -> Path:
        return self.instance_path or PROJECT_ROOT / "instance"

    def resolved_site_models_dir(self) -> Path:
        return self.site_models_dir or self.resolved_instance_path() / "site-models"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return _normalise_database_url(self.database_url)
        return f"sqlite:///{self.resolved_instance_path() / 'moderation.sqlite3'}"

    def callback_targets(self) -> TargetPolicy:
        return TargetPolicy(
            allow_http=self.callback_allow_http,
            allowed_networks=self.callback_allowed_networks,
        )

    def delivery(self) -> DeliverySettings:
        return DeliverySettings(
            targets=self.callback_targets(),
            timeout_seconds=self.callback_timeout_seconds,
            backoff_base_seconds=self.callback_backoff_base_seconds,
            backoff_max_seconds=self.callback_backoff_max_seconds,
            retry_hours=self.callback_retry_hours,
        )

    def __repr__(self) -> str:  # never print the secret key or URL passwords
        return f"Settings(embedded={self.embedded}, config_dir={self.config_dir!s})"


def _normalise_database_url(url: str) -> str:
    """Map Heroku-style ``postgres://`` to the psycopg 3 driver SQLAlchemy needs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = {
            (key if self.case_sensitive else key.lower()): value for key, value in environ.items()
        }


@contextmanager
def _reading(environ: Mapping[str, str] | None) -> Iterator[None]:
    token = _ENVIRON.set(environ)
    try:
        yield
    finally:
        _ENVIRON.reset(token)


def _variable(error: ErrorDetails) -> str:
    """The environment variable an error is about: the alias it was read from, or the
    prefixed name of the field."""
    where = str(error["loc"][0]) if error["loc"] else ""
    if where in Settings.model_fields:
        return ENV_PREFIX + where.upper()
    return where.upper()


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build :class:`Settings` from the environment and ``overrides``.

    Raises :class:`ConfigError` naming the offending variable when a value is malformed,
    and when a production deployment (broker configured) has no secret key.
    """
    try:
        with _reading(environ):
            settings = Settings(**dict(overrides or {}))
    except ValidationError as exc:
        # One line per variable, without the offending value (it may be a secret) and
        # without pydantic's links and type names.
        by_variable: dict[str, list[str]] = {}
        for err in exc.errors():
            by_variable.setdefault(_variable(err), []).append(err["msg"])
        problems = "; ".join(f"{name}: {' or '.join(msgs)}" for name, msgs in by_variable.items())
        raise ConfigError(f"invalid settings: {problems}") from None
    except SettingsError as exc:
        raise ConfigError(f"invalid settings: {exc}") from None
    if not settings.embedded and not settings.secret_key:
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY is required when REDIS_URL is set (production mode); "
            "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return settings


def embedded_secret_key(instance_path: Path) -> str:
    """Return the embedded mode's session key, generating it on first use (mode 0600)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
