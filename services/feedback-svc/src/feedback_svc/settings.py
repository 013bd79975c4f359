from pydantic_settings import SettingsConfigDict

from csq_common.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore", populate_by_name=True)

    service_name: str = "feedback-svc"
    database_url: str = "sqlite+aiosqlite:///var/feedback.db"
    port: int = 8001
