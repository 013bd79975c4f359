"""The migrations build exactly the tables the models declare, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import Base, create_engine
from kpi_svc import models  # noqa: F401  (registers every table on Base.metadata)
from kpi_svc.main import SERVICE_ROOT


async def test_alembic_head_matches_the_models(database_url):
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, SERVICE_ROOT)
        async with engine.connect() as connection:

            def differences(sync_connection):
                context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
                return compare_metadata(context, Base.metadata)

            def tables(sync_connection):
                return set(inspect(sync_connection).get_table_names())

            assert await connection.run_sync(differences) == []
            names = await connection.run_sync(tables)
    finally:
        await engine.dispose()
    assert "kpi_ticket_aggregates" in names and "kpi_sketch_bins" not in names
