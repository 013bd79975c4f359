"""The rebuild command: a fresh database (migrated, empty), the live database's configuration
copied into it (business calendars and SLA policies are set through the API, not events), every
topic kpi-svc consumes replayed into it (``replay``), the roll-up run until nothing is pending,
then every KPI compared with the live database (``compare``). Exit code 0 when identical, 1 with
the differences printed, 2 when it cannot run (the target is not fresh, or is the live database).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.bus.migration import upgrade_to_head
from csq_common.bus.models import InboxMessage
from csq_common.db import create_engine, session_factory, transaction, utcnow
from csq_common.settings import load_settings
from kpi_svc.aggregates.models import SurveyAggregate, TicketAggregate, TicketDelta, TicketQuarters
from kpi_svc.aggregates.rollup import fold_pending
from kpi_svc.calendars.models import BusinessCalendar, CalendarTeam
from kpi_svc.consumers import consumers
from kpi_svc.main import SERVICE_ROOT
from kpi_svc.rebuild.compare import Comparison, compare
from kpi_svc.rebuild.replay import Progress, replay_spec
from kpi_svc.settings import Settings
from kpi_svc.sla.models import SlaPolicy
from kpi_svc.sla.notices import count_fallen_due

#: Configuration the handler reads, copied from the live database (parents first).
CONFIGURATION = (BusinessCalendar.__table__, CalendarTeam.__table__, SlaPolicy.__table__)
#: Tables that must be empty in the target: it must be fresh.
COUNTED = (InboxMessage.__table__, TicketAggregate.__table__, TicketDelta.__table__, TicketQuarters.__table__, SurveyAggregate.__table__)
#: Differences printed at most (the count is always printed).
SHOWN = 200


class CannotRebuild(Exception):
    pass


async def check_fresh(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        for table in COUNTED:
            if await session.scalar(select(func.count()).select_from(table)):
                raise CannotRebuild(f"the target database is not fresh: {table.name} has rows")


async def copy_configuration(live: async_sessionmaker[AsyncSession], fresh: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    copied = {}
    async with live() as source, transaction(fresh) as target:
        for table in CONFIGURATION:
            rows = [dict(row._mapping) for row in (await source.execute(select(table))).all()]
            if rows:
                await target.execute(insert(table), rows)
            copied[table.name] = len(rows)
    return copied


async def roll_up(sessions: async_sessionmaker[AsyncSession], limit: int = 20_000) -> int:
    """Fold every pending delta into the aggregates; how many were folded."""
    folded = 0
    while True:
        async with transaction(sessions) as session:
            moved = await fold_pending(session, limit=limit)
        folded += moved
        if moved < limit:
            return folded


def report(comparison: Comparison, out: Callable[[str], None]) -> int:
    if comparison.window is None:
        out("identical: neither database holds any KPI data")
        return 0
    start, end = (moment.isoformat() for moment in comparison.window)
    if not comparison.differences:
        out(f"identical: {comparison.kpis} KPI values and {comparison.rows} aggregate rows over [{start}, {end})")
        return 0
    out(f"DIFFERENT: {len(comparison.differences)} differences among {comparison.kpis} KPI values and "
        f"{comparison.rows} aggregate rows over [{start}, {end})")
    for difference in comparison.differences[:SHOWN]:
        out(f"  {difference}")
    if len(comparison.differences) > SHOWN:
        out(f"  … and {len(comparison.differences) - SHOWN} more")
    return 1


async def rebuild(
    settings: Settings, *, database_url: str, live_database_url: str, batch_size: int = 2000,
    out: Callable[[str], None] = print, now: datetime | None = None,
) -> int:
    """Run the whole rebuild (see the module's docstring); the exit code."""
    if database_url == live_database_url:
        out("cannot rebuild: the target database is the live database")
        return 2
    fresh_engine = create_engine(database_url)
    live_engine = create_engine(live_database_url, read_only=True)
    try:
        await upgrade_to_head(fresh_engine, SERVICE_ROOT)
        fresh, live = session_factory(fresh_engine), session_factory(live_engine)
        await check_fresh(fresh)
        copied = await copy_configuration(live, fresh)
        out("configuration copied: " + ", ".join(f"{name} {count}" for name, count in copied.items()))

        def progress(state: Progress) -> None:
            out(state.line())

        for spec in consumers(settings):
            await replay_spec(spec, settings, fresh, batch_size=batch_size, report=progress)
        out(f"roll-up: {await roll_up(fresh)} deltas folded")
        now = now or utcnow()
        out(f"SLA timers fallen due: {await count_all_fallen_due(fresh, now)} counted")
        async with live() as live_session, fresh() as fresh_session:
            comparison = await compare(live_session, fresh_session, now)
        return report(comparison, out)
    except CannotRebuild as exc:
        out(f"cannot rebuild: {exc}")
        return 2
    finally:
        await fresh_engine.dispose()
        await live_engine.dispose()


async def count_all_fallen_due(sessions, now: datetime, chunk: int = 1000) -> int:
    """Count the rebuilt timers past due at ``now``, as the live notice worker has (sla/notices.py)."""
    total = 0
    while True:
        async with transaction(sessions) as session:
            counted = await count_fallen_due(session, now=now, limit=chunk)
        total += counted
        if counted < chunk:
            return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kpi_svc.rebuild",
        description="Replay kpi-svc's topics into a fresh database and compare every KPI with the live one.",
    )
    parser.add_argument("--database-url", required=True, help="the fresh database to rebuild into (created by the migrations)")
    parser.add_argument("--live-database-url", help="the live database (default: KPI_DATABASE_URL)")
    parser.add_argument("--batch-size", type=int, default=2000, help="records per transaction (default 2000)")
    args = parser.parse_args(argv)
    settings = load_settings(Settings)
    return asyncio.run(
        rebuild(
            settings, database_url=args.database_url, live_database_url=args.live_database_url or settings.database_url,
            batch_size=args.batch_size, out=lambda line: print(line, flush=True),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
