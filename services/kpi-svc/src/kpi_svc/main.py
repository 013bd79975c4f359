from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from csq_common.retention import RetentionRule, chain_lifespans, inbox_rule, retention_lifespan
from csq_common.runtime import create_service_app
from csq_common.settings import load_settings
from kpi_svc.aggregates.pack import PackWorker
from kpi_svc.aggregates.rollup import RollupWorker
from kpi_svc.calendars.router import router as calendars_router
from kpi_svc.consumers import consumers
from kpi_svc.conversations.retention import conversation_rules
from kpi_svc.gauges import refresher_lifespan
from kpi_svc.kpis.router import router as kpis_router
from kpi_svc.people.router import router as people_router
from kpi_svc.read.router import router as read_router
from kpi_svc.settings import Settings
from kpi_svc.sla.notices import SlaNoticeWorker
from kpi_svc.sla.retention import sla_rules
from kpi_svc.sla.router import router as sla_router
from kpi_svc.targets.evaluator import TargetEvaluator
from kpi_svc.targets.router import router as targets_router

SERVICE_ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    """The roll-up of pending deltas, the packer of past days' 15-minute cells, the SLA notice
    worker, the target evaluator and the gauge refresher, while the app runs."""
    settings: Settings = app.state.settings
    rollup = RollupWorker(app.state.sessions, batch_size=settings.rollup_batch_size, poll_seconds=settings.rollup_poll_seconds)
    sla_notices = SlaNoticeWorker(
        app.state.sessions, topic=settings.topic("kpi"), poll_seconds=settings.sla_poll_seconds,
        warning_before=timedelta(seconds=settings.sla_warning_seconds), batch_size=settings.sla_batch_size,
    )
    targets = TargetEvaluator(
        app.state.sessions, app.state.read_sessions, topic=settings.topic("kpi"), poll_seconds=settings.target_poll_seconds
    )
    packer = PackWorker(app.state.sessions, poll_seconds=settings.pack_poll_seconds, after=timedelta(hours=settings.pack_after_hours))
    rollup.start()
    packer.start()
    sla_notices.start()
    targets.start()
    app.state.rollup = rollup
    try:
        async with refresher_lifespan(app):
            yield
    finally:
        await targets.stop()
        await sla_notices.stop()
        await packer.stop()
        await rollup.stop()


def retention_rules(app: FastAPI) -> list[RetentionRule]:
    """The inbox, the SLA tables (kpi_svc.sla.retention) and the conversation tables."""
    settings: Settings = app.state.settings
    return [
        inbox_rule(settings.retention_inbox_days),
        *sla_rules(settings.sla_retention_days),
        *conversation_rules(settings.next_response_retention_days, settings.repeat_contact_retention_days),
    ]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings(Settings)
    return create_service_app(
        settings,
        title="CSQ kpi-svc",
        service_root=SERVICE_ROOT,
        routers=[kpis_router, read_router, calendars_router, sla_router, targets_router, people_router],
        consumers=consumers(settings),
        extra_lifespan=chain_lifespans(background, retention_lifespan(retention_rules)),
        # Each KPI read is one statement over the aggregates (a summary: one for tickets, one for
        # surveys, independent): no transaction needed around them.
        autocommit_reads=True,
    )
