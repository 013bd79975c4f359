"""Migration 0010 counts the timers stored before it (met, missed, fallen due by the upgrade),
so the SLA percentages of data kept from before the upgrade do not drop to nothing."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import command

from csq_common.bus.migration import alembic_config
from csq_common.db import UtcDateTime, create_engine, session_factory
from kpi_svc.kpis.service import KpiFilters, kpi_summary
from kpi_svc.main import SERVICE_ROOT

T0 = datetime.fromisoformat("2026-11-18T02:00:00+00:00")
TIMERS = sa.table(
    "kpi_sla_timers", *(sa.column(name) for name in ("ticket_id", "metric", "policy_id", "priority", "team_id", "agent_id", "channel",
                                                    "business_hours", "target_seconds", "state")),
    sa.column("started_at", UtcDateTime()), sa.column("due_at", UtcDateTime()), sa.column("stopped_at", UtcDateTime()),
)


def timer(ticket_id: str, metric: str, state: str, due_at=None, stopped_at=None, agent="坐席-甲") -> dict:
    return {
        "ticket_id": ticket_id, "metric": metric, "policy_id": "P-1", "priority": "normal", "team_id": "售后一组", "agent_id": agent,
        "channel": "chat", "business_hours": False, "target_seconds": 3600, "state": state, "started_at": T0, "due_at": due_at,
        "stopped_at": stopped_at,
    }


async def upgrade(engine, revision: str) -> None:
    config = alembic_config(SERVICE_ROOT, engine.url.render_as_string(hide_password=False))

    def run(connection):
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()


async def test_the_migration_counts_the_timers_already_stored(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        await upgrade(engine, "0009")
        async with engine.begin() as connection:
            await connection.execute(TIMERS.insert(), [
                timer("T-met", "first_response", "met", stopped_at=T0 + timedelta(minutes=30)),
                timer("T-late", "resolution", "missed", due_at=T0 + timedelta(hours=4), stopped_at=T0 + timedelta(hours=5)),
                timer("T-due", "first_response", "running", due_at=T0 + timedelta(hours=1), agent="坐席-乙"),
                timer("T-future", "first_response", "running", due_at=datetime.fromisoformat("2100-01-01T00:00:00+00:00")),
                timer("T-gone", "first_response", "cancelled"),
            ])
        await upgrade(engine, "head")
        async with session_factory(engine)() as session:
            summary = await kpi_summary(session, start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))
            mine = await kpi_summary(session, start=T0 - timedelta(days=1), end=T0 + timedelta(days=1),
                                     filters=KpiFilters(agent_id="坐席-甲", channel="chat"))
            counted = dict((await session.execute(sa.text("SELECT ticket_id, counted_met FROM kpi_sla_timers"))).all())
    finally:
        await engine.dispose()
    assert (summary.values["sla_frt_pct"], summary.counts["sla_frt_pct"]) == (50.0, 2)
    assert (summary.values["sla_resolution_pct"], summary.counts["sla_resolution_pct"]) == (0.0, 1)
    assert (mine.values["sla_frt_pct"], mine.counts["sla_frt_pct"]) == (100.0, 1)
    assert {key: None if value is None else bool(value) for key, value in counted.items()} == {
        "T-met": True, "T-late": False, "T-due": False, "T-future": None, "T-gone": None
    }
