from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from csq_common.http.app import create_service_app
from csq_common.settings import load_settings
from feedback_svc.consumers import CONSUMERS
from feedback_svc.settings import Settings
from feedback_svc.tickets.router import router as tickets_router
from feedback_svc.webhooks.router import router as webhooks_router

SERVICE_ROOT = Path(__file__).resolve().parents[2]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    return create_service_app(
        settings,
        title="CSQ feedback-svc",
        service_root=SERVICE_ROOT,
        routers=[webhooks_router, tickets_router],
        consumers=CONSUMERS,
    )
