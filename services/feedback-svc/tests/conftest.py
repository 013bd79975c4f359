import time
from collections.abc import Awaitable, Callable

import httpx
import orjson
import pytest

from csq_testing import TEST_SESSION_TIMEOUT_MS, running_app
from feedback_svc.main import SERVICE_ROOT, create_app
from feedback_svc.settings import Settings
from feedback_svc.webhooks.signature import sign

WEBHOOK_SECRET = "test-webhook-secret"
OLD_WEBHOOK_SECRET = "old-webhook-secret"
WEBHOOK_URL = "/v1/webhooks/tickets"


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
        webhook_secret=f"{WEBHOOK_SECRET},{OLD_WEBHOOK_SECRET}",
        kafka_session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
    )


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    async with running_app(app, ensure_topics_for=settings) as http:
        http.app = app
        yield http


def signed_headers(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The X-CSQ-* headers a CRM sends with ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "X-CSQ-Timestamp": str(timestamp),
        "X-CSQ-Signature": sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }


PostWebhook = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def post_webhook(client) -> PostWebhook:
    """``await post_webhook(payload)``: sign and post a dict (or raw bytes) to the ticket webhook."""

    async def post(payload, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, headers=None):
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        sent = signed_headers(body, secret=secret, timestamp=timestamp)
        sent.update(headers or {})
        return await client.post(WEBHOOK_URL, content=body, headers=sent)

    return post


READER = {"Authorization": "Bearer reader-key"}
