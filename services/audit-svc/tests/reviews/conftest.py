import pytest

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory
from audit_svc.main import SERVICE_ROOT

TOPIC = "test.audits"


@pytest.fixture
async def sessions(database_url):
    """Sessions on a database brought to ``alembic upgrade head``, without the app: for service
    functions driven directly (many generated reviews, time set by the test)."""
    engine = create_engine(database_url)
    await upgrade_to_head(engine, SERVICE_ROOT)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()
