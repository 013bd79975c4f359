from pydantic_settings import SettingsConfigDict

from csq_common.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SURVEY_", extra="ignore", populate_by_name=True)

    service_name: str = "survey-svc"
    database_url: str = "sqlite+aiosqlite:///var/survey.db"
    port: int = 8002
