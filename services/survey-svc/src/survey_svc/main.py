from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from csq_common.retention import chain_lifespans, inbox_rules, retention_lifespan
from csq_common.runtime import create_service_app
from csq_common.settings import load_settings
from survey_svc.campaigns.scheduler import InvitationScheduler
from survey_svc.consumers import consumers
from survey_svc.settings import Settings
from survey_svc.campaigns.router import router as campaigns_router
from survey_svc.responses.router import router as responses_router
from survey_svc.results.router import router as results_router
from survey_svc.surveys.router import router as surveys_router

SERVICE_ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def invitation_scheduler(app: FastAPI):
    """The invitation scheduler, started after the engine exists and stopped before it is disposed."""
    scheduler = InvitationScheduler(app.state.sessions, app.state.settings)
    scheduler.start()
    app.state.invitation_scheduler = scheduler
    try:
        yield
    finally:
        await scheduler.stop()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    return create_service_app(
        settings,
        title="CSQ survey-svc",
        service_root=SERVICE_ROOT,
        routers=[surveys_router, campaigns_router, responses_router, results_router],
        consumers=consumers(settings),
        extra_lifespan=chain_lifespans(invitation_scheduler, retention_lifespan(inbox_rules)),
    )
