"""The migrations build exactly the tables the models declare, on both backends; each test's database
starts from them."""

from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text

from csq_common.bus.migration import alembic_config
from csq_common.bus.models import InboxMessage
from csq_common.db import create_engine
from csq_testing import migrated_database, migration_differences
from kpi_svc import models  # noqa: F401  (registers every table on Base.metadata)
from kpi_svc.main import SERVICE_ROOT


async def test_alembic_head_matches_the_models(empty_database_url):
    differences, names = await migration_differences(empty_database_url, SERVICE_ROOT)
    assert differences == []
    assert "kpi_ticket_aggregates" in names and "kpi_sketch_bins" not in names


async def test_each_test_database_is_a_copy_of_its_own_at_head(database_url, db_backend, tmp_path):
    """``database_url`` comes at alembic head (a copy of a template migrated once, csq_testing), and
    what a test writes in its copy is in no other copy."""
    head = ScriptDirectory.from_config(alembic_config(SERVICE_ROOT, database_url)).get_current_head()
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            assert (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == head
            await connection.execute(
                insert(InboxMessage.__table__).values(consumer_group="g", event_id="e-1", event_type="ticket.closed", topic="t")
            )
    finally:
        await engine.dispose()
    async with migrated_database(db_backend, tmp_path, SERVICE_ROOT) as other_url:
        other = create_engine(other_url)
        try:
            async with other.connect() as connection:
                assert (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == head
                assert (await connection.execute(select(func.count()).select_from(InboxMessage.__table__))).scalar_one() == 0
        finally:
            await other.dispose()
