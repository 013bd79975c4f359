import pytest

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, session_factory
from survey_svc.main import SERVICE_ROOT
from survey_svc.settings import Settings


@pytest.fixture
async def sessions(database_url):
    """Sessions on a database brought to ``alembic upgrade head``, without the app (no scheduler
    or consumer running beside the test, which drives time itself)."""
    engine = create_engine(database_url)
    await upgrade_to_head(engine, SERVICE_ROOT)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def svc_settings(database_url) -> Settings:
    return Settings(environment="development", database_url=database_url, public_base_url="https://survey.example.com")
