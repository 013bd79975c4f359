from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from csq_common.retention import RetentionRule, chain_lifespans, inbox_rule, retention_lifespan
from csq_common.runtime import create_service_app
from csq_common.settings import load_settings
from notify_svc.consumers import consumers
from notify_svc.deliveries.erasure import delivered_content_rule
from notify_svc.deliveries.router import router as deliveries_router
from notify_svc.deliveries.sender import DeliverySender
from notify_svc.settings import Settings

SERVICE_ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def delivery_sender(app: FastAPI):
    """The SMTP sender, started after the engine exists and stopped before it is disposed."""
    sender = DeliverySender(app.state.sessions, app.state.settings)
    sender.start()
    app.state.delivery_sender = sender
    try:
        yield
    finally:
        await sender.stop()


def retention_rules(app: FastAPI) -> list[RetentionRule]:
    """What grows with traffic here: the inbox, and the content of ended deliveries."""
    settings: Settings = app.state.settings
    return [inbox_rule(settings.retention_inbox_days), delivered_content_rule(settings.retention_delivery_days)]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    return create_service_app(
        settings,
        title="CSQ notify-svc",
        service_root=SERVICE_ROOT,
        routers=[deliveries_router],
        consumers=consumers(settings),
        extra_lifespan=chain_lifespans(delivery_sender, retention_lifespan(retention_rules)),
    )
