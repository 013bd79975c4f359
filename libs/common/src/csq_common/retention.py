"""Retention: rows of tables that grow with traffic go (or lose their content) once old enough.

Each service starts one :class:`RetentionWorker` with its own rules (docs/architecture.md
"Privacy"): the inbox of every service, feedback-svc's webhook receipts, notify-svc's delivered
email bodies. A rule either deletes the rows whose age column is older than its period, or
(``clear``) sets the given columns of those rows, e.g. to drop a message body but keep the log
line. Work goes in bounded batches, each its own transaction, so a large backlog never holds the
write lock for long. Plain SQLAlchemy Core: the same statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from fastapi import FastAPI
from prometheus_client import Counter
from sqlalchemy import ColumnElement, Table, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.bus.models import InboxMessage
from csq_common.db import transaction, utcnow
from csq_common.worker import PollingWorker

log = structlog.get_logger(__name__)

RETAINED_ROWS = Counter(
    "csq_retention_rows_total", "Rows the retention worker deleted or cleared, by table", ["table", "action"]
)


@dataclass(frozen=True)
class RetentionRule:
    """Rows of ``table`` whose ``age_column`` is older than ``keep`` are deleted, or, when
    ``clear`` is given, have those columns set (``pending`` must then tell the rows not cleared
    yet, so a cleared row is not visited again)."""

    table: Table
    age_column: str
    keep: timedelta
    clear: dict[str, Any] | None = None
    pending: Callable[[Table], ColumnElement[bool]] | None = None
    name: str = field(default="")

    @property
    def label(self) -> str:
        return self.name or self.table.name

    def _due(self, now: datetime) -> ColumnElement[bool]:
        condition = self.table.c[self.age_column] < now - self.keep
        if self.pending is not None:
            condition = condition & self.pending(self.table)
        return condition

    async def apply(self, session: AsyncSession, *, now: datetime, limit: int) -> int:
        """Delete or clear up to ``limit`` due rows on ``session`` (no commit); how many."""
        key = tuple_(*self.table.primary_key.columns)
        due = select(*self.table.primary_key.columns).where(self._due(now)).limit(limit)
        if self.clear is None:
            statement = delete(self.table).where(key.in_(due))
        else:
            statement = update(self.table).where(key.in_(due)).values(**self.clear)
        result = await session.execute(statement.execution_options(synchronize_session=False))
        count = max(result.rowcount or 0, 0)
        if count:
            RETAINED_ROWS.labels(table=self.label, action="deleted" if self.clear is None else "cleared").inc(count)
        return count


def inbox_rule(days: float) -> RetentionRule:
    """The inbox of every service: an event id older than ``days`` is forgotten. A redelivery of
    an event that old (a topic replayed from its beginning) is then applied again: the period must
    exceed the broker's retention for replays to stay harmless."""
    return RetentionRule(InboxMessage.__table__, "received_at", timedelta(days=days), name="inbox")


def inbox_rules(app: FastAPI) -> list[RetentionRule]:
    """The rules of a service whose only table that grows with traffic is its inbox."""
    return [inbox_rule(app.state.settings.retention_inbox_days)]


class RetentionWorker(PollingWorker):
    """Applies ``rules`` every ``poll_seconds``, ``batch_size`` rows per rule and transaction,
    until nothing is due."""

    name = "retention"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        rules: list[RetentionRule],
        *,
        poll_seconds: float = 3600.0,
        batch_size: int = 1000,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds, max_backoff_seconds=60.0)
        self._sessions = sessions
        self._rules = list(rules)
        self._batch_size = batch_size
        self._clock = clock

    async def work_once(self) -> bool:
        """One batch per rule; True while some rule filled its batch (more is due at once)."""
        more = False
        now = self._clock()
        for rule in self._rules:
            async with transaction(self._sessions) as session:
                count = await rule.apply(session, now=now, limit=self._batch_size)
            if count:
                log.info("retention.applied", table=rule.label, rows=count)
            more = more or count >= self._batch_size
        return more

    async def run_until_done(self) -> None:
        """Every due row at once (tests, an operator's one-off run)."""
        while await self.work_once():
            pass


def retention_lifespan(
    rules: Callable[[FastAPI], list[RetentionRule]],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """An ``extra_lifespan`` for ``create_service_app``: a retention worker over ``rules(app)``,
    started once the engine exists and stopped before it is disposed. The period between runs is
    the service's ``retention_poll_seconds`` setting."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings = app.state.settings
        worker = RetentionWorker(
            app.state.sessions, rules(app), poll_seconds=settings.retention_poll_seconds,
            batch_size=settings.retention_batch_size,
        )
        worker.start()
        app.state.retention = worker
        try:
            yield
        finally:
            await worker.stop()

    return lifespan


def chain_lifespans(
    *lifespans: Callable[[FastAPI], AbstractAsyncContextManager[None]],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Several ``extra_lifespan``s as one: entered in order, left in reverse."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with AsyncExitStack() as stack:
            for each in lifespans:
                await stack.enter_async_context(each(app))
            yield

    return lifespan
