"""Prometheus gauges ``csq_kpi_today_<metric>{team_id}`` for the current UTC day.

A background task (started by the app's lifespan) recomputes them every
``KPI_GAUGE_REFRESH_SECONDS`` with the same read as ``GET /v1/kpis/summary``, per team that has
data today (tickets or surveys) plus ``team_id="*"`` for all teams. A metric without observations is not exported
(its label set is removed), never shown as 0.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import structlog
from fastapi import FastAPI
from prometheus_client import Gauge
from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.db import utcnow
from kpi_svc.aggregates.buckets import DAY, floor_to
from kpi_svc.aggregates.dimensions import WILDCARD, original
from kpi_svc.aggregates.models import ALL_DIMENSIONS, SurveyAggregate, TicketAggregate, TicketDelta
from kpi_svc.kpis.service import KpiFilters, Summary, kpi_summary

log = structlog.get_logger(__name__)

HEADLINE = ("tickets_closed", "frt_avg_seconds", "fcr_pct", "reopen_pct", "aht_seconds", "csat_pct", "nps")
ALL_TEAMS = WILDCARD

GAUGES: dict[str, Gauge] = {
    name: Gauge(f"csq_kpi_today_{name}", f"{name} over the current UTC day (team_id=\"*\": all teams)", ["team_id"])
    for name in HEADLINE
}


async def teams_today(session: AsyncSession, now: datetime) -> list[str]:
    """Teams (as sent by the CRM / survey-svc) with any ticket or survey aggregate in today's UTC day
    bucket, or a pending ticket delta today."""
    day = floor_to(now, DAY)

    def teams(table, *extra):
        return select(table.c.team_id).where(
            table.c.resolution == DAY,
            table.c.bucket_start == day,
            table.c.agent_id == WILDCARD,
            table.c.channel == WILDCARD,
            table.c.team_id != WILDCARD,
            *extra,
        )

    surveys, deltas = SurveyAggregate.__table__, TicketDelta.__table__
    pending = select(deltas.c.team_id).where(
        deltas.c.bucket_start >= day, deltas.c.bucket_start < day + timedelta(days=1), deltas.c.team_id != WILDCARD
    )
    statement = union(teams(TicketAggregate.__table__), teams(surveys, surveys.c.dimension == ALL_DIMENSIONS), pending)
    rows = await session.scalars(select(statement.subquery().c.team_id).order_by("team_id"))
    return [original(team) for team in rows]


async def today_summaries(session: AsyncSession, now: datetime) -> dict[str, Summary]:
    """label value → today's summary: each team with data, and ``*`` for all teams."""
    start = floor_to(now, DAY)
    end = start + timedelta(days=1)
    summaries = {ALL_TEAMS: await kpi_summary(session, start=start, end=end)}
    for team in await teams_today(session, now):
        label = team if team != ALL_TEAMS else "\\*"  # keep a CRM team literally named "*" apart
        summaries[label] = await kpi_summary(session, start=start, end=end, filters=KpiFilters(team_id=team or None))
    return summaries


def publish(summaries: dict[str, Summary], exported: dict[str, set[str]]) -> dict[str, set[str]]:
    """Set the gauges from ``summaries`` and remove label sets exported before that now lack data."""
    now_exported: dict[str, set[str]] = {}
    for name, gauge in GAUGES.items():
        labels = set()
        for team, summary in summaries.items():
            value = summary.values.get(name)
            if value is None:
                continue
            gauge.labels(team_id=team).set(value)
            labels.add(team)
        for stale in exported.get(name, set()) - labels:
            try:
                gauge.remove(stale)
            except KeyError:  # pragma: no cover - already gone
                pass
        now_exported[name] = labels
    return now_exported


class GaugeRefresher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], interval: float) -> None:
        self._sessions = sessions
        self._interval = interval
        self._exported: dict[str, set[str]] = {}

    async def refresh(self, now: datetime | None = None) -> None:
        async with self._sessions() as session:
            summaries = await today_summaries(session, now or utcnow())
        self._exported = publish(summaries, self._exported)

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: keep the last values, try again next tick
                log.warning("gauges.refresh_failed", error=repr(exc))
            await asyncio.sleep(self._interval)

    def clear(self) -> None:
        self._exported = publish({}, self._exported)


@asynccontextmanager
async def refresher_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """``extra_lifespan`` of the app: run the refresher while the app runs."""
    refresher = GaugeRefresher(app.state.read_sessions, app.state.settings.gauge_refresh_seconds)
    app.state.gauges = refresher
    task = asyncio.create_task(refresher.run(), name="kpi-gauges")
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        refresher.clear()
