"""``audit.action_overdue``: once per corrective action and due date.

Open actions past their due date without a notice for that date are selected (skipping rows
another replica holds), and for each a notice row keyed by (action, due date) is inserted unless
it exists; only the inserted ones get their outbox row, in the same transaction. So two workers,
a rerun after a crash, or a restart publish each (action, due date) once; a new due date that
passes is a new notice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.bus import outbox
from csq_common.db import transaction, utcnow
from csq_common.sql import insert_unless_exist
from csq_common.events import ActionOverdue, make_event
from csq_common.worker import PollingWorker
from audit_svc.findings.models import ACTION_OPEN, CorrectiveAction, Finding, OverdueNotice
from audit_svc.findings.service import SOURCE, event_id

log = structlog.get_logger(__name__)


def notice_key(action_id: str, due_at: datetime) -> str:
    return f"{action_id}/{due_at.isoformat()}"


async def publish_overdue(session: AsyncSession, *, topic: str, now: datetime, limit: int) -> int:
    """Stage ``audit.action_overdue`` for up to ``limit`` newly overdue actions; how many were
    looked at (``limit`` means more may be waiting)."""
    notified = exists().where(and_(OverdueNotice.action_id == CorrectiveAction.id, OverdueNotice.due_at == CorrectiveAction.due_at))
    rows = (
        await session.execute(
            select(CorrectiveAction, Finding.team_id)
            .join(Finding, Finding.id == CorrectiveAction.finding_id)
            .where(CorrectiveAction.status == ACTION_OPEN, CorrectiveAction.due_at <= now, ~notified)
            .order_by(CorrectiveAction.due_at, CorrectiveAction.id)
            .limit(limit)
            .with_for_update(of=CorrectiveAction, skip_locked=True)
        )
    ).all()
    if not rows:
        return 0
    claimed = await insert_unless_exist(
        session,
        OverdueNotice.__table__,
        [{"notice_key": notice_key(action.id, action.due_at), "action_id": action.id, "due_at": action.due_at, "notified_at": now} for action, _ in rows],
        key="notice_key",
    )
    for action, team_id in rows:
        key = notice_key(action.id, action.due_at)
        if key not in claimed:
            continue
        data = ActionOverdue(action_id=action.id, finding_id=action.finding_id, owner_id=action.owner_id, due_at=action.due_at, team_id=team_id)
        event = make_event(data, source=SOURCE, subject=action.id, time=now, event_id=event_id(key, "overdue"))
        await outbox.add(session, event, topic=topic, key=action.id)
        log.info("action.overdue", action_id=action.id, due_at=action.due_at.isoformat())
    return len(rows)


class OverdueWorker(PollingWorker):
    name = "overdue_worker"

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, topic: str, poll_seconds: float, batch_size: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self._sessions = sessions
        self._topic = topic
        self._batch_size = batch_size
        self._clock = clock

    async def work_once(self) -> bool:
        async with transaction(self._sessions) as session:
            count = await publish_overdue(session, topic=self._topic, now=self._clock(), limit=self._batch_size)
        return count >= self._batch_size
