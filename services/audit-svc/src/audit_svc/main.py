"""audit-svc's app: scorecards, reviews, disputes, calibration, audit plans, sampling, findings,
corrective actions and the audit report over HTTP, their workers, and the consumer of ticket and survey events."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from csq_common.retention import RetentionRule, chain_lifespans, inbox_rule, retention_lifespan
from csq_common.runtime import create_service_app
from csq_common.settings import load_settings
from audit_svc.consumers import consumers
from audit_svc.calibration.router import router as calibration_router
from audit_svc.disputes.router import router as disputes_router
from audit_svc.findings.overdue import OverdueWorker
from audit_svc.findings.router import router as findings_router
from audit_svc.grades.router import router as grades_router
from audit_svc.plans.router import router as plans_router
from audit_svc.reports.router import router as reports_router
from audit_svc.reviews.router import router as reviews_router
from audit_svc.sampling.router import router as sampling_router
from audit_svc.sampling.worker import SamplingWorker
from audit_svc.scorecards.router import router as scorecards_router
from audit_svc.settings import Settings
from audit_svc.tickets.models import TicketCustomer, TicketMessage

SERVICE_ROOT = Path(__file__).resolve().parents[2]


def retention_rules(app: FastAPI) -> list[RetentionRule]:
    """The inbox, and the ticket transcripts (with the customer ids that find them for an erasure)."""
    settings = app.state.settings
    keep_messages = timedelta(days=settings.retention_message_days)
    return [
        inbox_rule(settings.retention_inbox_days),
        RetentionRule(TicketMessage.__table__, "sent_at", keep_messages),
        RetentionRule(TicketCustomer.__table__, "seen_at", keep_messages),
    ]


def audit_workers(settings: Settings):
    """The background workers, started after the engine exists and stopped before it is disposed."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        workers = [
            SamplingWorker(app.state.sessions, poll_seconds=settings.sampling_poll_seconds),
            OverdueWorker(
                app.state.sessions, topic=settings.topic("audits"), poll_seconds=settings.overdue_poll_seconds,
                batch_size=settings.overdue_batch_size,
            ),
        ]
        for worker in workers:
            worker.start()
        try:
            yield
        finally:
            for worker in workers:
                await worker.stop()

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    return create_service_app(
        settings,
        title="CSQ audit-svc",
        service_root=SERVICE_ROOT,
        routers=[
            scorecards_router, reviews_router, disputes_router, calibration_router,
            plans_router, sampling_router, findings_router, grades_router, reports_router,
        ],
        consumers=consumers(settings),
        extra_lifespan=chain_lifespans(retention_lifespan(retention_rules), audit_workers(settings)),
    )
