"""The ticket layout migrations: rows of the first layout (every grouping set at every
resolution) become exactly the rows of 0011's layout (15-minute full rows, hour coarse rows),
then of 0013's (the roll-up's now: 15-minute rows of every set, no hours), and back on
downgrade."""

import random
from datetime import datetime, timezone

from sqlalchemy import delete, select

from csq_common.bus.migration import alembic_config
from csq_common.db import create_engine, session_factory
from csq_common.sql import add_to_counters
from alembic import command
from kpi_svc.aggregates import sketch
from kpi_svc.aggregates.buckets import DAY, HOUR, MONTH, Q15
from kpi_svc.aggregates.dimensions import COARSE_SETS, FULL, TEAM_AGENT, TICKET_SETS, UNIFORM
from kpi_svc.aggregates.models import COUNTER_COLUMNS, SKETCH_COLUMNS, TicketAggregate, TicketDelta
from kpi_svc.aggregates.rollup import KEY_COLUMNS, METRICS, BatchAggregate
from kpi_svc.consumers import handle_events
from kpi_svc.main import SERVICE_ROOT
from tests.factories import generate

#: The layout of revisions 0011 and 0012.
LAYOUT_0011 = {Q15: (FULL,), HOUR: COARSE_SETS, DAY: (FULL, TEAM_AGENT, *COARSE_SETS), MONTH: (FULL, TEAM_AGENT, *COARSE_SETS)}


async def migrate(engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(SERVICE_ROOT, str(engine.url.render_as_string(hide_password=False)))

    def run(connection):
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()


async def stored_rows(session) -> dict:
    """The stored rows as :func:`canonical` gives a BatchAggregate's (the columns every revision has)."""
    table = TicketAggregate.__table__
    width = len(COUNTER_COLUMNS)
    rows = await session.execute(select(*(table.c[name] for name in (*KEY_COLUMNS, *COUNTER_COLUMNS, *SKETCH_COLUMNS))))
    return {
        tuple(row[:5]): (tuple(row[5 : 5 + width]), *(tuple(sorted(sketch.decode(blob).items())) for blob in row[5 + width :]))
        for row in rows
    }


def canonical(batch: BatchAggregate) -> dict:
    return {
        row: (tuple(counters), *(tuple(sorted(batch.bins.get((row, metric), {}).items())) for metric in METRICS))
        for row, counters in batch.counters.items()
    }


async def test_the_layout_migrations_convert_the_rows_both_ways(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        # The deltas of today's consumer (whose tables are head's), taken out before going back to 0010.
        await migrate(engine, "head")
        sessions = session_factory(engine)
        table = TicketDelta.__table__
        async with sessions() as session:
            await handle_events(session, generate(random.Random(31), 120).events)
            await session.commit()
        async with sessions() as session:
            deltas = (await session.execute(select(table.c.bucket_start, table.c.team_id, table.c.agent_id, table.c.channel, *(table.c[n] for n in (*COUNTER_COLUMNS, *SKETCH_COLUMNS))))).all()
            await session.execute(delete(table))
            await session.commit()
        await migrate(engine, "0010", down=True)
        old, middle, new = BatchAggregate(UNIFORM), BatchAggregate(LAYOUT_0011), BatchAggregate(TICKET_SETS)
        async with sessions() as session:  # the deltas folded as the previous roll-up did
            width = len(COUNTER_COLUMNS)
            for row in deltas:
                for batch in (old, middle, new):
                    batch.add_cell(*row[:4], row[4 : 4 + width], sketch.decode(row[4 + width]), sketch.decode(row[5 + width]))
            rows = [
                (*key, *counters, *(sketch.encode(old.bins.get((key, metric), {})) for metric in METRICS))
                for key, counters in sorted(old.counters.items())
            ]
            await add_to_counters(session, TicketAggregate.__table__, (*KEY_COLUMNS, *COUNTER_COLUMNS, *SKETCH_COLUMNS), rows, added=COUNTER_COLUMNS)
            await session.commit()
            assert await stored_rows(session) == canonical(old)
        assert any(key[0] == "q15" and key[3] == "*" for key in old.counters)

        await migrate(engine, "0012")
        async with sessions() as session:
            assert await stored_rows(session) == canonical(middle)
        assert {key[0] for key in middle.counters if key[3] != "*" and key[4] == "*"} == {"day", "month"}
        assert not any(key[0] == "q15" and key[3] == "*" for key in middle.counters)

        await migrate(engine, "head")
        async with sessions() as session:
            assert await stored_rows(session) == canonical(new)
        assert not any(key[0] == "hour" for key in new.counters)
        assert any(key[0] == "q15" and key[2:] == ("*", "*", "*") for key in new.counters)

        await migrate(engine, "0012", down=True)
        async with sessions() as session:
            assert await stored_rows(session) == canonical(middle)
        await migrate(engine, "0010", down=True)
        async with sessions() as session:
            assert await stored_rows(session) == canonical(old)
    finally:
        await engine.dispose()
