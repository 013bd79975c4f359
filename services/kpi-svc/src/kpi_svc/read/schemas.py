"""Response bodies of the series, breakdown, peak-hours and leaderboard reads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kpi_svc.read import service


class _Window(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: datetime = Field(alias="from")
    to: datetime


class PointRead(BaseModel):
    start: datetime = Field(description="Bucket start, RFC 3339 with the zone's offset")
    value: float | int | None = Field(description="The metric over the bucket; null when its count is 0")
    count: int = Field(description="Observations behind the value")


class SeriesGroupRead(BaseModel):
    key: dict[str, str | None] = Field(description="The group (e.g. {\"team_id\": \"billing\"}); {} without group_by")
    points: list[PointRead]


class SeriesRead(_Window):
    metric: str
    interval: str
    tz: str
    groups: list[SeriesGroupRead]

    @classmethod
    def of(cls, series: service.Series) -> "SeriesRead":
        return cls(
            metric=series.metric, interval=series.interval, tz=series.tz, from_=series.start, to=series.end,
            groups=[
                SeriesGroupRead(key=key, points=[PointRead(start=p.start, value=p.value, count=p.count) for p in points])
                for key, points in series.groups
            ],
        )


class BreakdownRowRead(BaseModel):
    key: str | None = Field(description="The group's value (null: events without one)")
    values: dict[str, float | int | None]
    counts: dict[str, int]


class BreakdownRead(_Window):
    by: str
    rows: list[BreakdownRowRead]
    next_cursor: str | None

    @classmethod
    def of(cls, result: service.Breakdown) -> "BreakdownRead":
        return cls(
            from_=result.start, to=result.end, by=result.by, next_cursor=result.next_cursor,
            rows=[BreakdownRowRead(key=r.key, values=r.values, counts=r.counts) for r in result.rows],
        )


class PeakCellRead(BaseModel):
    weekday: int = Field(description="ISO weekday in the zone: 1 = Monday … 7 = Sunday")
    hour: int = Field(description="Hour of day in the zone, 0-23")
    value: float | int | None
    count: int


class PeakHoursRead(_Window):
    metric: str
    tz: str
    cells: list[PeakCellRead] = Field(description="All 168 (weekday, hour) cells, Monday 00 first")

    @classmethod
    def of(cls, result: service.PeakHours) -> "PeakHoursRead":
        return cls(
            metric=result.metric, tz=result.tz, from_=result.start, to=result.end,
            cells=[PeakCellRead(weekday=c.weekday, hour=c.hour, value=c.value, count=c.count) for c in result.cells],
        )


class RankedRead(BaseModel):
    rank: int
    agent_id: str
    value: float | int
    count: int


class LeaderboardRead(_Window):
    metric: str
    direction: str = Field(description="lower_is_better or higher_is_better: the order of the ranking")
    team_id: str | None
    min_count: int
    rows: list[RankedRead]
    below_min_count: int = Field(description="Agents with data left out for having fewer than min_count observations")

    @classmethod
    def of(cls, result: service.Leaderboard) -> "LeaderboardRead":
        return cls(
            metric=result.metric, direction=result.direction, from_=result.start, to=result.end,
            team_id=result.team_id, min_count=result.min_count, below_min_count=result.below_min_count,
            rows=[RankedRead(rank=r.rank, agent_id=r.agent_id, value=r.value, count=r.count) for r in result.rows],
        )
