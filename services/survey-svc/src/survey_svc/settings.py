from typing import Annotated

from fastapi import Depends
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from csq_common.http.dependencies import get_settings
from csq_common.sealing import DEVELOPMENT_PUBLIC_KEY, check_key
from csq_common.settings import BaseServiceSettings

DEVELOPMENT_CUSTOMER_KEY_SECRET = "dev-customer-key-secret"


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SURVEY_", extra="ignore", populate_by_name=True)

    service_name: str = "survey-svc"
    database_url: str = "sqlite+aiosqlite:///var/survey.db"
    port: int = 8002

    # Where customers reach the answer page: links are <public_base_url>/s/<token>.
    public_base_url: str = "http://127.0.0.1:8002"
    # notify-svc's public key (csq_common.sealing): recipients and links are sealed for it.
    notify_public_key: str = DEVELOPMENT_PUBLIC_KEY
    # Keys the throttling ledger (HMAC of the customer id/email) so it holds no readable identity;
    # a secret CSQ issues, so strong outside development (BaseServiceSettings.own_secrets).
    customer_key_secret: str = Field(DEVELOPMENT_CUSTOMER_KEY_SECRET, repr=False)
    # The invitation scheduler (send due invitations, reminders, expiries).
    scheduler_poll_seconds: float = Field(1.0, gt=0, le=60)
    scheduler_batch_size: int = Field(100, ge=1, le=10_000)

    @model_validator(mode="after")
    def _keys(self):
        check_key(self.notify_public_key, name="SURVEY_NOTIFY_PUBLIC_KEY")
        if self.environment != "development":
            if self.notify_public_key == DEVELOPMENT_PUBLIC_KEY:
                raise ValueError("SURVEY_NOTIFY_PUBLIC_KEY must be set outside development")
            if not self.public_base_url.startswith("https://"):
                raise ValueError("SURVEY_PUBLIC_BASE_URL must be an https:// URL outside development (links carry one-time tokens)")
        self.public_base_url = self.public_base_url.rstrip("/")
        return self

    def own_secrets(self) -> dict[str, tuple[list[str], str | None]]:
        return {**super().own_secrets(), "SURVEY_CUSTOMER_KEY_SECRET": ([self.customer_key_secret], DEVELOPMENT_CUSTOMER_KEY_SECRET)}


#: The running service's settings, for routers: ``settings: SettingsDep``.
SettingsDep = Annotated[Settings, Depends(get_settings)]
