import pytest

from csq_common.db import create_engine, session_factory
from csq_testing import TEST_SESSION_TIMEOUT_MS, running_app
from kpi_svc.main import SERVICE_ROOT, create_app
from kpi_svc.settings import Settings


@pytest.fixture
def service_root():
    """Every test's ``database_url`` starts at this service's alembic head (csq_testing)."""
    return SERVICE_ROOT


@pytest.fixture
def settings(database_url, broker, topic_prefix) -> Settings:
    return Settings(
        environment="development",
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        topic_prefix=topic_prefix,
        kafka_group_prefix=topic_prefix,
        api_keys="admin-key:admin,reader-key:read",
        kafka_session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
        gauge_refresh_seconds=0.2,
    )


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    async with running_app(app, ensure_topics_for=settings) as http:
        http.app = app
        yield http


@pytest.fixture
async def sessions(database_url):
    """A session factory on the test's database, already at ``alembic upgrade head`` (no HTTP, no broker)."""
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()
