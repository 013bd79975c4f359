"""Settings base: every service subclasses this with its own env prefix.

Shared settings (broker, topic prefix, API keys, webhook secret, log level) are read from
unprefixed variables; service-specific ones (database URL, host, port) from the service's prefix,
e.g. ``FEEDBACK_DATABASE_URL``. A bad value stops the service at start naming the variable.

Production is the default: the built-in development keys and secrets work only with
``CSQ_ENV=development`` (``make run`` and the tests set it), and outside development every API key
and every secret CSQ issues must be strong. API keys are kept only as SHA-256 digests, and no
secret appears in a repr or an error message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SCOPES = ("read", "write", "admin")
DEVELOPMENT = "development"
DEVELOPMENT_WEBHOOK_SECRET = "dev-webhook-secret"
DEVELOPMENT_API_KEYS = "dev-admin-key:read:write:admin,dev-read-key:read"
MIN_SECRET_LENGTH = 32
DEVELOPMENT_SECRET_PREFIX = "dev-"


def key_digest(key: str) -> bytes:
    """What is kept of an API key: its SHA-256 digest (keys are long random strings, so a fast
    hash is enough), compared with the digest of the presented key."""
    return hashlib.sha256(key.encode("utf-8")).digest()


@dataclass(frozen=True)
class ApiKey:
    """One entry of ``CSQ_API_KEYS``: a name for the logs (``key-<n>``), the scopes, and only
    the digest of the key itself."""

    name: str
    digest: bytes = field(repr=False)
    scopes: frozenset[str]
    # An agent's own key: it reads (and acts on) only that agent's data, and only on the routes
    # that say so (``require_scope(..., agent_scoped=True)``); every other route refuses it.
    agent_id: str | None = None


def weak_secret(value: str) -> str | None:
    """Why ``value`` may not be a secret outside development, or None when it may."""
    if value.startswith(DEVELOPMENT_SECRET_PREFIX):
        return f"must not start with {DEVELOPMENT_SECRET_PREFIX!r} outside development"
    if len(value) < MIN_SECRET_LENGTH:
        return f"must be at least {MIN_SECRET_LENGTH} characters outside development"
    return None


AGENT_MARK = ":agent="


def parse_api_keys(raw: str, *, strong: bool = False) -> tuple[ApiKey, ...]:
    """``key:scope[:scope…][:agent=<agent id>]`` comma-separated. ``admin`` implies write and
    read, ``write`` read. ``agent=`` (last; the id may hold colons, not commas) makes the key an
    agent's own, which can never be admin. ``strong`` (outside development) refuses short and
    ``dev-`` keys. Messages name the entry by its position, never by the key."""
    keys: list[ApiKey] = []
    seen: dict[bytes, int] = {}
    for index, item in enumerate(part.strip() for part in raw.split(",")):
        if not item:
            continue
        agent_id = None
        if AGENT_MARK in item:
            item, agent_id = item.split(AGENT_MARK, 1)
            if not agent_id.strip() or len(agent_id) > 200:
                raise ValueError(f"entry {index + 1} names no agent after 'agent=' (1 to 200 characters)")
        key, *scopes = item.split(":")
        if not key or not scopes:
            raise ValueError(f"entry {index + 1} must look like key:scope[:scope…]")
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"entry {index + 1} has unknown scope(s) {sorted(unknown)}")
        problem = weak_secret(key) if strong else None
        if problem:
            raise ValueError(f"the key of entry {index + 1} {problem}")
        digest = key_digest(key)
        if digest in seen:
            raise ValueError(f"entry {index + 1} repeats the key of entry {seen[digest]}")
        seen[digest] = index + 1
        granted = set(scopes)
        if agent_id is not None and "admin" in granted:
            raise ValueError(f"entry {index + 1} is an agent's key: it cannot have the admin scope")
        if "admin" in granted:
            granted |= {"write", "read"}
        if "write" in granted:
            granted.add("read")
        keys.append(ApiKey(name=f"key-{index + 1}", digest=digest, scopes=frozenset(granted), agent_id=agent_id))
    return tuple(keys)


def shared(env: str, default, **kwargs):
    """A setting read from an unprefixed variable shared by all services."""
    return Field(default, validation_alias=AliasChoices(env, env.lower()), **kwargs)


class BaseServiceSettings(BaseSettings):
    # hide_input_in_errors: a refused value (a key, a secret) never appears in an error message.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, env_file=None, hide_input_in_errors=True)

    service_name: str = "csq"
    environment: str = shared("CSQ_ENV", "production")
    kafka_bootstrap_servers: str = shared("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    kafka_enable_idempotence: bool = shared("KAFKA_ENABLE_IDEMPOTENCE", False)
    kafka_session_timeout_ms: int = shared("KAFKA_SESSION_TIMEOUT_MS", 6000, ge=1000)
    # How long the producer waits for the broker to acknowledge a batch before it counts as failed
    # (the outbox keeps the rows and publishes them again).
    kafka_request_timeout_ms: int = shared("KAFKA_REQUEST_TIMEOUT_MS", 10_000, ge=100, le=300_000)
    # How long a service asked to stop may take: consumers, relay, producer and database
    # connections share it, and whatever has not ended by then is abandoned.
    shutdown_grace_seconds: float = shared("CSQ_SHUTDOWN_GRACE_SECONDS", 10.0, gt=0, le=600)
    topic_prefix: str = shared("CSQ_TOPIC_PREFIX", "csq.")
    topic_partitions: int = shared("CSQ_TOPIC_PARTITIONS", 3, ge=1, le=1000)
    # Put before each consumer group's id on the broker ("kpi-svc" → "<prefix>kpi-svc"), so that
    # deployments sharing one Kafka cluster under different topic prefixes never share a group.
    # The inbox and the metrics keep the plain group name.
    kafka_group_prefix: str = shared("CSQ_KAFKA_GROUP_PREFIX", "", max_length=100)
    # Parsed at start into digests (parse_api_keys): the keys themselves are not kept.
    api_keys: Annotated[tuple[ApiKey, ...], NoDecode] = shared("CSQ_API_KEYS", DEVELOPMENT_API_KEYS)
    webhook_secret: SecretStr = shared("CSQ_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET)
    log_level: str = shared("LOG_LEVEL", "INFO")
    consumer_batch_size: int = shared("CSQ_CONSUMER_BATCH_SIZE", 1000, ge=1, le=100_000)
    consumer_max_retries: int = shared("CSQ_CONSUMER_MAX_RETRIES", 3, ge=0, le=100)
    outbox_batch_size: int = shared("CSQ_OUTBOX_BATCH_SIZE", 500, ge=1, le=100_000)
    outbox_poll_seconds: float = shared("CSQ_OUTBOX_POLL_SECONDS", 0.2, gt=0, le=60)
    # How long a woken relay waits for more commits before it reads: each round costs two short
    # transactions whatever it carries, so under load a round should carry several batches.
    outbox_linger_seconds: float = shared("CSQ_OUTBOX_LINGER_SECONDS", 0.025, ge=0, le=5)

    # Prefixed per service (e.g. KPI_DATABASE_URL, KPI_PORT).
    database_url: str = "sqlite+aiosqlite:///var/csq.db"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # Retention (csq_common.retention), prefixed per service (e.g. KPI_RETENTION_INBOX_DAYS): how
    # long consumed event ids are remembered, and how often the worker looks for what is due.
    retention_inbox_days: float = Field(30.0, gt=0, le=36_500)
    retention_poll_seconds: float = Field(3600.0, gt=0, le=86_400)
    retention_batch_size: int = Field(1000, ge=1, le=100_000)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parsed_keys(cls, value, info: ValidationInfo):
        if not isinstance(value, str):
            return value
        environment = info.data.get("environment", "production")
        if environment != DEVELOPMENT and value == DEVELOPMENT_API_KEYS:
            raise ValueError("must be set outside development (the built-in development keys work only with CSQ_ENV=development)")
        return parse_api_keys(value, strong=environment != DEVELOPMENT)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @model_validator(mode="after")
    def _strong_secrets_outside_development(self):
        if self.environment == DEVELOPMENT:
            return self
        for name, (values, development_default) in self.own_secrets().items():
            for value in values:
                if value == development_default:
                    raise ValueError(f"{name} must be set outside development")
                problem = weak_secret(value)
                if problem:
                    raise ValueError(f"{name} {problem}")
        return self

    def own_secrets(self) -> dict[str, tuple[list[str], str | None]]:
        """The secrets CSQ itself issues, by variable: (their values, the development default).
        Outside development each must be strong. A service adds its own; a secret a CRM issues
        (a vendor's webhook signing secret) is whatever the CRM issues and is not listed."""
        return {"CSQ_WEBHOOK_SECRET": ([self.webhook_secret.get_secret_value()], DEVELOPMENT_WEBHOOK_SECRET)}

    def kafka_group_id(self, group: str) -> str:
        """The consumer group's id on the broker: ``group`` after the configured prefix."""
        return f"{self.kafka_group_prefix}{group}"

    def topic(self, domain: str) -> str:
        """``topic("tickets")`` → ``csq.tickets`` with the configured prefix."""
        return f"{self.topic_prefix}{domain}"


class SettingsError(SystemExit):
    pass


def load_settings(cls: type[BaseServiceSettings], **overrides) -> BaseServiceSettings:
    """Build settings or exit with a message naming each bad variable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            info = cls.model_fields.get(field)
            alias = getattr(info, "validation_alias", None) if info else None
            name = alias.choices[0] if isinstance(alias, AliasChoices) else f"{prefix}{field}".upper()
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
