"""The service runtime every service is built with: the app factory and its lifespan (engine,
migrations, producer, outbox relay, consumers), problem+json, metrics and health routes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from csq_common import logging as csq_logging
from csq_common.bus.consumer import BatchHandler, ConsumerRunner, Decoder
from csq_common.bus.kafka import BrokerProducer
from csq_common.bus.migration import upgrade_to_head
from csq_common.bus.outbox import OutboxRelay
from csq_common.db import create_engine, read_engine, session_factory
from csq_common.events import CloudEvent
from csq_common.http import body_limit, metrics, openapi, problems
from csq_common.settings import BaseServiceSettings
from csq_common.sqlite import wal_checkpointer
from csq_common.worker import Deadline, within

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    """``group`` reads ``domains`` (topic suffixes such as "tickets") and applies ``handler``."""

    group: str
    domains: tuple[str, ...]
    handler: BatchHandler
    #: How the runner decodes a record before the inbox and the handler (see ConsumerRunner).
    decode: Decoder = CloudEvent.from_bytes


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request):
        checks = {"database": "ok", "broker": "ok"}
        try:
            async with request.app.state.engine.connect() as connection:
                await asyncio.wait_for(connection.execute(text("SELECT 1")), 2.0)
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        if not await request.app.state.producer.ping():
            checks["broker"] = "unreachable"
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)

    return router


async def stop_within_grace(
    grace_seconds: float, *, extra, runners: list[ConsumerRunner], relay: OutboxRelay, producer: BrokerProducer,
    engines: list, checkpointer,
) -> None:
    """Stop every part of a service within ``grace_seconds``, whatever the broker and the database
    do: each step gets its share of the time, and a part still running at the end of its share is
    abandoned (see ``worker.settle``). The service's own background work goes first, then the
    consumers and the relay, then the producer (its flush), then the database connections."""
    deadline = Deadline(grace_seconds)
    if extra is not None:
        await within(extra.__aexit__(None, None, None), deadline.until(0.25), name="service-background-stop")
    await asyncio.gather(
        *(runner.stop(deadline.until(0.5)) for runner in runners), relay.stop(deadline.until(0.5))
    )
    await producer.stop(deadline.until(0.75))
    for engine in engines:
        await within(engine.dispose(), deadline.until(0.9), name="engine-dispose")
    if checkpointer is not None:
        # The last connection: closing it checkpoints the rest.
        await within(checkpointer.stop(), deadline.until(), name="wal-checkpointer-stop")
    log.info("service.stopped", seconds=round(grace_seconds - deadline.until(), 3))


def create_service_app(
    settings: BaseServiceSettings,
    *,
    title: str,
    service_root: Path,
    routers: list[APIRouter],
    consumers: list[ConsumerSpec] = (),
    extra_lifespan: Callable[[FastAPI], AbstractAsyncContextManager] | None = None,
    autocommit_reads: bool = False,
) -> FastAPI:
    """Build a service's FastAPI app. Nothing connects until the lifespan starts.

    ``autocommit_reads``: the read-only sessions (``ReadSessionDep``) run each statement on its
    own on PostgreSQL (see ``db.read_engine``); only for a service none of whose read endpoints
    needs several statements to see one snapshot, or a server-side cursor."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        csq_logging.configure(settings.log_level, service=settings.service_name)
        engine = create_engine(settings.database_url)
        await upgrade_to_head(engine, service_root)
        checkpointer = wal_checkpointer(engine)  # SQLite: commits leave the WAL checkpoints to it
        if checkpointer is not None:
            checkpointer.start()
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        reader = read_engine(engine, autocommit=autocommit_reads)
        app.state.read_sessions = session_factory(reader)
        producer = BrokerProducer(settings)
        producer.start()
        app.state.producer = producer
        relay = OutboxRelay(
            app.state.sessions, producer, batch_size=settings.outbox_batch_size, poll_seconds=settings.outbox_poll_seconds,
            linger_seconds=settings.outbox_linger_seconds, read_sessions=app.state.read_sessions,
        )
        relay.start()
        runners = [
            ConsumerRunner(
                group=spec.group,
                group_id=settings.kafka_group_id(spec.group),
                topics=[settings.topic(domain) for domain in spec.domains],
                handler=spec.handler,
                sessions=app.state.sessions,
                producer=producer,
                dlq_topic=settings.topic("dlq"),
                bootstrap_servers=settings.kafka_bootstrap_servers,
                batch_size=settings.consumer_batch_size,
                max_retries=settings.consumer_max_retries,
                session_timeout_ms=settings.kafka_session_timeout_ms,
                decode=spec.decode,
            )
            for spec in consumers
        ]
        for runner in runners:
            runner.start()
        app.state.consumers = runners
        # What start-up allocated (modules, models, compiled statements) lives as long as the
        # process: move it out of the collector's sight, so the full collections that batches of
        # thousands of events trigger do not walk it again each time.
        gc.freeze()
        log.info("service.started", host=settings.host, port=settings.port)
        entered = None
        try:
            if extra_lifespan is not None:
                extra = extra_lifespan(app)
                await extra.__aenter__()
                entered = extra
            yield
        finally:
            await stop_within_grace(
                settings.shutdown_grace_seconds, extra=entered, runners=runners, relay=relay, producer=producer,
                engines=[engine, reader] if reader is not engine else [engine], checkpointer=checkpointer,
            )

    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    problems.install(app)
    openapi.install(app)
    body_limit.install(app)  # inside metrics (installed later, so outer): a 413 is counted
    # The service's own routes first: a request is matched against the routes in order, and an
    # included router is not cheap to try (the webhook intake is matched on every request).
    for router in routers:
        app.include_router(router)
    metrics.install(app)
    app.include_router(health_router())
    return app
