import pytest

from csq_testing import app_client, service_settings
from notify_svc.main import SERVICE_ROOT, create_app
from notify_svc.settings import Settings


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
