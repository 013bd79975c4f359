"""Prometheus metrics every service exposes on /metrics (names follow Prometheus conventions)."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.routing import Match

HTTP_REQUESTS = Counter(
    "csq_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "csq_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("csq_outbox_backlog", "Outbox rows not yet published")
OUTBOX_PUBLISHED = Counter("csq_outbox_published_total", "Outbox rows published to the broker")
CONSUMER_LAG = Gauge("csq_consumer_lag", "Records behind the partition's high-water mark", ["group", "topic", "partition"])
CONSUMER_EVENTS = Counter("csq_consumer_events_total", "Records taken from the broker", ["group"])
CONSUMER_BATCH_SECONDS = Histogram(
    "csq_consumer_batch_duration_seconds", "Time to apply one consumer batch", ["group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DLQ_MESSAGES = Counter("csq_dlq_messages_total", "Records sent to the dead-letter topic", ["group"])


def route_template(request: Request) -> str:
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return getattr(route, "path", request.url.path)
    return "unmatched"  # keeps label cardinality bounded for scanners hitting random paths


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def _observe(request: Request, call_next):
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = route_template(request)
            HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
            HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)

    @app.get("/metrics", include_in_schema=False)
    async def _metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
