from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from csq_common.runtime import create_service_app
from csq_common.settings import load_settings
from notify_svc.consumers import consumers
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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    return create_service_app(
        settings,
        title="CSQ notify-svc",
        service_root=SERVICE_ROOT,
        routers=[deliveries_router],
        consumers=consumers(settings),
        extra_lifespan=delivery_sender,
    )
