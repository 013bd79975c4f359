from typing import Annotated

from fastapi import Depends
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from csq_common.http.dependencies import get_settings
from csq_common.sealing import DEVELOPMENT_PUBLIC_KEY, check_key
from csq_common.settings import DEVELOPMENT_WEBHOOK_SECRET, BaseServiceSettings, key_digest


DEVELOPMENT_STAFF_KEY = "dev-staff-key"


def split_secrets(raw: str) -> tuple[str, ...]:
    """``CSQ_WEBHOOK_SECRET`` may hold several comma-separated secrets (rotation: new, old)."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore", populate_by_name=True)

    service_name: str = "feedback-svc"
    database_url: str = "sqlite+aiosqlite:///var/feedback.db"
    port: int = 8001
    # Group commit of the webhook intake (webhooks/batcher.py).
    webhook_batch_max_items: int = Field(200, ge=1, le=1000)
    webhook_batch_linger_seconds: float = Field(0.0005, ge=0, le=1)
    webhook_queue_limit: int = Field(10_000, ge=1)
    # notify-svc's public key (csq_common.sealing): the customer's contact in ticket.closed is
    # sealed for it, so no ticket event carries an email or a name readable.
    notify_public_key: str = DEVELOPMENT_PUBLIC_KEY
    # Retention: webhook receipts (the duplicate check) are kept this long after their arrival.
    retention_webhook_receipt_days: float = Field(30.0, gt=0, le=36_500)
    # CRM connectors (connectors/): each vendor's credentials, comma-separated for rotation; a
    # vendor left empty is not configured and its route answers 404.
    zendesk_signing_secret: SecretStr = SecretStr("")
    freshdesk_basic_auth: SecretStr = SecretStr("")  # user:password
    chatwoot_secret: SecretStr = SecretStr("")
    # Retention: vendor payloads that could not be mapped are kept this long for operators.
    retention_webhook_rejection_days: float = Field(7.0, gt=0, le=36_500)
    # Retention: ticket messages (the conversations) are deleted this long after they were sent.
    retention_message_days: float = Field(365.0, gt=0, le=36_500)
    # Retention: call detail records are deleted this long after the call ended.
    retention_call_days: float = Field(365.0, gt=0, le=36_500)

    # Retention: a feedback item's text, attachments, replies and customer are cleared this long
    # after it was received; its kind, category, times and counts stay for the analysis.
    retention_feedback_text_days: float = Field(730.0, gt=0, le=36_500)

    # Feedback handling (feedback/workflow.py): hours from triage to the first reply and to the
    # resolution, per severity ("1" low … "4" critical), and the customer's confirmation link.
    response_target_hours: dict[str, float] = Field(default_factory=lambda: {"1": 72, "2": 24, "3": 4, "4": 1})
    resolution_target_hours: dict[str, float] = Field(default_factory=lambda: {"1": 336, "2": 168, "3": 72, "4": 24})
    confirmation_link_days: float = Field(14.0, gt=0, le=365)
    public_base_url: str = "http://127.0.0.1:8001"
    # Staff API keys (comma-separated) for anonymous suggestions: shared by all staff, so a key
    # says nothing about who sent a suggestion; only digests are kept. Unset: anonymous
    # suggestions are refused (401), except in development, where "dev-staff-key" works.
    staff_api_keys: SecretStr | None = None
    # The analysis counts the top terms over at most this many of the window's newest items.
    analysis_term_items: int = Field(5000, ge=1, le=100_000)

    @field_validator("response_target_hours", "resolution_target_hours")
    @classmethod
    def _per_severity(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != {"1", "2", "3", "4"} or not all(0 < hours <= 24 * 365 for hours in value.values()):
            raise ValueError('needs hours (0 < h <= 8760) for each severity "1" to "4", e.g. {"1": 72, "2": 24, "3": 4, "4": 1}')
        return value

    @field_validator("public_base_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be the http(s) address customers reach feedback-svc's public pages at")
        return value.rstrip("/")

    @field_validator("webhook_secret")
    @classmethod
    def _at_least_one_secret(cls, value: SecretStr) -> SecretStr:
        if not split_secrets(value.get_secret_value()):
            raise ValueError("must hold at least one secret (comma-separated for rotation)")
        return value

    @model_validator(mode="after")
    def _sealing_key(self):
        check_key(self.notify_public_key, name="FEEDBACK_NOTIFY_PUBLIC_KEY")
        if self.environment != "development" and self.notify_public_key == DEVELOPMENT_PUBLIC_KEY:
            raise ValueError("FEEDBACK_NOTIFY_PUBLIC_KEY must be set outside development")
        return self

    def own_secrets(self) -> dict[str, tuple[list[str], str | None]]:
        # Every secret of a rotation list must be strong outside development, not just the list.
        return {
            **super().own_secrets(),
            "CSQ_WEBHOOK_SECRET": (list(self.webhook_secrets), DEVELOPMENT_WEBHOOK_SECRET),
            **({"FEEDBACK_STAFF_API_KEYS": (list(self.staff_keys), DEVELOPMENT_STAFF_KEY)} if self.staff_api_keys else {}),
        }

    @property
    def staff_keys(self) -> tuple[str, ...]:
        if self.staff_api_keys is None:
            return (DEVELOPMENT_STAFF_KEY,) if self.environment == "development" else ()
        return split_secrets(self.staff_api_keys.get_secret_value())

    @property
    def staff_key_digests(self) -> tuple[bytes, ...]:
        return tuple(key_digest(key) for key in self.staff_keys)

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        return split_secrets(self.webhook_secret.get_secret_value())

    @property
    def zendesk_signing_secrets(self) -> tuple[str, ...]:
        return split_secrets(self.zendesk_signing_secret.get_secret_value())

    @property
    def freshdesk_credentials(self) -> tuple[str, ...]:
        return split_secrets(self.freshdesk_basic_auth.get_secret_value())

    @property
    def chatwoot_secrets(self) -> tuple[str, ...]:
        return split_secrets(self.chatwoot_secret.get_secret_value())

    @field_validator("freshdesk_basic_auth")
    @classmethod
    def _user_and_password(cls, value: SecretStr) -> SecretStr:
        for credential in split_secrets(value.get_secret_value()):
            user, sep, password = credential.partition(":")
            if not sep or not user or not password:
                raise ValueError("must be user:password (comma-separated for rotation)")
        return value


#: The running service's settings, for routers: ``settings: SettingsDep``.
SettingsDep = Annotated[Settings, Depends(get_settings)]
