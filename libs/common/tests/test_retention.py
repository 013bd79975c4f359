"""The retention worker: rows older than their rule's period go (or lose their content), recent
rows stay, on SQLite and PostgreSQL."""

from datetime import timedelta

from sqlalchemy import insert, select

from csq_common.bus.models import InboxMessage, OutboxMessage
from csq_common.db import utcnow
from csq_common.retention import RetentionRule, RetentionWorker, inbox_rule
from csq_common.settings import BaseServiceSettings
from csq_testing import wait_until

INBOX = InboxMessage.__table__
OUTBOX = OutboxMessage.__table__


async def _inbox_rows(sessions, received: dict[str, timedelta]) -> None:
    now = utcnow()
    async with sessions() as session:
        await session.execute(
            insert(INBOX),
            [
                {"consumer_group": "g", "event_id": event_id, "event_type": "t", "topic": "csq.t", "received_at": now - age}
                for event_id, age in received.items()
            ],
        )
        await session.commit()


async def test_old_inbox_rows_go_and_recent_ones_stay(sessions):
    await _inbox_rows(sessions, {"old-1": timedelta(days=31), "old-2": timedelta(days=400), "recent": timedelta(days=29)})
    worker = RetentionWorker(sessions, [inbox_rule(30)], batch_size=1)  # batches of one: the loop goes on until done
    await worker.run_until_done()
    async with sessions() as session:
        assert set((await session.execute(select(INBOX.c.event_id))).scalars()) == {"recent"}


async def test_a_clearing_rule_keeps_the_row_and_drops_the_columns(sessions):
    now = utcnow()
    async with sessions() as session:
        for event_id, age in (("old", timedelta(days=8)), ("recent", timedelta(days=6))):
            await session.execute(
                insert(OUTBOX).values(
                    event_id=event_id, topic="t", key="k", payload=b"secret body", created_at=now - age,
                    sent_at=now - age, attempts=0, last_error="secret error",
                )
            )
        await session.commit()
    rule = RetentionRule(
        OUTBOX, "sent_at", timedelta(days=7), clear={"last_error": None}, pending=lambda table: table.c.last_error.is_not(None)
    )
    assert await _apply(sessions, rule) == 1
    assert await _apply(sessions, rule) == 0  # a cleared row is not visited again
    async with sessions() as session:
        rows = {row.event_id: row.last_error for row in await session.execute(select(OUTBOX.c.event_id, OUTBOX.c.last_error))}
    assert rows == {"old": None, "recent": "secret error"}


async def test_the_worker_started_in_the_background_enforces_its_rules(sessions):
    await _inbox_rows(sessions, {"old": timedelta(days=2), "recent": timedelta(hours=1)})
    worker = RetentionWorker(sessions, [inbox_rule(1)], poll_seconds=0.05)
    worker.start()
    try:
        async def only_recent_left() -> bool:
            async with sessions() as session:
                return set((await session.execute(select(INBOX.c.event_id))).scalars()) == {"recent"}

        await wait_until(only_recent_left, timeout=10)
    finally:
        await worker.stop()


def test_retention_settings_are_read_with_the_service_prefix(monkeypatch):
    class Settings(BaseServiceSettings):
        model_config = {**BaseServiceSettings.model_config, "env_prefix": "DEMO_"}

    monkeypatch.setenv("CSQ_ENV", "development")
    monkeypatch.setenv("DEMO_RETENTION_INBOX_DAYS", "3")
    assert Settings().retention_inbox_days == 3
    assert BaseServiceSettings().retention_inbox_days == 30


async def _apply(sessions, rule) -> int:
    async with sessions() as session:
        count = await rule.apply(session, now=utcnow(), limit=100)
        await session.commit()
    return count

