import time
from datetime import datetime, timezone

import orjson
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from csq_testing import running_app
from feedback_svc.connectors import chatwoot, freshdesk, zendesk
from feedback_svc.main import create_app

ZENDESK_SECRET = "dGhpc19pc19hX3plbmRlc2tfc2VjcmV0"
OLD_ZENDESK_SECRET = "b2xkX3plbmRlc2tfc2lnbmluZ19zZWNyZXQ="
FRESHDESK_AUTH = "csq-hook:Fd-p4ss-2026"
OLD_FRESHDESK_AUTH = "csq-hook:old-pass"
CHATWOOT_SECRET = "cw-webhook-secret-9f2"
OLD_CHATWOOT_SECRET = "cw-old-secret"
ADMIN = {"Authorization": "Bearer admin-key"}
READER = {"Authorization": "Bearer reader-key"}


@pytest.fixture
def settings(settings):
    """The service's test settings with every vendor configured (new secret first, then the old)."""
    return settings.model_copy(update={
        "zendesk_signing_secret": SecretStr(f"{ZENDESK_SECRET},{OLD_ZENDESK_SECRET}"),
        "freshdesk_basic_auth": SecretStr(f"{FRESHDESK_AUTH},{OLD_FRESHDESK_AUTH}"),
        "chatwoot_secret": SecretStr(f"{CHATWOOT_SECRET},{OLD_CHATWOOT_SECRET}"),
    })


def iso_now(offset: float = 0) -> str:
    return datetime.fromtimestamp(time.time() + offset, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def zendesk_headers(body: bytes, *, secret: str = ZENDESK_SECRET, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or iso_now()
    return {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Id": "01HZ3K8Q4W6YV0P9C2M5T7R1BX",
        zendesk.TIMESTAMP_HEADER: timestamp,
        zendesk.SIGNATURE_HEADER: zendesk.signature(secret, timestamp, body),
    }


def freshdesk_headers(body: bytes, *, credential: str = FRESHDESK_AUTH) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": freshdesk.authorization(credential)}


def chatwoot_headers(body: bytes, *, secret: str = CHATWOOT_SECRET, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        chatwoot.TIMESTAMP_HEADER: str(timestamp),
        chatwoot.SIGNATURE_HEADER: chatwoot.signature(secret, timestamp, body),
    }


HEADERS = {"zendesk": zendesk_headers, "freshdesk": freshdesk_headers, "chatwoot": chatwoot_headers}


@pytest.fixture
def post_vendor(client):
    """``await post_vendor("zendesk", payload, **signing)``: authenticate and post as the vendor does."""

    async def post(source: str, payload, **signing):
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        return await client.post(f"/v1/webhooks/{source}", content=body, headers=HEADERS[source](body, **signing))

    return post


async def count(app, model, *where) -> int:
    async with app.state.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
async def unconfigured_client(settings):
    """The service with no vendor configured."""
    bare = settings.model_copy(update={
        "zendesk_signing_secret": SecretStr(""), "freshdesk_basic_auth": SecretStr(""), "chatwoot_secret": SecretStr(""),
    })
    app = create_app(bare)
    async with running_app(app, ensure_topics_for=bare) as http:
        http.app = app
        yield http
