"""The ticket layout migration (0011): rows of the old layout (every grouping set at every
resolution) become exactly the rows the roll-up now writes, and back on downgrade."""

import random
from datetime import datetime, timezone

from sqlalchemy import delete, select

from csq_common.bus.migration import alembic_config
from csq_common.db import create_engine, session_factory
from csq_common.sql import add_to_counters
from alembic import command
from kpi_svc.aggregates import sketch
from kpi_svc.aggregates.dimensions import TICKET_SETS, UNIFORM
from kpi_svc.aggregates.models import COUNTER_COLUMNS, SKETCH_COLUMNS, TicketAggregate, TicketDelta
from kpi_svc.aggregates.rollup import KEY_COLUMNS, METRICS, BatchAggregate
from kpi_svc.consumers import handle_events
from kpi_svc.main import SERVICE_ROOT
from kpi_svc.rebuild.compare import ticket_rows
from tests.factories import generate

EVER = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))


async def migrate(engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(SERVICE_ROOT, str(engine.url.render_as_string(hide_password=False)))

    def run(connection):
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()


def canonical(batch: BatchAggregate) -> dict:
    return {
        row: (tuple(counters), *(tuple(sorted(batch.bins.get((row, metric), {}).items())) for metric in METRICS))
        for row, counters in batch.counters.items()
    }


async def test_the_layout_migration_converts_the_rows_both_ways(database_url):
    engine = create_engine(database_url)
    try:
        await migrate(engine, "0010")
        sessions = session_factory(engine)
        async with sessions() as session:
            await handle_events(session, generate(random.Random(31), 120).events)
            await session.commit()
        old, new = BatchAggregate(UNIFORM), BatchAggregate(TICKET_SETS)
        table = TicketDelta.__table__
        async with sessions() as session:  # the deltas folded as the previous roll-up did
            width = len(COUNTER_COLUMNS)
            for row in (await session.execute(select(table.c.bucket_start, table.c.team_id, table.c.agent_id, table.c.channel, *(table.c[n] for n in (*COUNTER_COLUMNS, *SKETCH_COLUMNS))))).all():
                for batch in (old, new):
                    batch.add_cell(*row[:4], row[4 : 4 + width], sketch.decode(row[4 + width]), sketch.decode(row[5 + width]))
            rows = [
                (*key, *counters, *(sketch.encode(old.bins.get((key, metric), {})) for metric in METRICS))
                for key, counters in sorted(old.counters.items())
            ]
            await add_to_counters(session, TicketAggregate.__table__, (*KEY_COLUMNS, *COUNTER_COLUMNS, *SKETCH_COLUMNS), rows, added=COUNTER_COLUMNS)
            await session.execute(delete(table))
            await session.commit()
            assert await ticket_rows(session, *EVER, BatchAggregate()) == canonical(old)
        assert any(key[0] == "q15" and key[3] == "*" for key in old.counters)

        await migrate(engine, "head")
        async with sessions() as session:
            assert await ticket_rows(session, *EVER, BatchAggregate()) == canonical(new)
        assert {key[0] for key in new.counters if key[3] != "*" and key[4] == "*"} == {"day", "month"}

        await migrate(engine, "0010", down=True)
        async with sessions() as session:
            assert await ticket_rows(session, *EVER, BatchAggregate()) == canonical(old)
    finally:
        await engine.dispose()
