from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from csq_common.http.dependencies import get_settings
from csq_common.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPI_", extra="ignore", populate_by_name=True)

    service_name: str = "kpi-svc"
    database_url: str = "sqlite+aiosqlite:///var/kpi.db"
    port: int = 8003
    # KPI_GAUGE_REFRESH_SECONDS: how often the csq_kpi_today_* Prometheus gauges are recomputed.
    gauge_refresh_seconds: float = Field(10.0, gt=0, le=3600)
    # KPI_ORGANISATION_TZ: the IANA zone whose midnight starts "today" for the Prometheus gauges.
    organisation_tz: str = "UTC"
    # KPI_GAUGE_METRICS: the KPIs exported as today's gauges, by name (comma-separated; any metric
    # of the summary, see kpi_svc.gauges). KPI_GAUGE_MAX_TEAMS: at most this many teams get series
    # (the first in team order; csq_kpi_teams_without_series counts the rest).
    gauge_metrics: str = "tickets_closed,frt_avg_seconds,aht_seconds,fcr_pct,reopen_pct,csat_pct,nps,sla_frt_pct,sla_resolution_pct"
    gauge_max_teams: int = Field(100, ge=1, le=10_000)

    @field_validator("organisation_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError("must be an IANA time zone name such as Asia/Shanghai") from None
        return value

    @field_validator("gauge_metrics")
    @classmethod
    def _known_metrics(cls, value: str) -> str:
        from kpi_svc.gauges import check_gauge_metrics  # the metric lists live with the reads

        check_gauge_metrics(value)
        return value
    # KPI_ROLLUP_POLL_SECONDS / KPI_ROLLUP_BATCH_SIZE: how often, and how many pending deltas at a
    # time, the roll-up folds into the aggregates (reads include what is still pending). A larger
    # batch shares more aggregate rows between deltas (the day, month and coarse rows a burst's
    # deltas have in common are written once) but holds SQLite's write lock longer, delaying the
    # consumer's next batch meanwhile. A live stream's rounds take what is pending, far fewer.
    rollup_poll_seconds: float = Field(0.5, gt=0, le=60)
    rollup_batch_size: int = Field(16_000, ge=100, le=1_000_000)
    # KPI_PACK_AFTER_HOURS / KPI_PACK_POLL_SECONDS: a UTC day's 15-minute ticket cells are packed
    # (one blob per team, agent and channel of a grouping set instead of a row per cell) once the
    # day ended this many hours ago; the packer looks for such days this often (aggregates.pack).
    pack_after_hours: float = Field(2.0, ge=0, le=24 * 400)
    pack_poll_seconds: float = Field(60.0, gt=0, le=86_400)
    # KPI_SLA_WARNING_SECONDS: how long before an SLA target falls due sla.warning is published.
    sla_warning_seconds: float = Field(900.0, ge=0, le=7 * 86400)
    # KPI_SLA_POLL_SECONDS / KPI_SLA_BATCH_SIZE: how often, and how many timers at a time, the SLA
    # notice worker looks for warnings and breaches that fell due.
    sla_poll_seconds: float = Field(5.0, gt=0, le=600)
    sla_batch_size: int = Field(500, ge=1, le=100_000)
    # KPI_SLA_RETENTION_DAYS: SLA clock states of tickets whose clocks both stopped, measured timers
    # and the notices of stopped timers are deleted this long after (SLA KPIs read the timers).
    sla_retention_days: float = Field(400.0, gt=0, le=36_500)
    # KPI_TARGET_POLL_SECONDS: how often the target evaluator reads every KPI target's metric and
    # moves its state on (one evaluation per interval counts towards breach_after/recover_after).
    target_poll_seconds: float = Field(30.0, gt=0, le=3600)
    # KPI_NEXT_RESPONSE_RETENTION_DAYS: a ticket's next-response state (oldest unanswered customer
    # message, latest reply) is forgotten this long after it last changed.
    next_response_retention_days: float = Field(30.0, gt=0, le=36_500)
    # KPI_REPEAT_CONTACT_RETENTION_DAYS: the customers' tickets behind repeat_contact_pct are kept
    # this long after kpi-svc first saw them (at least the 7-day window plus how late closures come).
    repeat_contact_retention_days: float = Field(30.0, ge=8, le=36_500)
    # KPI_CALL_SERVICE_LEVEL_SECONDS: a call answered within this many seconds of being offered
    # counts towards call_service_level_pct (applied when the call is counted).
    call_service_level_seconds: float = Field(20.0, ge=0, le=3600)


#: The running service's settings, for routers: ``settings: SettingsDep``.
SettingsDep = Annotated[Settings, Depends(get_settings)]
