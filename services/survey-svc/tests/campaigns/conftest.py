import pytest

from csq_common.db import create_engine, session_factory
from survey_svc.settings import Settings


@pytest.fixture
async def sessions(database_url):
    """Sessions on the test's database, already at ``alembic upgrade head``, without the app (no
    scheduler or consumer running beside the test, which drives time itself)."""
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def svc_settings(database_url) -> Settings:
    return Settings(environment="development", database_url=database_url, public_base_url="https://survey.example.com")
