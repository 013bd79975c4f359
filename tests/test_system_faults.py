"""Faults on the running system; after each, the KPIs must be exactly right (nothing lost,
nothing counted twice). Each test uses its own stretch of event time, so they share the stack."""

import re
from datetime import datetime, timedelta, timezone

import httpx

from csq_common.events import CloudEvent
from csq_testing import connected_producer, wait_until
from system import decode, kpi_summary, post_webhooks, read_topic, wait_for_closures
from ticketgen import assert_kpis_match, expected_kpis, generate

UTC = timezone.utc


def outbox_backlog(feedback_url: str) -> float:
    text = httpx.get(f"{feedback_url}/metrics", timeout=5).text
    match = re.search(r"^csq_outbox_backlog (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_broker_paused_while_webhooks_keep_arriving(stack):
    start = datetime(2024, 5, 1, tzinfo=UTC)
    end = start + timedelta(days=20)
    hooks, truth = generate(seed=2, tickets=60, start=start, days=7)
    stack.pause_broker()
    try:
        statuses = await post_webhooks(stack.url("feedback"), hooks)
        assert set(statuses) <= {200, 202} and statuses[202] == len({h.event_id for h in hooks})
        # The relay cannot publish: everything waits in feedback-svc's outbox.
        await wait_until(lambda: outbox_backlog(stack.url("feedback")) > 0, timeout=15, message="outbox backlog")
    finally:
        stack.resume_broker()
    await wait_for_closures(stack.url("kpi"), start, end, len(truth.closures), timeout=90)
    await wait_until(lambda: outbox_backlog(stack.url("feedback")) == 0, timeout=30, message="outbox drained")
    assert_kpis_match((await kpi_summary(stack.url("kpi"), start, end))["values"], expected_kpis(truth, start, end)[0], "after outage")


async def test_kpi_svc_killed_in_the_middle_of_consuming(stack):
    start = datetime(2023, 7, 1, tzinfo=UTC)
    end = start + timedelta(days=20)
    hooks, truth = generate(seed=3, tickets=150, start=start, days=7)
    stack.stop_service("kpi")
    await post_webhooks(stack.url("feedback"), hooks)  # piles up in Kafka while kpi-svc is down
    stack.start_service("kpi", wait=False)

    async def partly_applied():
        try:
            summary = await kpi_summary(stack.url("kpi"), start, end)
        except (httpx.HTTPError, AssertionError):
            return None
        return summary["values"]["tickets_closed"] or None

    applied_before_kill = await wait_until(partly_applied, timeout=60, interval=0.01, message="kpi-svc consuming")
    stack.kill("kpi")  # SIGKILL: no shutdown, offsets of the batch in flight not committed
    assert applied_before_kill < len(truth.closures), "kpi-svc finished before the kill: nothing was tested"
    stack.start_service("kpi")
    await wait_for_closures(stack.url("kpi"), start, end, len(truth.closures), timeout=90)
    summary = await kpi_summary(stack.url("kpi"), start, end)
    assert_kpis_match(summary["values"], expected_kpis(truth, start, end)[0], "after SIGKILL")


async def test_poison_records_go_to_the_dlq_and_consumption_goes_on(stack):
    from csq_common.settings import BaseServiceSettings

    settings = BaseServiceSettings(environment="development", kafka_bootstrap_servers=stack.bootstrap_servers, topic_prefix=stack.topic_prefix)
    broken = CloudEvent(id="poison-2", source="test", type="ticket.closed", time=datetime(2022, 1, 1, tzinfo=UTC), data={"ticket": {"id": 7}})
    async with connected_producer(settings) as producer:
        await producer.send_and_wait(settings.topic("tickets"), b"\x00 not a cloud event", key=b"T-poison")
        await producer.send_and_wait(settings.topic("tickets"), broken.to_bytes(), key=b"T-poison")

    start = datetime(2022, 1, 1, tzinfo=UTC)
    hooks, truth = generate(seed=4, tickets=10, start=start, days=2)
    await post_webhooks(stack.url("feedback"), hooks)
    await wait_for_closures(stack.url("kpi"), start, start + timedelta(days=10), len(truth.closures))

    async def kpi_letters():
        # Every group reading csq.tickets dead-letters the garbage; kpi-svc also refuses the bad data.
        records = await read_topic(stack.bootstrap_servers, settings.topic("dlq"), at_least=10_000, timeout=2)
        letters = [decode(r) for r in records]
        return [letter for letter in letters if letter["key"] == "T-poison" and letter["consumer_group"] == "kpi-svc"] or None

    mine = await wait_until(kpi_letters, timeout=30, message="kpi-svc dead letters")
    assert len(mine) == 2 and any("invalid CloudEvent" in letter["error"] for letter in mine)
    assert any("ticket" in letter["error"] for letter in mine if "invalid CloudEvent" not in letter["error"])
