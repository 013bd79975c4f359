"""aggregates.pack on SQLite and PostgreSQL: packing the 15-minute rows of past days into their day
rows changes no read. The same events go into two databases in the same batches, and one of them
has its days packed, before and after late events for those days; every grouped read (a zone with a
45-minute offset, by day and by hour, every grouping, some filters), the summary and the canonical
dump of the rebuild comparison are the same in both."""

import random
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory
from csq_testing import fresh_database
from kpi_svc.aggregates.models import TicketAggregate
from kpi_svc.aggregates.buckets import DAY, floor_to
from kpi_svc.aggregates.pack import PackWorker, pack_next_day
from kpi_svc.aggregates.rollup import fold_pending
from kpi_svc.consumers import handle_events
from kpi_svc.kpis.service import KpiFilters, ticket_summary
from kpi_svc.main import SERVICE_ROOT
from kpi_svc.read import zones
from kpi_svc.read.grouped import TICKETS, Selection, read_cells, values_of
from kpi_svc.rebuild.compare import pending_folded, ticket_rows
from tests.aggregates.test_layout_migration import migrate
from tests.factories import generate

T = datetime.fromisoformat
ZONE = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
SKETCHES = ("frt_sketch", "resolution_sketch")
CUT_OFF = T("2026-11-23T00:00:00+00:00")  # the days before it are over
SELECTIONS = [
    Selection(),
    Selection("agent_id"),
    Selection("team_id"),
    Selection("channel"),
    Selection("agent_id", team_id="billing"),
    Selection("channel", agent_id="A-1"),
    Selection(None, team_id="billing", channel="chat"),
]
FILTERS = [KpiFilters(), KpiFilters(team_id="billing"), KpiFilters(agent_id="A-1"), KpiFilters(channel="chat", agent_id="A-2")]


def bounds_to_read() -> list[list[datetime]]:
    days = zones.boundaries(T("2026-11-20T00:00:00+05:45"), T("2026-11-25T00:00:00+05:45"), zones.DAY, ZONE, max_buckets=10)
    hours = zones.boundaries(T("2026-11-21T00:00:00+05:45"), T("2026-11-22T00:00:00+05:45"), zones.HOUR, ZONE, max_buckets=30)
    # the last: packed 15-minute cells added, December less its last three days subtracted
    return [days, hours, [T("2026-11-20T22:45:00+00:00"), T("2026-11-24T01:15:00+00:00")], [T("2026-11-20T22:45:00+00:00"), T("2026-12-29T00:00:00+00:00")]]


async def reads(sessions) -> dict:
    """Every read's values, and the canonical dump (sketches as merged bins)."""
    seen: dict = {}
    async with sessions() as session:
        for number, bounds in enumerate(bounds_to_read()):
            for selection in SELECTIONS:
                cells = await read_cells(session, TICKETS, selection, bounds, SKETCHES)
                for (key, bucket), cell in cells.items():
                    merged = [tuple(map(tuple, cell.merged(index))) for index in range(len(SKETCHES))]
                    seen[(number, selection, key, bucket)] = (cell.counters, merged, values_of(TICKETS, cell, SKETCHES))
        for filters in FILTERS:
            summary = await ticket_summary(session, start=T("2026-11-20T22:45:00+00:00"), end=T("2026-11-24T01:15:00+00:00"), filters=filters)
            seen[("summary", filters)] = summary.values
        seen["dump"] = await ticket_rows(session, T("2026-11-01T00:00:00+00:00"), T("2026-12-01T00:00:00+00:00"), await pending_folded(session))
    return seen


async def apply(sessions, events: list, rng: random.Random) -> None:
    for position in range(0, len(events), 400):
        async with sessions() as session:
            await handle_events(session, events[position : position + 400])
            await session.commit()
        async with sessions() as session:
            await fold_pending(session, limit=rng.randrange(200, 3000))  # some deltas stay pending
            await session.commit()


async def pack_all(sessions, rows_per_chunk: int = 50_000) -> int:
    packed = 0
    while True:
        async with sessions() as session:
            rows = await pack_next_day(session, before=CUT_OFF, rows_per_chunk=rows_per_chunk)
            await session.commit()
        if not rows:
            return packed
        packed += rows


async def quarter_rows(sessions, before: bool) -> int:
    table = TicketAggregate.__table__
    side = table.c.bucket_start < CUT_OFF if before else table.c.bucket_start >= CUT_OFF
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(table).where(table.c.resolution == "q15", side))


async def test_packed_days_read_exactly_as_their_15_minute_rows(sessions, db_backend, tmp_path):
    history = generate(random.Random(17), 360, origin=T("2026-11-20T20:00:00+00:00")).events
    first = [e for e in history if int(e.subject.split("-")[1]) < 240]
    late = [e for e in history if int(e.subject.split("-")[1]) >= 240]
    async with fresh_database(db_backend, tmp_path) as url:
        engine = create_engine(url)
        try:
            await upgrade_to_head(engine, SERVICE_ROOT)
            twin = session_factory(engine)  # never packed
            for target in (sessions, twin):
                await apply(target, list(first), random.Random(3))
            before = await reads(twin)
            assert before == await reads(sessions)
            assert await quarter_rows(sessions, before=True) > 0

            async with sessions() as session:  # a team's day holds more than a chunk: packed agent by agent
                table = TicketAggregate.__table__
                stamps = await session.execute(
                    select(table.c.team_id, table.c.bucket_start).where(table.c.resolution == "q15", table.c.bucket_start < CUT_OFF)
                )
                per_team_day = Counter((team, floor_to(at, DAY)) for team, at in stamps)
            assert max(count for (team, _), count in per_team_day.items() if team != "*") > 30
            assert await pack_all(sessions, rows_per_chunk=30) > 0  # a few teams' rows, or one team's agents, at a time
            assert await quarter_rows(sessions, before=True) == 0
            assert await quarter_rows(sessions, before=False) == await quarter_rows(twin, before=False) > 0  # days not over stay rows
            assert await reads(sessions) == before

            for target in (sessions, twin):  # late events for the packed days: 15-minute rows beside the packed cells
                await apply(target, list(late), random.Random(4))
            after = await reads(twin)
            assert after != before
            assert await quarter_rows(sessions, before=True) > 0
            assert await reads(sessions) == after
            assert await pack_all(sessions) > 0  # packed into the cells already there
            assert await reads(sessions) == after
        finally:
            await engine.dispose()


async def test_nothing_is_packed_before_its_day_is_over(sessions):
    async with sessions() as session:
        await handle_events(session, generate(random.Random(2), 40, origin=T("2026-11-20T20:00:00+00:00")).events)
        await fold_pending(session, limit=100_000)
        await session.commit()
    async with sessions() as session:
        assert await pack_next_day(session, before=T("2026-11-20T00:00:00+00:00")) == 0
        assert await pack_next_day(session, before=T("2026-11-20T23:59:00+00:00")) == 0  # not a whole day before it


async def test_the_pack_worker_packs_a_day_a_round_and_shows_how_far_behind_it_is(sessions):
    async with sessions() as session:
        await handle_events(session, generate(random.Random(5), 300, origin=T("2026-11-20T20:00:00+00:00")).events)
        await fold_pending(session, limit=100_000)
        await session.commit()
    table = TicketAggregate.__table__
    async with sessions() as session:
        starts = await session.scalars(select(table.c.bucket_start).where(table.c.resolution == "q15", table.c.bucket_start < CUT_OFF))
        days = sorted({floor_to(start, DAY) for start in starts})
    assert len(days) >= 2
    today = floor_to(datetime.now(timezone.utc), DAY)
    worker = PackWorker(sessions, poll_seconds=60, after=today - CUT_OFF)  # its cut-off is CUT_OFF
    for next_day in [*days[1:], None]:
        assert await worker.work_once() is True
        expected = 0 if next_day is None else (CUT_OFF - next_day).days * 86400
        assert REGISTRY.get_sample_value("csq_kpi_pack_backlog_seconds") == expected
    assert await worker.work_once() is False
    assert await quarter_rows(sessions, before=True) == 0 and await quarter_rows(sessions, before=False) > 0


async def test_a_downgrade_past_packing_is_refused_once_a_day_is_packed(database_url):
    engine = create_engine(database_url)
    try:
        await migrate(engine, "head")
        sessions = session_factory(engine)
        async with sessions() as session:
            await handle_events(session, generate(random.Random(9), 30, origin=T("2026-11-20T20:00:00+00:00")).events)
            await fold_pending(session, limit=100_000)
            await session.commit()
        assert await pack_all(sessions) > 0
        with pytest.raises(RuntimeError, match="packed 15-minute cells"):
            await migrate(engine, "0012", down=True)
    finally:
        await engine.dispose()


def test_chunks_hold_about_so_many_rows_and_at_most_so_many_names():
    from kpi_svc.aggregates.pack import _chunks

    counted = [("坐席-甲", 20), ("坐席-乙", 15), ("A-3", 70), ("A-4", 5), ("A-5", 5), ("A-6", 5), ("A-7", 1)]
    assert _chunks(counted, 40, 10) == [["坐席-甲", "坐席-乙"], ["A-3"], ["A-4", "A-5", "A-6", "A-7"]]
    assert _chunks(counted, 40, 2) == [["坐席-甲", "坐席-乙"], ["A-3"], ["A-4", "A-5"], ["A-6", "A-7"]]
    assert _chunks([], 40, 2) == []
