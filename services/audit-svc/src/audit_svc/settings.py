"""audit-svc's settings: the shared service settings, read from AUDIT_* variables (port 8004)."""

from typing import Annotated

from fastapi import Depends
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from csq_common.http.dependencies import get_settings
from csq_common.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore", populate_by_name=True)

    service_name: str = "audit-svc"
    database_url: str = "sqlite+aiosqlite:///var/audit.db"
    port: int = 8004

    # The sampling worker: runs each active plan's cycle once its period has ended.
    sampling_poll_seconds: float = Field(60.0, gt=0, le=3600)
    # The overdue worker: publishes audit.action_overdue for corrective actions past due.
    overdue_poll_seconds: float = Field(60.0, gt=0, le=3600)
    overdue_batch_size: int = Field(200, ge=1, le=10_000)
    # How many days after a review is submitted its agent may still dispute it.
    dispute_window_days: int = Field(7, ge=0, le=365)
    # Retention: ticket messages (the transcripts reviews show) are deleted this long after they
    # were sent, and a ticket's customer id this long after it was first seen.
    retention_message_days: float = Field(365.0, gt=0, le=36_500)


SettingsDep = Annotated[Settings, Depends(get_settings)]
