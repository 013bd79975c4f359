from typing import Annotated

from fastapi import Depends
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from csq_common.http.dependencies import get_settings
from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, check_key
from csq_common.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", populate_by_name=True)

    service_name: str = "notify-svc"
    database_url: str = "sqlite+aiosqlite:///var/notify.db"
    port: int = 8005

    # Outbound SMTP (NOTIFY_SMTP_*). The defaults point at the local sink `make run` starts.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(8025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = Field(None, repr=False)
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(30.0, gt=0, le=600)
    mail_from: str = "CSQ <no-reply@csq.local>"

    # Delivery retries: attempt n waits base * 2**(n-1) seconds (capped) before attempt n+1, so
    # 8 attempts with a 30 s base span about an hour. next_attempt_at is stored, so a restart
    # continues the schedule.
    delivery_max_attempts: int = Field(8, ge=1, le=100)
    delivery_backoff_base_seconds: float = Field(30.0, gt=0, le=86_400)
    delivery_backoff_max_seconds: float = Field(3600.0, gt=0, le=86_400)
    # A claimed ('sending') delivery whose sender vanished is taken up again after this long.
    delivery_claim_seconds: float = Field(300.0, gt=0, le=86_400)
    sender_poll_seconds: float = Field(1.0, gt=0, le=60)
    sender_batch_size: int = Field(20, ge=1, le=1000)

    # Opens what feedback-svc and survey-svc sealed for notify-svc (an invitation's recipient and link).
    recipient_private_key: str = Field(DEVELOPMENT_PRIVATE_KEY, repr=False)
    # Retention: a delivery's content (recipient, live links, bodies) is cleared this long after
    # it was delivered or failed.
    retention_delivery_days: float = Field(7.0, gt=0, le=36_500)

    @model_validator(mode="after")
    def _sealing_key(self):
        check_key(self.recipient_private_key, name="NOTIFY_RECIPIENT_PRIVATE_KEY")
        if self.environment != "development" and self.recipient_private_key == DEVELOPMENT_PRIVATE_KEY:
            raise ValueError("NOTIFY_RECIPIENT_PRIVATE_KEY must be set outside development")
        return self

    @model_validator(mode="after")
    def _valid_mail_setup(self):
        from email.headerregistry import Address
        from email.utils import parseaddr

        _, address = parseaddr(self.mail_from)
        if "@" not in address:
            raise ValueError("NOTIFY_MAIL_FROM must contain an address, e.g. 'CSQ <no-reply@example.com>'")
        Address(addr_spec=address)
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("NOTIFY_SMTP_USERNAME and NOTIFY_SMTP_PASSWORD must be set together")
        if self.delivery_claim_seconds <= self.smtp_timeout_seconds:
            raise ValueError("NOTIFY_DELIVERY_CLAIM_SECONDS must exceed NOTIFY_SMTP_TIMEOUT_SECONDS")
        return self


#: The running service's settings, for routers: ``settings: SettingsDep``.
SettingsDep = Annotated[Settings, Depends(get_settings)]
