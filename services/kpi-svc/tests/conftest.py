import pytest

from csq_common.testing import running_app
from kpi_svc.main import create_app
from kpi_svc.settings import Settings


@pytest.fixture
def settings(database_url, broker, topic_prefix) -> Settings:
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap_servers,
        topic_prefix=topic_prefix,
        api_keys="admin-key:admin,reader-key:read",
        kafka_session_timeout_ms=3000,
    )


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    async with running_app(app, ensure_topics_for=settings) as http:
        http.app = app
        yield http
