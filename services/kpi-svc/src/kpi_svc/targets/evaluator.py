"""The background evaluator: each target's metric over its window, read exactly as
``GET /v1/kpis/summary`` reads it (``kpi_summary`` with the target's scope as filters), its state
moved on by the hysteresis (targets.rules), and ``kpi.target_breached`` / ``kpi.target_recovered``
staged in the outbox in the transaction that changes the state.

Once per state change, with any number of evaluators and across restarts: a state row is only
written by ``UPDATE … WHERE version = <the version the evaluation read>``, and the outbox row is
added only when that update hit its row; a second evaluator that read the same version writes
nothing (on PostgreSQL it waits for the first one's row lock, then finds the version moved on;
SQLite's writers take turns). A target evaluated less than half a poll interval ago is skipped,
so two replicas do not count one interval's evaluations twice.

The gauge ``csq_kpi_target_breached{target_id,metric}`` is 1 from a published breach to its
recovery, else 0; each evaluator sets it for every target from the state rows after each round.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from prometheus_client import Gauge
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.bus import outbox
from csq_common.db import transaction, utcnow
from csq_common.errors import CsqError
from csq_common.events import KpiTargetBreached, KpiTargetRecovered, make_event
from csq_common.worker import DEFAULT_STOP_SECONDS, PollingWorker
from kpi_svc.kpis.service import KpiFilters, kpi_summary
from kpi_svc.read import zones
from kpi_svc.targets.models import KpiTarget, KpiTargetState
from kpi_svc.targets.rules import BREACH, Before, Limits, step, window_of

log = structlog.get_logger(__name__)
SOURCE = "kpi-svc"
_EVENT_IDS = uuid.UUID("0b6f3a52-8f0e-4d1e-a8f4-3c1e2d7b9a10")

BREACHED_GAUGE = Gauge(
    "csq_kpi_target_breached",
    "1 while a KPI target is breached (kpi.target_breached published, no kpi.target_recovered since), else 0",
    ["target_id", "metric"],
)


@dataclass(frozen=True)
class Reading:
    """One target as it was read, its state's version, and the summary's value over its window."""

    target: KpiTarget
    before: Before
    since: datetime
    version: int
    start: datetime
    end: datetime
    value: float | int | None
    count: int


def scope_of(target: KpiTarget) -> dict[str, str]:
    """The filters of a target, as the events carry them (empty: the whole organisation)."""
    return {name: getattr(target, name) for name in ("team_id", "agent_id", "channel") if getattr(target, name)}


async def read_targets(session: AsyncSession, *, now: datetime, min_gap: timedelta) -> list[Reading]:
    """The targets due (not evaluated within ``min_gap``) with their metric over their window now."""
    statement = (
        select(KpiTarget, KpiTargetState)
        .join(KpiTargetState, KpiTargetState.target_id == KpiTarget.id)
        .where(or_(KpiTargetState.evaluated_at.is_(None), KpiTargetState.evaluated_at <= now - min_gap))
        .order_by(KpiTarget.created_at, KpiTarget.id)
    )
    readings = []
    for target, state in (await session.execute(statement)).all():
        try:
            start, end = window_of(target.window, zones.zone(target.tz), now)
            filters = KpiFilters(team_id=target.team_id, agent_id=target.agent_id, channel=target.channel)
            summary = await kpi_summary(session, start=start, end=end, filters=filters)
        except CsqError as exc:  # a zone the system no longer knows: the others still go on
            log.warning("targets.unreadable", target_id=target.id, error=repr(exc))
            continue
        readings.append(
            Reading(
                target=target, before=Before(state.state, state.alerted, state.streak), since=state.since, version=state.version,
                start=summary.start, end=summary.end, value=summary.values.get(target.metric),
                count=summary.counts.get(target.metric, 0),
            )
        )
    return readings


async def apply(session: AsyncSession, reading: Reading, *, topic: str, now: datetime) -> str | None:
    """Write the state after ``reading`` if its version is still current, with the event of a
    change in the same transaction; the event type staged (or None)."""
    target = reading.target
    limits = Limits(target.threshold, target.direction, target.min_sample, target.recovery_margin, target.breach_after, target.recover_after)
    after = step(limits, reading.before, reading.value, reading.count)
    written = await session.execute(
        update(KpiTargetState)
        .where(KpiTargetState.target_id == target.id, KpiTargetState.version == reading.version)
        .values(
            state=after.state, since=reading.since if after.state == reading.before.state else now, alerted=after.alerted,
            streak=after.streak, value=reading.value, count=reading.count, window_start=reading.start, window_end=reading.end,
            evaluated_at=now, version=reading.version + 1,
        )
    )
    if written.rowcount != 1 or after.event is None:
        return None
    model = KpiTargetBreached if after.event == BREACH else KpiTargetRecovered
    data = model(
        target_id=target.id, metric=target.metric, scope=scope_of(target), window=target.window, tz=target.tz,
        value=reading.value, threshold=target.threshold, direction=target.direction, at=now,
    )
    event_id = str(uuid.uuid5(_EVENT_IDS, f"{target.id}|{reading.version + 1}|{after.event}"))
    await outbox.add(session, make_event(data, source=SOURCE, subject=target.id, time=now, event_id=event_id), topic=topic, key=target.id)
    log.info(model.event_type, target_id=target.id, metric=target.metric, value=reading.value, threshold=target.threshold)
    return model.event_type


async def evaluate(
    sessions: async_sessionmaker[AsyncSession], read_sessions: async_sessionmaker[AsyncSession], *, topic: str, now: datetime,
    min_gap: timedelta = timedelta(0),
) -> list[str]:
    """One round over every target due; the event types staged."""
    async with read_sessions() as session:
        readings = await read_targets(session, now=now, min_gap=min_gap)
    staged = []
    for reading in readings:
        async with transaction(sessions) as session:
            event_type = await apply(session, reading, topic=topic, now=now)
        if event_type:
            staged.append(event_type)
    return staged


async def breached_flags(session: AsyncSession) -> dict[tuple[str, str], bool]:
    """(target id, metric) → alerted, for every target."""
    statement = select(KpiTarget.id, KpiTarget.metric, KpiTargetState.alerted).join(KpiTargetState, KpiTargetState.target_id == KpiTarget.id)
    return {(target_id, metric): alerted for target_id, metric, alerted in (await session.execute(statement)).all()}


def export(flags: dict[tuple[str, str], bool], exported: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Set the gauge from ``flags``, removing label sets of targets deleted (or changed metric)."""
    for (target_id, metric), alerted in flags.items():
        BREACHED_GAUGE.labels(target_id=target_id, metric=metric).set(1 if alerted else 0)
    for stale in exported - flags.keys():
        try:
            BREACHED_GAUGE.remove(*stale)
        except KeyError:  # pragma: no cover - already gone
            pass
    return set(flags)


class TargetEvaluator(PollingWorker):
    name = "target_evaluator"

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], read_sessions: async_sessionmaker[AsyncSession], *, topic: str,
        poll_seconds: float, clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._sessions = sessions
        self._read_sessions = read_sessions
        self._topic = topic
        self._min_gap = timedelta(seconds=poll_seconds / 2)
        self._clock = clock
        self._exported: set[tuple[str, str]] = set()

    async def work_once(self) -> bool:
        await evaluate(self._sessions, self._read_sessions, topic=self._topic, now=self._clock(), min_gap=self._min_gap)
        async with self._read_sessions() as session:
            self._exported = export(await breached_flags(session), self._exported)
        return False

    async def stop(self, timeout: float = DEFAULT_STOP_SECONDS) -> bool:
        """Stop, and withdraw this process's gauge values (another replica exports its own)."""
        stopped = await super().stop(timeout)
        self._exported = export({}, self._exported)
        return stopped
