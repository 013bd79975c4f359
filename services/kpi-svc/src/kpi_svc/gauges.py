"""Prometheus metrics of today's headline KPIs, per team and for the organisation.

"Today" is the current day in the organisation's time zone (``KPI_ORGANISATION_TZ``). A
background task (started by the app's lifespan) recomputes a snapshot every
``KPI_GAUGE_REFRESH_SECONDS`` with the reads behind ``GET /v1/kpis/breakdown`` (by team, and
ungrouped for the organisation) and the SLA counts of ``GET /v1/kpis/summary``; ``/metrics``
exposes the last snapshot (a custom collector, so a series without data is simply absent, never 0).

Prometheus conventions:

- ``csq_kpi_today_<metric>{team_id}`` per team, ``csq_kpi_org_today_<metric>`` for the whole
  organisation under its own name: ``sum by () (csq_kpi_today_tickets_closed)`` adds teams only,
  and never an organisation total on top (tickets without a team are only in the org series).
- A ``…_pct`` KPI is exported as ``…_ratio`` (0-1); durations are ``…_seconds``; ``nps`` stays a
  score (-100..100) and ``ces_avg`` a mean on the survey's scale.
- Today's counts (``tickets_closed``, ``sla_breaches``) are gauges: they fall to 0 at local
  midnight and a late event can still change a past day. What only grows is also exported as a
  counter: ``csq_kpi_tickets_closed_total{team_id}`` and ``csq_kpi_org_tickets_closed_total``,
  every closure ever counted (the aggregates never shrink), for ``increase()``/``rate()``.
- ``team_id`` values come from the CRM: at most ``KPI_GAUGE_MAX_TEAMS`` teams get series (the
  first in team order, so the set is stable), ``csq_kpi_teams_without_series`` counts the others.
- SLA per team and kind (``sla="first_response"|"next_response"|"resolution"``): ``csq_kpi_today_sla_due``
  (timers met or fallen due today), ``csq_kpi_today_sla_breaches`` and
  ``csq_kpi_today_sla_breach_ratio``.

Which KPIs are exported is the setting ``KPI_GAUGE_METRICS`` (names from ``read.service.METRICS``
and the SLA metrics), so a KPI another part adds to those lists is exported by naming it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

import structlog
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import BigInteger, cast, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.db import utcnow
from kpi_svc.aggregates.buckets import MONTH
from kpi_svc.aggregates.dimensions import WILDCARD
from kpi_svc.aggregates.models import TicketAggregate, TicketDelta
from kpi_svc.kpis.service import effective_window
from kpi_svc.read import zones
from kpi_svc.read import service as reads
from kpi_svc.read.grouped import Selection, output_key, values_of
from kpi_svc.read.service import METRICS, grouped_values
from kpi_svc.sla.kpis import SLA_METRIC_OF
from kpi_svc.sla.team_counts import sla_counts_by_team

log = structlog.get_logger(__name__)

TEAM_PREFIX = "csq_kpi_today_"
ORG_PREFIX = "csq_kpi_org_today_"
#: SLA metric name → value of the ``sla`` label.
SLA_KINDS = {metric_name: timer_metric for timer_metric, metric_name in SLA_METRIC_OF.items()}


def gauge_metric_names() -> tuple[str, ...]:
    """Every KPI that can be exported: the grouped reads' metrics (the SLA percentages among them)."""
    return METRICS


def check_gauge_metrics(text: str) -> tuple[str, ...]:
    """``KPI_GAUGE_METRICS`` parsed; ValueError naming an unknown metric."""
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    known = gauge_metric_names()
    for name in names:
        if name not in known:
            raise ValueError(f"unknown metric {name!r}: must be among {', '.join(known)}")
    return names


def exported_name(metric: str) -> tuple[str, Fraction]:
    """``(Prometheus name suffix, factor)`` of a KPI: ``…_pct`` → ``…_ratio`` × 1/100; others as
    they are (characters Prometheus does not allow become ``_``)."""
    name = re.sub(r"[^a-zA-Z0-9_]", "_", metric)
    if name.endswith("_pct"):
        return name.removesuffix("_pct") + "_ratio", Fraction(1, 100)
    return name, Fraction(1)


def today_window(now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """``[local midnight, next local midnight)`` of ``now``'s day in ``tz``, in UTC."""
    day = now.astimezone(tz).date()
    return zones.day_start(day, tz), zones.day_start(day + timedelta(days=1), tz)


@dataclass
class Family:
    """One metric family of a snapshot: ``samples`` are (label values, value)."""

    name: str
    kind: str  # "gauge" or "counter"
    documentation: str
    labels: tuple[str, ...] = ()
    samples: list[tuple[tuple[str, ...], float]] = field(default_factory=list)

    def add(self, labels: tuple[str, ...], value: float | int | None) -> None:
        if value is not None:
            self.samples.append((labels, float(value)))

    def metric_family(self):
        cls = GaugeMetricFamily if self.kind == "gauge" else CounterMetricFamily
        family = cls(self.name, self.documentation, labels=list(self.labels))
        for labels, value in self.samples:
            family.add_metric(list(labels), value)
        return family


class SnapshotCollector:
    """Exposes the last snapshot (nothing before the first refresh or after ``clear``)."""

    def __init__(self) -> None:
        self.families: list[Family] = []

    def collect(self) -> Iterable:
        for family in self.families:
            yield family.metric_family()

    def describe(self) -> Iterable:
        return ()  # names depend on KPI_GAUGE_METRICS: not checked against others at registration


COLLECTOR = SnapshotCollector()
REGISTRY.register(COLLECTOR)


async def closures_ever(session: AsyncSession, teams: list[str]) -> tuple[dict[str, int], int]:
    """Every closure ever counted, per team in ``teams`` and for the organisation: the month rows
    of the team and organisation grouping sets plus the pending deltas, in one statement (one
    snapshot, so a roll-up in between cannot count a delta twice or miss it)."""
    table, deltas = TicketAggregate.__table__, TicketDelta.__table__
    rows = union_all(
        select(table.c.team_id, literal(False).label("pending"), table.c.closures).where(
            table.c.resolution == MONTH, table.c.agent_id == WILDCARD, table.c.channel == WILDCARD
        ),
        select(deltas.c.team_id, literal(True).label("pending"), deltas.c.closures),
    ).subquery()
    statement = select(rows.c.team_id, rows.c.pending, cast(func.sum(rows.c.closures), BigInteger)).group_by(
        rows.c.team_id, rows.c.pending
    )
    wanted = set(teams)
    per_team: dict[str, int] = {}
    organisation = 0
    for team, pending, closures in (await session.execute(statement)).all():
        if pending or team == WILDCARD:  # a delta counts for its team and the organisation
            organisation += closures
        if team != WILDCARD and (key := output_key(team)) in wanted:
            per_team[key] = per_team.get(key, 0) + closures
    return per_team, organisation


@dataclass(frozen=True)
class GaugeConfig:
    metrics: tuple[str, ...]
    tz: tzinfo
    max_teams: int


async def snapshot(session: AsyncSession, config: GaugeConfig, now: datetime) -> list[Family]:
    """Today's families (see the module's docstring) as of ``now``."""
    start, end = effective_window(*today_window(now, config.tz))
    grouped = tuple(m for m in config.metrics if m in METRICS)
    by_team = await grouped_values(session, start=start, end=end, selection=Selection("team_id"), metrics=grouped) if grouped else {}
    org = await grouped_values(session, start=start, end=end, selection=Selection(), metrics=grouped) if grouped else {}
    sla = await sla_counts_by_team(session, start=start, end=end)
    teams_with_data = sorted({key for key in by_team if key} | {key for key in sla if key})
    teams, dropped = teams_with_data[: config.max_teams], len(teams_with_data) - config.max_teams

    families: list[Family] = []
    for metric in config.metrics:
        suffix, factor = exported_name(metric)
        sla_kind = SLA_KINDS.get(metric)
        team_family = Family(TEAM_PREFIX + suffix, "gauge", f"{metric} today (organisation's time zone) per team", ("team_id",))
        org_family = Family(ORG_PREFIX + suffix, "gauge", f"{metric} today (organisation's time zone), all teams")
        if sla_kind is None:
            for team in teams:
                team_family.add((team,), _scaled(_value(by_team.get(team), metric), factor))
            org_family.add((), _scaled(_value(org.get(None), metric), factor))
        else:
            for team in teams:
                total, met = sla.get(team, {}).get(metric, (0, 0))
                team_family.add((team,), _ratio(met, total))
            total, met = _sla_total(sla, metric)
            org_family.add((), _ratio(met, total))
        families += [team_family, org_family]

    families += _sla_families(sla, teams)
    closed, closed_org = await closures_ever(session, teams)
    total_team = Family("csq_kpi_tickets_closed", "counter", "tickets closed ever counted, per team", ("team_id",))
    for team in teams:
        total_team.add((team,), closed.get(team, 0))
    total_org = Family("csq_kpi_org_tickets_closed", "counter", "tickets closed ever counted, all teams")
    total_org.add((), closed_org)
    dropped_family = Family(
        "csq_kpi_teams_without_series", "gauge", "teams with data today left without series (KPI_GAUGE_MAX_TEAMS)"
    )
    dropped_family.add((), max(dropped, 0))
    return [*families, total_team, total_org, dropped_family]


def _value(row, metric: str) -> float | int | None:
    """``metric`` of a grouped row; without a row, its value over no data (a count is 0)."""
    if row is not None:
        return row.values[metric]
    values, _ = values_of(reads.kind_of(metric), None)
    return values[metric]


def _scaled(value: float | int | None, factor: Fraction) -> float | int | None:
    if value is None or factor == 1:
        return value
    return float(Fraction(value) * factor)


def _ratio(part: int, total: int) -> float | None:
    return None if total == 0 else float(Fraction(part, total))


def _sla_total(sla: dict, metric: str) -> tuple[int, int]:
    pairs = [per_metric.get(metric, (0, 0)) for per_metric in sla.values()]
    return sum(total for total, _ in pairs), sum(met for _, met in pairs)


def _sla_families(sla: dict, teams: list[str]) -> list[Family]:
    """Timers measured today, breaches and breach ratio per team and SLA kind, and for all teams."""
    names = (
        ("sla_due", "SLA timers met or fallen due today"),
        ("sla_breaches", "SLA timers fallen due today unmet"),
        ("sla_breach_ratio", "share of today's measured SLA timers that were breached"),
    )
    families = []
    for suffix, documentation in names:
        team_family = Family(TEAM_PREFIX + suffix, "gauge", documentation + ", per team", ("team_id", "sla"))
        org_family = Family(ORG_PREFIX + suffix, "gauge", documentation + ", all teams", ("sla",))
        for metric, kind in SLA_KINDS.items():
            for team in teams:
                total, met = sla.get(team, {}).get(metric, (0, 0))
                team_family.add((team, kind), _sla_value(suffix, total, met))
            total, met = _sla_total(sla, metric)
            org_family.add((kind,), _sla_value(suffix, total, met))
        families += [team_family, org_family]
    return families


def _sla_value(suffix: str, total: int, met: int) -> float | int | None:
    if suffix == "sla_due":
        return total
    if suffix == "sla_breaches":
        return total - met
    return _ratio(total - met, total)


class GaugeRefresher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], interval: float, config: GaugeConfig) -> None:
        self._sessions = sessions
        self._interval = interval
        self._config = config

    async def refresh(self, now: datetime | None = None) -> None:
        async with self._sessions() as session:
            families = await snapshot(session, self._config, now or utcnow())
        COLLECTOR.families = families

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
        COLLECTOR.families = []


def gauge_config(settings) -> GaugeConfig:
    return GaugeConfig(check_gauge_metrics(settings.gauge_metrics), ZoneInfo(settings.organisation_tz), settings.gauge_max_teams)


@asynccontextmanager
async def refresher_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """``extra_lifespan`` of the app: run the refresher while the app runs."""
    settings = app.state.settings
    refresher = GaugeRefresher(app.state.read_sessions, settings.gauge_refresh_seconds, gauge_config(settings))
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
