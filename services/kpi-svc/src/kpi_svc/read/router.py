"""KPI reads beyond the summary: series, breakdown, peak hours, leaderboard (thin; see service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from csq_common.http.auth import ReadScope
from csq_common.http.dependencies import ReadSessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, UtcInstant, storable_str
from kpi_svc.read import service
from kpi_svc.read.grouped import Selection
from kpi_svc.read.schemas import BreakdownRead, LeaderboardRead, PeakHoursRead, SeriesRead

router = APIRouter(prefix="/v1/kpis", tags=["kpis"], dependencies=[Depends(reject_unknown_query_parameters)])

From = Annotated[UtcInstant, Query(alias="from", description="Window start, RFC 3339 with offset (inclusive)")]
To = Annotated[UtcInstant, Query(description="Window end, RFC 3339 with offset (exclusive)")]
Metric = Annotated[storable_str(max_length=100), Query(description=f"One of {', '.join(service.METRICS)} or compliance_pct.<check>")]
Zone = Annotated[storable_str(max_length=100) | None, Query(description="IANA time zone (default UTC)")]
Attribute = Annotated[storable_str(max_length=200) | None, Query()]
Channel = Annotated[storable_str(max_length=50) | None, Query()]
Dimension = Annotated[storable_str(max_length=20) | None, Query(description="team_id, agent_id or channel")]


def _selection(by, team_id, agent_id, channel) -> Selection:
    return Selection(by or None, team_id or None, agent_id or None, channel or None)


@router.get("/series", response_model=SeriesRead, response_model_by_alias=True)
async def get_series(
    _principal: ReadScope,
    session: ReadSessionDep,
    metric: Metric,
    from_: From,
    to: To,
    interval: Annotated[storable_str(max_length=10), Query(description="hour, day, week (from Monday) or month")],
    tz: Zone = None,
    group_by: Dimension = None,
    team_id: Attribute = None,
    agent_id: Attribute = None,
    channel: Channel = None,
) -> SeriesRead:
    """One metric per bucket of ``interval`` in the zone ``tz``, per group of ``group_by`` (one
    group with key ``{}`` without it). ``from`` and ``to`` must start buckets of the interval in
    the zone (422 naming the one that does not); at most 1000 buckets. Every bucket is listed, in
    order; a bucket without observations has ``value`` null and ``count`` 0."""
    selection = _selection(group_by, team_id, agent_id, channel)
    return SeriesRead.of(
        await service.series(session, metric=metric, start=from_, end=to, interval=interval, tz_name=tz, selection=selection)
    )


@router.get("/breakdown", response_model=BreakdownRead, response_model_by_alias=True)
async def get_breakdown(
    _principal: ReadScope,
    session: ReadSessionDep,
    from_: From,
    to: To,
    by: Dimension,
    metrics: Annotated[storable_str(max_length=1000) | None, Query(description="Comma-separated metrics (default: all)")] = None,
    sort: Annotated[storable_str(max_length=100) | None, Query(description="A metric asked (default: the group key)")] = None,
    order: Annotated[storable_str(max_length=4) | None, Query(description="asc or desc (default: desc by a metric, asc by key)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Annotated[CursorStr | None, Query()] = None,
    team_id: Attribute = None,
    agent_id: Attribute = None,
    channel: Channel = None,
) -> BreakdownRead:
    """Every metric (or ``metrics``) per group of ``by`` over ``[from, to)`` widened to 15
    minutes, in one read: values and counts as the summary gives them for that group. Sorted by
    ``sort`` (nulls last) or by key; ``next_cursor`` gives the next page."""
    result = await service.breakdown(
        session, start=from_, end=to, by=by, metrics=metrics, sort=sort or None, order=order or None, limit=limit,
        cursor=cursor or None, selection=_selection(None, team_id, agent_id, channel),
    )
    return BreakdownRead.of(result)


@router.get("/peak-hours", response_model=PeakHoursRead, response_model_by_alias=True)
async def get_peak_hours(
    _principal: ReadScope,
    session: ReadSessionDep,
    metric: Metric,
    from_: From,
    to: To,
    tz: Zone = None,
    team_id: Attribute = None,
    agent_id: Attribute = None,
    channel: Channel = None,
) -> PeakHoursRead:
    """``metric`` per (ISO weekday, hour of day) in the zone over ``[from, to)``, both local hour
    boundaries: all 168 cells, value null where the count is 0."""
    result = await service.peak_hours(
        session, metric=metric, start=from_, end=to, tz_name=tz, selection=_selection(None, team_id, agent_id, channel)
    )
    return PeakHoursRead.of(result)


@router.get("/leaderboard", response_model=LeaderboardRead, response_model_by_alias=True)
async def get_leaderboard(
    _principal: ReadScope,
    session: ReadSessionDep,
    metric: Metric,
    from_: From,
    to: To,
    team_id: Attribute = None,
    min_count: Annotated[int, Query(ge=1, le=1_000_000, description="Fewest observations to be ranked")] = service.DEFAULT_MIN_COUNT,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> LeaderboardRead:
    """Agents ranked on ``metric`` over ``[from, to)`` widened to 15 minutes, best first (lower
    first for times and the reopen rate), only those with at least ``min_count`` observations."""
    result = await service.leaderboard(
        session, metric=metric, start=from_, end=to, team_id=team_id or None, min_count=min_count, limit=limit
    )
    return LeaderboardRead.of(result)
