"""``sla.warning`` and ``sla.breached``: each once per ticket, metric and due time.

Timers about to fall due (within the warning lead) or fallen due, without a notice of that kind for
their current ``due_at``, are selected (skipping rows another replica holds); a notice row keyed by
(ticket, metric, due_at, kind) is inserted unless it exists, and only the inserted ones get their
outbox row, in the same transaction. Two workers, a rerun after a crash or a restart therefore
publish each once; a new due time (a pause, a new policy) is a new notice.

In the same transaction the worker counts the timers it sees fallen due (running or paused past
``due_at``) in ``kpi_sla_aggregates``: one measured, unmet, at ``due_at`` (sla/counting.py). The
count is kept on the timer row and changed under the row's lock (skipped by other replicas, waited
for by the consumer), so each timer is counted once for its due time, across replicas and restarts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.bus import outbox
from csq_common.db import transaction, utcnow
from csq_common.events import SlaBreached, SlaWarning, make_event
from csq_common.sql import insert_unless_exist, skip_locked, transaction_lock
from csq_common.worker import PollingWorker
from kpi_svc.sla.counting import counted, counter_batch, replace_counted
from kpi_svc.sla.models import BREACH, MISSED, PAUSED, RUNNING, TIMERS_LOCK, WARNING, SlaNotice, SlaTimer

log = structlog.get_logger(__name__)
SOURCE = "kpi-svc"
_EVENT_IDS = uuid.UUID("6c1f1f3e-3d59-4b8e-9a0e-5a1c7d1e5f00")


def notice_key(ticket_id: str, metric: str, due_at: datetime, kind: str) -> str:
    return f"{ticket_id}|{metric}|{due_at.isoformat()}|{kind}"


def _pending(kind: str):
    return ~exists().where(
        and_(SlaNotice.ticket_id == SlaTimer.ticket_id, SlaNotice.metric == SlaTimer.metric, SlaNotice.due_at == SlaTimer.due_at, SlaNotice.kind == kind)
    )


async def publish_notices(session: AsyncSession, *, topic: str, now: datetime, warning_before: timedelta, limit: int) -> int:
    """Stage the breaches and warnings due at ``now`` (up to ``limit`` of each); how many timers were
    looked at (``limit`` of either means more may be waiting)."""
    breached = select(SlaTimer).where(SlaTimer.state.in_((RUNNING, PAUSED, MISSED)), SlaTimer.due_at <= now, _pending(BREACH))
    warned = select(SlaTimer).where(
        SlaTimer.state == RUNNING, SlaTimer.due_at > now, SlaTimer.due_at <= now + warning_before, _pending(WARNING)
    )
    looked_at = 0
    for kind, statement in ((BREACH, breached), (WARNING, warned)):
        timers = list((await session.execute(skip_locked(statement.order_by(SlaTimer.due_at).limit(limit)))).scalars())
        looked_at = max(looked_at, len(timers))
        if not timers:
            continue
        keys = {notice_key(t.ticket_id, t.metric, t.due_at, kind): t for t in timers}
        claimed = await insert_unless_exist(
            session, SlaNotice.__table__,
            [{"notice_key": key, "ticket_id": t.ticket_id, "metric": t.metric, "due_at": t.due_at, "kind": kind, "published_at": now}
             for key, t in keys.items()],
            key="notice_key",
        )
        for key, timer in keys.items():
            if key not in claimed:
                continue
            model = SlaBreached if kind == BREACH else SlaWarning
            at = timer.due_at if kind == BREACH else max(timer.due_at - warning_before, timer.started_at)
            data = model(
                ticket_id=timer.ticket_id, policy_id=timer.policy_id, metric=timer.metric, priority=timer.priority,
                team_id=timer.team_id, agent_id=timer.agent_id, due_at=timer.due_at, at=at, business_hours=timer.business_hours,
            )
            event = make_event(data, source=SOURCE, subject=timer.ticket_id, time=at, event_id=str(uuid.uuid5(_EVENT_IDS, key)))
            await outbox.add(session, event, topic=topic, key=timer.ticket_id)
            log.info(f"sla.{kind}", ticket_id=timer.ticket_id, metric=timer.metric, due_at=timer.due_at.isoformat())
    return looked_at


async def count_fallen_due(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Count (up to ``limit``) running or paused timers past due at ``now`` that are not counted for
    their due time yet; how many were counted (``limit``: more may be waiting)."""
    await transaction_lock(session, TIMERS_LOCK, shared=True)  # no deadlock with a policy's refresh
    statement = select(SlaTimer).where(
        SlaTimer.state.in_((RUNNING, PAUSED)), SlaTimer.due_at <= now,
        or_(SlaTimer.counted_at.is_(None), SlaTimer.counted_at != SlaTimer.due_at, SlaTimer.counted_met.is_not(False)),
    )
    timers = list((await session.execute(skip_locked(statement.order_by(SlaTimer.due_at).limit(limit)))).scalars())
    batch = counter_batch()
    for timer in timers:
        before = None if timer.counted_at is None else (timer.counted_at, bool(timer.counted_met))
        after = counted(timer.state, timer.due_at, timer.stopped_at, now=now, before=before)
        if after == before:
            continue
        dims = (timer.team_id, timer.agent_id, timer.channel)
        replace_counted(batch, timer.metric, dims, before, dims, after)
        timer.counted_at, timer.counted_met = after if after is not None else (None, None)
    await batch.write(session)
    return len(timers)


class SlaNoticeWorker(PollingWorker):
    name = "sla_notice_worker"

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, topic: str, poll_seconds: float, warning_before: timedelta,
        batch_size: int, clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._sessions = sessions
        self._topic = topic
        self._warning_before = warning_before
        self._batch_size = batch_size
        self._clock = clock

    async def work_once(self) -> bool:
        async with transaction(self._sessions) as session:
            now = self._clock()
            count = await publish_notices(
                session, topic=self._topic, now=now, warning_before=self._warning_before, limit=self._batch_size
            )
            counted = await count_fallen_due(session, now=now, limit=self._batch_size)
        return max(count, counted) >= self._batch_size
