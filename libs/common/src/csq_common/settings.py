"""Settings base: every service subclasses this with its own env prefix.

Shared settings (broker, topic prefix, API keys, webhook secret, log level) are read from
unprefixed variables; service-specific ones (database URL, host, port) from the service's prefix,
e.g. ``FEEDBACK_DATABASE_URL``. A bad value stops the service at start naming the variable.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SCOPES = ("read", "write", "admin")
DEVELOPMENT_WEBHOOK_SECRET = "dev-webhook-secret"
DEVELOPMENT_API_KEYS = "dev-admin-key:read:write:admin,dev-read-key:read"


@dataclass(frozen=True)
class ApiKey:
    name: str
    key: str
    scopes: frozenset[str]


def parse_api_keys(raw: str) -> dict[str, ApiKey]:
    """``key:scope[:scope…]`` comma-separated. ``admin`` implies write and read, ``write`` read."""
    keys: dict[str, ApiKey] = {}
    for index, item in enumerate(part.strip() for part in raw.split(",")):
        if not item:
            continue
        key, *scopes = item.split(":")
        if not key or not scopes:
            raise ValueError(f"entry {index + 1} must look like key:scope[:scope…]")
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"entry {index + 1} has unknown scope(s) {sorted(unknown)}")
        granted = set(scopes)
        if "admin" in granted:
            granted |= {"write", "read"}
        if "write" in granted:
            granted.add("read")
        keys[key] = ApiKey(name=f"key-{index + 1}", key=key, scopes=frozenset(granted))
    return keys


def shared(env: str, default, **kwargs):
    """A setting read from an unprefixed variable shared by all services."""
    return Field(default, validation_alias=AliasChoices(env, env.lower()), **kwargs)


class BaseServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, env_file=None)

    service_name: str = "csq"
    environment: str = shared("CSQ_ENV", "development")
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
    api_keys: str = shared("CSQ_API_KEYS", DEVELOPMENT_API_KEYS)
    webhook_secret: str = shared("CSQ_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET)
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

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("api_keys")
    @classmethod
    def _valid_keys(cls, value: str) -> str:
        parse_api_keys(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @model_validator(mode="after")
    def _no_default_secrets_outside_development(self):
        if self.environment != "development":
            if self.webhook_secret == DEVELOPMENT_WEBHOOK_SECRET:
                raise ValueError("CSQ_WEBHOOK_SECRET must be set outside development")
            if self.api_keys == DEVELOPMENT_API_KEYS:
                raise ValueError("CSQ_API_KEYS must be set outside development")
        return self

    @property
    def parsed_api_keys(self) -> dict[str, ApiKey]:
        return parse_api_keys(self.api_keys)

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
