import pytest

from csq_testing import app_client, free_port, service_settings
from notify_svc.main import create_app
from notify_svc.settings import Settings
from tests.deliveries.smtp import SmtpServer


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port):
    """A real aiosmtpd server on the port the app sends to (request it before ``client``)."""
    server = SmtpServer(smtp_port).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(database_url, broker, topic_prefix, smtp_port) -> Settings:
    # Short backoff so retries happen within a test; many attempts so "down" never runs out.
    return service_settings(
        Settings,
        database_url=database_url,
        broker=broker,
        topic_prefix=topic_prefix,
        smtp_port=smtp_port,
        smtp_timeout_seconds=5,
        delivery_claim_seconds=10,
        delivery_max_attempts=100,
        delivery_backoff_base_seconds=0.05,
        delivery_backoff_max_seconds=0.2,
        sender_poll_seconds=0.05,
    )


@pytest.fixture
async def client(settings):
    async with app_client(create_app, settings) as http:
        yield http
