from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kpi_svc.kpis.service import Summary


class SummaryFilters(BaseModel):
    team_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None
    dimension: str | None = Field(
        None, description="Question dimension: when set, values/counts hold only csat_pct, nps and ces_avg"
    )


class SummaryRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: datetime = Field(alias="from", description="Effective start (widened to a 15-minute boundary), UTC")
    to: datetime = Field(description="Effective end (widened to a 15-minute boundary), UTC")
    filters: SummaryFilters
    values: dict[str, float | int | None] = Field(description="Metric → value; null when it has no observations")
    counts: dict[str, int] = Field(description="Metric → number of observations behind it")

    @classmethod
    def of(cls, summary: Summary) -> "SummaryRead":
        return cls(
            from_=summary.start,
            to=summary.end,
            filters=SummaryFilters(
                team_id=summary.filters.team_id,
                agent_id=summary.filters.agent_id,
                channel=summary.filters.channel,
                dimension=summary.filters.dimension,
            ),
            values=summary.values,
            counts=summary.counts,
        )
