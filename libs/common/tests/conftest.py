import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations

from csq_common.bus.migration import create_bus_tables
from csq_common.db import create_engine, session_factory


@pytest.fixture
async def engine(database_url):
    """A fresh database holding just the bus tables, created by the shared migration helper."""
    engine = create_engine(database_url)

    def migrate(connection):
        create_bus_tables(Operations(MigrationContext.configure(connection)))

    async with engine.begin() as connection:
        await connection.run_sync(migrate)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return session_factory(engine)
