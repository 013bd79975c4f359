"""audit-svc's settings: the shared service settings, read from AUDIT_* variables (port 8004)."""

from pydantic_settings import SettingsConfigDict

from csq_common.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore", populate_by_name=True)

    service_name: str = "audit-svc"
    database_url: str = "sqlite+aiosqlite:///var/audit.db"
    port: int = 8004
