from pydantic import Field
from pydantic_settings import SettingsConfigDict

from csq_common.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPI_", extra="ignore", populate_by_name=True)

    service_name: str = "kpi-svc"
    database_url: str = "sqlite+aiosqlite:///var/kpi.db"
    port: int = 8003
    # KPI_GAUGE_REFRESH_SECONDS: how often the csq_kpi_today_* Prometheus gauges are recomputed.
    gauge_refresh_seconds: float = Field(10.0, gt=0, le=3600)
