"""The request middleware: request ids in and out, per-route counts and latencies."""

import httpx
from fastapi import FastAPI
from prometheus_client import REGISTRY

from csq_common.http import metrics


def _client() -> httpx.AsyncClient:
    app = FastAPI()
    metrics.install(app)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str):
        return {"id": thing_id}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _count(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value("csq_http_requests_total", {"method": "GET", "route": route, "status": status})
    return value or 0.0


async def test_a_request_id_is_echoed_or_generated_unique_per_request():
    async with _client() as client:
        echoed = await client.get("/things/1", headers={"X-Request-ID": "abc-123"})
        generated = [(await client.get("/things/1")).headers["x-request-id"] for _ in range(3)]
        long = await client.get("/things/1", headers={"X-Request-ID": "x" * 500})
    assert echoed.headers["x-request-id"] == "abc-123"
    assert len(set(generated)) == 3 and all(len(value) == 32 for value in generated)
    assert long.headers["x-request-id"] == "x" * 200


async def test_requests_are_counted_per_route_template_and_status():
    before_ok, before_missing = _count("/things/{thing_id}", "200"), _count("unmatched", "404")
    async with _client() as client:
        for n in range(3):
            assert (await client.get(f"/things/{n}")).status_code == 200
        assert (await client.get("/nowhere")).status_code == 404
    assert _count("/things/{thing_id}", "200") - before_ok == 3
    assert _count("unmatched", "404") - before_missing == 1
    latency = REGISTRY.get_sample_value("csq_http_request_duration_seconds_count", {"method": "GET", "route": "/things/{thing_id}"})
    assert latency and latency >= 3
