"""Helpers for whole-system tests: post signed webhooks, read KPIs, read a topic."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from csq_common.settings import DEVELOPMENT_WEBHOOK_SECRET
from csq_testing import wait_until
from ticketgen import Webhook, iso, sign

ADMIN = {"Authorization": "Bearer dev-admin-key"}


async def post_webhooks(feedback_url: str, hooks: list[Webhook], concurrency: int = 8) -> dict[int, int]:
    """Deliver ``hooks`` in order over ``concurrency`` connections; return the status counts."""
    statuses: dict[int, int] = {}
    queue = iter(hooks)

    async def worker(client: httpx.AsyncClient):
        for hook in queue:
            body = hook.body()
            response = await client.post("/v1/webhooks/tickets", content=body, headers=sign(DEVELOPMENT_WEBHOOK_SECRET, body))
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(base_url=feedback_url, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return statuses


async def kpi_summary(kpi_url: str, start: datetime, end: datetime, **filters) -> dict:
    params = {"from": iso(start), "to": iso(end), **{f"{k}_id" if k in ("team", "agent") else k: v for k, v in filters.items()}}
    async with httpx.AsyncClient(base_url=kpi_url, timeout=10) as client:
        response = await client.get("/v1/kpis/summary", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for_closures(kpi_url: str, start: datetime, end: datetime, expected: int, timeout: float = 60) -> dict:
    """Poll the summary until it counts ``expected`` closures (and never more)."""

    async def settled():
        summary = await kpi_summary(kpi_url, start, end)
        closed = summary["values"]["tickets_closed"]
        assert closed <= expected, f"more closures than happened: {closed} > {expected}"
        return summary if closed == expected else None

    return await wait_until(settled, timeout=timeout, interval=0.1, message=f"{expected} closures in kpi-svc")


async def read_topic(bootstrap: str, topic: str, *, at_least: int, timeout: float = 20) -> list:
    """Every record of ``topic`` from the beginning (assign, no consumer group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await wait_until(lambda: consumer.partitions_for_topic(topic), message=f"partitions of {topic}")
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        records: list = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < at_least and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            records += [record for rs in batch.values() for record in rs]
        return records
    finally:
        await consumer.stop()


def decode(record) -> dict:
    return orjson.loads(record.value)
