import pytest

from csq_common.db import create_engine, session_factory
from csq_testing import app_client, service_settings
from audit_svc.main import SERVICE_ROOT, create_app
from audit_svc.settings import Settings


@pytest.fixture
def service_root():
    """Every test's ``database_url`` starts at this service's alembic head (csq_testing)."""
    return SERVICE_ROOT


@pytest.fixture
def settings(database_url, broker, topic_prefix) -> Settings:
    return service_settings(Settings, database_url=database_url, broker=broker, topic_prefix=topic_prefix)


@pytest.fixture
async def client(settings):
    async with app_client(create_app, settings) as http:
        yield http


@pytest.fixture
async def sessions(database_url):
    """Sessions on the test's database, already at ``alembic upgrade head``, without the app (no
    worker or consumer running beside the test, which drives time itself)."""
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()
